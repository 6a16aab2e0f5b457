//! The ledger: one JSON line per request that ran a guest, appended to a file by a thread of
//! its own. Lines reach the file in batches (within about a millisecond under load, at once
//! when idle); closing writes what is queued, flushes and syncs, so no line is lost.

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request's bill.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    /// When the request arrived (RFC 3339, UTC).
    pub time: String,
    pub request_id: &'a str,
    /// The route's prefix.
    pub route: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub module: &'a str,
    pub module_digest: &'a str,
    pub outcome: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    pub exit_code: Option<i32>,
    pub trap: Option<&'a str>,
    pub gas_used: u64,
    pub gas_limit: u64,
    /// Executions per opcode, for routes with `histogram`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<std::collections::BTreeMap<&'static str, u64>>,
    pub peak_memory_bytes: u64,
    /// The request body given on standard input.
    pub bytes_in: u64,
    /// What the guest wrote on standard output (at most the route's limit).
    pub bytes_out: u64,
    pub instantiate_us: f64,
    /// The guest's own run (`_start`).
    pub execute_us: f64,
    /// Dropping the instance and its store.
    pub teardown_us: f64,
    /// The CPU time of the guest's thread in the same three parts (the spans above also hold
    /// time spent waiting for a core on a busy machine).
    pub cpu_us: [f64; 3],
    /// From the request's arrival to its guest's end.
    pub wall_us: f64,
}

/// What the request threads hand the writer.
#[derive(Default)]
struct Queue {
    lines: Vec<String>,
    /// Set by `close`: the writer answers here once everything is on disk.
    close: Option<Sender<std::io::Result<()>>>,
    /// The writer waits for a line (so the next line must wake it).
    idle: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// After writing a batch the writer waits this long, so that under load lines are written
/// (and the writer woken) once per window rather than once per request.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// The writer of the ledger file, shared by all requests.
pub struct Ledger {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Set when a write failed: the server then refuses requests rather than serve them unbilled.
    failed: Arc<AtomicBool>,
    lines: Arc<AtomicU64>,
}

impl Ledger {
    /// Opens `path` for appending (creating it), and starts the writer.
    pub fn open(path: &Path, log: crate::log::Log) -> Result<Ledger, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the ledger {}: {e}", path.display()))?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let failed = Arc::new(AtomicBool::new(false));
        let lines = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            shared: shared.clone(),
            out: BufWriter::with_capacity(1 << 16, file),
            failed: failed.clone(),
            lines: lines.clone(),
            log,
            name: path.display().to_string(),
        };
        let thread = std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || writer.run())
            .map_err(|e| format!("cannot start the ledger writer: {e}"))?;
        Ok(Ledger {
            shared,
            thread: Mutex::new(Some(thread)),
            failed,
            lines,
        })
    }

    /// Queues the line of `entry`.
    pub fn record(&self, entry: &Entry<'_>) {
        let line = serde_json::to_string(entry).unwrap_or_default();
        let mut q = lock(&self.shared.queue);
        q.lines.push(line);
        if q.idle {
            q.idle = false;
            self.shared.wake.notify_one();
        }
    }

    /// Whether every line so far was written.
    pub fn healthy(&self) -> bool {
        !self.failed.load(Ordering::SeqCst)
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::SeqCst)
    }

    /// Writes what is queued, flushes and syncs the file, and stops the writer.
    pub fn close(&self) -> std::io::Result<()> {
        let Some(thread) = lock(&self.thread).take() else {
            return Err(std::io::Error::other("the ledger is already closed"));
        };
        let (tx, rx) = channel();
        {
            let mut q = lock(&self.shared.queue);
            q.close = Some(tx);
            self.shared.wake.notify_one();
        }
        let result = rx
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the ledger writer stopped")));
        let _ = thread.join();
        result
    }
}

/// The lock, also after a panic elsewhere (the queue stays consistent: pushes are atomic).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Writer {
    shared: Arc<Shared>,
    out: BufWriter<File>,
    failed: Arc<AtomicBool>,
    lines: Arc<AtomicU64>,
    log: crate::log::Log,
    name: String,
}

impl Writer {
    fn run(mut self) {
        loop {
            let (batch, close) = {
                let mut q = lock(&self.shared.queue);
                while q.lines.is_empty() && q.close.is_none() {
                    q.idle = true;
                    q = self.shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
                }
                q.idle = false;
                (std::mem::take(&mut q.lines), q.close.take())
            };
            let written = self.write(&batch);
            if let Some(reply) = close {
                let result = match written {
                    Ok(()) => self.out.get_ref().sync_data(),
                    Err(e) => Err(e),
                };
                if let Err(e) = &result {
                    self.report(e);
                }
                let _ = reply.send(result);
                return;
            }
            std::thread::sleep(BATCH_WINDOW);
        }
    }

    /// Writes and flushes `batch`; its lines count as written once flushed.
    fn write(&mut self, batch: &[String]) -> std::io::Result<()> {
        let result = batch
            .iter()
            .try_for_each(|line| {
                self.out.write_all(line.as_bytes())?;
                self.out.write_all(b"\n")
            })
            .and_then(|()| self.out.flush());
        match &result {
            Ok(()) => {
                self.lines.fetch_add(batch.len() as u64, Ordering::SeqCst);
            }
            Err(e) => self.report(e),
        }
        result
    }

    fn report(&self, e: &std::io::Error) {
        if !self.failed.swap(true, Ordering::SeqCst) {
            self.log.error(
                "ledger write failed: refusing requests from now on",
                serde_json::json!({"ledger": self.name, "error": e.to_string()}),
            );
        }
    }
}
