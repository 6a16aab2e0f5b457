//! HTTP answers: a guest's CGI output as the response, or the status of how it failed, and the
//! server's own short plain-text answers.

use crate::cgi;
use crate::function::{Outcome, Report};
use crate::routes::Limits;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use std::time::Duration;

pub type Answer = Response<Full<Bytes>>;

/// The response a parsed CGI output describes.
pub fn from_cgi(cgi: cgi::Response) -> Answer {
    let mut r = Response::new(Full::new(cgi.body));
    *r.status_mut() = StatusCode::from_u16(cgi.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in cgi.headers {
        r.headers_mut().append(name, value);
    }
    r
}

/// A short plain-text answer.
pub fn text(status: StatusCode, body: String) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// 504, sent once the guest stopped after its deadline, with `gas` used; or when it did not
/// stop soon enough, without (the ledger has the gas once the guest ends).
pub fn timeout_answer(
    request_id: &str,
    gas_limit: u64,
    limit: Duration,
    gas: Option<u64>,
) -> Answer {
    let mut r = timed_out(limit);
    let h = r.headers_mut();
    h.insert("x-request-id", header_value(request_id));
    if let Some(gas) = gas {
        h.insert("x-gas-used", header_value(&gas.to_string()));
    }
    h.insert("x-gas-limit", header_value(&gas_limit.to_string()));
    r
}

fn timed_out(limit: Duration) -> Answer {
    text(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "the function did not finish within its {} ms\n",
            limit.as_millis()
        ),
    )
}

/// The answer for a guest that ended: its CGI response, or the status of how it failed.
pub fn answer(report: &Report, out: Vec<u8>, limits: &Limits) -> Answer {
    match report.outcome {
        Outcome::Ok | Outcome::Exit if report.exit_code.unwrap_or(0) == 0 => {
            if report.output_overflow {
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!(
                        "the function's output exceeds its limit of {} bytes\n",
                        limits.output_bytes
                    ),
                );
            }
            match cgi::parse_response(Bytes::from(out)) {
                Ok(cgi) => from_cgi(cgi),
                Err(e) => text(
                    StatusCode::BAD_GATEWAY,
                    format!("malformed CGI response: {e}\n"),
                ),
            }
        }
        Outcome::Exit => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the function exited with status {}\n",
                report.exit_code.unwrap_or(0)
            ),
        ),
        Outcome::Trap | Outcome::Ok => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the function trapped: {}\n",
                report.trap.as_deref().unwrap_or("")
            ),
        ),
        Outcome::OutOfGas => text(
            StatusCode::PAYMENT_REQUIRED,
            format!("the function ran out of gas after {}\n", report.gas_used),
        ),
        Outcome::MemoryLimit => text(
            StatusCode::INSUFFICIENT_STORAGE,
            format!(
                "the function failed at its memory limit of {} pages\n",
                limits.memory_pages
            ),
        ),
        Outcome::Timeout => timed_out(limits.timeout),
    }
}
