//! What `ssvm-lite run` bounds for an operator: the guest's output (`--max-output`), what it
//! creates in its directories (`--max-dir-files`, `--max-dir-bytes`), the host's standard
//! streams (the guest's flags never reach them), the diagnostics (backtraces collapsed and
//! capped, report files created before the run), the `--trace-wasi` call trace, and the
//! runtime's limits: `--timeout`, `--max-memory`, `--max-stack`.
#![cfg(unix)]

mod common;

use common::*;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A WASI command whose `_start` runs `body`; `$check` exits with an errno that is not 0.
/// Memory: an iovec at 0 (10 bytes at 16), `nwritten` at 8, "0123456789" at 16, and the
/// strings "a" at 32, "b" at 40, "c" at 48, "f" at 56, "missing.txt" at 64.
fn command(name: &str, body: &str) -> PathBuf {
    wat_file(
        name,
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\0a\00\00\00")
  (data (i32.const 16) "0123456789")
  (data (i32.const 32) "a")
  (data (i32.const 40) "b")
  (data (i32.const 48) "c")
  (data (i32.const 56) "f")
  (data (i32.const 64) "missing.txt")
  (func $check (param i32) (if (local.get 0) (then (call $proc_exit (local.get 0)))))
  (func $write (param $fd i32)
    (call $check (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") {body}))"#
        ),
    )
}

const EDQUOT: i32 = 19;
const EFBIG: i32 = 22;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fresh empty directory of this test's own.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = scratch_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn max_output_bounds_standard_output_and_error_together() {
    let m = command(
        "max_output.wasm",
        "(call $write (i32.const 1)) (call $write (i32.const 2)) \
         (call $write (i32.const 1)) (call $write (i32.const 2))",
    );
    for option in [
        &["--max-output", "25"][..],
        &["-W", "max-output=25"],
        &["-Wmax-output=25"],
    ] {
        let mut args = vec!["run"];
        args.extend_from_slice(option);
        args.push(s(&m));
        let o = ssvm_lite(&args);
        // 10 + 10 + 5 (cut short) fit; the fourth write is EFBIG, which the program exits with.
        assert_eq!(o.status.code(), Some(EFBIG), "{option:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "012345678901234", "{option:?}");
        assert_eq!(
            stderr(&o),
            "0123456789note: the program reached --max-output 25: what did not fit was \
             refused (EFBIG)\n",
            "{option:?}"
        );
    }
    // Without the cap all of it is written; 1K is 1024 bytes, plenty.
    for args in [&["run", s(&m)][..], &["run", "--max-output", "1K", s(&m)]] {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(stdout(&o), "01234567890123456789");
        assert_eq!(stderr(&o), "01234567890123456789");
    }
}

#[test]
fn max_dir_files_bounds_the_names_created() {
    let m = command(
        "max_dir_files.wasm",
        "(call $check (call $mkdir (i32.const 3) (i32.const 32) (i32.const 1))) \
         (call $check (call $mkdir (i32.const 3) (i32.const 40) (i32.const 1))) \
         (call $check (call $mkdir (i32.const 3) (i32.const 48) (i32.const 1)))",
    );
    for option in ["--max-dir-files", "-W"] {
        let dir = fresh_dir("max_dir_files");
        let dir_arg = format!("{}::.", dir.display());
        let value = if option == "-W" {
            "max-dir-files=2"
        } else {
            "2"
        };
        let o = ssvm_lite(&["run", "--dir", &dir_arg, option, value, s(&m)]);
        assert_eq!(o.status.code(), Some(EDQUOT), "{option}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            "note: the program reached --max-dir-files 2: what did not fit was refused \
             (EDQUOT)\n"
        );
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "b"], "{option}");
    }
}

#[test]
fn max_dir_bytes_bounds_how_much_files_grow() {
    // Create "f", then write 10 bytes to it three times.
    let write_f = "(call $check (call $fd_write (i32.load (i32.const 100)) (i32.const 0) \
                   (i32.const 1) (i32.const 8)))";
    let m = command(
        "max_dir_bytes.wasm",
        &format!(
            "(call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 56) \
             (i32.const 1) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) \
             (i32.const 100))) {write_f} {write_f} {write_f}"
        ),
    );
    let dir = fresh_dir("max_dir_bytes");
    let dir_arg = format!("{}::.", dir.display());
    let o = ssvm_lite(&["run", "--dir", &dir_arg, "--max-dir-bytes", "15", s(&m)]);
    assert_eq!(o.status.code(), Some(EDQUOT), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), b"012345678901234");
    assert!(
        stderr(&o).contains("reached --max-dir-bytes 15"),
        "{}",
        stderr(&o)
    );
}

/// The `flags:` of one of this process's descriptors, from /proc.
fn host_flags(fd: &impl AsRawFd) -> u32 {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).unwrap();
    let line = info.lines().find(|l| l.starts_with("flags:")).unwrap();
    u32::from_str_radix(line["flags:".len()..].trim(), 8).unwrap()
}

/// A guest setting NONBLOCK and APPEND on its standard streams leaves the parent's pipe ends
/// as they were (they share the open file descriptions with the guest's descriptors).
#[test]
fn the_guests_stream_flags_never_reach_the_host() {
    const O_APPEND: u32 = 0o2000;
    const O_NONBLOCK: u32 = 0o4000;
    let m = command(
        "stream_flags.wasm",
        "(call $check (call $set_flags (i32.const 0) (i32.const 5))) \
         (call $check (call $set_flags (i32.const 1) (i32.const 5))) \
         (call $check (call $set_flags (i32.const 2) (i32.const 5)))",
    );
    let (stdin_r, stdin_w) = std::io::pipe().unwrap();
    let (stdout_r, stdout_w) = std::io::pipe().unwrap();
    let (stderr_r, stderr_w) = std::io::pipe().unwrap();
    let status = Command::new(BIN)
        .args(["run", s(&m)])
        .stdin(Stdio::from(stdin_r.try_clone().unwrap()))
        .stdout(Stdio::from(stdout_w.try_clone().unwrap()))
        .stderr(Stdio::from(stderr_w.try_clone().unwrap()))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    for (name, flags) in [
        ("stdin", host_flags(&stdin_r)),
        ("stdout", host_flags(&stdout_w)),
        ("stderr", host_flags(&stderr_w)),
    ] {
        assert_eq!(flags & (O_APPEND | O_NONBLOCK), 0, "{name}: {flags:o}");
    }
    drop((stdin_w, stdout_r, stderr_r));
}

#[test]
fn trace_wasi_shows_each_call_and_its_errno() {
    let m = command(
        "trace.wasm",
        "(call $write (i32.const 1)) \
         (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) \
          (i32.const 11) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) \
          (i32.const 100)))",
    );
    let dir = fresh_dir("trace");
    let dir_arg = format!("{}::.", dir.display());
    let o = ssvm_lite(&["run", "--trace-wasi", "--dir", &dir_arg, s(&m)]);
    assert_eq!(o.status.code(), Some(44), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0123456789");
    assert_eq!(
        stderr(&o),
        "wasi: fd_write(fd=1, iovs=0, n=1, out=8) = 0\n\
         wasi: path_open(fd=3, dirflags=0, path=\"missing.txt\", oflags=0, base=2, \
         inheriting=0, fdflags=0, out=100) = ENOENT (44)\n\
         wasi: proc_exit(code=44)\n"
    );
    // Without it, nothing.
    let o = ssvm_lite(&["run", "--dir", &dir_arg, s(&m)]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(44), String::new()));
}

/// A gas report or profile whose file cannot be created fails before the program runs.
#[test]
fn diagnostics_files_are_created_before_the_run() {
    let m = command("report_first.wasm", "(call $write (i32.const 1))");
    let bad = scratch_dir().join("no-such-dir").join("out.json");
    for option in ["--gas-report", "--gas-profile"] {
        let o = ssvm_lite(&["run", option, s(&bad), s(&m)]);
        assert_eq!(o.status.code(), Some(2), "{option}");
        assert_eq!(stdout(&o), "", "{option}: the program must not have run");
        let what = option.trim_start_matches("--").replace('-', " ");
        assert_eq!(
            stderr(&o),
            format!(
                "error: cannot create the {what} {}: No such file or directory (os error 2)\n",
                bad.display()
            )
        );
    }
    let good = scratch_dir().join("report_first.json");
    let o = ssvm_lite(&["run", "--gas-report", s(&good), s(&m)]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), "0123456789".into())
    );
    assert!(std::fs::read_to_string(&good)
        .unwrap()
        .starts_with(r#"{"outcome":"ok","exit_code":0"#));
}

const DEEP: &str = r#"
(module
  (func $rec (export "rec") (param i32)
    (if (local.get 0)
      (then (call $rec (i32.sub (local.get 0) (i32.const 1))))
      (else unreachable)))
  (func $ping (export "ping") (param i32)
    (if (local.get 0)
      (then (call $pong (i32.sub (local.get 0) (i32.const 1))))
      (else unreachable)))
  (func $pong (param i32) (call $ping (local.get 0)))
  (func $NAME (export "long") unreachable))
"#;

#[test]
fn backtraces_collapse_repeats_cap_frames_and_cut_names() {
    let long = "n".repeat(5000);
    let f = wat_file("deep.wasm", &DEEP.replace("NAME", &long));
    let f = s(&f);
    // (The runtime keeps the 1000 innermost frames: these stay below that.)
    let o = ssvm_lite(&["run", "--invoke", "rec", f, "900"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        "error: trap: unreachable\nwasm backtrace:\n   0: rec (\u{d7}901)\n"
    );
    // ping, pong, ping, ...: 801 frames that do not repeat consecutively.
    let o = ssvm_lite(&["run", "--invoke", "ping", f, "400"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2 + 20 + 1 + 10, "{err}");
    assert_eq!(lines[2], "   0: ping");
    assert_eq!(lines[3], "   1: pong");
    assert_eq!(lines[22], "      ... 771 more frames ...");
    assert_eq!(lines[32], "  800: ping");
    let o = ssvm_lite(&["run", "--invoke", "long", f]);
    assert_eq!(
        stderr(&o),
        format!(
            "error: trap: unreachable\nwasm backtrace:\n   0: {}... (5000 bytes)\n",
            "n".repeat(120)
        )
    );
}

#[test]
fn timeout_stops_an_endless_loop_with_exit_6() {
    let f = wat_file(
        "endless.wasm",
        r#"(module (func (export "spin") (loop (br 0))))"#,
    );
    for metered in [false, true] {
        let mut args = vec!["run", "--timeout", "200ms", "--invoke", "spin"];
        if metered {
            args.extend(["--gas-report", "-"]);
        }
        args.push(s(&f));
        let start = std::time::Instant::now();
        let o = ssvm_lite(&args);
        assert_eq!(o.status.code(), Some(6), "stderr: {}", stderr(&o));
        assert!(
            stderr(&o).contains("timed out after 200ms"),
            "{}",
            stderr(&o)
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        if metered {
            assert!(
                stderr(&o).contains(r#""outcome":"timeout""#),
                "{}",
                stderr(&o)
            );
        }
    }
    let o = ssvm_lite(&["run", "-W", "timeout=100ms", "--invoke", "spin", s(&f)]);
    assert_eq!(o.status.code(), Some(6), "stderr: {}", stderr(&o));
}

#[test]
fn max_memory_bounds_growth_and_the_initial_memory() {
    let f = wat_file(
        "grow-4.wasm",
        r#"(module (memory 2)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let grow = |limit: &str, pages: &str| {
        let o = ssvm_lite(&[
            "run",
            "--max-memory",
            limit,
            "--invoke",
            "grow",
            s(&f),
            pages,
        ]);
        (o.status.code(), stdout(&o))
    };
    assert_eq!(grow("256K", "2"), (Some(0), "2\n".into()));
    assert_eq!(grow("256K", "3"), (Some(0), "-1\n".into()));
    let o = ssvm_lite(&["run", "--max-memory", "64K", "--invoke", "grow", s(&f), "0"]);
    assert_eq!(o.status.code(), Some(4), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("memory limit of 65536 bytes"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn max_stack_bounds_recursion() {
    let f = wat_file(
        "deep.wasm",
        r#"(module (func $d (export "d") (param i32) (result i32)
             (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
               (else (i32.add (i32.const 1) (call $d (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let o = ssvm_lite(&["run", "--invoke", "d", s(&f), "10000"]);
    assert_eq!(stdout(&o), "10000\n", "stderr: {}", stderr(&o));
    let o = ssvm_lite(&["run", "--max-stack", "64K", "--invoke", "d", s(&f), "10000"]);
    assert_eq!(o.status.code(), Some(3), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("call stack exhausted"),
        "{}",
        stderr(&o)
    );
}
