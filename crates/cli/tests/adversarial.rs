//! Modules that try to get host work or host memory for little gas (issue 12's table), each
//! run by `ssvm-lite run` under a small `--gas-limit`, `--timeout` or `--max-memory`: each must
//! stop with its documented exit code within a bounded CPU time and memory. The bounds are far
//! above what a stopped run takes (milliseconds, a few MB) and far below what the unbounded
//! work would take (seconds to minutes, gigabytes), so a loaded machine cannot make them flake.
//! `benches/harness/adversarial.py` measures the same modules' gas per second.

mod common;

use common::{scratch_dir, scratch_file, wat_file, BIN};
use rustix::process::{waitid, Pid, WaitId, WaitIdOptions};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CPU time (user and system) a stopped run may take.
const MAX_CPU: Duration = Duration::from_secs(1);
/// Peak resident memory a stopped run may have.
const MAX_RSS_KB: u64 = 256 * 1024;
/// A run still going after this long has not been stopped at all.
const WATCHDOG: Duration = Duration::from_secs(60);

/// What one run of `ssvm-lite` took.
struct Run {
    code: Option<i32>,
    cpu: Duration,
    wall: Duration,
    peak_rss_kb: u64,
    stderr: String,
}

/// The peak resident set (`VmHWM`) of running process `pid`, in KiB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The CPU time (user and system) of process `pid`, exited but not yet reaped.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // The fields after the command name (which may hold spaces) start at field 3.
    let rest = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |field: usize| fields[field - 3].parse::<u64>().expect("clock ticks");
    // Linux reports these in USER_HZ, 100 a second on every architecture it runs on.
    Duration::from_millis((ticks(14) + ticks(15)) * 10)
}

/// Runs `ssvm-lite ARGS` with standard output and error in files, watching its memory.
fn run(name: &str, args: &[&str]) -> Run {
    let dir = scratch_dir();
    let out = std::fs::File::create(dir.join(format!("{name}.out"))).expect("creates");
    let err_path = dir.join(format!("{name}.err"));
    let err = std::fs::File::create(&err_path).expect("creates");
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("ssvm-lite starts");
    let pid = child.id();
    let mut peak = 0;
    // Wait for the exit without reaping, so that its CPU time can still be read.
    loop {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
        if waitid(WaitId::Pid(Pid::from_child(&child)), options)
            .expect("waitid")
            .is_some()
        {
            break;
        }
        peak = peak.max(peak_rss_kb(pid).unwrap_or(0));
        if start.elapsed() > WATCHDOG {
            child.kill().expect("kills");
            panic!("{name}: still running after {WATCHDOG:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = start.elapsed();
    let cpu = cpu_time(pid);
    let code = child.wait().expect("reaps").code();
    let stderr = std::fs::read_to_string(&err_path).expect("reads");
    Run {
        code,
        cpu,
        wall,
        peak_rss_kb: peak,
        stderr,
    }
}

/// Runs module `text` with `args` before it (and `invoke run`), and checks that it stopped
/// with `code` within the CPU and memory bounds.
fn stops(name: &str, text: &str, args: &[&str], code: i32) -> Run {
    stops_binary(name, &wat_file(&format!("{name}.wasm"), text), args, code)
}

/// `stops` for the binary module at `module`.
fn stops_binary(name: &str, module: &Path, args: &[&str], code: i32) -> Run {
    let module = module.to_str().expect("a UTF-8 path");
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--invoke", "run", module]);
    let r = run(name, &all);
    assert_eq!(
        r.code,
        Some(code),
        "{name}: exit code; stderr: {}",
        r.stderr
    );
    assert!(r.cpu < MAX_CPU, "{name}: {:?} of CPU", r.cpu);
    assert!(
        r.peak_rss_kb < MAX_RSS_KB,
        "{name}: {} KiB resident",
        r.peak_rss_kb
    );
    r
}

/// The WASI function `name` of type `ty`, imported as `$name`.
fn import(name: &str, ty: &str) -> String {
    format!("(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} {ty}))")
}

const OUT_OF_GAS: i32 = 5;

#[test]
fn random_get_of_a_gigabyte_stops_before_filling_it() {
    let text = format!(
        "(module {} (memory 16384)
           (func (export \"run\") (result i32)
             (call $random_get (i32.const 0) (i32.const 0x40000000))))",
        import("random_get", "(param i32 i32) (result i32)")
    );
    let r = stops("random_get", &text, &["--gas-limit", "1000000"], OUT_OF_GAS);
    assert!(r.stderr.contains("out of gas"), "{}", r.stderr);
}

#[test]
fn poll_oneoff_of_twelve_million_subscriptions_stops_before_reading_them() {
    // 12 M clock subscriptions of 0 ns (all zero bytes: tag 0, realtime, absolute 0) at 0,
    // their events after them: 960 MB of the 1 GiB memory.
    let text = format!(
        "(module {} (memory 16384)
           (func (export \"run\") (result i32)
             (call $poll_oneoff (i32.const 0) (i32.const 576000000) (i32.const 12000000)
               (i32.const 1073741820))))",
        import("poll_oneoff", "(param i32 i32 i32 i32) (result i32)")
    );
    stops(
        "poll_oneoff",
        &text,
        &["--gas-limit", "1000000"],
        OUT_OF_GAS,
    );
}

#[test]
fn fd_write_of_a_hundred_million_empty_iovecs_stops_before_reading_them() {
    let text = format!(
        "(module {} (memory 16384)
           (func (export \"run\") (result i32)
             (call $fd_write (i32.const 1) (i32.const 0) (i32.const 100000000)
               (i32.const 1073741820))))",
        import("fd_write", "(param i32 i32 i32 i32) (result i32)")
    );
    stops("fd_write", &text, &["--gas-limit", "1000000"], OUT_OF_GAS);
}

#[test]
fn fd_write_of_empty_iovecs_pays_for_each_one() {
    // With gas enough, a million empty iovecs are read (and nothing written): the price of
    // each one, not the call's flat price, decides whether a limit stops it.
    let text = format!(
        "(module {} (memory 128)
           (func (export \"run\") (result i32)
             (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1000000)
               (i32.const 8000000))))",
        import("fd_write", "(param i32 i32 i32 i32) (result i32)")
    );
    let r = stops(
        "fd_write_paid",
        &text,
        &["--gas-limit", "100000000"],
        OUT_OF_GAS,
    );
    assert!(r.stderr.contains("of the limit 100000000"), "{}", r.stderr);
    let r = stops("fd_write_paid", &text, &["--gas-limit", "1000000000"], 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn fd_readdir_in_a_loop_on_a_big_directory_is_stopped() {
    let dir = scratch_dir().join("big-dir");
    std::fs::create_dir_all(&dir).expect("creates");
    for i in 0..3000 {
        std::fs::write(dir.join(format!("entry-{i:05}")), b"").expect("creates");
    }
    // Reads from cookie 0, forever, into a buffer of 64 KiB.
    let text = format!(
        "(module {} (memory 2)
           (func (export \"run\") (result i32)
             (loop $again
               (drop (call $fd_readdir (i32.const 3) (i32.const 0) (i32.const 65536)
                 (i64.const 0) (i32.const 65536)))
               (br $again))
             (i32.const 0)))",
        import("fd_readdir", "(param i32 i32 i32 i64 i32) (result i32)")
    );
    let sandbox = format!("{}::.", dir.display());
    stops(
        "fd_readdir",
        &text,
        &["--dir", &sandbox, "--gas-limit", "100000000"],
        OUT_OF_GAS,
    );
    std::fs::remove_dir_all(&dir).expect("removes");
}

#[test]
fn a_five_second_sleep_stops_before_sleeping() {
    // One relative monotonic clock subscription of 5 s (5e9 ns = 0x12a05f200) at 0.
    let text = format!(
        "(module {} (memory 1)
           (data (i32.const 16) \"\\01\\00\\00\\00\\00\\00\\00\\00\\00\\f2\\05\\2a\\01\")
           (func (export \"run\") (result i32)
             (call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200))))",
        import("poll_oneoff", "(param i32 i32 i32 i32) (result i32)")
    );
    let r = stops("sleep", &text, &["--gas-limit", "1000"], OUT_OF_GAS);
    assert!(r.wall < Duration::from_secs(4), "slept: {:?}", r.wall);
    // A timeout does not stop a host call, but gas does, here too.
    let r = stops(
        "sleep",
        &text,
        &["--gas-limit", "1000000", "--timeout", "10s"],
        OUT_OF_GAS,
    );
    assert!(r.wall < Duration::from_secs(4), "slept: {:?}", r.wall);
}

/// `n` as an unsigned LEB128.
fn leb(mut n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A section of a binary module.
fn section(id: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![id];
    s.extend(leb(body.len() as u32));
    s.extend_from_slice(body);
    s
}

#[test]
fn calls_of_a_function_with_sixteen_million_locals_stop_at_the_gas_limit() {
    // `run` calls, in an endless loop, a function declaring 16,000,000 i64 locals (128 MB to
    // zero a call). Written in binary: its text would take a token per local.
    let mut callee = vec![1];
    callee.extend(leb(16_000_000));
    callee.extend([0x7e, 0x0b]);
    // No locals; loop { call 0; br 0 }; end.
    let runner = [0x00, 0x03, 0x40, 0x10, 0x00, 0x0c, 0x00, 0x0b, 0x0b];
    let mut code = vec![2, callee.len() as u8];
    code.extend(&callee);
    code.push(runner.len() as u8);
    code.extend(runner);
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    module.extend(section(1, &[1, 0x60, 0, 0]));
    module.extend(section(3, &[2, 0, 0]));
    module.extend(section(7, &[1, 3, b'r', b'u', b'n', 0, 1]));
    module.extend(section(10, &code));
    let path = scratch_file("locals.wasm", &module);
    let r = stops_binary("locals", &path, &["--gas-limit", "100000"], OUT_OF_GAS);
    assert!(r.stderr.contains("out of gas"), "{}", r.stderr);
    // The entry's price stops the first call: the frame is never zeroed, its pages never used.
    assert!(r.cpu < Duration::from_millis(200), "{:?} of CPU", r.cpu);
    assert!(r.peak_rss_kb < 64 * 1024, "{} KiB resident", r.peak_rss_kb);
}

#[test]
fn a_deep_trap_in_functions_with_long_names_prints_a_bounded_backtrace() {
    let name = "n".repeat(100_000);
    let text = format!(
        "(module
           (func ${name} (param i32)
             (if (i32.eqz (local.get 0)) (then unreachable))
             (call ${name} (i32.sub (local.get 0) (i32.const 1))))
           (func (export \"run\") (call ${name} (i32.const 90000))))"
    );
    let r = stops("deep_trap", &text, &["--gas-limit", "100000000"], 3);
    assert!(r.stderr.len() < 4096, "{} bytes of stderr", r.stderr.len());
    assert!(
        r.stderr.contains("wasm backtrace (90002 frames):"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("more frames"), "{}", r.stderr);
}

#[test]
fn a_gas_profile_of_deep_recursion_stays_small() {
    let profile = scratch_dir().join("deep.folded");
    let text = "(module
       (func $rec (param i32)
         (if (i32.eqz (local.get 0)) (then return))
         (call $rec (i32.sub (local.get 0) (i32.const 1))))
       (func (export \"run\") (call $rec (i32.const 20000))))";
    let path = profile.to_str().expect("a UTF-8 path");
    stops(
        "gas_profile",
        text,
        &["--gas-profile", path, "--gas-limit", "100000000"],
        0,
    );
    let size = std::fs::metadata(&profile).expect("written").len();
    assert!(size < 4096, "a profile of {size} bytes");
}

#[test]
fn memory_grow_in_a_loop_stops_at_max_memory() {
    // Grows by a page until memory.grow fails, then returns the pages it has.
    let text = "(module (memory 1)
       (func (export \"run\") (result i32)
         (block $full
           (loop $grow
             (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
             (br $grow)))
         (memory.size)))";
    let r = stops("memory_grow", text, &["--max-memory", "64M"], 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let out = std::fs::read_to_string(scratch_dir().join("memory_grow.out")).expect("reads");
    assert_eq!(out, "1024\n");
}

#[test]
fn a_huge_initial_memory_is_refused_at_max_memory() {
    let text = "(module (memory 65536) (func (export \"run\")))";
    let r = stops("huge_memory", text, &["--max-memory", "64M"], 4);
    assert!(r.stderr.contains("cannot instantiate"), "{}", r.stderr);
}

#[test]
fn an_endless_loop_is_stopped_by_a_timeout() {
    let text = "(module (func (export \"run\") (loop $l (br $l))))";
    let r = stops("endless", text, &["--timeout", "200ms"], 6);
    assert!(r.wall < Duration::from_secs(10), "{:?}", r.wall);
}
