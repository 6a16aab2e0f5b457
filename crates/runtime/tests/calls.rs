//! Calls: deep recursion runs on the interpreter's own call stack, never on the host's, and
//! its exhaustion is the spec trap.

use ssvm_runtime::{Config, Engine, Error, Linker, Module, Store, Trap};

mod common;
use common::wat;

const RECURSIVE: &str = r#"
(module
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (param i32) (result i32)
    (call $forever (i32.add (local.get 0) (i32.const 1)))))
"#;

fn instance() -> (Store<()>, ssvm_runtime::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(RECURSIVE)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

#[test]
fn recursion_50000_deep_completes() {
    let (mut store, instance) = instance();
    let depth = instance
        .get_typed_func::<i32, i32, _>(&store, "depth")
        .unwrap();
    assert_eq!(depth.call(&mut store, 50_000).unwrap(), 50_000);
}

#[test]
fn endless_recursion_traps_and_the_store_stays_usable() {
    // A small host stack: if Wasm calls recursed on it, this would overflow instead of trapping.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let (mut store, instance) = instance();
            let forever = instance
                .get_typed_func::<i32, i32, _>(&store, "forever")
                .unwrap();
            match forever.call(&mut store, 0) {
                Err(Error::Trap(Trap::CallStackExhausted)) => {}
                other => panic!("expected call stack exhausted, got {other:?}"),
            }
            assert_eq!(Trap::CallStackExhausted.message(), "call stack exhausted");
            let depth = instance
                .get_typed_func::<i32, i32, _>(&store, "depth")
                .unwrap();
            assert_eq!(depth.call(&mut store, 10).unwrap(), 10);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Small configured limits are limits, not a reason to panic: a stack of 100 slots holds a few
/// frames, then the call stack is exhausted.
#[test]
fn small_stack_and_depth_limits_trap() {
    for config in [
        ssvm_runtime::Config {
            max_stack_slots: 100,
            ..Default::default()
        },
        ssvm_runtime::Config {
            max_call_depth: 3,
            ..Default::default()
        },
    ] {
        let engine = Engine::new(config);
        let module = Module::new(&engine, &wat(RECURSIVE)).expect("valid");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let f = instance.get_func(&store, "depth").unwrap();
        let mut r = [ssvm_runtime::Val::I32(0)];
        f.call(&mut store, &[ssvm_runtime::Val::I32(1)], &mut r)
            .unwrap();
        assert_eq!(r[0], ssvm_runtime::Val::I32(1));
        assert_eq!(
            f.call(&mut store, &[ssvm_runtime::Val::I32(1000)], &mut r),
            Err(Error::Trap(Trap::CallStackExhausted))
        );
    }
}

#[test]
fn the_stores_memory_limit_bounds_all_its_memories_together() {
    let engine = Engine::new(Config {
        max_memory_bytes: 10 * 65536,
        ..Config::default()
    });
    let text = r#"(module (memory 4)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32, _>(&store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 7).unwrap(), -1, "4 + 7 pages > 10");
    assert_eq!(grow.call(&mut store, 6).unwrap(), 4);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    // A second instance's memory counts against the same store.
    assert!(matches!(
        Linker::new().instantiate(&mut store, &module),
        Err(Error::Link(m)) if m.contains("memory limit")
    ));
}

#[test]
fn a_deep_traps_backtrace_keeps_its_ends_and_its_depth() {
    let text = r#"(module
      (func $rec (param i32)
        (if (i32.eqz (local.get 0)) (then unreachable))
        (call $rec (i32.sub (local.get 0) (i32.const 1))))
      (func (export "run") (call $rec (i32.const 3000))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    assert!(matches!(
        run.call(&mut store, &[], &mut []),
        Err(Error::Trap(Trap::Unreachable))
    ));
    // `run` and 3001 frames of `$rec`: the innermost and outermost 500 are kept.
    assert_eq!(store.trap_backtrace_depth(), 3002);
    let frames = store.trap_backtrace_frames();
    assert_eq!(frames.len(), 1000);
    assert!(frames[..999].iter().all(|&(_, f)| f == 0), "{frames:?}");
    assert_eq!(frames[999].1, 1);
}

/// Frame templates of every length across one, two and three copied chunks: `$tN` has N
/// declared locals and N distinct constants, and runs where `$dirty` just left 85 in every
/// slot, so a local the template failed to zero or a constant it failed to place (the chunk
/// padding after them must not disturb either) changes the sum. `tN(p)` returns p + 1 + 2 +
/// … + N.
#[test]
fn frame_templates_of_every_length_zero_locals_and_place_constants() {
    let mut text = String::from("(module\n");
    text.push_str(&format!("(func $dirty (local {})\n", "i64 ".repeat(40)));
    for i in 0..40 {
        text.push_str(&format!("(local.set {i} (i64.const 85))\n"));
    }
    text.push_str(")\n");
    for n in 0..=12 {
        let locals = "i64 ".repeat(n);
        let mut body = String::from("(i64.extend_i32_u (local.get 0))");
        for i in 0..n {
            body = format!(
                "(i64.add {body} (i64.add (local.get {}) (i64.const {})))",
                i + 1,
                i + 1
            );
        }
        text.push_str(&format!(
            "(func (export \"t{n}\") (param i32) (result i64) (local {locals}) {body})\n"
        ));
        text.push_str(&format!(
            "(func (export \"dirty_t{n}\") (param i32) (result i64) \
             (call $dirty) (call {n2} (local.get 0)))\n",
            n2 = 1 + 2 * n
        ));
    }
    text.push(')');
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(&text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    for n in 0..=12u64 {
        let f = instance
            .get_typed_func::<i32, i64, _>(&store, &format!("dirty_t{n}"))
            .unwrap();
        let expected = 1000 + (n * (n + 1) / 2) as i64;
        assert_eq!(f.call(&mut store, 1000).unwrap(), expected, "t{n}");
    }
}
