//! Runs the built `ssvm-lite` binary the way a user would.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEADER: &[u8] = b"\0asm\x01\0\0\0";

fn module(sections: &[&[u8]]) -> Vec<u8> {
    let mut bytes = HEADER.to_vec();
    for s in sections {
        bytes.extend_from_slice(s);
    }
    bytes
}

#[test]
fn valid_module_exits_0_silently() {
    let path = example("add.wasm");
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

#[test]
fn invalid_module_exits_1_with_the_error() {
    // (func (result i32)) with an empty body: the body leaves nothing for the i32 result.
    let bytes = module(&[
        &[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f], // type section: [] -> [i32]
        &[0x03, 0x02, 0x01, 0x00],                   // function section: func 0 has type 0
        &[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b],       // code section: no locals, `end`
    ]);
    let path = scratch_file("invalid.wasm", &bytes);
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    let named = format!("error: {}: type mismatch", path.display());
    assert!(err.starts_with(&named), "{err}");
    assert!(err.contains(" at offset 0x"), "{err}");
    assert!(err.ends_with(" in function 0\n"), "{err}");
}

#[test]
fn malformed_module_exits_1_with_the_error() {
    let path = scratch_file("malformed.wasm", b"\0asm\x02\0\0\0");
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: unknown binary version at offset 0x4\n",
            path.display()
        )
    );
}

#[test]
fn a_proposal_we_do_not_implement_exits_7_naming_it() {
    // The legacy encoding of exception handling (`try`, which toolchains have replaced with
    // `try_table`): unsupported for `validate` and `run` alike.
    let body = [10, 7, 1, 5, 0, 0x06, 0x40, 0x0b, 0x0b];
    let path = scratch_file(
        "legacy-try.wasm",
        &module(&[&[1, 4, 1, 0x60, 0, 0], &[3, 2, 1, 0], &body]),
    );
    for args in [&["validate"][..], &["run", "--invoke", "f"]] {
        let mut args = args.to_vec();
        args.push(path.to_str().unwrap());
        let o = ssvm_lite(&args);
        assert_eq!(o.status.code(), Some(7), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            format!(
                "error: {}: illegal opcode: the legacy exception-handling proposal is not \
                 supported (try) at offset 0x17 in function 0\n",
                path.display()
            )
        );
    }
}

#[test]
fn a_simd_function_runs_with_v128_arguments_and_results() {
    let path = wat_file(
        "simd.wasm",
        r#"(module (func (export "f") (param v128) (result v128 i32)
             (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))
             (i8x16.bitmask (local.get 0))))"#,
    );
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Lane 0 is the low bits: 0x...00ff plus (1, 2, 3, 4).
    let arg = "0xff0000000000000000000000000000ff";
    let o = ssvm_lite(&["run", "--invoke", "f", path.to_str().unwrap(), arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sum = 0xff00_0004_0000_0003_0000_0002_0000_0100u128;
    let expected = format!("{sum}\n{}\n", 0x8001);
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
}

#[test]
fn missing_file_exits_2() {
    let path = scratch_dir().join("no-such-file.wasm");
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let prefix = format!("error: cannot read {}: ", path.display());
    assert!(err.starts_with(&prefix), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn version_prints_name_and_version() {
    let o = ssvm_lite(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!("ssvm-lite {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn help_prints_usage_on_stdout() {
    for args in [&["--help"][..], &["-h"]] {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("usage: ssvm-lite <COMMAND>"));
    }
    for args in [&["validate", "--help"][..], &["validate", "-h"]] {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).starts_with("usage: ssvm-lite validate FILE.wasm"));
    }
}

#[test]
fn bad_usage_exits_2_with_message_and_usage() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "error: missing command"),
        (&["frobnicate"], "error: unknown command `frobnicate`"),
        (&["--nope"], "error: unknown option `--nope`"),
        (&["validate"], "error: missing FILE"),
        (
            &["validate", "a.wasm", "b.wasm"],
            "error: unexpected argument `b.wasm`",
        ),
    ];
    for (args, message) in cases {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
        let err = stderr(&o);
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert!(err.contains("usage: ssvm-lite"), "{args:?}: {err}");
    }
}

#[test]
fn example_binary_matches_its_text() {
    let text = std::fs::read_to_string(example("add.wat")).unwrap();
    let buf = wast::parser::ParseBuffer::new(&text).unwrap();
    let mut wat = wast::parser::parse::<wast::Wat>(&buf).unwrap();
    let encoded = wat.encode().unwrap();
    let committed = std::fs::read(example("add.wasm")).unwrap();
    assert_eq!(
        encoded, committed,
        "examples/add.wasm is out of date with add.wat"
    );
}

/// A module touching most sections and control instructions, as a seed for mutation.
const RICH_WAT: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $imp (param i32)))
  (import "env" "g" (global $g i32))
  (memory 1 2)
  (table 2 funcref)
  (global $m (mut i64) (i64.const -1))
  (func $id (type $t) local.get 0)
  (func (export "run") (param i32) (result i32) (local f32)
    block (result i32)
      loop
        local.get 0
        br_if 1
        local.get 0
        br_table 0 1 0
      end
      i32.const 7
    end
    i32.const 0
    call_indirect (type $t)
    if (result i32) i32.const 1 else i32.load offset=8 (i32.const 4) end)
  (start 1)
  (elem (i32.const 0) $id)
  (data (i32.const 16) "hello"))
"#;

/// Deterministic xorshift64: the same mutants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_modules_never_panic() {
    let buf = wast::parser::ParseBuffer::new(RICH_WAT).unwrap();
    let rich = wast::parser::parse::<wast::Wat>(&buf)
        .unwrap()
        .encode()
        .unwrap();
    let add = std::fs::read(example("add.wasm")).unwrap();

    let mut mutants: Vec<Vec<u8>> = Vec::new();
    for seed in [&add, &rich] {
        // Every truncation of the small module, a spread of those of the larger one.
        let step = (seed.len() / 60).max(1);
        for len in (0..seed.len()).step_by(step) {
            mutants.push(seed[..len].to_vec());
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for seed in [&add, &rich] {
        for _ in 0..100 {
            let mut m = seed.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(m.len());
                m[at] ^= 1 << rng.below(8);
            }
            mutants.push(m);
        }
    }

    let dir = scratch_dir().join("mutants");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, m) in mutants.iter().enumerate() {
        let path = dir.join(format!("{i}.wasm"));
        std::fs::write(&path, m).unwrap();
        let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
        let code = o.status.code();
        // A flipped bit may also turn the module into a later proposal's (exit 7).
        assert!(
            matches!(code, Some(0 | 1 | 7)),
            "mutant {} exited {code:?} (101 = panic): {}",
            path.display(),
            stderr(&o)
        );
        if code != Some(0) {
            assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
        }
    }
    assert!(mutants.len() >= 300, "{} mutants", mutants.len());
    let _ = std::fs::remove_dir_all(&dir);
}

// `run` and `compile --dump-ir`.

/// Encodes `text` and writes it to a scratch file named `name`.
const FUNCS: &str = r#"
(module
  (func $divide (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $div (export "div") (param i32 i32) (result i32) (call $divide (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f64 f32) (result i64 f64 f32)
    (local.get 0) (local.get 1) (local.get 2))
  (func (export "nothing")))
"#;

#[test]
fn run_prints_results_one_per_line() {
    let add = example("add.wasm");
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
fn a_trap_exits_3_with_the_spec_message_and_a_backtrace() {
    let f = wat_file("trap.wasm", FUNCS);
    let o = ssvm_lite(&["run", "--invoke", "div", f.to_str().unwrap(), "1", "0"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        stderr(&o),
        "error: trap: integer divide by zero\nwasm backtrace:\n   0: divide\n   1: div\n"
    );
}

/// The spec's two element traps of `call_indirect`: an index past the table is "undefined
/// element", a null entry inside it "uninitialized element".
#[test]
fn call_indirect_traps_name_an_undefined_and_an_uninitialized_element() {
    let f = wat_file(
        "elements.wasm",
        r#"(module
  (type $t (func (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $one)
  (func $one (type $t) (i32.const 1))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))"#,
    );
    let f = f.to_str().unwrap();
    let expect = [
        ("0", Some(0), None, "1\n"),
        ("1", Some(3), Some("error: trap: uninitialized element"), ""),
        ("3", Some(3), Some("error: trap: undefined element"), ""),
        (
            "4294967295",
            Some(3),
            Some("error: trap: undefined element"),
            "",
        ),
    ];
    for (index, code, first_line, out) in expect {
        let o = ssvm_lite(&["run", "--invoke", "call", f, index]);
        assert_eq!(o.status.code(), code, "index {index}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().next(), first_line, "index {index}");
        assert_eq!(stdout(&o), out, "index {index}");
    }
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
    assert!(out.starts_with("func 0 divide [i32 i32] -> [i32]"), "{out}");
    // The quotient is computed straight into slot 0, where the result is returned.
    assert!(out.contains("I32DivS { dst: 0, a: 0, b: 1 }  ;"), "{out}");
    assert!(!out.contains("Copy"), "{out}");
    assert!(!out.contains("Charge"), "{out}");
    let metered = ssvm_lite(&["compile", "--dump-ir", "--metered", f.to_str().unwrap()]);
    assert!(
        stdout(&metered).contains("Charge { block: 0 }"),
        "{}",
        stdout(&metered)
    );
    assert!(out.contains("; wasm @0x"), "{out}");
    let o = ssvm_lite(&["compile", "--dump-ir", f.to_str().unwrap(), "--func", "9"]);
    assert_eq!(o.status.code(), Some(2));
}

// Metering: `run` with gas options.

const SUM: &str = r#"
(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    block
      loop
        local.get $n
        i32.eqz
        br_if 1
        local.get $acc
        local.get $n
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br 0
      end
    end
    local.get $acc))
"#;

/// A cost table pricing every instruction 1: `sum(n)` then costs 12n + 7.
fn uniform_table() -> PathBuf {
    scratch_file("uniform.toml", b"default = 1\n")
}

#[test]
fn gas_report_gives_exact_gas_and_counts() {
    let f = wat_file("sum.wasm", SUM);
    let table = uniform_table();
    let o = ssvm_lite(&[
        "run",
        "--invoke",
        "sum",
        "--cost-table",
        table.to_str().unwrap(),
        "--histogram",
        "--gas-report",
        "-",
        f.to_str().unwrap(),
        "3",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "6\n");
    let report = stderr(&o);
    assert!(report.starts_with(r#"{"outcome":"ok","exit_code":null,"trap":null,"gas_limit":null,"gas_used":43,"counts":{"#), "{report}");
    assert!(report.contains(r#""local.get":14"#), "{report}");
}

#[test]
fn out_of_gas_exits_5_with_the_exact_gas_used() {
    let f = wat_file("sum-oog.wasm", SUM);
    let table = uniform_table();
    let out = scratch_dir().join("oog-report.json");
    let o = ssvm_lite(&[
        "run",
        "--invoke",
        "sum",
        "--cost-table",
        table.to_str().unwrap(),
        "--gas-limit",
        "20",
        "--gas-report",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
        "3",
    ]);
    assert_eq!(o.status.code(), Some(5), "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "error: out of gas: used 20 of the limit 20\n");
    let report = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        report,
        "{\"outcome\":\"out_of_gas\",\"exit_code\":null,\"trap\":null,\"gas_limit\":20,\"gas_used\":20}\n"
    );
}

#[test]
fn a_bad_cost_table_is_an_error_naming_its_line() {
    let f = wat_file("sum-bad.wasm", SUM);
    let table = scratch_file(
        "bad.toml",
        b"default = 1\n[instr]\n\"i32.frobnicate\" = 2\n",
    );
    let o = ssvm_lite(&[
        "run",
        "--invoke",
        "sum",
        "--cost-table",
        table.to_str().unwrap(),
        f.to_str().unwrap(),
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("line 3") && err.contains("i32.frobnicate"),
        "{err}"
    );
}

#[test]
fn gas_profile_writes_folded_stacks() {
    let text = r#"(module
        (func $main (export "main") (call $leaf) (call $leaf))
        (func $leaf (nop)))"#;
    let f = wat_file("profile.wasm", text);
    let table = uniform_table();
    let out = scratch_dir().join("profile.folded");
    let o = ssvm_lite(&[
        "run",
        "--invoke",
        "main",
        "--cost-table",
        table.to_str().unwrap(),
        "--gas-profile",
        out.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "main 3\nmain;leaf 4\n"
    );
}

/// The README's first command: the bundled WASI `wc` counts its own source.
#[test]
fn the_bundled_wasi_example_counts_its_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let source = std::fs::read_to_string(root.join("examples/wc.c")).unwrap();
    let (lines, words) = (source.lines().count(), source.split_whitespace().count());
    let run = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[
        "run",
        "--dir",
        "examples",
        "examples/wc.wasm",
        "examples/wc.c",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{lines:7} {words:7} {:7} examples/wc.c\n", source.len())
    );
    // Without --dir the program sees no files: its own error and exit status 1.
    let o = run(&["run", "examples/wc.wasm", "examples/wc.c"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "wc: examples/wc.c: Capabilities insufficient\n");
    // The gas report of a WASI run.
    let o = run(&[
        "run",
        "--gas-report",
        "-",
        "examples/wc.wasm",
        "missing.txt",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(r#"{"outcome":"exit","exit_code":1,"trap":null"#),
        "{}",
        stderr(&o)
    );
}

/// Runs ssvm-lite with its address space capped at about 2 GB, as an operator's `ulimit -v`.
fn ssvm_lite_in_2gb(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2000000 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .output()
        .expect("sh runs")
}

#[test]
fn a_memory_the_host_cannot_give_is_an_instantiation_error_not_an_abort() {
    let f = wat_file(
        "huge-memory.wasm",
        r#"(module (memory 65536) (func (export "f") (result i32) (memory.size)))"#,
    );
    let o = ssvm_lite_in_2gb(&["run", "--invoke", "f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot allocate a memory of 65536 pages"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn memory_grow_past_what_the_host_can_give_returns_minus_one() {
    // Grows one page at a time until memory.grow fails, then returns the pages it reached.
    let f = wat_file(
        "grow-until-refused.wasm",
        r#"(module (memory 1)
             (func (export "f") (result i32)
               (loop $again
                 (br_if $again (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
               (memory.size)))"#,
    );
    let o = ssvm_lite_in_2gb(&["run", "--invoke", "f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let pages: u32 = stdout(&o).trim().parse().expect("a page count");
    assert!((1000..32768).contains(&pages), "{pages} pages");
}

fn leb(mut n: u32, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, content: &[u8]) -> Vec<u8> {
    let mut s = vec![id];
    leb(content.len() as u32, &mut s);
    s.extend_from_slice(content);
    s
}

#[test]
fn compiling_functions_that_declare_millions_of_locals_takes_memory_by_module_size() {
    // 64 functions that each declare 16,000,000 i64 locals (a few bytes each): a frame template
    // per function would be 8 GB, past the 2 GB this run may use.
    let funcs = 64u32;
    let types = [1, 0x60, 0, 0];
    let mut decls = Vec::new();
    leb(funcs, &mut decls);
    decls.extend(std::iter::repeat_n(0, funcs as usize));
    let mut body = vec![1];
    leb(16_000_000, &mut body);
    body.extend([0x7e, 0x0b]);
    let mut code = Vec::new();
    leb(funcs, &mut code);
    for _ in 0..funcs {
        leb(body.len() as u32, &mut code);
        code.extend_from_slice(&body);
    }
    let export = [1, 1, b'f', 0, 0];
    let bytes = module(&[
        &section(1, &types),
        &section(3, &decls),
        &section(7, &export),
        &section(10, &code),
    ]);
    let f = scratch_file("many-locals.wasm", &bytes);
    let o = ssvm_lite_in_2gb(&["run", "--invoke", "f", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
}

/// `examples/exceptions.wat`: a program in the shape of C++ exceptions (a throw three to five
/// frames down, destructors run by `catch_all_ref` and `throw_ref` on the way, caught in
/// `main`), then, given an argument, one that nothing catches.
#[test]
fn a_program_that_throws_and_catches_runs_and_an_uncaught_exception_is_a_trap() {
    let path = wat_file(
        "exceptions-example.wasm",
        include_str!("../../../examples/exceptions.wat"),
    );
    let path = path.to_str().unwrap();
    for metered in [&[][..], &["--gas-limit", "1000000"]] {
        let mut args = vec!["run"];
        args.extend_from_slice(metered);
        args.push(path);
        let o = ssvm_lite(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "caught 126, destroyed 12\n");
        args.push("uncaught");
        let o = ssvm_lite(&args);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "caught 126, destroyed 12\n");
        assert!(
            stderr(&o).contains("uncaught exception (tag \"__cpp_exception\")"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_memory64_module_validates_and_runs() {
    // (memory i64 1) (func (export "f") (result i64) (memory.size))
    let bytes = module(&[
        &[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7e],
        &[0x03, 0x02, 0x01, 0x00],
        &[0x05, 0x03, 0x01, 0x04, 0x01],
        &[0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00],
        &[0x0a, 0x06, 0x01, 0x04, 0x00, 0x3f, 0x00, 0x0b],
    ]);
    let path = scratch_file("memory64.wasm", &bytes);
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let o = ssvm_lite(&["run", "--invoke", "f", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "1");
}

#[test]
fn a_wasi_module_with_a_64_bit_memory_is_refused_naming_it() {
    // Imports `proc_exit`, has (memory i64 1) and an empty `_start`.
    let mut import = vec![0x02, 0x24, 0x01, 0x16];
    import.extend_from_slice(b"wasi_snapshot_preview1");
    import.push(0x09);
    import.extend_from_slice(b"proc_exit");
    import.extend_from_slice(&[0x00, 0x01]);
    let bytes = module(&[
        &[0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00],
        &import,
        &[0x03, 0x02, 0x01, 0x00],
        &[0x05, 0x03, 0x01, 0x04, 0x01],
        &[
            0x07, 0x0a, 0x01, 0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x01,
        ],
        &[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b],
    ]);
    let path = scratch_file("wasi_memory64.wasm", &bytes);
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let o = ssvm_lite(&["run", path.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(err.contains("memory is 64-bit (memory64)"), "{err}");
    assert!(err.contains("WASI preview 1"), "{err}");
}
