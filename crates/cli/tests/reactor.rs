//! WASI reactors (`_initialize` before `--invoke`) and modules whose host is not here
//! (`--trap-unknown-imports`, `--default-values-unknown-imports`), as wasmtime's `run` takes them.

mod common;

use common::*;

/// A reactor with one import of its own embedder: `_initialize` sets a global that `run` adds to
/// what `host::call` returns; `plain` reads the global only; `_initialize` counts its calls.
const REACTOR: &str = r#"
(module
  (import "host" "call" (func $host (param i32) (result i32)))
  (import "host" "ref" (func $host_ref (result externref)))
  (global $base (mut i32) (i32.const 0))
  (global $inits (mut i32) (i32.const 0))
  (func (export "_initialize")
    (global.set $base (i32.const 40))
    (global.set $inits (i32.add (global.get $inits) (i32.const 1))))
  (func (export "run") (result i32)
    (i32.add (global.get $base) (call $host (i32.const 5))))
  (func (export "is_null") (result i32) (ref.is_null (call $host_ref)))
  (func (export "plain") (result i32) (global.get $base))
  (func (export "inits") (result i32) (global.get $inits)))
"#;

fn run(options: &[&str], export: &str) -> std::process::Output {
    // Tests run in parallel: each call writes a module of its own.
    let name = format!(
        "reactor-{}-{export}.wasm",
        options.join("").replace('-', "")
    );
    let path = wat_file(&name, REACTOR);
    let mut args = vec!["run"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["--invoke", export, path.to_str().unwrap()]);
    ssvm_lite(&args)
}

#[test]
fn unknown_imports_are_refused_by_default_naming_the_first() {
    let o = run(&[], "plain");
    assert_eq!(o.status.code(), Some(4), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown import `host::call`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn initialize_runs_once_before_the_invoked_export() {
    let o = run(&["--trap-unknown-imports"], "plain");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "40\n");
    assert_eq!(stdout(&run(&["--trap-unknown-imports"], "inits")), "1\n");
    // Invoking `_initialize` itself runs it once, not twice.
    let o = run(&["--trap-unknown-imports"], "_initialize");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
}

#[test]
fn a_trapping_unknown_import_traps_when_called_and_names_itself() {
    let o = run(&["--trap-unknown-imports"], "run");
    assert_eq!(o.status.code(), Some(3), "stderr: {}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown import `host::call` was called"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn default_value_unknown_imports_return_zeros_and_nulls() {
    let o = run(&["--default-values-unknown-imports"], "run");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "40\n");
    let o = run(&["--default-values-unknown-imports"], "is_null");
    assert_eq!(stdout(&o), "1\n", "stderr: {}", stderr(&o));
}

#[test]
fn the_two_unknown_import_options_exclude_each_other() {
    let o = run(
        &["--trap-unknown-imports", "--default-values-unknown-imports"],
        "run",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exclude each other"), "{}", stderr(&o));
}
