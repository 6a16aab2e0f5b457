//! A function: a module compiled once (at start, and again when its file changes), and the
//! instance-per-request execution of it. Each request gets a new store, a new WASI context
//! and a new instance; nothing of one request survives into the next.

use crate::routes::RouteSpec;
use sha2::{Digest, Sha256};
use ssvm_binary::ExternKind;
use ssvm_runtime::{Config, CostTable, Engine, InstancePre, Linker, Module, Store};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How a request's guest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `_start` returned.
    Ok,
    /// The guest called `proc_exit` (any status).
    Exit,
    Trap,
    OutOfGas,
    /// The request's deadline passed before the guest ended.
    Timeout,
    /// The guest failed after a `memory.grow` was refused by the route's memory cap.
    MemoryLimit,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::Exit,
        Outcome::Trap,
        Outcome::OutOfGas,
        Outcome::Timeout,
        Outcome::MemoryLimit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Exit => "exit",
            Outcome::Trap => "trap",
            Outcome::OutOfGas => "out_of_gas",
            Outcome::Timeout => "timeout",
            Outcome::MemoryLimit => "memory_limit",
        }
    }
}

/// Why a module cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A file cannot be read.
    Io(String),
    /// The module is malformed, invalid or unsupported.
    Invalid(String),
    /// It is not a WASI command this server can run.
    Unservable(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(m) | LoadError::Invalid(m) | LoadError::Unservable(m) => f.write_str(m),
        }
    }
}

/// A compiled module and what its requests run with.
pub struct Function {
    pub path: PathBuf,
    /// The guest's argument 0.
    pub arg0: String,
    /// `sha256:` and the hex digest of the module's bytes.
    pub digest: String,
    pub(crate) engine: Engine,
    /// The module with its WASI imports resolved once (no lookups per request).
    pub(crate) pre: InstancePre<WasiCtx>,
    pub(crate) gas_limit: u64,
    pub(crate) histogram: bool,
    /// Whether a request may start on the async worker that received it (`--inline-gas`):
    /// not for a module that may block in the host (it imports `poll_oneoff`) or has a start
    /// function, whose requests run wholly on a blocking thread.
    pub(crate) may_inline: bool,
    /// With `--preinit`: what the snapshot took.
    pub preinit: Option<crate::preinit::Snapshot>,
}

/// What one request's guest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    /// The status given to `proc_exit`.
    pub exit_code: Option<i32>,
    /// The trap's message (also for an instance that could not be created).
    pub trap: Option<String>,
    pub gas_used: u64,
    /// Linear memory at the end, which is its peak (memory never shrinks), in bytes.
    pub peak_memory_bytes: u64,
    /// Executions per opcode, for routes with `histogram`.
    pub counts: Option<Vec<(&'static str, u64)>>,
    /// Making the WASI context, the store and the instance.
    pub instantiate: Duration,
    /// Running `_start`.
    pub execute: Duration,
    /// Dropping the store (memory, instance, descriptors).
    pub teardown: Duration,
    /// The CPU time of the guest's thread(s) in each of the three (the wall-clock spans above
    /// also hold the time a thread waited for a core).
    pub cpu: [Duration; 3],
    /// The guest wrote more than the route's `max_output_bytes` (a write was cut short).
    pub output_overflow: bool,
}

impl Report {
    /// The report of a guest that did not run: a trap with `message`.
    pub fn not_run(message: String) -> Report {
        Report {
            outcome: Outcome::Trap,
            exit_code: None,
            trap: Some(message),
            gas_used: 0,
            peak_memory_bytes: 0,
            counts: None,
            instantiate: Duration::ZERO,
            execute: Duration::ZERO,
            teardown: Duration::ZERO,
            cpu: [Duration::ZERO; 3],
            output_overflow: false,
        }
    }
}

/// The most gas a request runs on the async worker that received it, by default (about a
/// millisecond of ordinary code): short guests, most requests, never wait for a thread
/// hand-off; a longer one is resumed where it stopped on a blocking thread, so no worker is
/// held for long.
pub const INLINE_GAS: u64 = 500_000;

/// Whether a module can run on an async worker: it has no start function (which instantiation
/// runs, unsliced) and does not import `poll_oneoff`, WASI's one call that waits. (Its other
/// calls do not: standard streams are memory files or `/dev/null`, and it has no directories.)
fn cannot_block(code: &[u8]) -> bool {
    for payload in wasmparser::Parser::new(0).parse_all(code) {
        match payload {
            Ok(wasmparser::Payload::StartSection { .. }) | Err(_) => return false,
            Ok(wasmparser::Payload::ImportSection(imports)) => {
                for import in imports.into_imports() {
                    match import {
                        Ok(i) if i.name != "poll_oneoff" => {}
                        _ => return false,
                    }
                }
            }
            Ok(_) => {}
        }
    }
    true
}

/// The WASI functions, defined once and shared by every instance.
pub fn wasi_linker() -> Linker<WasiCtx> {
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx| ctx);
    linker
}

/// The hex SHA-256 of `bytes`, prefixed `sha256:`.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl Function {
    /// Reads and compiles the module of `spec` (with `table` as its prices), and checks that it
    /// can be served: it exports `_start`, and an instance can be made within the route's limits
    /// (its start function, if any, run once here).
    pub fn load(
        spec: &RouteSpec,
        table: Arc<CostTable>,
        linker: &Linker<WasiCtx>,
    ) -> Result<Function, LoadError> {
        let path = &spec.module;
        let bytes = std::fs::read(path)
            .map_err(|e| LoadError::Io(format!("cannot read {}: {e}", path.display())))?;
        let engine = Engine::new(Config {
            cost_table: Some(table),
            histogram: spec.histogram,
            max_memory_pages: spec.limits.memory_pages,
            // Timeouts interrupt the guest (`Stopper`).
            interruptible: true,
            ..Config::default()
        });
        let preinit = if spec.preinit {
            let at = |e: LoadError| match e {
                LoadError::Invalid(m) => LoadError::Invalid(format!("{}: {m}", path.display())),
                LoadError::Unservable(m) => {
                    LoadError::Unservable(format!("{}: {m}", path.display()))
                }
                io => io,
            };
            Some(
                crate::preinit::snapshot(
                    &bytes,
                    &engine,
                    linker,
                    spec.limits.gas,
                    &spec.arg0,
                    &spec.env,
                )
                .map_err(at)?,
            )
        } else {
            None
        };
        let code = preinit.as_ref().map_or(&bytes[..], |s| &s.bytes[..]);
        let module = Module::new(&engine, code)
            .map_err(|e| LoadError::Invalid(format!("{}: {e}", path.display())))?;
        let exports_start = module
            .exports()
            .iter()
            .any(|x| x.name == "_start" && x.kind == ExternKind::Func);
        if !exports_start {
            return Err(LoadError::Unservable(format!(
                "{} exports no `_start` function: a function served over CGI is a WASI command",
                path.display()
            )));
        }
        ssvm_wasi::check_memory(&module)
            .map_err(|e| LoadError::Unservable(format!("{}: {e}", path.display())))?;
        let pre = linker.instantiate_pre(&engine, &module).map_err(|e| {
            LoadError::Unservable(format!("cannot instantiate {}: {e}", path.display()))
        })?;
        let function = Function {
            path: path.clone(),
            arg0: spec.arg0.clone(),
            digest: digest(&bytes),
            engine,
            pre,
            gas_limit: spec.limits.gas,
            histogram: spec.histogram,
            may_inline: cannot_block(code),
            preinit,
        };
        function.try_instantiate()?;
        Ok(function)
    }

    /// Makes one instance, with no streams, to find link errors and limits before serving.
    fn try_instantiate(&self) -> Result<(), LoadError> {
        let null = || crate::stdio::dev_null().map_err(|e| LoadError::Io(e.to_string()));
        let ctx = WasiCtxBuilder::new()
            .arg(self.arg0.as_str())
            .stdin(null()?)
            .stdout(null()?)
            .stderr(null()?)
            .build()
            .map_err(|e| LoadError::Io(e.to_string()))?;
        let mut store = Store::new(&self.engine, ctx);
        store.set_gas_limit(self.gas_limit);
        self.pre.instantiate(&mut store).map_err(|e| {
            LoadError::Unservable(format!("cannot instantiate {}: {e}", self.path.display()))
        })?;
        Ok(())
    }
}
