//! A function: a module compiled once (at start, and again when its file changes), and the
//! instance-per-request execution of it. Each request gets a new store, a new WASI context
//! and a new instance; nothing of one request survives into the next.

use crate::routes::RouteSpec;
use crate::stdio::GuestStdio;
use sha2::{Digest, Sha256};
use ssvm_binary::ExternKind;
use ssvm_runtime::{
    Config, CostTable, Engine, Error, Extern, InterruptHandle, Linker, Module, Store, Trap,
    PAGE_SIZE,
};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    engine: Engine,
    module: Module,
    gas_limit: u64,
    histogram: bool,
    /// With `--preinit`: what the snapshot took.
    pub preinit: Option<crate::preinit::Snapshot>,
}

/// Stops one request's guest from another thread (the server's timer, at the deadline): the
/// guest's thread hands over its store's interrupt handle before it instantiates.
#[derive(Debug, Clone, Default)]
pub struct Stopper(Arc<Mutex<Stopping>>);

#[derive(Debug, Default)]
enum Stopping {
    #[default]
    NotStarted,
    Running(InterruptHandle),
    Stopped,
}

impl Stopper {
    /// Stops the guest: at its next loop back edge or call if it runs, before it starts if it
    /// has not (a host call it is in returns first: WASI's waits end at the deadline).
    pub fn stop(&self) {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Stopping::Running(handle) = &*s {
            handle.interrupt();
        }
        *s = Stopping::Stopped;
    }

    /// Hands over the guest's handle; `false` when it was stopped already.
    fn started(&self, handle: InterruptHandle) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*s, Stopping::Stopped) {
            return false;
        }
        *s = Stopping::Running(handle);
        true
    }
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
    /// The CPU time of the guest's thread in each of the three (the wall-clock spans above also
    /// hold the time the thread waited for a core).
    pub cpu: [Duration; 3],
}

/// The CPU time the calling thread has used. Through libc, not rustix: this clock is a system
/// call either way, and rustix's vDSO lookup crashes under valgrind (rustix issue 1559), which
/// the instruction counts of docs/serve.md are taken with.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call to fill; the clock id is a
    // constant Linux knows, so the call cannot fail (and on failure `t` stays zero).
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
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
        let function = Function {
            path: path.clone(),
            arg0: spec.arg0.clone(),
            digest: digest(&bytes),
            engine,
            module,
            gas_limit: spec.limits.gas,
            histogram: spec.histogram,
            preinit,
        };
        function.try_instantiate(linker)?;
        Ok(function)
    }

    /// Makes one instance, with no streams, to find link errors and limits before serving.
    fn try_instantiate(&self, linker: &Linker<WasiCtx>) -> Result<(), LoadError> {
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
        linker.instantiate(&mut store, &self.module).map_err(|e| {
            LoadError::Unservable(format!("cannot instantiate {}: {e}", self.path.display()))
        })?;
        Ok(())
    }

    /// Runs one request: a fresh instance, `_start`, and the bill. Blocks until the guest ends,
    /// or until `stopper` stops it: the outcome is then `timeout`, billed with the gas used up
    /// to there. WASI's waits (`poll_oneoff`) end at `deadline`, when the server stops it.
    pub fn run(
        &self,
        linker: &Linker<WasiCtx>,
        env: &[(String, String)],
        stdio: GuestStdio,
        deadline: Instant,
        stopper: &Stopper,
    ) -> Report {
        let started = Instant::now();
        let cpu_started = thread_cpu();
        let mut builder = WasiCtxBuilder::new();
        builder.arg(self.arg0.as_str());
        for (name, value) in env {
            builder.env(name, value);
        }
        builder
            .stdin(stdio.stdin)
            .stdout(stdio.stdout)
            .stderr(stdio.stderr);
        let mut report = Report {
            outcome: Outcome::Trap,
            exit_code: None,
            trap: None,
            gas_used: 0,
            peak_memory_bytes: 0,
            counts: None,
            instantiate: Duration::ZERO,
            execute: Duration::ZERO,
            teardown: Duration::ZERO,
            cpu: [Duration::ZERO; 3],
        };
        let mut ctx = match builder.build() {
            Ok(ctx) => ctx,
            Err(e) => {
                report.trap = Some(format!("cannot set up WASI: {e}"));
                return report;
            }
        };
        ctx.set_deadline(deadline);
        let mut store = Store::new(&self.engine, ctx);
        store.set_gas_limit(self.gas_limit);
        let instance = if stopper.started(store.interrupt_handle()) {
            linker.instantiate(&mut store, &self.module)
        } else {
            Err(Error::Trap(Trap::Interrupted))
        };
        let instantiated = Instant::now();
        let cpu_instantiated = thread_cpu();
        report.instantiate = instantiated - started;
        let result = match &instance {
            Ok(instance) => match instance.get_func(&store, "_start") {
                Some(start) => start.call(&mut store, &[], &mut []),
                None => Err(Error::Link("no `_start` function".into())),
            },
            Err(e) => Err(e.clone()),
        };
        let ended = Instant::now();
        let cpu_ended = thread_cpu();
        report.execute = ended - instantiated;
        report.gas_used = store.gas_used();
        if let Ok(instance) = &instance {
            let pages: u64 = instance
                .exports(&store)
                .iter()
                .filter_map(|(_, x)| match x {
                    Extern::Memory(m) => Some(u64::from(m.pages(&store))),
                    _ => None,
                })
                .sum();
            report.peak_memory_bytes = pages * PAGE_SIZE as u64;
        }
        if self.histogram {
            report.counts = Some(
                store
                    .histogram()
                    .into_iter()
                    .map(|(op, n)| (op.name(), n))
                    .collect(),
            );
        }
        (report.outcome, report.exit_code, report.trap) = match result {
            Ok(()) => (Outcome::Ok, None, None),
            Err(Error::Exit(code)) => (Outcome::Exit, Some(code), None),
            Err(Error::OutOfGas { .. }) => (Outcome::OutOfGas, None, None),
            Err(Error::Trap(Trap::Interrupted)) => (Outcome::Timeout, None, None),
            Err(Error::Trap(t)) => (Outcome::Trap, None, Some(t.to_string())),
            Err(e) => (Outcome::Trap, None, Some(e.to_string())),
        };
        let failed = report.outcome == Outcome::Trap
            || (report.outcome == Outcome::Exit && report.exit_code != Some(0));
        if failed && store.memory_limit_reached() {
            report.outcome = Outcome::MemoryLimit;
        }
        let teardown = Instant::now();
        let cpu_teardown = thread_cpu();
        drop(store);
        report.teardown = teardown.elapsed();
        report.cpu = [
            cpu_instantiated - cpu_started,
            cpu_ended - cpu_instantiated,
            thread_cpu() - cpu_teardown,
        ];
        report
    }
}
