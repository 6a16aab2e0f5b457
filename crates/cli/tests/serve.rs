//! `ssvm-lite serve` as a user runs it: the real binary on a free loopback port, requests over
//! HTTP, SIGTERM, and the ledger checked against `ssvm-lite run --gas-report` on the same input.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ssvm-lite");

fn echo_wasm() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/serve/echo.wasm")
        .to_string_lossy()
        .into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running server, killed if the test ends without stopping it.
struct Server {
    child: Child,
    addr: String,
    /// Reads the rest of its log in the background, so that it never blocks on a full pipe.
    log: Option<JoinHandle<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ssvm-lite serve ARGS` on a free port and waits for its `listening` log line.
fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs before it listens")
            .unwrap();
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["msg"] == "listening" {
            break event["addr"].as_str().unwrap().to_string();
        }
    };
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect());
    Server {
        child,
        addr,
        log: Some(log),
    }
}

/// SIGTERM; the exit code and what was logged after `listening`.
fn stop(mut server: Server) -> (Option<i32>, Vec<String>) {
    let pid = rustix::process::Pid::from_child(&server.child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = server.child.wait().unwrap();
    let log = server.log.take().unwrap().join().unwrap();
    (status.code(), log)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// The gas report of `ssvm-lite run` of `module` with `env` and `stdin` (from a file, so that
/// a large output cannot block its input), and its output.
fn run_with_report(module: &str, env: &[(String, String)], stdin: &[u8]) -> (Value, Vec<u8>) {
    let input = scratch("stdin").join("body");
    std::fs::write(&input, stdin).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--gas-report", "-"]);
    for (k, v) in env {
        cmd.args(["--env", &format!("{k}={v}")]);
    }
    let out = cmd
        .arg(module)
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stderr).unwrap(), out.stdout)
}

/// The gas of a request in the ledger and in `X-Gas-Used` equals what `ssvm-lite run` reports
/// for the same module, environment and standard input; SIGTERM stops the server with exit 0
/// and the ledger holding one line per request.
#[test]
fn ledger_gas_equals_run_gas_report_and_sigterm_flushes_the_ledger() {
    let dir = scratch("gas");
    let ledger = dir.join("ledger.jsonl");
    let echo = echo_wasm();
    let server = serve(&[
        "--ledger",
        ledger.to_str().unwrap(),
        "--max-body",
        "4000000",
        &echo,
    ]);
    // The large body makes the echo run past `--inline-gas` (500,000): it is suspended on the
    // async worker and resumed on the blocking pool, and its gas must still be exact.
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let bodies: [&[u8]; 3] = [b"some body\nwith two lines\n", b"", &large];
    let mut responses = Vec::new();
    for (query, body) in ["", "?a=1&b=two", "?x=%20y"].into_iter().zip(bodies) {
        let mut r = agent()
            .post(format!("http://{}/fn/path{query}", server.addr))
            .header("X-Custom", "yes")
            .send(body)
            .unwrap();
        assert_eq!(r.status(), 200);
        let gas: u64 = r.headers()["x-gas-used"].to_str().unwrap().parse().unwrap();
        let text = r
            .body_mut()
            .with_config()
            .limit(10 << 20)
            .read_to_vec()
            .unwrap();
        responses.push((gas, body, text));
    }
    let (code, log) = stop(server);
    assert_eq!(code, Some(0), "{log:?}");
    let stopped: Value = serde_json::from_str(log.last().unwrap()).unwrap();
    assert_eq!(stopped["msg"], "stopped");
    assert_eq!(stopped["ledger_lines"], 3);
    let lines: Vec<Value> = std::fs::read_to_string(&ledger)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        responses[2].0 > 3_000_000,
        "the large body runs past the inline gas"
    );
    for ((gas, body, text), line) in responses.iter().zip(&lines) {
        assert_eq!(line["gas_used"].as_u64(), Some(*gas));
        let text = String::from_utf8_lossy(&text[..text.len() - body.len()]).into_owned();
        // The echo lists the environment it was given: give `run` the same one.
        let env: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        assert!(
            env.iter().any(|(k, v)| k == "HTTP_X_CUSTOM" && v == "yes"),
            "{env:?}"
        );
        let (report, stdout) = run_with_report(&echo, &env, body);
        assert_eq!(report["outcome"], "ok");
        assert_eq!(report["gas_used"].as_u64(), Some(*gas), "{report}");
        let mut expected =
            format!("Content-Type: text/plain; charset=utf-8\n\n{text}").into_bytes();
        expected.extend_from_slice(body);
        assert!(stdout == expected, "run prints what serve answered");
    }
}

/// What cannot be served is refused before listening, with the exit code `ssvm-lite` uses.
#[test]
fn bad_routes_files_and_modules_are_refused_before_listening() {
    let dir = scratch("refused");
    let write = |name: &str, text: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let syntax = write(
        "syntax.toml",
        b"[[route]]\npath = \"/a\nmodule = \"m.wasm\"\n",
    );
    let unknown = write(
        "unknown.toml",
        b"[[route]]\npath = \"/a\"\nmodule = \"m.wasm\"\ngas = 5\n",
    );
    let missing = write(
        "missing.toml",
        b"[[route]]\npath = \"/a\"\nmodule = \"nowhere.wasm\"\n",
    );
    let bad_module = write("bad.wasm", b"\0asm\x01\0\0\0\x01");
    let cases: [(&[&str], i32, &str); 5] = [
        (&["--routes", &syntax], 2, "syntax.toml"),
        (&["--routes", &unknown], 2, "unknown field `gas`"),
        (&["--routes", &missing], 2, "nowhere.wasm"),
        (&[&bad_module], 1, "bad.wasm"),
        (&["--timeout", "5", &bad_module], 2, "--timeout"),
    ];
    for (args, code, needle) in cases {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("listening"), "{err}");
    }
}
