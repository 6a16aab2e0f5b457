//! One request, from its head to its bill: find the route, read the body, build the CGI
//! environment, run a fresh instance on a blocking thread within the route's deadline, turn the
//! guest's output into the response, and write the ledger line.

use crate::cgi;
use crate::function::{Function, Outcome, Report};
use crate::guest::Stopper;
use crate::ledger::Entry;
use crate::metrics::Rejection;
use crate::respond::{answer, header_value, text, timeout_answer, Answer};
use crate::server::State;
use crate::stdio;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, StatusCode};
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::sync::OwnedSemaphorePermit;

/// The request's facts the bill needs.
struct Billing {
    id: String,
    route: usize,
    method: String,
    path: String,
    time: SystemTime,
    arrival: Instant,
    bytes_in: u64,
    function: Arc<Function>,
}

/// A request ready to run: its bill so far, the guest's environment and input, its instance
/// slot and its deadline.
struct Job {
    billing: Billing,
    env: Vec<(String, String)>,
    body: Bytes,
    permit: OwnedSemaphorePermit,
    deadline: tokio::time::Instant,
}

/// Answers one request.
pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Result<Answer, Infallible> {
    let arrival = Instant::now();
    let time = SystemTime::now();
    let path = req.uri().path().to_string();
    match path.as_str() {
        "/metrics" => {
            let mut r = text(StatusCode::OK, state.metrics.render());
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            return Ok(r);
        }
        "/healthz" => {
            return Ok(match state.unavailable() {
                Some(why) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
                None => text(StatusCode::OK, "ok\n".into()),
            });
        }
        _ => {}
    }
    let Some((route, spec)) = crate::routes::find(&state.specs, &path) else {
        state.metrics.rejected(Rejection::NotFound);
        return Ok(text(
            StatusCode::NOT_FOUND,
            format!("no route serves {path}\n"),
        ));
    };
    if let Some(why) = state.unavailable() {
        state.metrics.rejected(Rejection::Unavailable);
        return Ok(text(StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")));
    }
    let limits = spec.limits;
    let too_large = || {
        state.metrics.rejected(Rejection::BodyTooLarge);
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body exceeds this function's limit of {} bytes\n",
                limits.body_bytes
            ),
        )
    };
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body_bytes.saturating_add(DRAIN_BYTES)) {
        return Ok(too_large());
    }
    let (head, body) = req.into_parts();
    let body = match read_body(body, limits.body_bytes).await {
        Ok(b) => b,
        Err(None) => return Ok(too_large()),
        Err(Some(e)) => {
            state.metrics.rejected(Rejection::BadRequest);
            return Ok(text(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}\n"),
            ));
        }
    };
    let uri = head.uri.path_and_query().map_or("/", |p| p.as_str());
    let script_name = if spec.prefix == "/" {
        ""
    } else {
        spec.prefix.as_str()
    };
    let request = cgi::Request {
        method: head.method.as_str(),
        uri,
        script_name,
        path_info: spec.path_info(&path).unwrap_or(""),
        query: head.uri.query().unwrap_or(""),
        headers: &head.headers,
        body_len: body.len(),
        local: state.local,
        remote,
    };
    let env = match cgi::environment(&request, &spec.env) {
        Ok(env) => env,
        Err(e) => {
            state.metrics.rejected(Rejection::BadRequest);
            return Ok(text(StatusCode::BAD_REQUEST, format!("{e}\n")));
        }
    };
    // The deadline covers waiting for an instance slot and the guest's run.
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let permit =
        match tokio::time::timeout_at(deadline, state.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                state.metrics.rejected(Rejection::Busy);
                let mut r = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "every instance slot stayed busy until the request's deadline\n".into(),
                );
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
                return Ok(r);
            }
        };
    let billing = Billing {
        id: state.request_id(),
        route,
        method: head.method.to_string(),
        path: path.clone(),
        time,
        arrival,
        bytes_in: body.len() as u64,
        function: state.function(route),
    };
    let job = Job {
        billing,
        env,
        body,
        permit,
        deadline,
    };
    Ok(run(state, job).await)
}

/// How much of a body over the limit is read (and dropped) before answering 413, so that a
/// client still sending it reads the answer instead of a reset connection.
const DRAIN_BYTES: u64 = 1 << 20;

/// The body, at most `limit` bytes: `Err(None)` when it is larger, `Err(Some(e))` when it
/// cannot be read.
async fn read_body(mut body: Incoming, limit: u64) -> Result<Bytes, Option<hyper::Error>> {
    let mut parts = Vec::new();
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(Some)?.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total > limit.saturating_add(DRAIN_BYTES) {
            return Err(None);
        }
        if total <= limit {
            parts.push(data);
        }
    }
    if total > limit {
        return Err(None);
    }
    Ok(match parts.len() {
        1 => parts.pop().unwrap_or_default(),
        _ => parts.concat().into(),
    })
}

/// Runs the guest and answers. A guest that ends on this async worker (`start`) is answered
/// and billed here, synchronously, so nothing can cancel it between its end and its bill.
/// Another is waited for in a task of its own, which bills it: a client that goes away (hyper
/// then drops this future) or a shutdown that gives up on a connection cannot lose a ledger
/// line.
async fn run(state: Arc<State>, job: Job) -> Answer {
    let Job {
        billing,
        env,
        body,
        permit,
        deadline,
    } = job;
    let spec = &state.specs[billing.route];
    let (guest_stdio, outputs) = match stdio::prepare(&body, spec.limits.output_bytes, spec.stderr)
    {
        Ok(s) => s,
        Err(e) => {
            state.log.error(
                "cannot set up a guest's streams",
                json!({"request_id": billing.id, "error": e.to_string()}),
            );
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server cannot set up the function's streams\n".into(),
            );
        }
    };
    state.metrics.running(1);
    let stopper = Stopper::default();
    let job = match start(&state, &billing, env, guest_stdio, deadline, &stopper) {
        Ok(report) => return respond(&state, &billing, &report, outputs, permit),
        Err(job) => job,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let waiting = Waiting {
        billing,
        job,
        outputs,
        permit,
        deadline,
        stopper,
    };
    tokio::spawn(wait(state, waiting, tx));
    rx.await.unwrap_or_else(|_| {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request ended without an answer\n".into(),
        )
    })
}

/// A guest running on a blocking thread, and what its answer and bill need.
struct Waiting {
    billing: Billing,
    job: tokio::task::JoinHandle<Report>,
    outputs: stdio::Outputs,
    permit: OwnedSemaphorePermit,
    deadline: tokio::time::Instant,
    stopper: Stopper,
}

/// Waits for a guest on a blocking thread, sends the answer (at the deadline at the latest),
/// and bills the request when its guest has ended.
async fn wait(
    state: Arc<State>,
    waiting: Waiting,
    answer_to: tokio::sync::oneshot::Sender<Answer>,
) {
    let Waiting {
        billing, mut job, ..
    } = waiting;
    let (outputs, permit, stopper) = (waiting.outputs, waiting.permit, waiting.stopper);
    let spec = &state.specs[billing.route];
    let report = match tokio::time::timeout_at(waiting.deadline, &mut job).await {
        Ok(joined) => finished(joined),
        Err(_) => {
            // The guest is interrupted at its next back edge or call, or as its host call
            // returns (WASI's waits end at the deadline). It is billed when it ends; the
            // answer waits a little for that, so that it carries the gas.
            stopper.stop();
            let limit = spec.limits.timeout;
            let ended = tokio::time::timeout(STOP_WAIT, &mut job).await;
            let gas = ended
                .as_ref()
                .ok()
                .and_then(|j| j.as_ref().ok())
                .map(|r| r.gas_used);
            let _ = answer_to.send(timeout_answer(&billing.id, spec.limits.gas, limit, gas));
            let mut report = finished(match ended {
                Ok(joined) => joined,
                Err(_) => job.await,
            });
            report.outcome = Outcome::Timeout;
            state.log.warn(
                "request timed out",
                json!({"request_id": billing.id, "timeout_ms": limit.as_millis() as u64,
                       "guest_ms": (report.instantiate + report.execute).as_millis() as u64}),
            );
            bill(&state, &billing, &report, 504, 0);
            drop(permit);
            return;
        }
    };
    let _ = answer_to.send(respond(&state, &billing, &report, outputs, permit));
}

/// The answer of a guest that ended, with its bill; the slot is given back after the ledger
/// line is queued.
fn respond(
    state: &State,
    billing: &Billing,
    report: &Report,
    outputs: stdio::Outputs,
    permit: OwnedSemaphorePermit,
) -> Answer {
    let spec = &state.specs[billing.route];
    let (stdout, stderr) = match outputs.read() {
        Ok(o) => o,
        Err(e) => {
            state.log.error(
                "cannot read a guest's output",
                json!({"request_id": billing.id, "error": e.to_string()}),
            );
            (Vec::new(), None)
        }
    };
    if let Some(err) = stderr.filter(|e| !e.is_empty()) {
        state.log.info(
            "guest stderr",
            json!({"request_id": billing.id, "stderr": String::from_utf8_lossy(&err)}),
        );
    }
    let bytes_out = stdout.len() as u64;
    let mut answer = answer(report, stdout, &spec.limits);
    bill(state, billing, report, answer.status().as_u16(), bytes_out);
    drop(permit);
    let h = answer.headers_mut();
    h.insert("x-request-id", header_value(&billing.id));
    h.insert("x-gas-used", header_value(&report.gas_used.to_string()));
    h.insert("x-gas-limit", header_value(&spec.limits.gas.to_string()));
    answer
}

/// Starts the guest. A function that cannot block (`Function::may_inline`) is instantiated and
/// run here, on the async worker, for up to `--inline-gas`: a short guest (most requests) ends
/// there, with no thread hand-off. Any other guest, or one that did not end within that gas,
/// runs (or is resumed where it stopped) on a blocking thread, whose report is joined.
fn start(
    state: &State,
    billing: &Billing,
    env: Vec<(String, String)>,
    stdio: crate::stdio::GuestStdio,
    deadline: tokio::time::Instant,
    stopper: &Stopper,
) -> Result<Report, tokio::task::JoinHandle<Report>> {
    let function = billing.function.clone();
    let deadline = deadline.into_std();
    let gas = state.inline_gas;
    if !function.may_inline || gas == 0 {
        let stopper = stopper.clone();
        return Err(tokio::task::spawn_blocking(move || {
            function.run(&env, stdio, deadline, &stopper)
        }));
    }
    let mut guest = match function.instantiate(&env, stdio, deadline, stopper) {
        Ok(guest) => guest,
        Err(report) => return Ok(*report),
    };
    if guest.run_for(gas) {
        return Ok(guest.finish());
    }
    Err(tokio::task::spawn_blocking(move || {
        guest.run_for(u64::MAX);
        guest.finish()
    }))
}

/// How long a timed-out request's answer waits for its interrupted guest to end (to carry
/// `X-Gas-Used`): an interrupt stops Wasm code within microseconds, a host call first returns.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// The report of a guest's thread, or of its panic (a bug of ours, billed as a trap).
fn finished(joined: Result<Report, tokio::task::JoinError>) -> Report {
    joined.unwrap_or_else(|e| Report::not_run(format!("internal error: {e}")))
}

/// The ledger line, the metrics and the debug log line of a request whose guest ended.
fn bill(state: &State, billing: &Billing, report: &Report, status: u16, bytes_out: u64) {
    let spec = &state.specs[billing.route];
    let wall = billing.arrival.elapsed();
    let us = |d: std::time::Duration| d.as_nanos() as f64 / 1e3;
    if let Some(ledger) = &state.ledger {
        ledger.record(&Entry {
            time: crate::clock::rfc3339(billing.time),
            request_id: &billing.id,
            route: &spec.prefix,
            method: &billing.method,
            path: &billing.path,
            module: &billing.function.arg0,
            module_digest: &billing.function.digest,
            outcome: report.outcome.name(),
            status,
            exit_code: report.exit_code,
            trap: report.trap.as_deref(),
            gas_used: report.gas_used,
            gas_limit: spec.limits.gas,
            counts: report.counts.as_ref().map(|c| c.iter().copied().collect()),
            peak_memory_bytes: report.peak_memory_bytes,
            bytes_in: billing.bytes_in,
            bytes_out,
            instantiate_us: us(report.instantiate),
            execute_us: us(report.execute),
            teardown_us: us(report.teardown),
            cpu_us: report.cpu.map(us),
            wall_us: us(wall),
        });
    }
    state.metrics.running(-1);
    state.metrics.request(
        billing.route,
        report.outcome,
        report.gas_used,
        wall,
        report.instantiate,
    );
    state.log.debug(
        "request",
        json!({"request_id": billing.id, "route": spec.prefix, "method": billing.method,
               "path": billing.path, "status": status, "outcome": report.outcome.name(),
               "gas_used": report.gas_used, "wall_us": us(wall)}),
    );
}
