//! Measures the per-request hot path of `ssvm-lite serve` without HTTP: for N requests in a
//! row, the guest's streams (set up, and the output read back), a fresh instance of the module,
//! its run and its teardown, as the server does them (wholly on this thread). Prints the median and 99th percentile of each part, in microseconds.
//!
//! cargo run --release -p ssvm-serve --example instantiate -- [MODULE] [N] [--preinit]
//!
//! With `--preinit`, the requests start from the snapshot taken after `wizer.initialize`.

use ssvm_runtime::CostTable;
use ssvm_serve::function::{wasi_linker, Function};
use ssvm_serve::guest::Stopper;
use ssvm_serve::routes::{resolve, Section};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let module = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/serve/echo.wasm"
        )
        .into()
    });
    let n: usize = args
        .next()
        .map_or(20_000, |n| n.parse().expect("N is a number"));
    let preinit = args.next().is_some_and(|a| a == "--preinit");
    let spec = resolve(
        &Section {
            path: Some("/".into()),
            module: Some(module.clone().into()),
            preinit: Some(preinit),
            ..Section::default()
        },
        None,
    )
    .expect("a route");
    let linker = wasi_linker();
    let function = Function::load(&spec, Arc::new(CostTable::default_table()), &linker)
        .unwrap_or_else(|e| panic!("{e}"));
    let env: Vec<(String, String)> = [
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("REQUEST_METHOD", "GET"),
        ("PATH_INFO", "/"),
        ("QUERY_STRING", ""),
        ("HTTP_HOST", "127.0.0.1:8080"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut parts: [Vec<Duration>; 4] = Default::default();
    for _ in 0..n {
        let t = Instant::now();
        let (stdio, outputs) =
            ssvm_serve::stdio::prepare(b"", spec.limits.output_bytes, spec.stderr).unwrap();
        let prepared = t.elapsed();
        let report = function.run(
            &env,
            stdio,
            Instant::now() + Duration::from_secs(60),
            &Stopper::default(),
        );
        let t = Instant::now();
        let (out, _) = outputs.read().unwrap();
        assert!(!out.is_empty());
        parts[0].push(prepared + t.elapsed());
        parts[1].push(report.instantiate);
        parts[2].push(report.execute);
        parts[3].push(report.teardown);
    }
    println!(
        "{n} requests of {module}{}",
        if preinit { " (--preinit)" } else { "" }
    );
    for (name, mut v) in ["streams", "instantiate", "execute", "teardown"]
        .into_iter()
        .zip(parts)
    {
        v.sort();
        let us = |d: Duration| d.as_nanos() as f64 / 1e3;
        println!(
            "{name:>12}: median {:8.2} us, p99 {:8.2} us",
            us(v[v.len() / 2]),
            us(v[v.len() * 99 / 100])
        );
    }
}
