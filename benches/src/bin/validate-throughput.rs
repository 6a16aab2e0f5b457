//! Decode + validate throughput of `ssvm_validate::validate` against wasmparser's
//! `Validator::validate_all` (Wasm 2.0 features), on one module.
//!
//! ```text
//! cargo run --release -p ssvm-benches --bin validate-throughput -- [--rounds N] [--size-mb M] [--seed S] [PATH]
//! ```
//!
//! Without `PATH` it generates a large module (`--size-mb`, default 8) with
//! `ssvm_benches::large_module`, writes it to `target/bench-large.wasm`, and measures that.
//! The two validators run alternately, one untimed warm-up round each and then `--rounds`
//! (default 11) timed rounds each; it prints the median and the best time of each in MB/s
//! (10^6 bytes per second) and the ratio of the medians.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wasmparser::{Validator, WasmFeatures};

struct Options {
    rounds: usize,
    size_mb: f64,
    seed: u64,
    path: Option<PathBuf>,
}

const USAGE: &str = "usage: validate-throughput [--rounds N] [--size-mb M] [--seed S] [PATH]";

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        rounds: 11,
        size_mb: 8.0,
        seed: 1,
        path: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--rounds" => {
                options.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?
            }
            "--size-mb" => {
                options.size_mb = value("--size-mb")?
                    .parse()
                    .map_err(|e| format!("--size-mb: {e}"))?
            }
            "--seed" => {
                options.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}\n{USAGE}")),
            s => {
                if options.path.replace(PathBuf::from(s)).is_some() {
                    return Err(format!("only one PATH\n{USAGE}"));
                }
            }
        }
    }
    if options.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(options)
}

/// `target/` of the workspace (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

fn ours(bytes: &[u8]) -> Result<(), String> {
    ssvm_validate::validate(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn wasmparser(bytes: &[u8]) -> Result<(), String> {
    Validator::new_with_features(WasmFeatures::WASM2)
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Functions, instructions and the share of SIMD instructions, by wasmparser.
fn code_stats(bytes: &[u8]) -> Option<(usize, usize, usize)> {
    let (mut functions, mut ops, mut simd) = (0, 0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.ok()? {
            functions += 1;
            let mut reader = body.get_operators_reader().ok()?;
            while !reader.eof() {
                let offset = reader.original_position() as usize;
                reader.read().ok()?;
                ops += 1;
                simd += usize::from(bytes[offset] == 0xfd);
            }
        }
    }
    Some((functions, ops, simd))
}

fn time(f: fn(&[u8]) -> Result<(), String>, bytes: &[u8]) -> Duration {
    let start = Instant::now();
    let result = f(std::hint::black_box(bytes));
    let elapsed = start.elapsed();
    std::hint::black_box(result.is_ok());
    elapsed
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / t.as_secs_f64() / 1e6
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (bytes, name) = match &options.path {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => (bytes, path.display().to_string()),
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => {
            let start = Instant::now();
            let bytes = ssvm_benches::large_module::generate(
                (options.size_mb * 1e6) as usize,
                options.seed,
            );
            let mut path = target_dir().join("bench-large.wasm");
            match std::fs::create_dir_all(target_dir()).and(std::fs::write(&path, &bytes)) {
                Ok(()) => path = std::fs::canonicalize(&path).unwrap_or(path),
                Err(e) => eprintln!("cannot write {}: {e}", path.display()),
            }
            eprintln!(
                "generated {} ({} bytes, seed {}) in {:.2?}",
                path.display(),
                bytes.len(),
                options.seed,
                start.elapsed()
            );
            (bytes, path.display().to_string())
        }
    };

    // Both verdicts first: the comparison means little if they differ.
    let (ours_verdict, theirs_verdict) = (ours(&bytes), wasmparser(&bytes));
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "valid".to_string(),
        Err(e) => format!("invalid: {e}"),
    };
    println!("module:     {name} ({:.2} MB)", bytes.len() as f64 / 1e6);
    if let Some((functions, ops, simd)) = code_stats(&bytes) {
        println!(
            "code:       {functions} functions, {ops} instructions ({:.1}% SIMD)",
            100.0 * simd as f64 / ops.max(1) as f64
        );
    }
    println!("ssvm:       {}", show(&ours_verdict));
    println!("wasmparser: {}", show(&theirs_verdict));
    if ours_verdict.is_ok() != theirs_verdict.is_ok() {
        println!("warning: the validators disagree; the timings compare different work");
    }

    // One warm-up round each, then alternate so that both see the same machine load.
    time(ours, &bytes);
    time(wasmparser, &bytes);
    let mut ours_times = Vec::with_capacity(options.rounds);
    let mut theirs_times = Vec::with_capacity(options.rounds);
    for round in 0..options.rounds {
        if round % 2 == 0 {
            ours_times.push(time(ours, &bytes));
            theirs_times.push(time(wasmparser, &bytes));
        } else {
            theirs_times.push(time(wasmparser, &bytes));
            ours_times.push(time(ours, &bytes));
        }
    }
    let best_ours = *ours_times.iter().min().unwrap();
    let best_theirs = *theirs_times.iter().min().unwrap();
    let ours_median = median(&mut ours_times);
    let theirs_median = median(&mut theirs_times);
    println!(
        "rounds:     {} (after one warm-up each, alternating)",
        options.rounds
    );
    println!(
        "ssvm:       median {:>8.1} MB/s ({ours_median:.2?}), best {:>8.1} MB/s",
        mb_per_s(bytes.len(), ours_median),
        mb_per_s(bytes.len(), best_ours)
    );
    println!(
        "wasmparser: median {:>8.1} MB/s ({theirs_median:.2?}), best {:>8.1} MB/s",
        mb_per_s(bytes.len(), theirs_median),
        mb_per_s(bytes.len(), best_theirs)
    );
    println!(
        "ratio:      ssvm is {:.2}x wasmparser's throughput (median)",
        theirs_median.as_secs_f64() / ours_median.as_secs_f64()
    );
    ExitCode::SUCCESS
}
