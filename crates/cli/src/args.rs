//! The command line of `ssvm-lite`, parsed by hand.

use std::ffi::OsString;
use std::path::PathBuf;

/// The top-level usage text.
pub const USAGE: &str = "\
ssvm-lite: a WebAssembly runtime for serverless functions

usage: ssvm-lite <COMMAND> [ARGS]

commands:
  validate FILE.wasm   check that a binary module is well-formed and valid

options:
  -h, --help           print this help
  -V, --version        print the version

Exit codes: 0 success, 1 the module is malformed or invalid, 2 bad usage or an I/O error.";

/// The usage text of `ssvm-lite validate`.
pub const VALIDATE_USAGE: &str = "\
usage: ssvm-lite validate FILE.wasm

Decodes and validates the WebAssembly binary module FILE.wasm (text `.wat` is not accepted).
Prints nothing and exits 0 when the module is valid. When it is malformed or invalid, prints
`error: <what> at offset 0x<hex>[ in function N]` on standard error and exits 1.

options:
  -h, --help   print this help";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the top-level usage.
    Help,
    /// Print `ssvm-lite X.Y.Z`.
    Version,
    /// Print the usage of `validate`.
    ValidateHelp,
    /// Decode and validate a binary module.
    Validate {
        /// The module's path.
        file: PathBuf,
    },
}

/// A command line that does not parse: what is wrong and the usage text to show with it.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong.
    pub message: String,
    /// The usage of the command that was being parsed.
    pub usage: &'static str,
}

fn usage_error(message: String, usage: &'static str) -> UsageError {
    UsageError { message, usage }
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Err(usage_error("missing command".into(), USAGE));
    };
    match first.to_str() {
        Some("-h" | "--help") => Ok(Command::Help),
        Some("-V" | "--version") => Ok(Command::Version),
        Some("validate") => parse_validate(args),
        Some(s) if s.starts_with('-') => Err(usage_error(format!("unknown option `{s}`"), USAGE)),
        _ => Err(usage_error(
            format!("unknown command `{}`", first.to_string_lossy()),
            USAGE,
        )),
    }
}

fn parse_validate(args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut file: Option<PathBuf> = None;
    let mut options_done = false;
    for arg in args {
        if !options_done {
            match arg.to_str() {
                Some("-h" | "--help") => return Ok(Command::ValidateHelp),
                Some("--") => {
                    options_done = true;
                    continue;
                }
                Some(s) if s.starts_with('-') && s != "-" => {
                    return Err(usage_error(format!("unknown option `{s}`"), VALIDATE_USAGE));
                }
                _ => {}
            }
        }
        if file.is_some() {
            return Err(usage_error(
                format!("unexpected argument `{}`", arg.to_string_lossy()),
                VALIDATE_USAGE,
            ));
        }
        file = Some(PathBuf::from(arg));
    }
    match file {
        Some(file) => Ok(Command::Validate { file }),
        None => Err(usage_error("missing FILE".into(), VALIDATE_USAGE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from))
    }

    fn message(args: &[&str]) -> String {
        parse_strs(args)
            .expect_err("expected a usage error")
            .message
    }

    #[test]
    fn top_level_flags() {
        assert_eq!(parse_strs(&["--help"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["-h"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["--version"]), Ok(Command::Version));
        assert_eq!(parse_strs(&["-V"]), Ok(Command::Version));
    }

    #[test]
    fn validate_takes_one_file() {
        assert_eq!(
            parse_strs(&["validate", "a.wasm"]),
            Ok(Command::Validate {
                file: "a.wasm".into()
            })
        );
        assert_eq!(
            parse_strs(&["validate", "--", "-odd.wasm"]),
            Ok(Command::Validate {
                file: "-odd.wasm".into()
            })
        );
        assert_eq!(parse_strs(&["validate", "-h"]), Ok(Command::ValidateHelp));
        assert_eq!(
            parse_strs(&["validate", "a.wasm", "--help"]),
            Ok(Command::ValidateHelp)
        );
    }

    #[test]
    fn bad_usage_says_what_is_wrong() {
        assert_eq!(message(&[]), "missing command");
        assert_eq!(message(&["run"]), "unknown command `run`");
        assert_eq!(message(&["--frobnicate"]), "unknown option `--frobnicate`");
        assert_eq!(message(&["validate"]), "missing FILE");
        assert_eq!(message(&["validate", "a", "b"]), "unexpected argument `b`");
        assert_eq!(message(&["validate", "-x", "a"]), "unknown option `-x`");
    }

    #[test]
    fn usage_errors_carry_the_right_usage() {
        assert_eq!(parse_strs(&["nope"]).unwrap_err().usage, USAGE);
        assert_eq!(parse_strs(&["validate"]).unwrap_err().usage, VALIDATE_USAGE);
    }
}
