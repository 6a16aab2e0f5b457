//! `ssvm-lite serve`: WebAssembly functions as a service over HTTP/1.1 (docs/serve.md).
//!
//! A module is compiled once; every request runs a fresh instance of it (on the async worker
//! that received it, or a blocking thread for a long or possibly blocking guest),
//! with the request given CGI style over WASI preview 1 (the WAGI convention): the request in
//! environment variables and on standard input, the response on standard output. Every request
//! is billed: `X-Gas-Used` on the response and a JSON line in the ledger.
//!
//! Modules, one job each: [`routes`] (the routes file and path matching), [`cgi`] (the
//! environment and the response format), [`stdio`] (the guest's standard streams),
//! [`function`] (compile once), [`guest`] (an instance per request), [`preinit`] (`--preinit` snapshots),
//! [`ledger`], [`metrics`], [`log`],
//! the request pipeline (`handler`) and its answers ([`respond`]), the server and its shutdown ([`server`]), and `--watch`.

pub mod cgi;
mod clock;
pub mod function;
pub mod guest;
mod handler;
pub mod ledger;
pub mod log;
pub mod metrics;
pub mod options;
pub mod preinit;
pub mod respond;
pub mod routes;
pub mod server;
pub mod stdio;
mod watch;

pub use server::{Handle, ServeConfig, Server, StartError, Summary};

use options::{Options, Parsed};
use routes::Section;
use std::ffi::OsString;
use std::io::Write;

/// The routes the options describe: the routes file's, then `MODULE` at `/`.
pub fn routes_of(o: &Options) -> Result<Vec<routes::RouteSpec>, String> {
    let mut all = match &o.routes {
        Some(file) => routes::read_file(file, &o.defaults)?,
        None => Vec::new(),
    };
    if let Some(module) = &o.module {
        let section = Section {
            path: Some("/".into()),
            module: Some(module.clone()),
            ..Section::default()
        }
        .over(&o.defaults);
        all.push(routes::resolve(&section, Some(module)).map_err(|e| format!("MODULE: {e}"))?);
    }
    Ok(all)
}

/// `ssvm-lite serve ARGS`: the exit code.
pub fn main(args: Vec<OsString>) -> u8 {
    let fail = |message: &str, code: u8| {
        let _ = writeln!(std::io::stderr(), "error: {message}");
        code
    };
    let o = match options::parse(args) {
        Ok(Parsed::Help) => {
            let _ = writeln!(std::io::stdout(), "{}", options::USAGE);
            return 0;
        }
        Ok(Parsed::Serve(o)) => o,
        Err(e) => return fail(&format!("{e}\n\n{}", options::USAGE), 2),
    };
    let routes = match routes_of(&o) {
        Ok(r) => r,
        Err(e) => return fail(&e, 2),
    };
    let config = ServeConfig {
        listen: o.listen,
        routes,
        ledger: o.ledger,
        watch: o.watch,
        max_instances: o.max_instances,
        inline_gas: o.inline_gas,
        log: o.log,
    };
    let server = match Server::new(config) {
        Ok(s) => s,
        Err(e) => return fail(&e.message, e.exit_code),
    };
    let runtime = match server::runtime() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}"), 2),
    };
    match runtime.block_on(async { server.run(signals()?).await }) {
        Ok(_) => 0,
        Err(e) => fail(&e.to_string(), 2),
    }
}

/// Completes on the first SIGTERM or SIGINT.
fn signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
