//! The server as clients see it: each test starts `ssvm-serve` on a free loopback port, talks
//! to it with a real HTTP client (ureq), stops it gracefully and reads its ledger.

use serde_json::Value;
use ssvm_serve::log::Log;
use ssvm_serve::routes::{resolve, RouteSpec, Section, StderrMode};
use ssvm_serve::{Handle, ServeConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/serve")
}

/// A directory of this test's own.
fn scratch(test: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wat(dir: &Path, name: &str, text: &str) -> PathBuf {
    let buf = wast::parser::ParseBuffer::new(text).unwrap();
    let mut module = wast::parser::parse::<wast::Wat>(&buf).unwrap();
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, module.encode().unwrap()).unwrap();
    path
}

/// A WASI command writing `text` to standard output in one `fd_write`.
fn writer(text: &str) -> String {
    let escaped: String = text.bytes().map(|b| format!("\\{b:02x}")).collect();
    format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "\10\00\00\00\{len:02x}\00\00\00")
          (data (i32.const 16) "{escaped}")
          (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        len = text.len()
    )
}

const TRAP: &str = r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#;
const SPIN: &str =
    r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#;
/// Grows its memory a page at a time until refused, then fails as a C program's abort would.
const HUNGRY: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable))"#;
/// Sleeps a minute at a time in `poll_oneoff`, forever: only a deadline that also ends the
/// host's wait stops it.
const SLEEPER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (loop $l
      (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
      (br $l))))"#;
/// Traps near its memory cap (15 of 16 pages) without ever being refused memory: a trap, not
/// the memory limit.
const NEAR_CAP: &str =
    r#"(module (memory (export "memory") 15) (func (export "_start") unreachable))"#;
/// Answers with the sum of a memory cell and a global it increments: `2` unless something of an
/// earlier request survived.
const COUNTER: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0) "\10\00\00\00\1b\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\n\nN")
  (func (export "_start")
    (i32.store8 (i32.const 100) (i32.add (i32.load8_u (i32.const 100)) (i32.const 1)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store8 (i32.const 42)
      (i32.add (i32.const 48) (i32.add (global.get $g) (i32.load8_u (i32.const 100)))))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// COUNTER with an initialisation that leaves 3 in the cell and 2 in the global: `7` on every
/// request started from its snapshot, `2` without one.
fn preinit_counter() -> String {
    let init = r#"(func (export "wizer.initialize")
      (i32.store8 (i32.const 100) (i32.const 3))
      (global.set $g (i32.const 2)))
    (func (export "_start")"#;
    COUNTER.replace(r#"(func (export "_start")"#, init)
}

fn route(prefix: &str, module: &Path, tweak: impl FnOnce(&mut Section)) -> RouteSpec {
    let mut s = Section {
        path: Some(prefix.into()),
        module: Some(module.into()),
        ..Section::default()
    };
    tweak(&mut s);
    resolve(&s, None).unwrap()
}

fn start(routes: Vec<RouteSpec>, ledger: Option<PathBuf>, watch: bool) -> Handle {
    Handle::start(ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        routes,
        ledger,
        watch,
        max_instances: 16,
        inline_gas: ssvm_serve::function::INLINE_GAS,
        log: Log { max: None },
    })
    .unwrap_or_else(|e| panic!("the server starts: {e}"))
}

/// Why a server of the one route `/` to `module` (with `tweak`) does not start.
fn refusal(module: &Path, tweak: impl FnOnce(&mut Section)) -> ssvm_serve::StartError {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        routes: vec![route("/", module, tweak)],
        ledger: None,
        watch: false,
        max_instances: 1,
        inline_gas: 0,
        log: Log { max: None },
    };
    Handle::start(config)
        .err()
        .expect("the server refuses to start")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// A response: status, the headers we look at, and the body.
#[derive(Debug)]
struct Reply {
    status: u16,
    gas_used: Option<u64>,
    gas_limit: Option<u64>,
    request_id: Option<String>,
    body: String,
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (gas_used, gas_limit, request_id) = (
        header("x-gas-used").map(|v| v.parse().unwrap()),
        header("x-gas-limit").map(|v| v.parse().unwrap()),
        header("x-request-id"),
    );
    Reply {
        status: r.status().as_u16(),
        gas_used,
        gas_limit,
        request_id,
        body: r.body_mut().read_to_string().unwrap(),
    }
}

fn get(h: &Handle, path: &str) -> Reply {
    reply(
        agent()
            .get(format!("http://{}{path}", h.addr()))
            .call()
            .unwrap(),
    )
}

fn post(h: &Handle, path: &str, body: &[u8]) -> Reply {
    reply(
        agent()
            .post(format!("http://{}{path}", h.addr()))
            .send(body)
            .unwrap(),
    )
}

fn ledger_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn failing_functions_get_their_statuses_and_never_disturb_a_healthy_one() {
    let dir = scratch("failing");
    let ledger = dir.join("ledger.jsonl");
    let routes = vec![
        route("/echo", &examples().join("echo.wasm"), |_| {}),
        route("/trap", &wat(&dir, "trap", TRAP), |_| {}),
        route("/gas", &wat(&dir, "spin", SPIN), |s| {
            s.gas_limit = Some(100_000)
        }),
        route("/slow", &wat(&dir, "spin", SPIN), |s| {
            // Minutes of work: the guest must be stopped at its deadline, not when its gas ends.
            s.gas_limit = Some(100_000_000_000);
            s.timeout = Some("50ms".into());
        }),
        route("/memory", &wat(&dir, "hungry", HUNGRY), |s| {
            s.max_memory_pages = Some(16)
        }),
        route("/near", &wat(&dir, "near", NEAR_CAP), |s| {
            s.max_memory_pages = Some(16)
        }),
        route("/sleep", &wat(&dir, "sleeper", SLEEPER), |s| {
            s.timeout = Some("50ms".into());
        }),
        route("/count", &wat(&dir, "counter", COUNTER), |s| {
            s.histogram = Some(true)
        }),
    ];
    let h = start(routes, Some(ledger.clone()), false);
    let started = Instant::now();
    let slow = get(&h, "/slow");
    assert_eq!(slow.status, 504, "{slow:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered at the deadline, not when the guest ended"
    );
    // Answered by the guest's thread when it stopped at its deadline (with its gas), or by the
    // request at the deadline (without: the gas is in the ledger once the guest stops).
    assert!(
        slow.gas_used.is_none_or(|g| g < 100_000_000_000),
        "{slow:?}"
    );
    assert_eq!(slow.gas_limit, Some(100_000_000_000));
    // A guest asleep in the host is stopped at its deadline too.
    let started = Instant::now();
    let sleep = get(&h, "/sleep");
    assert_eq!(sleep.status, 504, "{sleep:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{sleep:?}");

    // Four clients at once, each sending every kind of request, while the timed-out guest may
    // still be burning its gas.
    let replies: Vec<(String, String, Reply)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let h = &h;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for round in 0..5 {
                        for path in ["/echo/x?q=1", "/trap", "/gas", "/memory", "/near", "/count"] {
                            let body = format!("body {i} {round}");
                            let r = if path.starts_with("/echo") {
                                post(h, path, body.as_bytes())
                            } else {
                                get(h, path)
                            };
                            out.push((path.to_string(), body, r));
                        }
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut echo_gas = std::collections::HashSet::new();
    for (path, body, r) in &replies {
        assert!(r.gas_limit.is_some(), "{path}: {r:?}");
        let used = r
            .gas_used
            .unwrap_or_else(|| panic!("{path}: no X-Gas-Used"));
        match path.as_str() {
            "/echo/x?q=1" => {
                assert_eq!(r.status, 200, "{r:?}");
                assert!(r.body.starts_with("POST /echo/x?q=1\n"), "{}", r.body);
                assert!(r.body.contains("\nPATH_INFO=/x\n"), "{}", r.body);
                assert!(r.body.ends_with(&format!("\n\n{body}")), "{}", r.body);
                echo_gas.insert(used);
            }
            "/trap" | "/near" => {
                assert_eq!(r.status, 500, "{r:?}");
                assert!(r.body.contains("unreachable"), "{}", r.body);
            }
            "/gas" => {
                assert_eq!(r.status, 402, "{r:?}");
                assert!(used <= 100_000 && used > 99_000, "{used}");
            }
            "/memory" => assert_eq!(r.status, 507, "{r:?}"),
            "/count" => {
                assert_eq!(r.status, 200, "{r:?}");
                assert_eq!(r.body, "2", "nothing of an earlier request is visible");
            }
            other => panic!("{other}"),
        }
    }
    // The same request always costs the same (the bodies have the same length).
    assert_eq!(echo_gas.len(), 1, "{echo_gas:?}");

    let summary = h.shutdown().unwrap();
    let lines = ledger_lines(&ledger);
    assert_eq!(lines.len(), replies.len() + 2);
    assert_eq!(summary.ledger_lines, lines.len() as u64);
    assert_eq!(summary.requests, lines.len() as u64);
    for (path, _, r) in &replies {
        let id = r.request_id.as_deref().unwrap();
        let line = lines
            .iter()
            .find(|l| l["request_id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}"));
        assert_eq!(line["gas_used"].as_u64(), r.gas_used, "{line}");
        assert_eq!(line["status"].as_u64(), Some(u64::from(r.status)));
        let outcome = match path.as_str() {
            "/trap" | "/near" => "trap",
            "/gas" => "out_of_gas",
            "/memory" => "memory_limit",
            _ => "ok",
        };
        assert_eq!(line["outcome"], outcome, "{line}");
        assert!(line["module_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        if path == "/memory" {
            assert_eq!(line["peak_memory_bytes"], 16 * 65536);
        }
        if path == "/count" {
            assert_eq!(line["counts"]["i32.add"], 4, "{line}");
        } else {
            assert!(line.get("counts").is_none());
        }
        if path.starts_with("/echo") {
            assert_eq!(line["bytes_in"], 8);
            assert_eq!(
                line["bytes_out"].as_u64().unwrap() as usize,
                r.body.len() + 41,
                "{line}"
            );
        }
    }
    for timed_out in [&slow, &sleep] {
        let id = timed_out.request_id.as_deref().unwrap();
        let line = lines.iter().find(|l| l["request_id"] == id).unwrap();
        assert_eq!(line["outcome"], "timeout", "{line}");
        assert_eq!(line["status"], 504);
        assert!(timed_out.gas_used.is_none() || line["gas_used"].as_u64() == timed_out.gas_used);
        let gas = line["gas_used"].as_u64().unwrap();
        assert!(gas > 0 && gas < 100_000_000_000, "{gas}");
        let wall = line["wall_us"].as_f64().unwrap();
        assert!(
            wall < 2e6,
            "the guest was stopped {wall} µs after the request arrived"
        );
    }
}

#[test]
fn bodies_limits_and_the_operations_endpoints() {
    let dir = scratch("limits");
    let routes = vec![
        route("/echo", &examples().join("echo.wasm"), |s| {
            s.max_body_bytes = Some(300_000)
        }),
        route("/small", &examples().join("echo.wasm"), |s| {
            s.max_output_bytes = Some(100)
        }),
        route("/raw", &wat(&dir, "raw", &writer("no headers")), |_| {}),
        route(
            "/status",
            &wat(
                &dir,
                "status",
                &writer("Status: 418 Teapot\nX-Tea: green\nX-Gas-Used: 0\n\nsteeped"),
            ),
            |_| {},
        ),
    ];
    let h = start(routes, None, false);
    // A large body reaches standard input whole.
    let body: Vec<u8> = (0..250_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let r = post(&h, "/echo", &body);
    assert_eq!(r.status, 200);
    assert!(r.body.ends_with(std::str::from_utf8(&body).unwrap()));
    assert!(r.body.contains("\nCONTENT_LENGTH=250000\n"));
    assert_eq!(post(&h, "/echo", &vec![b'x'; 300_001]).status, 413);
    assert_eq!(get(&h, "/small").status, 502);
    let raw = get(&h, "/raw");
    assert_eq!(raw.status, 502);
    assert!(raw.body.contains("malformed CGI response"), "{}", raw.body);
    let teapot = agent()
        .get(format!("http://{}/status", h.addr()))
        .call()
        .unwrap();
    assert_eq!(teapot.headers()["x-tea"], "green");
    let teapot = reply(teapot);
    assert_eq!((teapot.status, teapot.body.as_str()), (418, "steeped"));
    assert_ne!(
        teapot.gas_used,
        Some(0),
        "the guest cannot set its own bill"
    );
    assert_eq!(get(&h, "/nowhere").status, 404);
    let health = get(&h, "/healthz");
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let metrics = get(&h, "/metrics").body;
    for line in [
        "ssvm_requests_total{route=\"/echo\",outcome=\"ok\"} 1",
        "ssvm_rejected_total{reason=\"body_too_large\"} 1",
        "ssvm_rejected_total{reason=\"not_found\"} 1",
        "ssvm_request_duration_seconds_count{route=\"/raw\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "`{line}` in\n{metrics}");
    }
    h.shutdown().unwrap();
}

#[test]
fn a_ledger_that_cannot_be_written_stops_the_serving() {
    let h = start(
        vec![route("/", &examples().join("echo.wasm"), |_| {})],
        Some("/dev/full".into()),
        false,
    );
    assert_eq!(get(&h, "/").status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&h, "/healthz").status != 503 {
        assert!(Instant::now() < deadline, "the failed write is noticed");
        std::thread::sleep(Duration::from_millis(10));
    }
    let refused = get(&h, "/");
    assert_eq!(refused.status, 503);
    assert!(refused.body.contains("ledger"), "{}", refused.body);
    assert!(h.shutdown().is_err(), "the ledger could not be flushed");
}

#[test]
fn watch_serves_the_new_module_once_its_file_changes() {
    let dir = scratch("watch");
    let module = wat(&dir, "f", &writer("Content-Type: text/plain\n\nfirst"));
    let ledger = dir.join("ledger.jsonl");
    let h = start(
        vec![route("/", &module, |_| {})],
        Some(ledger.clone()),
        true,
    );
    assert_eq!(get(&h, "/").body, "first");
    // A module that does not compile is refused; the old one goes on serving.
    std::fs::write(&module, b"\0asm\x01\0\0\0\x01").unwrap();
    // The server looks every 250 ms.
    std::thread::sleep(Duration::from_millis(750));
    assert_eq!(get(&h, "/").body, "first");
    wat(&dir, "f", &writer("Content-Type: text/plain\n\nsecond!"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&h, "/").body != "second!" {
        assert!(Instant::now() < deadline, "the new module is served");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.shutdown().unwrap();
    let digests: std::collections::BTreeSet<String> = ledger_lines(&ledger)
        .iter()
        .map(|l| l["module_digest"].as_str().unwrap().to_string())
        .collect();
    assert!(digests.len() >= 2, "{digests:?}");
}

#[test]
fn shutdown_lets_in_flight_requests_finish_and_bills_them() {
    let dir = scratch("shutdown");
    let ledger = dir.join("ledger.jsonl");
    let h = start(
        vec![route("/m", &examples().join("mandelbrot.wasm"), |s| {
            s.gas_limit = Some(10_000_000_000);
            s.timeout = Some("20s".into());
        })],
        Some(ledger.clone()),
        false,
    );
    let addr = h.addr();
    // A client that goes away while its guest runs: the request is billed all the same. It
    // stays connected until the server has surely read the request and started the guest: a
    // connection closed before its request is dispatched is a request never made.
    let gone = {
        use std::io::Write;
        let mut gone = std::net::TcpStream::connect(addr).unwrap();
        gone.write_all(b"GET /m?width=200&height=100&iterations=2000 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        gone
    };
    let heavy = std::thread::spawn(move || {
        reply(
            agent()
                .get(format!(
                    "http://{addr}/m?width=300&height=200&iterations=3000"
                ))
                .call()
                .unwrap(),
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    drop(gone);
    std::thread::sleep(Duration::from_millis(100));
    let summary = h.shutdown().unwrap();
    let r = heavy.join().unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.lines().count(), 200);
    assert_eq!(summary.ledger_lines, 2);
    let lines = ledger_lines(&ledger);
    assert_eq!(lines.len(), 2);
    let line = lines
        .iter()
        .find(|l| l["request_id"] == r.request_id.as_deref().unwrap())
        .unwrap();
    assert_eq!(line["gas_used"].as_u64(), r.gas_used);
    let gone = lines
        .iter()
        .find(|l| l["request_id"] != line["request_id"])
        .unwrap();
    assert_eq!(gone["outcome"], "ok", "{gone}");
}

#[test]
fn stderr_is_discarded_or_logged_and_a_bad_module_is_refused_before_listening() {
    let dir = scratch("refused");
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x01").unwrap();
    let cases = [
        (bad, None, 1, "bad.wasm"),
        (
            wat(&dir, "lib", r#"(module (func (export "f")))"#),
            None,
            4,
            "exports no `_start`",
        ),
        (
            wat(
                &dir,
                "foreign",
                r#"(module (import "env" "f" (func)) (func (export "_start")))"#,
            ),
            None,
            4,
            "unknown import `env::f`",
        ),
        (
            wat(
                &dir,
                "big",
                r#"(module (memory 20) (func (export "_start")))"#,
            ),
            Some(10),
            4,
            "exceeds the limit of 10 pages",
        ),
    ];
    for (module, pages, code, needle) in cases {
        let e = refusal(&module, |s| s.max_memory_pages = pages);
        assert_eq!(e.exit_code, code, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
    let routes = vec![route("/", &examples().join("echo.wasm"), |s| {
        s.stderr = Some(StderrMode::Log)
    })];
    let h = start(routes, None, false);
    assert_eq!(get(&h, "/").status, 200);
    h.shutdown().unwrap();
}

#[test]
fn preinit_starts_every_request_from_the_initialised_state() {
    let dir = scratch("preinit");
    let counter = wat(&dir, "counter", &preinit_counter());
    let primes = examples().join("primes.wasm");
    let preinit = |s: &mut Section| s.preinit = Some(true);
    // A cold start sieves for a few hundred milliseconds; more on a loaded machine.
    let slow = |s: &mut Section| s.timeout = Some("60s".into());
    let h = start(
        vec![
            route("/counter", &counter, preinit),
            route("/plain", &counter, |_| {}),
            route("/primes", &primes, |s| {
                preinit(s);
                slow(s);
            }),
            route("/primes-cold", &primes, slow),
        ],
        None,
        false,
    );
    for _ in 0..3 {
        assert_eq!(
            get(&h, "/counter").body,
            "7",
            "each request starts from the snapshot"
        );
        assert_eq!(get(&h, "/plain").body, "2");
    }
    for query in ["", "?n=1000", "?below=1000000", "?n=0"] {
        let warm = get(&h, &format!("/primes{query}"));
        let cold = get(&h, &format!("/primes-cold{query}"));
        assert_eq!(
            (warm.status, &warm.body),
            (cold.status, &cold.body),
            "{query}"
        );
        let (w, c) = (warm.gas_used.unwrap(), cold.gas_used.unwrap());
        assert!(
            w * 1000 < c,
            "{query}: {w} gas with the snapshot, {c} without"
        );
    }
    assert_eq!(get(&h, "/primes?n=1000").body, "7919\n");
    h.shutdown().unwrap();
    // What a snapshot cannot hold is refused before listening.
    let refusals = [
        (
            r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
            "exports no `wizer.initialize`",
        ),
        (
            r#"(module (memory 1) (data "x") (func (export "wizer.initialize")) (func (export "_start")))"#,
            "passive data segments",
        ),
        (
            r#"(module (func (export "wizer.initialize") unreachable) (func (export "_start")))"#,
            "`wizer.initialize` failed: trap: unreachable",
        ),
    ];
    for (i, (text, needle)) in refusals.iter().enumerate() {
        let module = wat(&dir, &format!("refused{i}"), text);
        let e = refusal(&module, preinit);
        assert_eq!(e.exit_code, 4, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
}
