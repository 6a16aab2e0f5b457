//! What a module keeps of its bytes: `Module::new` a copy of the part read after load,
//! `Module::from_shared` the caller's buffer itself. Either way the bodies lowered on first call
//! and the data segments (active, passive, dropped) must read the right bytes after the caller's
//! own copy is gone.

mod common;
use common::wat;
use ssvm_runtime::{Config, Engine, Linker, Module, Store, Val};
use std::sync::Arc;

/// A custom section before the code and one after the data, so that a copy of only the part
/// read after load starts and ends inside the module (`program` adds a kilobyte of data, so
/// that most of the module is read after load).
const PROGRAM: &str = r#"
(module
  (@custom "b" (before first) "0")
  (memory 1)
  (data (i32.const 16) "active")
  (data $passive "passive!")
  (func $sum (param $at i32) (param $n i32) (result i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total
          (i32.add (local.get $total) (i32.load8_u (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $total))
  (func (export "run") (result i32)
    (memory.init $passive (i32.const 100) (i32.const 0) (i32.const 8))
    (data.drop $passive)
    (i32.add (call $sum (i32.const 16) (i32.const 6))
             (call $sum (i32.const 100) (i32.const 8))))
  (func (export "init_again")
    (memory.init $passive (i32.const 200) (i32.const 0) (i32.const 1)))
  (@custom "a" (after data) "9"))
"#;

fn program() -> String {
    let filler = format!(
        "(memory 1)\n  (data (i32.const 1024) \"{}\")",
        "z".repeat(1024)
    );
    PROGRAM.replace("(memory 1)", &filler)
}

fn byte_sum(text: &str) -> i32 {
    text.bytes().map(i32::from).sum()
}

/// `run`'s result, then whether `init_again` trapped, in a fresh instance of `module`.
fn run(engine: &Engine, module: &Module) -> (i32, bool) {
    let mut store = Store::new(engine, ());
    let instance = Linker::new()
        .instantiate(&mut store, module)
        .expect("instantiates");
    let mut results = [Val::I32(0)];
    let run = instance.get_func(&store, "run").expect("exported");
    run.call(&mut store, &[], &mut results).expect("returns");
    let again = instance.get_func(&store, "init_again").expect("exported");
    let trapped = again.call(&mut store, &[], &mut []).is_err();
    let Val::I32(sum) = results[0] else {
        panic!("run returns an i32")
    };
    (sum, trapped)
}

#[test]
fn copied_and_shared_modules_read_the_same_bytes() {
    let engine = Engine::new(Config::default());
    let expected = (byte_sum("active") + byte_sum("passive!"), true);

    let bytes = wat(&program());
    let copied = Module::new(&engine, &bytes).expect("loads");
    drop(bytes);
    assert_eq!(run(&engine, &copied), expected);

    let shared_bytes = Arc::new(wat(&program()));
    let shared = Module::from_shared(&engine, shared_bytes.clone()).expect("loads");
    assert!(
        Arc::strong_count(&shared_bytes) > 1,
        "the module keeps the buffer itself"
    );
    drop(shared_bytes);
    assert_eq!(run(&engine, &shared), expected);
    // A second instance gets the passive segment back whole: dropping it is per instance.
    assert_eq!(run(&engine, &shared), expected);
    assert_eq!(run(&engine, &copied), expected);
}

#[test]
fn a_shared_module_that_does_not_load_lets_the_buffer_go() {
    let bytes = Arc::new(b"\0asm\x01\0\0\0\x0b".to_vec());
    assert!(Module::from_shared(&Engine::new(Config::default()), bytes.clone()).is_err());
    assert_eq!(Arc::strong_count(&bytes), 1);
}

#[test]
fn a_shared_module_mostly_of_custom_sections_keeps_a_copy() {
    // Debug information and the like are never read after load: the module copies what it
    // needs and lets the caller's buffer go.
    let debug = "x".repeat(64 * 1024);
    let text = program().replace("\"9\"", &format!("\"{debug}\""));
    let bytes = Arc::new(wat(&text));
    let engine = Engine::new(Config::default());
    let module = Module::from_shared(&engine, bytes.clone()).expect("loads");
    assert_eq!(Arc::strong_count(&bytes), 1);
    drop(bytes);
    let expected = (byte_sum("active") + byte_sum("passive!"), true);
    assert_eq!(run(&engine, &module), expected);
}
