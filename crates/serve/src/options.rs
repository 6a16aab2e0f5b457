//! The command line of `ssvm-lite serve`.

use crate::log::Log;
use crate::routes::{Section, StderrMode};
use std::ffi::OsString;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// The usage text of `ssvm-lite serve`.
pub const USAGE: &str = "\
usage: ssvm-lite serve [OPTIONS] [MODULE]

Serves WebAssembly functions over HTTP/1.1: each request runs a fresh instance of a WASI command
(compiled once), CGI style: the request in the environment and on standard input, the response
on standard output (docs/serve.md). MODULE is served at `/`; a routes file maps other path
prefixes to modules. Every response carries X-Gas-Used and X-Gas-Limit; the server itself
answers /metrics (Prometheus) and /healthz. SIGTERM or SIGINT stops it gracefully.

options:
  --listen ADDR:PORT      where to listen (default 127.0.0.1:8080; port 0: any free port)
  --routes FILE           a TOML routes file (path prefix -> module, limits, environment)
  --ledger FILE           append one JSON line per request (the bill) to FILE
  --watch                 recompile a module when its file changes
  --gas-limit N           gas per request (default 1000000000)
  --timeout DURATION      wall-clock limit per request: 250ms, 2s, 1m (default 2s)
  --max-memory-pages N    linear memory per request, in 64 KiB pages (default 1024)
  --max-body BYTES        largest request body (default 1048576)
  --max-output BYTES      most the function may write to standard output and error together
                          (default 16777216)
  --env NAME=VALUE        add to every function's environment; repeatable
  --cost-table FILE       price instructions by this cost table (default: the shipped one)
  --histogram             put each request's executions per opcode in the ledger
  --preinit               run the module's `wizer.initialize` once at start, and start every
                          request from the state it leaves (a snapshot of memory and globals)
  --stderr discard|log    the functions' standard error: thrown away (default) or logged
  --max-instances N       guests running at once (default 64)
  --inline-gas GAS        run a guest on the async worker that received its request for up to
                          GAS, then on a blocking thread; 0 runs every guest on a blocking
                          thread (default 500000; guests that may block always run there)
  --log-level LEVEL       off, error, warn, info (default) or debug (a line per request)
  -h, --help              print this help

The limit options (and --preinit) are the defaults of every route; a routes file's [defaults] and its routes
override them.

Exit codes: 0 after a graceful stop; 1 a module is malformed or invalid; 2 bad usage, a bad
routes file or an I/O error (the address cannot be bound); 4 a module cannot be served (no
`_start`, an unknown import, over its limits).";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Help,
    Serve(Box<Options>),
}

/// The options of `serve`.
#[derive(Debug, PartialEq)]
pub struct Options {
    pub listen: SocketAddr,
    pub routes: Option<PathBuf>,
    pub module: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    pub watch: bool,
    /// The defaults of every route.
    pub defaults: Section,
    pub max_instances: u32,
    pub inline_gas: u64,
    pub log: Log,
}

/// Parses the arguments after `serve`.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut args = args.into_iter();
    let mut o = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        routes: None,
        module: None,
        ledger: None,
        watch: false,
        defaults: Section::default(),
        max_instances: 64,
        inline_gas: crate::function::INLINE_GAS,
        log: Log {
            max: Some(crate::log::Level::Info),
        },
    };
    let value = |args: &mut dyn Iterator<Item = OsString>, option: &str| {
        let v = args
            .next()
            .ok_or_else(|| format!("{option} needs a value"))?;
        v.into_string()
            .map_err(|v| format!("{option}: `{}` is not valid UTF-8", v.to_string_lossy()))
    };
    fn number<T: std::str::FromStr>(option: &str, v: &str) -> Result<T, String> {
        v.replace('_', "")
            .parse()
            .map_err(|_| format!("{option} needs a whole number, not `{v}`"))
    }
    while let Some(arg) = args.next() {
        let Some(flag) = arg.to_str() else {
            return Err(format!(
                "argument `{}` is not valid UTF-8",
                arg.to_string_lossy()
            ));
        };
        match flag {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listen" => {
                let v = value(&mut args, flag)?;
                o.listen = v
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| format!("--listen needs ADDR:PORT, not `{v}`"))?;
            }
            "--routes" => o.routes = Some(value(&mut args, flag)?.into()),
            "--ledger" => o.ledger = Some(value(&mut args, flag)?.into()),
            "--watch" => o.watch = true,
            "--gas-limit" => o.defaults.gas_limit = Some(number(flag, &value(&mut args, flag)?)?),
            "--timeout" => {
                let v = value(&mut args, flag)?;
                crate::routes::parse_duration(&v).map_err(|e| format!("--timeout: {e}"))?;
                o.defaults.timeout = Some(v);
            }
            "--max-memory-pages" => {
                o.defaults.max_memory_pages = Some(number(flag, &value(&mut args, flag)?)?)
            }
            "--max-body" => {
                o.defaults.max_body_bytes = Some(number(flag, &value(&mut args, flag)?)?)
            }
            "--max-output" => {
                o.defaults.max_output_bytes = Some(number(flag, &value(&mut args, flag)?)?)
            }
            "--env" => {
                let v = value(&mut args, flag)?;
                match v.split_once('=') {
                    Some((name, val)) if !name.is_empty() => {
                        o.defaults.env.insert(name.to_string(), val.to_string());
                    }
                    _ => return Err(format!("--env needs NAME=VALUE, not `{v}`")),
                }
            }
            "--cost-table" => o.defaults.cost_table = Some(value(&mut args, flag)?.into()),
            "--histogram" => o.defaults.histogram = Some(true),
            "--preinit" => o.defaults.preinit = Some(true),
            "--stderr" => {
                o.defaults.stderr = Some(match value(&mut args, flag)?.as_str() {
                    "discard" => StderrMode::Discard,
                    "log" => StderrMode::Log,
                    other => return Err(format!("--stderr is discard or log, not `{other}`")),
                })
            }
            "--max-instances" => {
                o.max_instances = number(flag, &value(&mut args, flag)?)?;
                if o.max_instances == 0 {
                    return Err("--max-instances must be at least 1".into());
                }
            }
            "--inline-gas" => o.inline_gas = number(flag, &value(&mut args, flag)?)?,
            "--log-level" => {
                let v = value(&mut args, flag)?;
                o.log = Log::from_name(&v).ok_or_else(|| {
                    format!("--log-level is off, error, warn, info or debug, not `{v}`")
                })?;
            }
            "--" => {
                let m = args.next().ok_or("missing MODULE after `--`")?;
                set_module(&mut o, m.into())?;
            }
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            _ => set_module(&mut o, arg.into())?,
        }
    }
    if o.module.is_none() && o.routes.is_none() {
        return Err("missing MODULE (or --routes FILE)".into());
    }
    Ok(Parsed::Serve(Box::new(o)))
}

fn set_module(o: &mut Options, module: PathBuf) -> Result<(), String> {
    if let Some(first) = &o.module {
        return Err(format!(
            "one MODULE only (`{}` is already given); use --routes FILE for more",
            first.display()
        ));
    }
    o.module = Some(module);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Parsed, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn options_set_the_route_defaults() {
        let Ok(Parsed::Serve(o)) = parse_strs(&[
            "--listen",
            "127.0.0.1:0",
            "--gas-limit",
            "1_000",
            "--timeout",
            "250ms",
            "--env",
            "A=b=c",
            "--histogram",
            "--stderr",
            "log",
            "f.wasm",
        ]) else {
            panic!("parses");
        };
        assert_eq!(o.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(o.module, Some("f.wasm".into()));
        assert_eq!(o.defaults.gas_limit, Some(1000));
        assert_eq!(o.defaults.timeout.as_deref(), Some("250ms"));
        assert_eq!(o.defaults.env["A"], "b=c");
        assert_eq!(o.defaults.histogram, Some(true));
        assert_eq!(o.defaults.stderr, Some(StderrMode::Log));
        assert_eq!(parse_strs(&["-h"]), Ok(Parsed::Help));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert_eq!(
            parse_strs(&[]).unwrap_err(),
            "missing MODULE (or --routes FILE)"
        );
        assert_eq!(
            parse_strs(&["--frob", "f.wasm"]).unwrap_err(),
            "unknown option `--frob`"
        );
        assert!(parse_strs(&["a.wasm", "b.wasm"])
            .unwrap_err()
            .contains("one MODULE only"));
        assert_eq!(
            parse_strs(&["--timeout", "5", "f"]).unwrap_err(),
            "--timeout: `5` is not a duration like 250ms, 2s or 1m"
        );
        assert_eq!(
            parse_strs(&["--gas-limit", "x", "f"]).unwrap_err(),
            "--gas-limit needs a whole number, not `x`"
        );
        assert_eq!(
            parse_strs(&["--listen", "nowhere", "f"]).unwrap_err(),
            "--listen needs ADDR:PORT, not `nowhere`"
        );
        assert_eq!(
            parse_strs(&["--env", "=x", "f"]).unwrap_err(),
            "--env needs NAME=VALUE, not `=x`"
        );
        assert_eq!(
            parse_strs(&["--max-instances", "0", "f"]).unwrap_err(),
            "--max-instances must be at least 1"
        );
        assert_eq!(
            parse_strs(&["--ledger"]).unwrap_err(),
            "--ledger needs a value"
        );
    }
}
