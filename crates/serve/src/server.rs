//! The server: everything that can fail is checked before listening (routes, cost tables,
//! modules, the ledger, the address); then HTTP/1.1 connections are served by hyper on Tokio
//! until the shutdown signal, after which in-flight requests finish, every running guest ends
//! and the ledger is flushed.

use crate::function::{Function, LoadError};
use crate::ledger::Ledger;
use crate::log::Log;
use crate::metrics::Metrics;
use crate::routes::RouteSpec;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use ssvm_runtime::{CostTable, Linker};
use ssvm_wasi::WasiCtx;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How long a graceful stop waits for open connections to finish their requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What to serve, and how.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub routes: Vec<RouteSpec>,
    pub ledger: Option<PathBuf>,
    /// Recompile a module when its file changes.
    pub watch: bool,
    /// Guests running at once, at most.
    pub max_instances: u32,
    /// Gas a guest that cannot block runs on the async worker before it moves to a blocking
    /// thread; 0 runs every guest on a blocking thread.
    pub inline_gas: u64,
    pub log: Log,
}

/// Why the server did not start, and the exit code for it (as `ssvm-lite` uses them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError {
    pub message: String,
    pub exit_code: u8,
}

impl StartError {
    fn usage(message: String) -> StartError {
        StartError {
            message,
            exit_code: 2,
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<LoadError> for StartError {
    fn from(e: LoadError) -> StartError {
        let exit_code = match e {
            LoadError::Io(_) => 2,
            LoadError::Invalid(_) => 1,
            LoadError::Unservable(_) => 4,
        };
        StartError {
            message: e.to_string(),
            exit_code,
        }
    }
}

/// What the request handlers share.
pub struct State {
    pub specs: Vec<RouteSpec>,
    /// Each route's prices, kept for recompiling.
    pub tables: Vec<Arc<CostTable>>,
    functions: Vec<RwLock<Arc<Function>>>,
    pub linker: Arc<Linker<WasiCtx>>,
    pub ledger: Option<Ledger>,
    pub metrics: Metrics,
    pub log: Log,
    pub permits: Arc<Semaphore>,
    max_instances: u32,
    pub inline_gas: u64,
    pub local: SocketAddr,
    shutting_down: AtomicBool,
    next_id: AtomicU64,
    /// Distinguishes request ids of this run from those of earlier runs (the start time).
    boot: u64,
}

impl State {
    /// The function of `route` now.
    pub fn function(&self, route: usize) -> Arc<Function> {
        self.functions[route]
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Serves `function` on `route` from now on.
    pub fn replace(&self, route: usize, function: Function) {
        *self.functions[route]
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(function);
    }

    /// A new request id: this run's start time and a counter, both hex.
    pub fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{:x}-{n:x}", self.boot)
    }

    /// Why requests are refused, if they are.
    pub fn unavailable(&self) -> Option<&'static str> {
        if self.shutting_down.load(Ordering::SeqCst) {
            Some("shutting down")
        } else if self.ledger.as_ref().is_some_and(|l| !l.healthy()) {
            Some("the ledger cannot be written: requests are refused rather than served unbilled")
        } else {
            None
        }
    }
}

/// What a run of the server did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Requests whose guest ran.
    pub requests: u64,
    /// Lines written to the ledger.
    pub ledger_lines: u64,
}

/// A server, ready to run: its modules compiled, its ledger open, its address bound.
pub struct Server {
    listener: std::net::TcpListener,
    state: Arc<State>,
    watch: bool,
}

/// Reads the cost table of a route: its file, or the shipped default.
fn cost_table(path: Option<&PathBuf>) -> Result<Arc<CostTable>, StartError> {
    Ok(Arc::new(match path {
        Some(p) => CostTable::from_file(p)
            .map_err(|e| StartError::usage(format!("cost table {}: {e}", p.display())))?,
        None => CostTable::default_table(),
    }))
}

impl Server {
    /// Checks and compiles everything, and binds the address; nothing is served yet.
    pub fn new(config: ServeConfig) -> Result<Server, StartError> {
        crate::routes::check_all(&config.routes).map_err(StartError::usage)?;
        let log = config.log;
        let linker = Arc::new(crate::function::wasi_linker());
        let mut tables = Vec::new();
        let mut functions = Vec::new();
        for spec in &config.routes {
            let table = cost_table(spec.cost_table.as_ref())?;
            let started = Instant::now();
            let function = Function::load(spec, table.clone(), &linker)?;
            let mut fields = json!({"route": spec.prefix, "module": spec.module.display().to_string(),
                   "module_digest": function.digest, "gas_limit": spec.limits.gas,
                   "timeout_ms": spec.limits.timeout.as_millis() as u64,
                   "max_memory_pages": spec.limits.memory_pages,
                   "load_ms": started.elapsed().as_secs_f64() * 1e3});
            if let Some(p) = &function.preinit {
                fields["preinit"] = json!({"init_gas": p.init_gas,
                    "init_ms": p.init_time.as_secs_f64() * 1e3, "snapshot_bytes": p.data_bytes});
            }
            log.info("route", fields);
            tables.push(table);
            functions.push(RwLock::new(Arc::new(function)));
        }
        let ledger = match &config.ledger {
            Some(path) => Some(Ledger::open(path, log).map_err(StartError::usage)?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(config.listen)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| StartError::usage(format!("cannot listen on {}: {e}", config.listen)))?;
        let local = listener
            .local_addr()
            .map_err(|e| StartError::usage(format!("cannot listen on {}: {e}", config.listen)))?;
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let max_instances = config.max_instances.max(1);
        let state = State {
            metrics: Metrics::new(config.routes.iter().map(|r| r.prefix.as_str())),
            specs: config.routes,
            tables,
            functions,
            linker,
            ledger,
            log,
            permits: Arc::new(Semaphore::new(max_instances as usize)),
            max_instances,
            inline_gas: config.inline_gas,
            local,
            shutting_down: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            boot,
        };
        Ok(Server {
            listener,
            state: Arc::new(state),
            watch: config.watch,
        })
    }

    /// The address the server listens on (the port chosen, for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.state.local
    }

    /// Serves until `shutdown` completes, then stops gracefully (in a Tokio runtime).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<Summary> {
        let state = self.state;
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        let watchers = if self.watch {
            crate::watch::spawn(state.clone())
        } else {
            Vec::new()
        };
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        state.log.info(
            "listening",
            json!({"addr": state.local.to_string(), "routes": state.specs.len()}),
        );
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors, say: back off instead of spinning.
                        state.log.warn("accept failed", json!({"error": e.to_string()}));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let s = state.clone();
            let service = hyper::service::service_fn(move |req| {
                crate::handler::handle(s.clone(), req, remote)
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            let log = state.log;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    log.debug(
                        "connection ended with an error",
                        json!({"remote": remote.to_string(), "error": e.to_string()}),
                    );
                }
            });
        }
        state.shutting_down.store(true, Ordering::SeqCst);
        drop(listener);
        state
            .log
            .info("shutting down: finishing in-flight requests", json!({}));
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            // A client that never finishes its request: its connection is dropped. Guests that
            // started are still waited for and billed below.
            state.log.warn(
                "connections still open after the grace period are closed",
                json!({"grace_s": SHUTDOWN_GRACE.as_secs()}),
            );
        }
        for w in watchers {
            w.abort();
        }
        // Every guest holds a slot until its ledger line is queued, timed-out ones included.
        let _all = state.permits.acquire_many(state.max_instances).await;
        let mut summary = Summary {
            requests: state.metrics.requests(),
            ledger_lines: 0,
        };
        if let Some(ledger) = &state.ledger {
            let closed = tokio::task::block_in_place(|| ledger.close());
            summary.ledger_lines = ledger.lines();
            if let Err(e) = closed {
                state.log.error(
                    "the ledger could not be flushed",
                    json!({"error": e.to_string()}),
                );
                return Err(e);
            }
        }
        state.log.info(
            "stopped",
            json!({"requests": summary.requests, "ledger_lines": summary.ledger_lines}),
        );
        Ok(summary)
    }
}

/// A server running on a runtime of its own, for tests and embedders.
pub struct Handle {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<Summary>>>,
    runtime: tokio::runtime::Runtime,
}

impl Handle {
    /// Checks, compiles and binds (as [`Server::new`]), then serves in the background.
    pub fn start(config: ServeConfig) -> Result<Handle, StartError> {
        let server = Server::new(config)?;
        let runtime =
            runtime().map_err(|e| StartError::usage(format!("cannot start the runtime: {e}")))?;
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = runtime.spawn(server.run(async {
            let _ = stopped.await;
        }));
        Ok(Handle {
            addr,
            stop: Some(stop),
            done: Some(done),
            runtime,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops gracefully, as on SIGTERM, and says what the run did.
    pub fn shutdown(mut self) -> std::io::Result<Summary> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = self.done.take().expect("shutdown runs once");
        self.runtime
            .block_on(done)
            .map_err(|e| std::io::Error::other(format!("the server task failed: {e}")))?
    }
}

/// The runtime the server runs on: a worker thread per core; guests run on its blocking pool.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ssvm-serve")
        .build()
}
