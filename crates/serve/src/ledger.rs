//! The ledger: one JSON line per request that ran a guest, appended to a file by a thread of
//! its own. Lines are written in batches while requests keep coming and flushed whenever the
//! queue is empty; closing drains the queue, flushes and syncs, so no line is lost.

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
    /// From the request's arrival to its guest's end.
    pub wall_us: f64,
}

enum Message {
    Line(String),
    /// Flush, sync, and answer with the outcome.
    Close(Sender<std::io::Result<()>>),
}

/// The writer of the ledger file, shared by all requests.
pub struct Ledger {
    sender: Sender<Message>,
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
        let (sender, receiver) = channel();
        let failed = Arc::new(AtomicBool::new(false));
        let lines = Arc::new(AtomicU64::new(0));
        let (f, l) = (failed.clone(), lines.clone());
        let name = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || {
                write_lines(
                    receiver,
                    BufWriter::with_capacity(1 << 16, file),
                    &f,
                    &l,
                    log,
                    &name,
                )
            })
            .map_err(|e| format!("cannot start the ledger writer: {e}"))?;
        Ok(Ledger {
            sender,
            thread: Mutex::new(Some(thread)),
            failed,
            lines,
        })
    }

    /// Queues the line of `entry`.
    pub fn record(&self, entry: &Entry<'_>) {
        let line = serde_json::to_string(entry).unwrap_or_default();
        if self.sender.send(Message::Line(line)).is_err() {
            self.failed.store(true, Ordering::SeqCst);
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
        let (tx, rx) = channel();
        let result = match self.sender.send(Message::Close(tx)) {
            Ok(()) => rx
                .recv()
                .unwrap_or_else(|_| Err(std::io::Error::other("the ledger writer stopped"))),
            Err(_) => Err(std::io::Error::other("the ledger writer stopped")),
        };
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
        result
    }
}

fn write_lines(
    receiver: Receiver<Message>,
    mut out: BufWriter<File>,
    failed: &AtomicBool,
    lines: &AtomicU64,
    log: crate::log::Log,
    name: &str,
) {
    let report = |e: &std::io::Error| {
        if !failed.swap(true, Ordering::SeqCst) {
            log.error(
                "ledger write failed: refusing requests from now on",
                serde_json::json!({"ledger": name, "error": e.to_string()}),
            );
        }
    };
    // Lines buffered but not yet flushed: they count as written once the flush succeeds.
    let mut pending = 0;
    let flush = |out: &mut BufWriter<File>, pending: &mut u64| match out.flush() {
        Ok(()) => {
            lines.fetch_add(std::mem::take(pending), Ordering::SeqCst);
            true
        }
        Err(e) => {
            report(&e);
            false
        }
    };
    let mut next = receiver.recv();
    while let Ok(message) = next {
        match message {
            Message::Line(mut line) => {
                line.push('\n');
                match out.write_all(line.as_bytes()) {
                    Ok(()) => pending += 1,
                    Err(e) => report(&e),
                }
            }
            Message::Close(reply) => {
                let result = if flush(&mut out, &mut pending) {
                    out.get_ref().sync_data()
                } else {
                    Err(std::io::Error::other("the ledger could not be written"))
                };
                if let Err(e) = &result {
                    report(e);
                }
                let _ = reply.send(result);
                return;
            }
        }
        next = match receiver.try_recv() {
            Ok(m) => Ok(m),
            Err(TryRecvError::Empty) => {
                // Idle: what was written reaches the file before waiting.
                flush(&mut out, &mut pending);
                receiver.recv()
            }
            Err(TryRecvError::Disconnected) => Err(RecvError),
        };
    }
    flush(&mut out, &mut pending);
}
