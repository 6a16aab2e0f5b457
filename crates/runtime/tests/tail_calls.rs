//! Tail calls (`return_call`, `return_call_indirect`): the callee's frame replaces the caller's,
//! so endless tail recursion runs in constant memory; host callees, traps, and their metering
//! (docs/metering.md: a tail call is a call that also leaves the frame).

mod common;
use common::{histogram_by_name, owned, resume_to_the_end, wat};
use ssvm_runtime::{
    Config, CostTable, Engine, Error, FuncType, Instance, Linker, Module, Store, Trap, Val, ValType,
};
use std::sync::Arc;

/// `big` has 40 declared locals more than `small`, so a tail call from `small` to `big` needs a
/// bigger frame at the same place; `big` checks that its locals start at zero although the
/// slots held its caller's values.
fn module_text() -> String {
    let locals = "i64 ".repeat(40);
    format!(
        r#"(module
  (import "env" "double" (func $double (param i64) (result i64)))
  (type $t (func (param i64 i64) (result i64)))
  (table 5 funcref)
  (elem (i32.const 0) $count $indirect $host_through_table $add $double)
  (func $count (export "count") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1))
                                (i64.add (local.get 1) (i64.const 1))))))
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $indirect (export "indirect") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_indirect (type $t)
              (i64.sub (local.get 0) (i64.const 1))
              (i64.add (local.get 1) (i64.const 2))
              (i32.const 1)))))
  (func $small (export "small") (param i64) (result i64) (local i64)
    (local.set 1 (i64.const -1))
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
      (else (return_call $big (local.get 0) (i64.const 5)))))
  (func $big (param i64 i64) (result i64) (local {locals})
    (if (i64.ne (local.get 41) (i64.const 0)) (then unreachable))
    (if (i64.ne (local.get 2) (i64.const 0)) (then unreachable))
    (local.set 41 (i64.add (local.get 0) (local.get 1)))
    (return_call $small (i64.sub (i64.sub (local.get 41) (local.get 1)) (i64.const 1))))
  (func $via_host (export "via_host") (param i64) (result i64)
    (return_call $double (i64.add (local.get 0) (i64.const 1))))
  (func $host_through_table (param i64 i64) (result i64)
    (return_call_indirect (type $t) (local.get 0) (local.get 1) (i32.const 3)))
  (func (export "calls_via_host") (result i64)
    (i64.add (call $via_host (i64.const 20)) (i64.const 1000)))
  (func (export "host_indirect") (param i64) (result i64)
    (return_call_indirect (param i64) (result i64) (local.get 0) (i32.const 4)))
  (func $add (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func $g (param i32) (result i32) (return_call $h (local.get 0)))
  (func $h (param i32) (result i32)
    (if (local.get 0) (then unreachable)) (i32.const 9))
  (func $f (export "f") (param i32) (result i32) (i32.add (call $g (local.get 0)) (i32.const 1))))"#
    )
}

fn linker<T>() -> Linker<T> {
    let mut linker = Linker::new();
    let ty = FuncType {
        params: vec![ValType::I64].into(),
        results: vec![ValType::I64].into(),
    };
    linker.func_new("env", "double", ty, |_, args, results| {
        let Val::I64(x) = args[0] else { unreachable!() };
        results[0] = Val::I64(2 * x);
        Ok(())
    });
    linker
}

/// A store whose value stack holds 128 slots and whose call stack holds 4 frames: any tail
/// call that kept its caller's frame would exhaust one of them within a few calls.
fn small_store(config: Config) -> (Store<()>, Instance) {
    let engine = Engine::new(Config {
        max_call_depth: 4,
        max_stack_slots: 128,
        ..config
    });
    let module = Module::new(&engine, &wat(&module_text())).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = linker().instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> Result<Val, Error> {
    let f = instance.get_func(store, name).expect("exported");
    let mut results = [Val::I32(0)];
    let n = f.ty(store).results.len();
    f.call(store, args, &mut results[..n])?;
    Ok(results[0])
}

const MILLIONS: i64 = 3_000_000;

fn endless_loops_run_in_constant_memory(config: Config) {
    // On a small host stack too: tail calls never recurse on it.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let (mut store, instance) = small_store(config);
            let (n, zero) = (Val::I64(MILLIONS), Val::I64(0));
            let count = call(&mut store, instance, "count", &[n, zero]);
            assert_eq!(count.unwrap(), Val::I64(MILLIONS), "self tail recursion");
            let even = call(&mut store, instance, "even", &[n]);
            assert_eq!(even.unwrap(), Val::I32(1), "mutual tail recursion");
            let indirect = call(&mut store, instance, "indirect", &[n, zero]);
            assert_eq!(indirect.unwrap(), Val::I64(2 * MILLIONS), "through a table");
            let small = call(&mut store, instance, "small", &[n]);
            assert_eq!(small.unwrap(), Val::I64(7), "to a bigger frame and back");
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn millions_of_tail_calls_run_in_a_few_frames() {
    endless_loops_run_in_constant_memory(Config::default());
}

#[test]
fn millions_of_metered_tail_calls_run_in_a_few_frames() {
    endless_loops_run_in_constant_memory(Config {
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        gas_profile: true,
        histogram: true,
        ..Config::default()
    });
}

#[test]
fn the_same_loops_as_plain_calls_exhaust_the_small_stack() {
    // The control: with `call` instead of `return_call`, the same store traps at once.
    let text = module_text().replace("return_call $count", "call $count");
    let engine = Engine::new(Config {
        max_call_depth: 4,
        max_stack_slots: 128,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(&text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = linker().instantiate(&mut store, &module).unwrap();
    let count = call(&mut store, instance, "count", &[Val::I64(10), Val::I64(0)]);
    assert_eq!(count, Err(Error::Trap(Trap::CallStackExhausted)));
}

#[test]
fn tail_calls_of_host_functions_return_to_the_callers_caller() {
    let (mut store, instance) = small_store(Config::default());
    let direct = call(&mut store, instance, "via_host", &[Val::I64(20)]);
    assert_eq!(direct.unwrap(), Val::I64(42));
    let nested = call(&mut store, instance, "calls_via_host", &[]);
    assert_eq!(nested.unwrap(), Val::I64(1042));
    let indirect = call(&mut store, instance, "host_indirect", &[Val::I64(4)]);
    assert_eq!(indirect.unwrap(), Val::I64(8));
}

#[test]
fn a_trap_after_a_tail_call_has_no_frame_of_the_replaced_caller() {
    // f calls g, g tail-calls h, h traps: g's frame is gone.
    let (mut store, instance) = small_store(Config::default());
    assert_eq!(
        call(&mut store, instance, "f", &[Val::I32(0)]),
        Ok(Val::I32(10))
    );
    let trap = call(&mut store, instance, "f", &[Val::I32(1)]);
    assert_eq!(trap, Err(Error::Trap(Trap::Unreachable)));
    assert_eq!(store.trap_backtrace(), ["h", "f"]);
}

fn metered(text: &str, table: CostTable, profile: bool) -> (Store<()>, Instance) {
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        gas_profile: profile,
        histogram: profile,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = linker().instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// `main` calls `f`, which tail-calls `g`. Priced 1 each: main `call`, `drop`, `end` (3); f
/// `i32.const`, `return_call` (2, its `end` never runs); g `local.get`, `i32.const`,
/// `i32.add`, `end` (4).
const CHAIN: &str = r#"(module
  (func $main (export "main") (call $f) (drop))
  (func $f (export "f") (result i32) (return_call $g (i32.const 5)))
  (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;

#[test]
fn a_tail_call_is_charged_once_and_the_caller_executes_nothing_after_it() {
    let (mut store, instance) = metered(CHAIN, CostTable::uniform(1), true);
    call(&mut store, instance, "main", &[]).unwrap();
    assert_eq!(store.gas_used(), 9);
    let expected = [
        ("call", 1),
        ("drop", 1),
        ("end", 2),
        ("i32.add", 1),
        ("i32.const", 2),
        ("local.get", 1),
        ("return_call", 1),
    ];
    assert_eq!(histogram_by_name(&store), owned(&expected));
}

#[test]
fn gas_profiles_put_the_callee_in_the_replaced_callers_place() {
    let (mut store, instance) = metered(CHAIN, CostTable::uniform(1), true);
    call(&mut store, instance, "main", &[]).unwrap();
    let profile = store.gas_profile();
    let expected = [("main", 3), ("main;f", 2), ("main;g", 4)];
    let expected: Vec<(String, u64)> = expected.iter().map(|&(p, g)| (p.into(), g)).collect();
    assert_eq!(profile, expected);
    // Called from the embedder, the outermost function itself is replaced.
    let (mut store, instance) = metered(CHAIN, CostTable::uniform(1), true);
    assert_eq!(call(&mut store, instance, "f", &[]), Ok(Val::I32(6)));
    let expected: Vec<(String, u64)> = vec![("f".into(), 2), ("g".into(), 4)];
    assert_eq!(store.gas_profile(), expected);
}

#[test]
fn a_tail_loop_keeps_a_gas_profile_of_two_paths() {
    let (mut store, instance) = metered(&module_text(), CostTable::uniform(1), true);
    call(&mut store, instance, "even", &[Val::I64(1000)]).unwrap();
    let profile = store.gas_profile();
    let paths: Vec<&str> = profile.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["even", "odd"]);
    let total: u64 = profile.iter().map(|(_, g)| g).sum();
    assert_eq!(total, store.gas_used());
    // Per call of even or odd: local.get, i64.eqz, if, local.get, i64.const, i64.sub,
    // return_call (7); the last one: local.get, i64.eqz, if, i32.const, end, end (6).
    assert_eq!(store.gas_used(), 7 * 1000 + 6);
}

#[test]
fn a_host_tail_call_pays_the_hosts_price_and_resumes_exactly_after_out_of_gas() {
    let mut table = CostTable::uniform(1);
    table.set_host("env", "double", 10);
    // via_host: local.get, i64.const, i64.add, return_call (4) and the host's 10.
    let total = 14;
    let (mut store, instance) = metered(&module_text(), table.clone(), false);
    let result = call(&mut store, instance, "via_host", &[Val::I64(20)]);
    assert_eq!(result, Ok(Val::I64(42)));
    assert_eq!(store.gas_used(), total);
    for limit in 0..total {
        let (mut store, instance) = metered(&module_text(), table.clone(), false);
        store.set_gas_limit(limit);
        let stopped = call(&mut store, instance, "via_host", &[Val::I64(20)]);
        let expected_used = if limit < 4 { limit } else { 3 };
        assert_eq!(
            stopped,
            Err(Error::OutOfGas {
                used: expected_used
            }),
            "limit {limit}"
        );
        assert_eq!(
            resume_to_the_end(&mut store, 1),
            Val::I64(42),
            "limit {limit}"
        );
        assert_eq!(store.gas_used(), total, "limit {limit}");
    }
}

#[test]
fn a_tail_loop_stopped_by_out_of_gas_resumes_to_the_same_end() {
    let (mut store, instance) = metered(&module_text(), CostTable::uniform(1), false);
    let args = [Val::I64(50), Val::I64(0)];
    assert_eq!(
        call(&mut store, instance, "small", &args[..1]),
        Ok(Val::I64(7))
    );
    let total = store.gas_used();
    for limit in (0..total).step_by(7) {
        let (mut store, instance) = metered(&module_text(), CostTable::uniform(1), false);
        store.set_gas_limit(limit);
        let stopped = call(&mut store, instance, "small", &args[..1]);
        assert_eq!(
            stopped,
            Err(Error::OutOfGas { used: limit }),
            "limit {limit}"
        );
        assert_eq!(
            resume_to_the_end(&mut store, 5),
            Val::I64(7),
            "limit {limit}"
        );
        assert_eq!(store.gas_used(), total, "limit {limit}");
    }
}
