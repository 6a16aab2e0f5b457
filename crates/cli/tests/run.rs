//! `ssvm-lite run` and `ssvm-lite compile --dump-ir`, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ssvm-lite");

fn ssvm_lite(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the ssvm-lite binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Encodes `text` and writes it to a scratch file named `name`.
fn wat_file(name: &str, text: &str) -> PathBuf {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    let bytes = module.encode().expect("encodes");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

const FUNCS: &str = r#"
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f64 f32) (result i64 f64 f32)
    (local.get 0) (local.get 1) (local.get 2))
  (func (export "nothing")))
"#;

#[test]
fn run_prints_results_one_per_line() {
    let add = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/add.wasm");
    let o = ssvm_lite(&["run", "--invoke", "add", add.to_str().unwrap(), "2", "40"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "42\n");

    let f = wat_file("funcs.wasm", FUNCS);
    let f = f.to_str().unwrap();
    let o = ssvm_lite(&["run", "--invoke", "mix", f, "-0x10", "1.5", "-inf"]);
    assert_eq!(stdout(&o), "-16\n1.5\n-inf\n", "stderr: {}", stderr(&o));
    let o = ssvm_lite(&["run", "--invoke", "div", f, "4294967295", "1"]);
    assert_eq!(stdout(&o), "-1\n");
    let o = ssvm_lite(&["run", "--invoke", "nothing", f]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
}

#[test]
fn a_trap_exits_3_with_the_spec_message() {
    let f = wat_file("trap.wasm", FUNCS);
    let o = ssvm_lite(&["run", "--invoke", "div", f.to_str().unwrap(), "1", "0"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(stderr(&o), "error: trap: integer divide by zero\n");
}

#[test]
fn an_unresolvable_import_exits_4() {
    let f = wat_file("import.wasm", r#"(module (import "env" "f" (func)))"#);
    let o = ssvm_lite(&["run", "--invoke", "x", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("unknown import `env::f`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_calls_exit_2_and_say_what_is_wrong() {
    let f = wat_file("bad.wasm", FUNCS);
    let f = f.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", "--invoke", "nope", f],
            "exports no function named `nope`",
        ),
        (&["run", "--invoke", "div", f, "1"], "takes 2 arguments"),
        (
            &["run", "--invoke", "div", f, "1", "x"],
            "`x` is not a valid i32",
        ),
        (
            &["run", "--invoke", "div", f, "1", "4294967296"],
            "is not a valid i32",
        ),
    ];
    for (args, message) in cases {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn dump_ir_shows_each_function_with_wasm_offsets() {
    let f = wat_file("ir.wasm", FUNCS);
    let o = ssvm_lite(&["compile", "--dump-ir", f.to_str().unwrap(), "--func", "0"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("func 0 func[0] [i32 i32] -> [i32]"),
        "{out}"
    );
    assert!(out.contains("I32DivS { dst: 2, a: 0, b: 1 }"), "{out}");
    assert!(out.contains("; wasm @0x"), "{out}");
    let o = ssvm_lite(&["compile", "--dump-ir", f.to_str().unwrap(), "--func", "9"]);
    assert_eq!(o.status.code(), Some(2));
}
