//! The benchmark kernels, instrumented, compute the same checksums as uninstrumented; their gas
//! under a uniform price is the instruction count, and a limit just below it stops them.

mod common;

use common::*;
use ssvm_metering_oracle::{run, Outcome, PerUnitRates, Prices};
use ssvm_runtime::{Engine, Linker, Module, Store, Val};
use std::path::PathBuf;

/// Small sizes: each kernel runs its main loops a few times.
const KERNELS: &[(&str, i32)] = &[
    ("fib", 12),
    ("nbody", 5),
    ("fannkuch", 5),
    ("mandelbrot", 8),
    ("binarytrees", 5),
    ("sorthash", 50),
    ("coremark", 5),
];

fn kernel(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../benches/kernels"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn plain(wasm: &[u8], n: i32) -> i64 {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<i32, i64, _>(&store, "run")
        .unwrap();
    run.call(&mut store, n).unwrap()
}

fn no_imports(_: &mut Linker<()>, _: &mut Store<()>) {}

#[test]
fn kernels_keep_their_checksums() {
    let uniform_prices = Prices {
        instr: &uniform,
        per_unit: PerUnitRates::default(),
        host: &no_host,
    };
    for &(name, n) in KERNELS {
        let wasm = kernel(name);
        let want = plain(&wasm, n);
        let args = [Val::I32(n)];
        let r = run(&wasm, &uniform_prices, None, "run", &args, &mut no_imports).unwrap();
        assert_eq!(r.outcome, Outcome::Returned(vec![Val::I64(want)]), "{name}");
        assert!(r.gas > 0, "{name}");
        assert_eq!(r.gas, r.counts.values().sum::<u64>(), "{name}");

        // Exactly enough gas: the same run. One less: stopped, within the limit.
        let r2 = run(
            &wasm,
            &uniform_prices,
            Some(r.gas),
            "run",
            &args,
            &mut no_imports,
        )
        .unwrap();
        assert_eq!(
            (r2.gas, &r2.outcome, &r2.counts),
            (r.gas, &r.outcome, &r.counts),
            "{name}"
        );
        let r3 = run(
            &wasm,
            &uniform_prices,
            Some(r.gas - 1),
            "run",
            &args,
            &mut no_imports,
        );
        let r3 = r3.unwrap();
        assert_eq!(
            (r3.gas, r3.outcome),
            (r.gas - 1, Outcome::OutOfGas),
            "{name}"
        );

        // A non-uniform table changes the gas, not the result.
        let priced = Prices {
            instr: &table,
            ..uniform_prices
        };
        let r4 = run(&wasm, &priced, None, "run", &args, &mut no_imports).unwrap();
        assert_eq!(r4.outcome, r.outcome, "{name}");
        assert_eq!(r4.counts, r.counts, "{name}");
        assert_eq!(r4.gas, priced_sum(&r4.counts), "{name}");
    }
}

fn priced_sum(counts: &std::collections::BTreeMap<String, u64>) -> u64 {
    priced(counts, &table)
}
