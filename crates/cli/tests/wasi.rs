//! Runs the `ssvm-lite` binary on the WASI test programs of crates/wasi/tests/programs (C,
//! built to the committed .wasm files by that directory's build.sh; no clang needed here) and on
//! the WASI builds of the benchmark kernels (benches/kernels/wasi/NAME.wasm).
//!
//! The expected outputs of the portable programs were derived by running their native builds
//! (`build.sh --native DIR`) on Linux. Every scratch directory is fresh and unique per test,
//! under CARGO_TARGET_TMPDIR.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ssvm-lite");

/// No program here needs more than a few seconds; a runtime that hangs (say on a symlink loop)
/// fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let out = self.out();
        let out: String = out.chars().take(4000).collect();
        write!(
            f,
            "exit code {:?}\n--- stdout:\n{out}\n--- stderr:\n{}",
            self.code, self.stderr
        )
    }
}

/// Runs `ssvm-lite ARGS` with `stdin` as its standard input, an empty environment of its own
/// plus `SSVM_WASI_TEST_HOST_VAR` (which the guest must not see), and a timeout.
fn ssvm_lite_in(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .env("SSVM_WASI_TEST_HOST_VAR", "must not leak into the guest")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ssvm-lite binary runs");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The guest may exit without reading everything: a broken pipe is fine.
        let _ = input.write_all(&stdin);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        err.read_to_end(&mut v).unwrap();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("ssvm-lite {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    writer.join().unwrap();
    Run {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    }
}

fn ssvm_lite(args: &[&str]) -> Run {
    ssvm_lite_in(args, b"")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed build of test program `name`.
fn program(name: &str) -> String {
    let path = repo()
        .join("crates/wasi/tests/programs")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run crates/wasi/tests/programs/build.sh",
        path.display()
    );
    path.to_str().unwrap().to_string()
}

/// A fresh, empty directory for test `name` (unique per test and per test process).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("wasi-{}", std::process::id()))
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).expect("the scratch directory is created");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[track_caller]
fn assert_success(r: &Run, expected_stdout: &str) {
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), expected_stdout, "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
}

// ------------------------------------------------------------------------------------------
// hello, exit codes, traps, instantiation errors

#[test]
fn hello_prints_hello_world() {
    let r = ssvm_lite(&["run", &program("hello")]);
    assert_success(&r, "hello, world\n");
}

#[test]
fn returning_from_main_exits_0_after_atexit_handlers() {
    let r = ssvm_lite(&["run", &program("exit")]);
    assert_success(&r, "returning 0 from main\natexit handler ran\n");
}

#[test]
fn proc_exit_status_becomes_the_exit_code() {
    for n in [0, 1, 2, 3, 4, 5, 42, 125, 255] {
        let arg = n.to_string();
        let r = ssvm_lite(&["run", &program("exit"), &arg]);
        assert_eq!(r.code, Some(n), "exit({n}): {r:?}");
        // stdout was flushed by exit() before proc_exit; stderr is the guest's alone
        assert_eq!(
            r.out(),
            format!("exiting with {n}\natexit handler ran\n"),
            "{r:?}"
        );
        assert_eq!(r.stderr, format!("exit: about to exit({n})\n"), "{r:?}");
    }
}

#[test]
fn trap_exits_3_with_a_backtrace_naming_the_function() {
    let r = ssvm_lite(&["run", &program("trap")]);
    assert_eq!(r.code, Some(3), "{r:?}");
    assert_eq!(r.out(), "about to trap\n", "{r:?}");
    assert!(r.stderr.starts_with("error: trap: "), "{r:?}");
    assert!(r.stderr.contains("unreachable"), "{r:?}");
    let inner = r.stderr.find("deliberately_trapping_function");
    let outer = r.stderr.find("calls_the_trapping_function");
    assert!(
        inner.is_some() && outer.is_some(),
        "the backtrace names both functions: {r:?}"
    );
    assert!(inner < outer, "innermost frame first: {r:?}");
}

#[test]
fn abort_is_a_trap() {
    let r = ssvm_lite(&["run", &program("abort")]);
    assert_eq!(r.code, Some(3), "{r:?}");
    assert_eq!(r.out(), "about to abort\n", "{r:?}");
    assert!(r.stderr.starts_with("error: trap: "), "{r:?}");
    assert!(
        r.stderr.contains("abort"),
        "the backtrace names abort: {r:?}"
    );
}

#[test]
fn out_of_gas_exits_5() {
    let r = ssvm_lite(&["run", "--gas-limit", "100", &program("hello")]);
    assert_eq!(r.code, Some(5), "{r:?}");
    assert_eq!(r.out(), "", "{r:?}");
    assert!(r.stderr.contains("out of gas"), "{r:?}");
    // ...while enough gas changes nothing
    let r = ssvm_lite(&["run", "--gas-limit", "100000000", &program("hello")]);
    assert_success(&r, "hello, world\n");
}

fn wat_module(name: &str, text: &str) -> PathBuf {
    let buf = wast::parser::ParseBuffer::new(text).unwrap();
    let mut wat = wast::parser::parse::<wast::Wat>(&buf).unwrap();
    let path = scratch(name).join("m.wasm");
    std::fs::write(&path, wat.encode().unwrap()).unwrap();
    path
}

/// Imports nothing provides, or with the wrong type: the module cannot be instantiated (exit 4),
/// and the message names the import.
#[test]
fn imports_that_cannot_be_linked_exit_4() {
    let cases = [
        (
            "unknown_wasi_import",
            r#""wasi_snapshot_preview1" "no_such_function" (func (param i32))"#,
            "no_such_function",
        ),
        (
            "wrong_type_import",
            r#""wasi_snapshot_preview1" "proc_exit" (func (param i64))"#,
            "proc_exit",
        ),
        (
            "other_module_import",
            r#""env" "host_function" (func)"#,
            "host_function",
        ),
    ];
    for (name, import, named) in cases {
        let path = wat_module(
            name,
            &format!(
                r#"(module (import {import}) (memory (export "memory") 1) (func (export "_start")))"#
            ),
        );
        let r = ssvm_lite(&["run", s(&path)]);
        assert_eq!(r.code, Some(4), "{name}: {r:?}");
        assert!(r.stderr.contains(named), "{name}: {r:?}");
    }
}

#[test]
fn hand_written_wasi_command_writes_with_fd_write_and_exits() {
    // fd_write(1, [iovec "hi\n"], 1, &nwritten); proc_exit(7)
    let path = wat_module(
        "hand_written",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write"
               (func $fd_write (param i32 i32 i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hi\n")
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 16))
               (i32.store (i32.const 4) (i32.const 3))
               (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
                 (then (unreachable)))
               (if (i32.ne (i32.load (i32.const 8)) (i32.const 3)) (then (unreachable)))
               (call $proc_exit (i32.const 7))
               (unreachable)))"#,
    );
    let r = ssvm_lite(&["run", s(&path)]);
    assert_eq!(r.code, Some(7), "{r:?}");
    assert_eq!(r.out(), "hi\n", "{r:?}");
}

#[test]
fn missing_preopen_directory_is_an_error_2() {
    let dir = scratch("missing_preopen");
    let missing = dir.join("does-not-exist");
    let r = ssvm_lite(&["run", "--dir", s(&missing), &program("hello")]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.out(), "", "{r:?}");
}

// ------------------------------------------------------------------------------------------
// arguments, environment, standard streams

#[test]
fn args_and_environment_are_exactly_what_was_given() {
    let module = program("args");
    let r = ssvm_lite(&[
        "run",
        "--env",
        "GREETING=hi",
        "--env",
        "EMPTY=",
        "--env",
        "WITH_EQUALS=a=b=c",
        &module,
        "one",
        "two words",
        "",
        "héllo",
        "--env",
    ]);
    let expected = format!(
        "argc=6
argv[0]=[{module}]
argv[1]=[one] len=3
argv[2]=[two words] len=9
argv[3]=[] len=0
argv[4]=[héllo] len=6
argv[5]=[--env] len=5
environ has 3 entries
env [EMPTY=]
env [GREETING=hi]
env [WITH_EQUALS=a=b=c]
getenv(GREETING)=[hi]
getenv(EMPTY)=[]
getenv(WITH_EQUALS)=[a=b=c]
getenv(PATH) unset
getenv(HOME) unset
"
    );
    assert_success(&r, &expected);
}

#[test]
fn nothing_of_the_host_environment_is_inherited() {
    let r = ssvm_lite(&["run", &program("args")]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let out = r.out();
    assert!(out.starts_with("argc=1\n"), "{r:?}");
    assert!(out.contains("environ has 0 entries\n"), "{r:?}");
    assert!(out.contains("getenv(PATH) unset\n"), "{r:?}");
    assert!(!out.contains("SSVM_WASI_TEST_HOST_VAR"), "{r:?}");
}

#[test]
fn argv0_is_the_module_as_given_on_the_command_line() {
    let dir = scratch("argv0");
    std::fs::copy(program("args"), dir.join("a.wasm")).unwrap();
    let r = Command::new(BIN)
        .current_dir(&dir)
        .args(["run", "a.wasm", "x"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.starts_with("argc=2\nargv[0]=[a.wasm]\nargv[1]=[x] len=1\n"),
        "{out}"
    );
}

/// 1 MiB of bytes of every value (NULs and newlines included), in no simple pattern.
fn binary_input(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn cat_copies_a_mebibyte_of_binary_stdin_to_stdout() {
    let input = binary_input(1 << 20);
    let r = ssvm_lite_in(&["run", &program("cat")], &input);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout.len(), input.len(), "{}", r.stderr);
    assert!(r.stdout == input, "stdout differs from stdin");
    assert_eq!(r.stderr, "cat: 1048576 bytes\n");
}

#[test]
fn cat_of_empty_stdin() {
    let r = ssvm_lite_in(&["run", &program("cat")], b"");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "");
    assert_eq!(r.stderr, "cat: 0 bytes\n");
}

#[test]
fn cat_reads_files_through_two_preopens() {
    let dir = scratch("cat_two_preopens");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b/inner")).unwrap();
    std::fs::write(dir.join("a/one.txt"), "first\n").unwrap();
    let bytes = binary_input(100_000);
    std::fs::write(dir.join("b/inner/two.bin"), &bytes).unwrap();
    let a = format!("{}::/a", s(&dir.join("a")));
    let b = format!("{}::/bee", s(&dir.join("b")));
    let r = ssvm_lite(&[
        "run",
        "--dir",
        &a,
        "--dir",
        &b,
        &program("cat"),
        "/a/one.txt",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "first\n");
    let r = ssvm_lite(&[
        "run",
        "--dir",
        &a,
        "--dir",
        &b,
        &program("cat"),
        "/bee/inner/two.bin",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout == bytes, "{}", r.stderr);
    // not below any preopen
    let r = ssvm_lite(&[
        "run",
        "--dir",
        &a,
        "--dir",
        &b,
        &program("cat"),
        "/b/inner/two.bin",
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.starts_with("cat: /b/inner/two.bin: "), "{r:?}");
}

#[test]
fn without_a_preopen_the_guest_sees_no_files() {
    let dir = scratch("no_preopen");
    std::fs::write(dir.join("visible.txt"), "x\n").unwrap();
    let r = Command::new(BIN)
        .current_dir(&dir)
        .args(["run", &program("cat"), "visible.txt"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(r.stdout, b"");
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.starts_with("cat: visible.txt: "), "{err}");
}

#[test]
fn cat_of_a_missing_file_reports_it() {
    let dir = scratch("cat_missing");
    let pre = format!("{}::.", s(&dir));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("cat"), "missing.txt"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert_eq!(
        r.stderr, "cat: missing.txt: No such file or directory\n",
        "{r:?}"
    );
}

// ------------------------------------------------------------------------------------------
// files, directories, links, clocks, randomness

#[test]
fn files_under_preopen_dot() {
    let dir = scratch("files_dot");
    let pre = format!("{}::.", s(&dir));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("files")]);
    assert_success(&r, FILES_EXPECTED);
    assert_eq!(names_in(&dir), ["result.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("result.txt")).unwrap(),
        "files: done\n"
    );
}

#[test]
fn files_under_a_named_guest_directory() {
    let dir = scratch("files_named");
    let pre = format!("{}::/data", s(&dir));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("files"), "/data"]);
    assert_success(&r, FILES_EXPECTED);
    assert_eq!(names_in(&dir), ["result.txt"]);
}

#[test]
fn files_under_the_default_guest_name() {
    // --dir HOST: the guest sees it as HOST, as written
    let dir = scratch("files_default_name");
    let r = ssvm_lite(&["run", "--dir", s(&dir), &program("files"), s(&dir)]);
    assert_success(&r, FILES_EXPECTED);
    assert_eq!(names_in(&dir), ["result.txt"]);
}

#[test]
fn dirs() {
    let dir = scratch("dirs");
    let pre = format!("{}::.", s(&dir));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("dirs")]);
    assert_success(&r, DIRS_EXPECTED);
    assert_eq!(names_in(&dir), ["kept"]);
    assert!(dir.join("kept").is_dir());
    assert_eq!(
        std::fs::read_to_string(dir.join("kept/inner.txt")).unwrap(),
        "inner\n"
    );
}

#[test]
fn symlinks() {
    let dir = scratch("symlinks");
    let pre = format!("{}::/w", s(&dir));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("symlinks"), "/w"]);
    assert_success(&r, SYMLINKS_EXPECTED);
    let link = |n: &str| {
        std::fs::read_link(dir.join(n))
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(link("dangling"), "nowhere");
    assert_eq!(link("dir/up"), "../target.txt");
    assert_eq!(link("chain"), "dir/up");
    assert_eq!(link("loop1"), "loop2");
    let target = std::fs::metadata(dir.join("target.txt")).unwrap();
    let hard = std::fs::metadata(dir.join("hard.txt")).unwrap();
    assert_eq!(
        (target.dev(), target.ino()),
        (hard.dev(), hard.ino()),
        "a real hard link"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("target.txt")).unwrap(),
        "changed through hard.txt\n"
    );
    assert_eq!(
        names_in(&dir),
        [
            "chain",
            "dangling",
            "dir",
            "hard.txt",
            "loop1",
            "loop2",
            "self",
            "target.txt"
        ]
    );
}

#[test]
fn clocks() {
    let r = ssvm_lite(&["run", &program("clocks")]);
    assert_success(&r, CLOCKS_EXPECTED);
}

#[test]
fn random() {
    let r = ssvm_lite(&["run", &program("random")]);
    assert_success(&r, RANDOM_EXPECTED);
}

// ------------------------------------------------------------------------------------------
// the sandbox: sandbox.wasm ATTACK ROOT (see sandbox.c for the layout and the attacks)

/// Everything under `root` except the sandbox: path -> what it is. Files by contents, length,
/// modification time and link count; symlinks by target; directories by presence.
fn outside_state(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if rel == "sandbox" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!(
                    "symlink -> {}",
                    std::fs::read_link(&path).unwrap().display()
                )
            } else if meta.is_dir() {
                walk(root, &path, out);
                "directory".to_string()
            } else {
                format!(
                    "file {:?} len {} mtime {}.{} nlink {}",
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap()),
                    meta.len(),
                    meta.mtime(),
                    meta.mtime_nsec(),
                    meta.nlink()
                )
            };
            out.insert(rel, what);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Lays out ROOT for sandbox.wasm (as its header comment describes) and returns ROOT.
fn sandbox_root(name: &str) -> PathBuf {
    let root = scratch(&format!("sandbox-{name}"));
    let root = root.canonicalize().unwrap();
    let w = |rel: &str, text: &str| std::fs::write(root.join(rel), text).unwrap();
    w("secret", "TOP SECRET\n");
    std::fs::create_dir_all(root.join("outside")).unwrap();
    w("outside/file.txt", "outside file\n");
    std::fs::create_dir_all(root.join("emptydir")).unwrap();
    symlink("secret", root.join("outlink")).unwrap();
    std::fs::create_dir_all(root.join("sandbox/sub/deeper")).unwrap();
    w("sandbox/inside.txt", "inside\n");
    symlink("../secret", root.join("sandbox/hostlink")).unwrap();
    symlink(root.join("secret"), root.join("sandbox/hostabs")).unwrap();
    symlink("../outside", root.join("sandbox/outdir")).unwrap();
    symlink("../created_via_link", root.join("sandbox/dangling_out")).unwrap();
    root
}

fn run_sandbox(attack: &str) -> (PathBuf, Run) {
    let root = sandbox_root(attack);
    let pre = format!("{}::.", s(&root.join("sandbox")));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("sandbox"), attack, s(&root)]);
    (root, r)
}

/// Runs one attack: the guest must report it blocked, must not have read anything from outside,
/// and nothing outside ROOT/sandbox may have changed.
#[track_caller]
fn attack(name: &str) {
    let root = sandbox_root(name);
    let before = outside_state(&root);
    let pre = format!("{}::.", s(&root.join("sandbox")));
    let r = ssvm_lite(&["run", "--dir", &pre, &program("sandbox"), name, s(&root)]);
    let out = r.out();
    assert!(!out.contains("ESCAPED"), "{name}: {r:?}");
    assert!(
        !out.contains("TOP SECRET") && !out.contains("outside file"),
        "{name}: {r:?}"
    );
    assert!(
        out.ends_with(&format!("\n{name}: blocked\n")),
        "{name}: {r:?}"
    );
    assert_eq!(r.code, Some(0), "{name}: {r:?}");
    assert_eq!(
        outside_state(&root),
        before,
        "{name} changed something outside the sandbox"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("sandbox/inside.txt")).unwrap(),
        "inside\n",
        "{name}"
    );
}

/// Every attack sandbox.wasm knows, each run by its own test below.
const ATTACKS: &[&str] = &[
    "dotdot",
    "dotdot_nested",
    "dotdot_reenter",
    "dotdot_dir",
    "absolute",
    "absolute_inside",
    "guest_symlink_absolute",
    "guest_symlink_dotdot",
    "guest_symlink_chain",
    "host_symlink_file",
    "host_symlink_dir",
    "symlink_then_dotdot",
    "create_outside",
    "create_through_dangling_symlink",
    "rename_out",
    "rename_in",
    "link_out",
    "unlink_out",
    "rmdir_out",
    "readlink_out",
    "set_times_out",
    "truncate_out",
    "stat_out",
    "symlink_loop",
    "nul_in_path",
    "long_path",
    "file_as_dir",
    "subdir_fd",
    "bad_fd",
];

#[test]
fn every_attack_of_sandbox_wasm_has_a_test() {
    let r = ssvm_lite(&["run", &program("sandbox"), "--list"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let mut listed: Vec<String> = r.out().lines().map(str::to_string).collect();
    assert_eq!(listed.remove(0), "control");
    assert_eq!(listed, ATTACKS);
}

#[test]
fn sandbox_control_legitimate_operations_inside_work() {
    let (root, r) = run_sandbox("control");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.out().ends_with("\ncontrol: works\n"), "{r:?}");
    assert!(!r.out().contains("FAILED"), "{r:?}");
    assert_eq!(names_in(&root.join("sandbox/sub")), ["deeper"]);
}

macro_rules! attacks {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                attack(&stringify!($name)["escape_".len()..]);
            }
        )*
    };
}

attacks! {
    escape_dotdot
    escape_dotdot_nested
    escape_dotdot_reenter
    escape_dotdot_dir
    escape_absolute
    escape_absolute_inside
    escape_guest_symlink_absolute
    escape_guest_symlink_dotdot
    escape_guest_symlink_chain
    escape_host_symlink_file
    escape_host_symlink_dir
    escape_symlink_then_dotdot
    escape_create_outside
    escape_create_through_dangling_symlink
    escape_rename_out
    escape_rename_in
    escape_link_out
    escape_unlink_out
    escape_rmdir_out
    escape_readlink_out
    escape_set_times_out
    escape_truncate_out
    escape_stat_out
    escape_symlink_loop
    escape_nul_in_path
    escape_long_path
    escape_file_as_dir
    escape_subdir_fd
    escape_bad_fd
}

#[test]
fn a_guest_can_use_a_preopen_that_is_itself_a_symlink() {
    // The host chose to give this directory: the preopen's own path may go through symlinks.
    let root = sandbox_root("preopen_via_symlink");
    symlink("sandbox", root.join("sandbox_alias")).unwrap();
    let pre = format!("{}::.", s(&root.join("sandbox_alias")));
    let r = ssvm_lite(&[
        "run",
        "--dir",
        &pre,
        &program("sandbox"),
        "control",
        s(&root),
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.out().ends_with("\ncontrol: works\n"), "{r:?}");
    let pre = format!("{}::.", s(&root.join("sandbox_alias")));
    let r = ssvm_lite(&[
        "run",
        "--dir",
        &pre,
        &program("sandbox"),
        "dotdot",
        s(&root),
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
}

// ------------------------------------------------------------------------------------------
// the benchmark kernels as WASI commands

/// Each kernel with an argument small enough for a run well under a second.
const KERNELS: &[(&str, &str)] = &[
    ("fib", "20"),
    ("nbody", "1000"),
    ("fannkuch", "7"),
    ("mandelbrot", "100"),
    ("binarytrees", "10"),
    ("sorthash", "10000"),
    ("coremark", "20"),
];

/// `ssvm-lite run benches/kernels/wasi/NAME.wasm N` prints the checksum `--invoke run` of the
/// freestanding build prints (which the benchmark harness checks against the native build).
#[test]
fn wasi_builds_of_the_kernels_print_the_checksums_of_the_freestanding_builds() {
    let kernels = repo().join("benches/kernels");
    for (name, n) in KERNELS {
        let wasi = kernels.join(format!("wasi/{name}.wasm"));
        let plain = kernels.join(format!("{name}.wasm"));
        let expected = ssvm_lite(&["run", "--invoke", "run", s(&plain), n]);
        assert_eq!(expected.code, Some(0), "{name}: {expected:?}");
        let r = ssvm_lite(&["run", s(&wasi), n]);
        assert_success(&r, &expected.out());
    }
}

/// The native build prints the same (the harness's own check, repeated here for the WASI
/// builds). It needs a host C compiler; without one (see `build.rs`) the harness reports it as
/// ignored, and `.ci/run` installs one so that it always runs there.
#[test]
#[cfg_attr(
    not(host_cc),
    ignore = "no host C compiler (`cc`) on PATH at build time"
)]
fn wasi_builds_of_the_kernels_print_what_native_builds_print() {
    let kernels = repo().join("benches/kernels");
    let dir = scratch("native_kernels");
    for (name, n) in KERNELS {
        let exe = dir.join(name);
        let built = Command::new("cc")
            .args(["-O2", "-ffp-contract=off", "-fno-math-errno", "-o", s(&exe)])
            .arg(kernels.join(format!("{name}.c")))
            .arg(kernels.join("native_main.c"))
            .arg("-lm")
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let native = Command::new(&exe).arg(n).output().unwrap();
        assert!(native.status.success());
        let r = ssvm_lite(&["run", s(&kernels.join(format!("wasi/{name}.wasm"))), n]);
        assert_success(&r, &String::from_utf8_lossy(&native.stdout));
    }
}

// ------------------------------------------------------------------------------------------
// expected outputs

/// What `files.wasm` prints (derived from its native build, see the programs' README).
const FILES_EXPECTED: &str = r#"create f.txt: ok
write 12 bytes: ok
fstat size after write: 12
close: ok
stat size: 12
stat says regular file: ok
open O_RDWR: ok
read 12 bytes: hello world
read at EOF returns 0
lseek(0, SEEK_CUR) = 12
lseek(6, SEEK_SET) = 6
read 5 bytes at 6: world
lseek(-6, SEEK_END) = 6
lseek(2, SEEK_CUR) = 8
read 3 bytes at 8: rld
lseek(-100, SEEK_SET) = -1 errno EINVAL
offset after failed lseek = 11
ftruncate to 5: ok
size after shrink: 5
content after shrink: hello
ftruncate to 10: ok
size after grow: 10
pread 10 bytes after grow, bytes 5..9 zero: yes
lseek(20, SEEK_SET) = 20
write X at 20: ok
size after write past end: 21
pread 21 bytes, hole zero: yes, last byte X
pwrite HE at 0: ok
pread 5 at 0: ok
pread after pwrite: HEllo
offset unchanged by pread/pwrite: yes
pwrite past end: ok
size after pwrite past end: 32
fsync: ok
fdatasync: ok
close: ok
stat size after close: 32
open O_APPEND: ok
append A: ok
append B after lseek to 0: ok
read on a write-only fd fails: ok
close: ok
size after appends: 34
head HEllo, tail YZAB
write on a read-only fd fails: ok
O_EXCL on existing: -1 errno EEXIST
O_EXCL on new file: ok
O_TRUNC open: ok
size after O_TRUNC: 0
open missing: -1 errno ENOENT
stat missing: -1 errno ENOENT
create in missing dir: -1 errno ENOENT
writev wrote 14
readv read 14: [on][e two][ three
]
wrote 262144 bytes, size 262144
read back 262144 bytes, equal: yes
fopen w+: ok
ftell after fprintf: 14
fseek to 0: ok
fgets: line 1
fgets: line 2
feof: ok
fseek to -2 from end: ok
fgetc at end-2: 2
fclose: ok
unlink f.txt: ok
unlink g.txt: ok
unlink v.txt: ok
unlink big.bin: ok
unlink s.txt: ok
stat after unlink: -1 errno ENOENT
all checks passed
"#;

/// What `dirs.wasm` prints (derived from its native build, see the programs' README).
const DIRS_EXPECTED: &str = r#"ls base at start: (empty)
mkdir d: ok
mkdir d again: failed errno EEXIST
stat d: directory
mkdir d/e: ok
mkdir d/e/f: ok
mkdir x/y with x missing: failed errno ENOENT
ls d: a.txt(file) b.txt(file) e(dir)
ls d/e: c.txt(file) f(dir)
ls d/e/f: deep.txt(file)
stat d/a.txt: file size 6
open d O_DIRECTORY: ok
fstat d: directory
fdopendir: ok
ls d via fdopendir: a.txt(file) b.txt(file) e(dir)
ls d after rewinddir: a.txt(file) b.txt(file) e(dir)
open file with O_DIRECTORY: failed errno ENOTDIR
open file/x: failed errno ENOTDIR
opendir on a file: failed errno ENOTDIR
opendir missing: failed errno ENOENT
rename d/a.txt -> d/a2.txt: ok
rename d/e -> d/e2: ok
ls d after renames: a2.txt(file) b.txt(file) e2(dir)
ls d/e2: c.txt(file) f(dir)
stat d/e after rename: failed errno ENOENT
rename d/b.txt over d/a2.txt: ok
cat d/a2.txt: 5 bytes: beta
rename d/e2/c.txt -> d/moved.txt (across dirs): ok
rename missing: failed errno ENOENT
ls d: a2.txt(file) e2(dir) moved.txt(file)
unlink d/a2.txt: ok
unlink d/a2.txt again: failed errno ENOENT
unlink a directory: failed
rmdir d (not empty): failed errno ENOTEMPTY
rmdir d/moved.txt (a file): failed errno ENOTDIR
rmdir d/e2/f (not empty): failed errno ENOTEMPTY
unlink d/e2/f/deep.txt: ok
rmdir d/e2/f: ok
rmdir d/e2: ok
unlink d/moved.txt: ok
ls d at the end: (empty)
rmdir d: ok
stat d after rmdir: failed errno ENOENT
rmdir missing: failed errno ENOENT
mkdir kept: ok
ls base at the end: kept(dir)
all checks passed
"#;

/// What `symlinks.wasm` prints (derived from its native build, see the programs' README).
const SYMLINKS_EXPECTED: &str = r#"symlink target.txt <- link: ok
readlink link: 10 bytes: target.txt
open link: read 16 bytes: target contents
lstat link: symlink size 10
stat link: file size 16
open link with O_NOFOLLOW: failed errno ELOOP
readlink into a 4-byte buffer: 4 bytes: targ
symlink over an existing name: failed errno EEXIST
readlink target.txt (not a link): failed errno EINVAL
symlink nowhere <- dangling: ok
readlink dangling: 7 bytes: nowhere
open dangling: failed errno ENOENT
lstat dangling: symlink size 7
stat dangling: failed errno ENOENT
mkdir dir: ok
symlink dir <- dirlink: ok
open dir/inner.txt: read 22 bytes: inner through dirlink
stat dirlink: directory
lstat dirlink: symlink size 3
opendir dirlink lists: inner.txt
opendir dirlink: 1 entries
symlink ../target.txt <- dir/up: ok
open dir/up: read 16 bytes: target contents
symlink dir/up <- chain: ok
open chain (link to a link): read 16 bytes: target contents
open dirlink/up: read 16 bytes: target contents
symlink loop2 <- loop1: ok
symlink loop1 <- loop2: ok
open loop1: failed errno ELOOP
symlink self <- self: ok
stat self: failed errno ELOOP
open self/x: failed errno ELOOP
rename link -> link2: ok
readlink link2: 10 bytes: target.txt
lstat link: failed errno ENOENT
unlink link2: ok
lstat link2: failed errno ENOENT
open target.txt after unlinking the link: read 16 bytes: target contents
unlink dirlink: ok
stat dir: directory
link target.txt -> hard.txt: ok
open hard.txt: read 16 bytes: target contents
hard.txt st_nlink: 2
open target.txt after writing hard.txt: read 25 bytes: changed through hard.txt
link onto an existing name: failed errno EEXIST
link a missing file: failed errno ENOENT
all checks passed
"#;

/// What `clocks.wasm` prints (derived from its native build, see the programs' README).
const CLOCKS_EXPECTED: &str = r#"clock_gettime realtime: ok
realtime after 2020-01-01: ok
realtime before 2200-01-01: ok
realtime tv_nsec in range: ok
time() agrees with realtime: ok
gettimeofday: ok
gettimeofday agrees with realtime: ok
clock_gettime monotonic: ok
monotonic never goes backwards: ok
monotonic advanced or stayed: ok
nanosleep 10ms: ok
nanosleep advanced monotonic by >= 10ms: ok
nanosleep took < 5s: ok
usleep 10000: ok
usleep advanced monotonic by >= 10ms: ok
usleep took < 5s: ok
realtime advanced across a 20ms sleep: ok
clock_getres realtime: ok
realtime resolution in (0, 1s]: ok
clock_getres monotonic: ok
monotonic resolution in (0, 1s]: ok
all checks passed
"#;

/// What `random.wasm` prints (derived from its native build, see the programs' README).
const RANDOM_EXPECTED: &str = r#"getentropy 32 bytes: ok
getentropy 32 bytes again: ok
first draw not all zero: ok
two getentropy draws differ: ok
getentropy 256 bytes: ok
256-byte draw not all zero: ok
getentropy 0 bytes: ok
arc4random_buf not all zero: ok
two arc4random_buf draws differ: ok
1 MiB arc4random_buf looks uniform: ok
three arc4random() values not all equal: ok
arc4random_uniform(10) < 10: ok
all checks passed
"#;
