//! Bad input as a newcomer meets it: each gets one clear line that names the file and says
//! what is wrong, and the documented exit code.

mod common;

use common::*;

/// The first line of standard error (the rest may be the usage).
fn first_line(o: &std::process::Output) -> String {
    stderr(o).lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_text_module_is_not_a_binary_module() {
    let text = b"(module (func (export \"f\")))\n";
    for name in ["text.wat", "text-named.wasm"] {
        let path = scratch_file(name, text);
        for command in ["validate", "run"] {
            let o = ssvm_lite(&[command, path.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(1), "{command} {name}");
            assert_eq!(
                stderr(&o),
                format!(
                    "error: {} is WebAssembly text, not a binary module: ssvm-lite reads only \
                     the binary format (.wasm); convert it first, e.g. with `wasm-tools parse` \
                     or `wat2wasm`\n",
                    path.display()
                ),
                "{command} {name}"
            );
        }
    }
}

#[test]
fn other_files_are_named_and_said_not_to_be_modules() {
    let path = scratch_file("elf.wasm", b"\x7fELF\x02\x01\x01\0\0\0");
    let o = ssvm_lite(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {} is not a WebAssembly binary module (it does not start with the bytes \
             \\0asm): magic header not detected at offset 0x0\n",
            path.display()
        )
    );
    let empty = scratch_file("empty.wasm", b"");
    let o = ssvm_lite(&["compile", "--dump-ir", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {} is empty, not a WebAssembly module\n",
            empty.display()
        )
    );
}

#[test]
fn a_truncated_module_says_so() {
    let whole = std::fs::read(example("wc.wasm")).unwrap();
    let half = scratch_file("half.wasm", &whole[..whole.len() / 2]);
    for command in ["validate", "run"] {
        let o = ssvm_lite(&[command, half.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{command}");
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("error: {}: ", half.display())),
            "{err}"
        );
        assert!(
            err.trim_end()
                .ends_with(&format!("the file has {})", whole.len() / 2))
                && err.contains("(the file is truncated: the section at offset 0x"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_gas_limit_beyond_u64_is_too_large() {
    let add = example("add.wasm");
    let o = ssvm_lite(&[
        "run",
        "--gas-limit",
        "18446744073709551616",
        add.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        first_line(&o),
        "error: --gas-limit `18446744073709551616` is too large (the most is \
         18446744073709551615)"
    );
    let o = ssvm_lite(&["run", "--gas-limit", "12x", add.to_str().unwrap()]);
    assert_eq!(
        first_line(&o),
        "error: --gas-limit needs a whole number, not `12x`"
    );
    let o = ssvm_lite(&[
        "run",
        "--gas-limit",
        "18_446_744_073_709_551_615",
        "--invoke",
        "add",
        add.to_str().unwrap(),
        "1",
        "2",
    ]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "3\n".into()));
}

#[test]
fn a_missing_cost_table_is_said_once() {
    let add = example("add.wasm");
    let missing = scratch_dir().join("no-such-table.toml");
    let o = ssvm_lite(&[
        "run",
        "--cost-table",
        missing.to_str().unwrap(),
        add.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "error: cannot read cost table {}: ",
            missing.display()
        )),
        "{err}"
    );
    assert_eq!(err.matches("no-such-table.toml").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// An empty cost table (nothing but blank lines and comments) is refused: an empty download
/// must not bill every instruction at 1 and every host call at nothing.
#[test]
fn an_empty_cost_table_is_refused() {
    let add = example("add.wasm");
    let with_table = |table: &std::path::Path| {
        let args = [
            "run",
            "--cost-table",
            table.to_str().unwrap(),
            "--invoke",
            "add",
        ];
        let mut args = args.to_vec();
        args.extend([add.to_str().unwrap(), "1", "2"]);
        ssvm_lite(&args)
    };
    for (name, text) in [
        ("empty.toml", &b""[..]),
        ("comments.toml", b"\n# only a comment\n   \n"),
    ] {
        let table = scratch_file(name, text);
        let o = with_table(&table);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert_eq!(stdout(&o), "", "{name}");
        assert_eq!(
            stderr(&o),
            format!(
                "error: cost table {} is empty: it sets no price (`default = 1` prices every \
                 instruction at 1)\n",
                table.display()
            )
        );
    }
    // One price is enough.
    let o = with_table(&scratch_file("one.toml", b"default = 1\n"));
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "3\n".into()));
}

const FLOATS: &str = r#"
(module
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "specials") (result f32 f32 f64 f64 f32 f64)
    (f32.div (f32.const 0) (f32.const 0))
    (f32.const -inf)
    (f64.const -nan)
    (f64.const nan:0x4)
    (f32.const nan:0x1234)
    (f64.const -0)))
"#;

#[test]
fn a_float_out_of_range_is_refused_not_taken_as_infinity() {
    let f = wat_file("floats.wasm", FLOATS);
    let f = f.to_str().unwrap();
    for (func, arg, message) in [
        (
            "f32",
            "1e39",
            "error: `1e39` is out of range for f32 (the largest finite f32 is 3.4028235e38)",
        ),
        (
            "f32",
            "-3.5e38",
            "error: `-3.5e38` is out of range for f32 (the largest finite f32 is 3.4028235e38)",
        ),
        (
            "f64",
            "1e309",
            "error: `1e309` is out of range for f64 (the largest finite f64 is \
             1.7976931348623157e308)",
        ),
        (
            "f32",
            "nan:0x800000",
            "error: `nan:0x800000` is not a valid f32",
        ),
        ("f32", "1.5x", "error: `1.5x` is not a valid f32"),
    ] {
        let o = ssvm_lite(&["run", "--invoke", func, f, arg]);
        assert_eq!(o.status.code(), Some(2), "{func} {arg}");
        assert_eq!(stderr(&o), format!("{message}\n"), "{func} {arg}");
    }
}

/// NaN and infinity print as arguments are spelled, so a result can be passed back in.
#[test]
fn nan_and_infinity_print_as_they_are_written() {
    let f = wat_file("floats-print.wasm", FLOATS);
    let f = f.to_str().unwrap();
    let o = ssvm_lite(&["run", "--invoke", "specials", f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 0/0 is a NaN of the canonical payload; its sign is not specified.
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0] == "nan" || lines[0] == "-nan", "{out}");
    assert_eq!(lines[1..], ["-inf", "-nan", "nan:0x4", "nan:0x1234", "-0"]);
    for (func, arg) in [
        ("f32", "inf"),
        ("f32", "-inf"),
        ("f32", "nan"),
        ("f32", "-nan"),
        ("f32", "nan:0x1234"),
        ("f64", "nan:0x4"),
        ("f64", "-0"),
        ("f32", "3.4028235e38"),
        ("f64", "0.1"),
    ] {
        let o = ssvm_lite(&["run", "--invoke", func, f, arg]);
        assert_eq!(o.status.code(), Some(0), "{func} {arg}: {}", stderr(&o));
        let shown = stdout(&o);
        let again = ssvm_lite(&["run", "--invoke", func, f, shown.trim_end()]);
        assert_eq!(stdout(&again), shown, "{func} {arg} round trip");
        if arg.contains("nan") || arg.contains("inf") || arg == "-0" {
            assert_eq!(shown, format!("{arg}\n"), "{func} {arg}");
        }
    }
}

#[test]
fn help_is_a_command_too() {
    let cases: [(&[&str], &str); 4] = [
        (&["help"], "ssvm-lite: a WebAssembly runtime"),
        (&["help", "run"], "usage: ssvm-lite run [OPTIONS]"),
        (&["help", "validate"], "usage: ssvm-lite validate FILE.wasm"),
        (&["help", "compile"], "usage: ssvm-lite compile --dump-ir"),
    ];
    for (args, start) in cases {
        let o = ssvm_lite(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).starts_with(start), "{args:?}: {}", stdout(&o));
        // The same text as --help.
        let mut flag: Vec<&str> = args[1..].to_vec();
        flag.push("--help");
        assert_eq!(stdout(&ssvm_lite(&flag)), stdout(&o), "{args:?}");
    }
    let o = ssvm_lite(&["help", "frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(first_line(&o), "error: unknown command `frobnicate`");
}
