//! Threaded dispatch must not grow the host stack: in optimised builds every handler tail-calls
//! the next one. A long loop on a thread with a small stack overflows (and aborts the test
//! binary) if any handler on the loop's path stops tail-calling.

use ssvm_runtime::{Engine, Linker, Module, Store};

mod common;
use common::wat;

/// Loops `n` times through arithmetic, memory, globals, locals, select, calls and branches.
const LOOP: &str = r#"
(module
  (memory 1)
  (global $g (mut i64) (i64.const 0))
  (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  (func (export "spin") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $f f64)
    (loop $top
      (i32.store (i32.const 8) (local.get $i))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (i32.const 8)))))
      (local.set $f (f64.add (local.get $f) (f64.const 0.5)))
      (global.set $g (call $inc (global.get $g)))
      (local.set $acc (select (local.get $acc) (i64.const 0) (i32.const 1)))
      (br_if $top (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i64.add (local.get $acc) (global.get $g))))
"#;

#[test]
fn a_long_loop_runs_in_a_small_host_stack() {
    let n: i64 = 2_000_000;
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let engine = Engine::default();
            let module = Module::new(&engine, &wat(LOOP)).expect("valid");
            let mut store = Store::new(&engine, ());
            let instance = Linker::new()
                .instantiate(&mut store, &module)
                .expect("instantiates");
            let spin = instance
                .get_typed_func::<i32, i64, _>(&store, "spin")
                .unwrap();
            let expected = (0..n).sum::<i64>() + n;
            assert_eq!(spin.call(&mut store, n as i32).unwrap(), expected);
        })
        .unwrap()
        .join()
        .unwrap();
}
