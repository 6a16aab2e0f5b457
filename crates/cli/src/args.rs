//! The command line of `ssvm-lite`, parsed by hand.

use std::ffi::OsString;
use std::path::PathBuf;

/// The top-level usage text.
pub const USAGE: &str = "\
ssvm-lite: a WebAssembly runtime for serverless functions

usage: ssvm-lite <COMMAND> [ARGS]

commands:
  help [COMMAND]       print this help, or a command's
  validate FILE.wasm   check that a binary module is well-formed and valid
  run [OPTIONS] FILE.wasm [ARGS...]
                       run a WASI program, or call an exported function (--invoke)
  compile --dump-ir FILE.wasm [--func N] [--metered]
                       print the register IR the module's functions are lowered to
  serve [OPTIONS] [MODULE]
                       serve WASI functions over HTTP, a fresh instance per request

options:
  -h, --help           print this help
  -V, --version        print the version

Exit codes: 0 success, 1 the module is malformed or invalid, 2 bad usage or an I/O error,
3 the program trapped, 4 the module could not be instantiated, 5 out of gas; `run` of a WASI
program that calls `proc_exit` exits with the program's status (docs/cli.md).";

/// The usage text of `ssvm-lite run`.
pub const RUN_USAGE: &str = "\
usage: ssvm-lite run [OPTIONS] FILE.wasm [ARGS...]

Runs the WASI program FILE.wasm: calls its `_start` with ARGS as its command-line arguments
(FILE.wasm as given is argument 0). Its exit status (`proc_exit`) becomes ours.

With --invoke NAME, calls the exported function NAME instead, with ARGS parsed by the
function's parameter types (integers in decimal or 0x-hex, floats as decimal, `inf`, `-inf` or
`nan`), and prints the results, one per line.

The guest sees no file, no environment variable and nothing of the host but its standard
streams, unless given here.

options:
  --dir HOST[::GUEST]   give the guest directory HOST (and what is below it, nothing above),
                        under the name GUEST (default: HOST as written); repeatable
  --env NAME=VALUE      set an environment variable of the guest; repeatable
  --max-output BYTES    the most the guest may write to standard output and error together;
                        past it a write is cut short, then fails with EFBIG
  --max-dir-files N     the most names (files, directories, links) the guest may create in
                        its --dir directories; then EDQUOT
  --max-dir-bytes BYTES the most bytes by which the guest may grow files there; then EDQUOT
  --trace-wasi          print each WASI call, its arguments and its errno on standard error
  --timeout DURATION    stop the guest after DURATION of wall-clock time (`500ms`, `10s`,
                        `2m`; a bare number is seconds): exit 6
  --max-memory BYTES    the most all of the guest's linear memories may hold together;
                        past it memory.grow returns -1 (and a larger initial memory exit 4)
  --max-table-elements N  the most elements a table may grow to
  --max-stack BYTES     the most value-stack space all frames of a call may use; past it a
                        call traps (call stack exhausted)
  -W NAME=VALUE         wasmtime's spelling of --NAME VALUE, for max-output, max-dir-files,
                        max-dir-bytes, timeout, max-memory-size (= --max-memory),
                        max-table-elements and max-wasm-stack (= --max-stack)
  --invoke NAME         the exported function to call (after `_initialize`, when the module
                        exports one: a WASI reactor)
  --trap-unknown-imports
                        let function imports that nothing defines be linked to functions
                        that trap when called (a trap names the import)
  --default-values-unknown-imports
                        link them to functions that return zeros (null references) instead
  --gas-limit N         stop with out of gas (exit 5) before the first instruction whose price
                        would make gas used exceed N
  --cost-table FILE     price instructions by this TOML cost table (default: the shipped
                        docs/default-cost-table.toml)
  --gas-report FILE|-   write a JSON gas report to FILE (`-`: standard error)
  --histogram           count executions per opcode into the gas report
  --gas-profile FILE    write gas by call stack to FILE, in the folded-stack format of
                        flame-graph tools (`main;f;g 123` per line)
  -h, --help            print this help

Any gas option turns metering on. BYTES is a whole number, optionally with K, M or G
(binary: 1K = 1024). The files of --gas-report and --gas-profile are created before the run.

Exit codes: the guest's exit status when it calls `proc_exit`; otherwise 0 success, 1 the module
is malformed or invalid, 2 bad usage or an I/O error, 3 a trap (the message and a Wasm
backtrace go to standard error), 4 the module could not be instantiated, 5 out of gas,
6 timed out (--timeout).";

/// The usage text of `ssvm-lite compile`.
pub const COMPILE_USAGE: &str = "\
usage: ssvm-lite compile --dump-ir FILE.wasm [--func N] [--metered]

Validates FILE.wasm, lowers its functions to register IR and prints the IR of every function
defined in the module, or only of function N (imported functions counted).

options:
  --dump-ir   print the IR (the only output this command has)
  --func N    only function N
  --metered   lower as metered runs do (the shipped cost table): shows the `Charge` of each
              metering block
  -h, --help  print this help";

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
#[allow(clippy::large_enum_variant)] // one per process: its size does not matter
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
    /// Print the usage of `run`.
    RunHelp,
    /// Call an exported function.
    Run {
        /// The export to call (`_start` when not given).
        invoke: Option<String>,
        /// Metering options.
        gas: GasOptions,
        /// What the guest gets of the host through WASI.
        wasi: WasiOptions,
        /// Time, memory, table and stack limits.
        limits: RunLimits,
        /// What function imports no one provides become.
        unknown_imports: UnknownImports,
        /// The module's path.
        file: PathBuf,
        /// The arguments, as text.
        args: Vec<String>,
    },
    /// Print the usage of `compile`.
    CompileHelp,
    /// Print the register IR.
    DumpIr {
        /// The module's path.
        file: PathBuf,
        /// Only this function.
        func: Option<u32>,
        /// Lower with metering (the shipped cost table): shows the charges.
        metered: bool,
    },
    /// Serve functions over HTTP; `ssvm-serve` parses the arguments after `serve`.
    Serve { args: Vec<OsString> },
}

/// The WASI options of `run`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WasiOptions {
    /// Preopened directories: the host path and the name the guest sees.
    pub dirs: Vec<(PathBuf, String)>,
    /// The guest's environment, `NAME=VALUE` split at the first `=`.
    pub env: Vec<(String, String)>,
    /// `--max-output`: bytes the guest may write to its standard streams.
    pub max_output: Option<u64>,
    /// `--max-dir-files`: names the guest may create in its directories.
    pub max_dir_files: Option<u64>,
    /// `--max-dir-bytes`: bytes by which the guest may grow files there.
    pub max_dir_bytes: Option<u64>,
    /// `--trace-wasi`: print each WASI call on standard error.
    pub trace: bool,
}

/// What `run` does with function imports neither WASI nor anything else defines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnknownImports {
    /// The module cannot be instantiated (exit 4).
    #[default]
    Refuse,
    /// `--trap-unknown-imports`: each traps when called.
    Trap,
    /// `--default-values-unknown-imports`: each returns zeros (nulls for references).
    DefaultValues,
}

/// The limits of `run` beyond gas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// `--timeout`: wall-clock time the guest may run.
    pub timeout: Option<std::time::Duration>,
    /// `--max-memory`: bytes all its memories may hold together.
    pub max_memory: Option<u64>,
    /// `--max-table-elements`: elements a table may grow to.
    pub max_table_elements: Option<u32>,
    /// `--max-stack`: bytes of value stack a call may use.
    pub max_stack: Option<u64>,
}

/// The gas options of `run`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GasOptions {
    pub limit: Option<u64>,
    pub cost_table: Option<PathBuf>,
    /// Where the JSON report goes: a path, or `-` for standard error.
    pub report: Option<String>,
    pub histogram: bool,
    /// Where the folded-stack gas profile goes.
    pub profile: Option<PathBuf>,
}

impl GasOptions {
    /// Whether any option asks for metering.
    pub fn metered(&self) -> bool {
        self.limit.is_some()
            || self.cost_table.is_some()
            || self.report.is_some()
            || self.histogram
            || self.profile.is_some()
    }
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
        Some("help") => parse_help(args),
        Some("validate") => parse_validate(args),
        Some("run") => parse_run(args),
        Some("compile") => parse_compile(args),
        Some("serve") => Ok(Command::Serve {
            args: args.collect(),
        }),
        Some(s) if s.starts_with('-') => Err(usage_error(format!("unknown option `{s}`"), USAGE)),
        _ => Err(usage_error(
            format!("unknown command `{}`", first.to_string_lossy()),
            USAGE,
        )),
    }
}

/// `help [COMMAND]`: the same as `--help` or `COMMAND --help`.
fn parse_help(mut args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let command = match args.next() {
        None => return Ok(Command::Help),
        Some(c) => c,
    };
    if let Some(extra) = args.next() {
        return Err(usage_error(
            format!("unexpected argument `{}`", extra.to_string_lossy()),
            USAGE,
        ));
    }
    match command.to_str() {
        Some("help") => Ok(Command::Help),
        Some("validate") => Ok(Command::ValidateHelp),
        Some("run") => Ok(Command::RunHelp),
        Some("compile") => Ok(Command::CompileHelp),
        _ => Err(usage_error(
            format!("unknown command `{}`", command.to_string_lossy()),
            USAGE,
        )),
    }
}

/// A whole number given to `option` (`_` separators allowed): one beyond `u64` is "too large".
fn whole_number(option: &str, text: &str) -> Result<u64, UsageError> {
    use std::num::IntErrorKind;
    text.replace('_', "")
        .parse()
        .map_err(|e: std::num::ParseIntError| {
            let why = match e.kind() {
                IntErrorKind::PosOverflow => {
                    format!("`{text}` is too large (the most is {})", u64::MAX)
                }
                _ => format!("needs a whole number, not `{text}`"),
            };
            usage_error(format!("{option} {why}"), RUN_USAGE)
        })
}

/// A size in bytes given to `option`: a whole number, optionally with `K`, `M` or `G` (1024,
/// 1024², 1024³).
fn bytes(option: &str, text: &str) -> Result<u64, UsageError> {
    let (digits, scale) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    let n = whole_number(option, digits).map_err(|e| {
        if e.message.contains("too large") {
            e
        } else {
            usage_error(
                format!("{option} needs a size in bytes (like 4096, 64K or 1G), not `{text}`"),
                RUN_USAGE,
            )
        }
    })?;
    n.checked_mul(scale).ok_or_else(|| {
        usage_error(
            format!(
                "{option} `{text}` is too large (the most is {} bytes)",
                u64::MAX
            ),
            RUN_USAGE,
        )
    })
}

/// The options that `-W NAME=VALUE` (wasmtime's spelling) may name, and the long option each is.
const W_OPTIONS: &[(&str, &str)] = &[
    ("max-output", "--max-output"),
    ("max-dir-files", "--max-dir-files"),
    ("max-dir-bytes", "--max-dir-bytes"),
    ("timeout", "--timeout"),
    ("max-memory-size", "--max-memory"),
    ("max-table-elements", "--max-table-elements"),
    ("max-wasm-stack", "--max-stack"),
];

/// `-W NAME=VALUE`: the long option it stands for and its value.
fn w_option(text: &str) -> Result<(&'static str, String), UsageError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(usage_error(
            format!("-W needs NAME=VALUE, not `{text}`"),
            RUN_USAGE,
        ));
    };
    match W_OPTIONS.iter().find(|(w, _)| *w == name) {
        Some((_, option)) => Ok((option, value.to_string())),
        None => {
            let known: Vec<&str> = W_OPTIONS.iter().map(|(w, _)| *w).collect();
            Err(usage_error(
                format!("unknown -W option `{name}` (known: {})", known.join(", ")),
                RUN_USAGE,
            ))
        }
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

fn text(arg: OsString, usage: &'static str) -> Result<String, UsageError> {
    arg.into_string().map_err(|a| {
        usage_error(
            format!("argument `{}` is not valid UTF-8", a.to_string_lossy()),
            usage,
        )
    })
}

fn parse_run(mut args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut invoke = None;
    let mut gas = GasOptions::default();
    let mut wasi = WasiOptions::default();
    let mut limits = RunLimits::default();
    let mut unknown_imports = UnknownImports::Refuse;
    let next_value = |args: &mut dyn Iterator<Item = OsString>, option: &str| {
        args.next()
            .ok_or_else(|| usage_error(format!("{option} needs a value"), RUN_USAGE))
            .and_then(|v| text(v, RUN_USAGE))
    };
    // Options come before the module; everything after it is the program's.
    let file = loop {
        let Some(arg) = args.next() else {
            return Err(usage_error("missing FILE".into(), RUN_USAGE));
        };
        // `-W NAME=VALUE` and `-WNAME=VALUE` are `--NAME VALUE`.
        let mut w_value = None;
        let arg = match arg.to_str() {
            Some("-W") => {
                let (option, v) = w_option(&next_value(&mut args, "-W")?)?;
                w_value = Some(v);
                OsString::from(option)
            }
            Some(s) if s.starts_with("-W") => {
                let (option, v) = w_option(&s[2..])?;
                w_value = Some(v);
                OsString::from(option)
            }
            _ => arg,
        };
        let mut value =
            |args: &mut dyn Iterator<Item = OsString>, option: &str| match w_value.take() {
                Some(v) => Ok(v),
                None => next_value(args, option),
            };
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(Command::RunHelp),
            Some("--invoke") => {
                let name = args.next().ok_or_else(|| {
                    usage_error("--invoke needs a function name".into(), RUN_USAGE)
                })?;
                invoke = Some(text(name, RUN_USAGE)?);
            }
            Some("--gas-limit") => {
                gas.limit = Some(whole_number(
                    "--gas-limit",
                    &value(&mut args, "--gas-limit")?,
                )?);
            }
            Some("--max-output") => {
                wasi.max_output = Some(bytes("--max-output", &value(&mut args, "--max-output")?)?);
            }
            Some("--max-dir-files") => {
                let v = value(&mut args, "--max-dir-files")?;
                wasi.max_dir_files = Some(whole_number("--max-dir-files", &v)?);
            }
            Some("--max-dir-bytes") => {
                let v = value(&mut args, "--max-dir-bytes")?;
                wasi.max_dir_bytes = Some(bytes("--max-dir-bytes", &v)?);
            }
            Some("--trace-wasi") => wasi.trace = true,
            Some(flag @ ("--trap-unknown-imports" | "--default-values-unknown-imports")) => {
                let wanted = if flag == "--trap-unknown-imports" {
                    UnknownImports::Trap
                } else {
                    UnknownImports::DefaultValues
                };
                if unknown_imports != UnknownImports::Refuse && unknown_imports != wanted {
                    return Err(usage_error(
                        "--trap-unknown-imports and --default-values-unknown-imports exclude each other"
                            .into(),
                        RUN_USAGE,
                    ));
                }
                unknown_imports = wanted;
            }
            Some("--timeout") => {
                limits.timeout = Some(duration("--timeout", &value(&mut args, "--timeout")?)?);
            }
            Some("--max-memory") => {
                limits.max_memory =
                    Some(bytes("--max-memory", &value(&mut args, "--max-memory")?)?);
            }
            Some("--max-table-elements") => {
                let v = value(&mut args, "--max-table-elements")?;
                let n = whole_number("--max-table-elements", &v)?;
                limits.max_table_elements = Some(u32::try_from(n).map_err(|_| {
                    usage_error(
                        format!(
                            "--max-table-elements {v} is too large (the most is {})",
                            u32::MAX
                        ),
                        RUN_USAGE,
                    )
                })?);
            }
            Some("--max-stack") => {
                limits.max_stack = Some(bytes("--max-stack", &value(&mut args, "--max-stack")?)?);
            }
            Some("--cost-table") => {
                gas.cost_table = Some(PathBuf::from(value(&mut args, "--cost-table")?));
            }
            Some("--gas-report") => gas.report = Some(value(&mut args, "--gas-report")?),
            Some("--histogram") => gas.histogram = true,
            Some("--gas-profile") => {
                gas.profile = Some(PathBuf::from(value(&mut args, "--gas-profile")?));
            }
            Some("--dir") => {
                let v = value(&mut args, "--dir")?;
                let (host, guest) = match v.split_once("::") {
                    Some((host, guest)) => (host.to_string(), guest.to_string()),
                    None => (v.clone(), v.clone()),
                };
                if host.is_empty() || guest.is_empty() {
                    return Err(usage_error(
                        format!("--dir needs HOST or HOST::GUEST, not `{v}`"),
                        RUN_USAGE,
                    ));
                }
                wasi.dirs.push((PathBuf::from(host), guest));
            }
            Some("--env") => {
                let v = value(&mut args, "--env")?;
                match v.split_once('=') {
                    Some((name, value)) if !name.is_empty() => {
                        wasi.env.push((name.to_string(), value.to_string()));
                    }
                    _ => {
                        return Err(usage_error(
                            format!("--env needs NAME=VALUE, not `{v}`"),
                            RUN_USAGE,
                        ))
                    }
                }
            }
            Some("--") => {
                let file = args
                    .next()
                    .ok_or_else(|| usage_error("missing FILE".into(), RUN_USAGE))?;
                break PathBuf::from(file);
            }
            Some(s) if s.starts_with('-') && s != "-" => {
                return Err(usage_error(format!("unknown option `{s}`"), RUN_USAGE));
            }
            _ => break PathBuf::from(arg),
        }
    };
    let args = args.map(|a| text(a, RUN_USAGE)).collect::<Result<_, _>>()?;
    Ok(Command::Run {
        invoke,
        unknown_imports,
        gas,
        wasi,
        limits,
        file,
        args,
    })
}

/// A `--timeout` duration: a number with `ns`, `us`, `ms`, `s`, `m` or `h`, or bare seconds.
fn duration(option: &str, text: &str) -> Result<std::time::Duration, UsageError> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    match number.parse::<f64>() {
        Ok(n) if scale.is_finite() => std::time::Duration::try_from_secs_f64(n * scale)
            .map_err(|_| usage_error(format!("{option} {text} is too long"), RUN_USAGE)),
        _ => Err(usage_error(
            format!("{option} needs a duration such as 500ms, 10s or 2m, not `{text}`"),
            RUN_USAGE,
        )),
    }
}

fn parse_compile(mut args: impl Iterator<Item = OsString>) -> Result<Command, UsageError> {
    let (mut dump, mut file, mut func, mut metered) = (false, None, None, false);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(Command::CompileHelp),
            Some("--dump-ir") => dump = true,
            Some("--metered") => metered = true,
            Some("--func") => {
                let n = args.next().ok_or_else(|| {
                    usage_error("--func needs a function index".into(), COMPILE_USAGE)
                })?;
                let n = n.to_str().and_then(|n| n.parse().ok()).ok_or_else(|| {
                    usage_error(
                        format!(
                            "--func needs a function index, not `{}`",
                            n.to_string_lossy()
                        ),
                        COMPILE_USAGE,
                    )
                })?;
                func = Some(n);
            }
            Some(s) if s.starts_with('-') => {
                return Err(usage_error(format!("unknown option `{s}`"), COMPILE_USAGE));
            }
            _ if file.is_some() => {
                return Err(usage_error(
                    format!("unexpected argument `{}`", arg.to_string_lossy()),
                    COMPILE_USAGE,
                ))
            }
            _ => file = Some(PathBuf::from(arg)),
        }
    }
    if !dump {
        return Err(usage_error("compile needs --dump-ir".into(), COMPILE_USAGE));
    }
    match file {
        Some(file) => Ok(Command::DumpIr {
            file,
            func,
            metered,
        }),
        None => Err(usage_error("missing FILE".into(), COMPILE_USAGE)),
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
        assert_eq!(message(&["frob"]), "unknown command `frob`");
        assert_eq!(message(&["run"]), "missing FILE");
        assert_eq!(
            message(&["run", "--invoke"]),
            "--invoke needs a function name"
        );
        assert_eq!(message(&["compile", "a.wasm"]), "compile needs --dump-ir");
        assert_eq!(
            message(&["compile", "--dump-ir", "a.wasm", "--func", "x"]),
            "--func needs a function index, not `x`"
        );
        assert_eq!(message(&["--frobnicate"]), "unknown option `--frobnicate`");
        assert_eq!(message(&["validate"]), "missing FILE");
        assert_eq!(message(&["validate", "a", "b"]), "unexpected argument `b`");
        assert_eq!(message(&["validate", "-x", "a"]), "unknown option `-x`");
    }

    #[test]
    fn run_limits_and_their_wasmtime_spellings() {
        let limits = |args: &[&str]| match parse_strs(args) {
            Ok(Command::Run { limits, .. }) => limits,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            limits(&[
                "run",
                "--timeout",
                "1.5s",
                "--max-memory",
                "64M",
                "--max-table-elements",
                "10",
                "--max-stack",
                "1M",
                "m.wasm"
            ]),
            RunLimits {
                timeout: Some(std::time::Duration::from_millis(1500)),
                max_memory: Some(64 << 20),
                max_table_elements: Some(10),
                max_stack: Some(1 << 20),
            }
        );
        assert_eq!(
            limits(&[
                "run",
                "-W",
                "timeout=250ms",
                "-W",
                "max-memory-size=1G",
                "-W",
                "max-wasm-stack=4K",
                "m.wasm"
            ]),
            RunLimits {
                timeout: Some(std::time::Duration::from_millis(250)),
                max_memory: Some(1 << 30),
                max_table_elements: None,
                max_stack: Some(4096),
            }
        );
        assert_eq!(
            limits(&["run", "--timeout", "2", "m.wasm"]).timeout,
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(
            message(&["run", "--timeout", "soon", "m.wasm"]),
            "--timeout needs a duration such as 500ms, 10s or 2m, not `soon`"
        );
        assert_eq!(
            message(&["run", "--max-table-elements", "5000000000", "m.wasm"]),
            "--max-table-elements 5000000000 is too large (the most is 4294967295)"
        );
    }

    #[test]
    fn run_takes_options_then_the_module_then_its_arguments() {
        assert_eq!(
            parse_strs(&["run", "--invoke", "fib", "k.wasm", "30", "--invoke"]),
            Ok(Command::Run {
                invoke: Some("fib".into()),
                gas: GasOptions::default(),
                wasi: WasiOptions::default(),
                limits: RunLimits::default(),
                unknown_imports: UnknownImports::default(),
                file: "k.wasm".into(),
                args: vec!["30".into(), "--invoke".into()],
            })
        );
        assert_eq!(
            parse_strs(&[
                "run",
                "--gas-limit",
                "1_000",
                "--histogram",
                "--gas-report",
                "-",
                "k.wasm"
            ]),
            Ok(Command::Run {
                invoke: None,
                gas: GasOptions {
                    limit: Some(1000),
                    cost_table: None,
                    report: Some("-".into()),
                    histogram: true,
                    profile: None,
                },
                wasi: WasiOptions::default(),
                limits: RunLimits::default(),
                unknown_imports: UnknownImports::default(),
                file: "k.wasm".into(),
                args: vec![],
            })
        );
        assert_eq!(
            parse_strs(&[
                "run",
                "--dir",
                "data",
                "--dir",
                "/tmp/x::/out",
                "--env",
                "A=b=c",
                "--env",
                "E=",
                "p.wasm",
                "in.txt"
            ]),
            Ok(Command::Run {
                invoke: None,
                gas: GasOptions::default(),
                wasi: WasiOptions {
                    dirs: vec![
                        ("data".into(), "data".into()),
                        ("/tmp/x".into(), "/out".into())
                    ],
                    env: vec![("A".into(), "b=c".into()), ("E".into(), "".into())],
                    ..WasiOptions::default()
                },
                limits: RunLimits::default(),
                unknown_imports: UnknownImports::default(),
                file: "p.wasm".into(),
                args: vec!["in.txt".into()],
            })
        );
        assert_eq!(
            message(&["run", "--env", "NOEQUALS", "p.wasm"]),
            "--env needs NAME=VALUE, not `NOEQUALS`"
        );
        assert_eq!(
            message(&["run", "--dir", "a::", "p.wasm"]),
            "--dir needs HOST or HOST::GUEST, not `a::`"
        );
        assert_eq!(parse_strs(&["run", "-h"]), Ok(Command::RunHelp));
        assert_eq!(
            parse_strs(&["compile", "--dump-ir", "a.wasm", "--func", "3"]),
            Ok(Command::DumpIr {
                file: "a.wasm".into(),
                func: Some(3),
                metered: false,
            })
        );
    }

    #[test]
    fn help_command_is_the_help_flag() {
        assert_eq!(parse_strs(&["help"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["help", "run"]), Ok(Command::RunHelp));
        assert_eq!(parse_strs(&["help", "validate"]), Ok(Command::ValidateHelp));
        assert_eq!(parse_strs(&["help", "compile"]), Ok(Command::CompileHelp));
        assert_eq!(message(&["help", "x"]), "unknown command `x`");
        assert_eq!(message(&["help", "run", "x"]), "unexpected argument `x`");
    }

    /// The WASI options of `run ARGS m.wasm`.
    fn wasi_of(args: &[&str]) -> WasiOptions {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.push("m.wasm");
        match parse_strs(&all) {
            Ok(Command::Run { wasi, .. }) => wasi,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn caps_take_sizes_and_the_w_spelling() {
        let caps = |o: WasiOptions| (o.max_output, o.max_dir_files, o.max_dir_bytes, o.trace);
        assert_eq!(
            caps(wasi_of(&[
                "--max-output",
                "64K",
                "--max-dir-files",
                "1_000",
                "--trace-wasi"
            ])),
            (Some(65536), Some(1000), None, true)
        );
        assert_eq!(
            caps(wasi_of(&["-W", "max-output=2M", "-Wmax-dir-bytes=1G"])),
            (Some(2 << 20), None, Some(1 << 30), false)
        );
        assert_eq!(caps(wasi_of(&["-W", "max-dir-files=7"])).1, Some(7));
        assert_eq!(
            message(&["run", "-W", "max-output", "m.wasm"]),
            "-W needs NAME=VALUE, not `max-output`"
        );
        assert_eq!(
            message(&["run", "-Wfuel=1", "m.wasm"]),
            "unknown -W option `fuel` (known: max-output, max-dir-files, max-dir-bytes, timeout, \
             max-memory-size, max-table-elements, max-wasm-stack)"
        );
        assert_eq!(
            message(&["run", "--max-output", "12Q", "m.wasm"]),
            "--max-output needs a size in bytes (like 4096, 64K or 1G), not `12Q`"
        );
        assert_eq!(
            message(&["run", "--max-dir-bytes", "17179869184G", "m.wasm"]),
            "--max-dir-bytes `17179869184G` is too large (the most is 18446744073709551615 bytes)"
        );
        assert_eq!(
            message(&["run", "--max-dir-files", "-1", "m.wasm"]),
            "--max-dir-files needs a whole number, not `-1`"
        );
    }

    #[test]
    fn usage_errors_carry_the_right_usage() {
        assert_eq!(parse_strs(&["nope"]).unwrap_err().usage, USAGE);
        assert_eq!(parse_strs(&["validate"]).unwrap_err().usage, VALIDATE_USAGE);
    }
}
