//! `ssvm-lite`, the command-line front end of the ssvm-lite WebAssembly runtime.
//!
//! Exit codes: 0 success; 1 the module is malformed or invalid; 2 bad usage or an I/O error;
//! 3 the program trapped; 4 the module could not be instantiated; 5 out of gas; 6 timed out;
//! 7 the module uses a proposal ssvm-lite does not implement; a WASI program
//! that calls `proc_exit` exits with its status. A panic (exit code 101) is a bug. `docs/cli.md` documents the commands.

#![forbid(unsafe_code)]

mod args;
mod backtrace;
mod diagnose;
mod report;
mod run;

use args::{Command, COMPILE_USAGE, RUN_USAGE, USAGE, VALIDATE_USAGE};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The command succeeded.
const EXIT_OK: u8 = 0;
/// The module is malformed or invalid.
const EXIT_BAD_MODULE: u8 = 1;
/// Bad usage, or a file could not be read.
const EXIT_USAGE_OR_IO: u8 = 2;
/// Execution trapped.
const EXIT_TRAP: u8 = 3;
/// The module could not be instantiated (a missing or mismatched import, a limit).
const EXIT_UNINSTANTIABLE: u8 = 4;
/// Metered execution ran out of gas.
const EXIT_OUT_OF_GAS: u8 = 5;
/// The run took longer than `--timeout`.
const EXIT_TIMEOUT: u8 = 6;
/// The module uses a WebAssembly proposal that ssvm-lite does not implement, or that its
/// interpreter does not execute yet.
const EXIT_UNSUPPORTED: u8 = 7;

fn main() -> ExitCode {
    let code = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => print_out(USAGE),
        Ok(Command::ValidateHelp) => print_out(VALIDATE_USAGE),
        Ok(Command::Version) => print_out(&format!("ssvm-lite {}", env!("CARGO_PKG_VERSION"))),
        Ok(Command::Validate { file }) => validate(&file),
        Ok(Command::RunHelp) => print_out(RUN_USAGE),
        Ok(Command::Run {
            invoke,
            gas,
            wasi,
            limits,
            unknown_imports,
            file,
            args,
        }) => run::run(
            invoke.as_deref(),
            &gas,
            &wasi,
            &limits,
            unknown_imports,
            &file,
            &args,
        ),
        Ok(Command::CompileHelp) => print_out(COMPILE_USAGE),
        Ok(Command::DumpIr {
            file,
            func,
            metered,
        }) => run::dump_ir(&file, func, metered),
        Ok(Command::Serve { args }) => ssvm_serve::main(args),
        Err(e) => {
            print_err(&format!("error: {}\n\n{}", e.message, e.usage));
            EXIT_USAGE_OR_IO
        }
    };
    ExitCode::from(code)
}

/// `ssvm-lite validate FILE`.
fn validate(file: &Path) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            print_err(&format!("error: cannot read {}: {e}", file.display()));
            return EXIT_USAGE_OR_IO;
        }
    };
    // Loaded as `run` loads it, so that the two accept the same modules: a valid module the
    // interpreter cannot execute is reported as unsupported, not as valid.
    let engine = ssvm_runtime::Engine::new(ssvm_runtime::Config::default());
    let bytes = std::sync::Arc::new(bytes);
    match ssvm_runtime::Module::from_shared(&engine, bytes.clone()) {
        Ok(_) => EXIT_OK,
        Err(e) => {
            let (line, code) = run::load_error(file, &bytes, &e);
            print_err(&line);
            code
        }
    }
}

/// Prints a line on standard output; a closed pipe is not worth a panic.
fn print_out(text: &str) -> u8 {
    let _ = writeln!(std::io::stdout(), "{text}");
    EXIT_OK
}

/// Prints a line on standard error, ignoring write errors.
fn print_err(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
