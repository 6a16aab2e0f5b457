//! Typed function references: `call_ref` of a function reference no table holds, its null
//! trap, `br_on_null` and `br_on_non_null`, `ref.as_non_null`, non-nullable locals, an endless
//! `return_call_ref` loop in constant memory, and the exact gas of each (docs/metering.md:
//! `br_on_*` are conditional branches, `call_ref` and `return_call_ref` calls).

mod common;
use common::{resume_to_the_end, wat};
use ssvm_runtime::{Config, CostTable, Engine, Error, Instance, Linker, Module, Store, Trap, Val};
use std::sync::Arc;

const MODULE: &str = r#"
(module
  (type $unary (func (param i32) (result i32)))
  (type $count (func (param i64 i64) (result i64)))
  (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $unary) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $double $inc $loop)
  ;; A reference held in a non-nullable local, set before it is read; no table anywhere.
  (func (export "apply") (param $which i32) (param $x i32) (result i32)
    (local $f (ref $unary))
    (local.set $f (select (result (ref $unary))
      (ref.func $double) (ref.func $inc) (local.get $which)))
    (call_ref $unary (local.get $x) (local.get $f)))
  (func (export "call_null") (result i32)
    (call_ref $unary (i32.const 1) (ref.null $unary)))
  (func (export "as_non_null") (param $null i32) (result i32)
    (call_ref $unary (i32.const 5)
      (ref.as_non_null (if (result (ref null $unary)) (local.get $null)
        (then (ref.null $unary)) (else (ref.func $inc))))))
  ;; 10 + the callee's result when the reference is not null, 99 when it is.
  (func $on_null (param $f (ref null $unary)) (result i32)
    (block $null
      (return (i32.add (i32.const 10)
        (call_ref $unary (i32.const 1) (br_on_null $null (local.get $f))))))
    (i32.const 99))
  ;; 20 + the callee's result when the reference is not null, 77 when it is.
  (func $on_non_null (param $f (ref null $unary)) (result i32) (local $g (ref $unary))
    (local.set $g (block $some (result (ref $unary))
      (br_on_non_null $some (local.get $f))
      (return (i32.const 77))))
    (i32.add (i32.const 20) (call_ref $unary (i32.const 3) (local.get $g))))
  (func (export "br_on_null") (param $null i32) (result i32)
    (call $on_null (select (result (ref null $unary))
      (ref.null $unary) (ref.func $double) (local.get $null))))
  (func (export "br_on_non_null") (param $null i32) (result i32)
    (call $on_non_null (select (result (ref null $unary))
      (ref.null $unary) (ref.func $double) (local.get $null))))
  ;; Counts down by tail calls through a reference to itself.
  (func $loop (export "loop") (type $count)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_ref $count
        (i64.sub (local.get 0) (i64.const 1))
        (i64.add (local.get 1) (i64.const 1))
        (ref.func $loop))))))
"#;

fn instance(config: Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, &wat(MODULE)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn metered() -> Config {
    Config {
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        ..Config::default()
    }
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> Result<Val, Error> {
    let f = instance.get_func(store, name).expect("exported");
    let mut results = [Val::I32(0)];
    f.call(store, args, &mut results)?;
    Ok(results[0])
}

fn trap(result: Result<Val, Error>) -> Trap {
    match result {
        Err(Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn call_ref_calls_a_reference_no_table_holds_and_null_traps() {
    for config in [Config::default(), metered()] {
        let (mut store, i) = instance(config);
        let apply = |store: &mut Store<()>, which, x| call(store, i, "apply", &[which, x]);
        assert_eq!(
            apply(&mut store, Val::I32(1), Val::I32(21)).unwrap(),
            Val::I32(42)
        );
        assert_eq!(
            apply(&mut store, Val::I32(0), Val::I32(21)).unwrap(),
            Val::I32(22)
        );
        let null = trap(call(&mut store, i, "call_null", &[]));
        assert_eq!(null.message(), "null function reference");
        assert_eq!(
            call(&mut store, i, "as_non_null", &[Val::I32(0)]).unwrap(),
            Val::I32(6)
        );
        let null = trap(call(&mut store, i, "as_non_null", &[Val::I32(1)]));
        assert_eq!(null.message(), "null reference");
    }
}

#[test]
fn br_on_null_and_br_on_non_null_branch_on_null_exactly() {
    for config in [Config::default(), metered()] {
        let (mut store, i) = instance(config);
        let run = |store: &mut Store<()>, name, null| call(store, i, name, &[Val::I32(null)]);
        assert_eq!(run(&mut store, "br_on_null", 0).unwrap(), Val::I32(12));
        assert_eq!(run(&mut store, "br_on_null", 1).unwrap(), Val::I32(99));
        assert_eq!(run(&mut store, "br_on_non_null", 0).unwrap(), Val::I32(26));
        assert_eq!(run(&mut store, "br_on_non_null", 1).unwrap(), Val::I32(77));
    }
}

#[test]
fn an_endless_return_call_ref_loop_runs_in_a_few_frames() {
    // 3 million tail calls in a store of 4 frames and 128 slots, on a small host stack; with
    // gas, every one is paid.
    for config in [Config::default(), metered()] {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let metered = config.cost_table.is_some();
                let (mut store, i) = instance(Config {
                    max_call_depth: 4,
                    max_stack_slots: 128,
                    ..config
                });
                if metered {
                    store.set_gas_limit(u64::MAX);
                }
                let n = 3_000_000;
                let args = [Val::I64(n), Val::I64(0)];
                assert_eq!(call(&mut store, i, "loop", &args).unwrap(), Val::I64(n));
                if metered {
                    // Per iteration: local.get, i64.eqz, if, 4 + 4 for the arguments,
                    // ref.func, return_call_ref; the last: local.get, i64.eqz, if, local.get,
                    // end, end.
                    assert_eq!(store.gas_used(), 11 * n as u64 + 6);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// The gas of `name(null)` with every instruction priced 1, counted by hand. The caller pays
/// 6: `ref.null`, `ref.func`, `local.get`, `select`, `call`, and its `end` after the return.
fn br_on_gas(name: &str, null: i32) -> u64 {
    match (name, null) {
        // `$on_null`: block, two i32.const, local.get, br_on_null; not taken, call_ref,
        // `$double` (local.get, i32.const, i32.mul, end), i32.add, return; taken, i32.const 99
        // and end.
        ("br_on_null", 0) => 6 + 5 + 1 + 4 + 2,
        ("br_on_null", 1) => 6 + 5 + 2,
        // `$on_non_null`: block, local.get, br_on_non_null; taken, local.set, two i32.const,
        // local.get, call_ref, `$double` (4), i32.add, end; not taken, i32.const 77, return.
        ("br_on_non_null", 0) => 6 + 3 + 5 + 4 + 2,
        ("br_on_non_null", 1) => 6 + 3 + 2,
        _ => unreachable!(),
    }
}

#[test]
fn br_on_null_and_br_on_non_null_stop_exactly_at_every_limit() {
    for name in ["br_on_null", "br_on_non_null"] {
        for null in [0, 1] {
            let total = br_on_gas(name, null);
            let (mut store, i) = instance(metered());
            store.set_gas_limit(total);
            let expected = call(&mut store, i, name, &[Val::I32(null)]).unwrap();
            assert_eq!(store.gas_used(), total, "{name}({null})");
            for limit in 0..total {
                let (mut store, i) = instance(metered());
                store.set_gas_limit(limit);
                match call(&mut store, i, name, &[Val::I32(null)]) {
                    Err(Error::OutOfGas { used }) => assert_eq!(used, limit, "limit {limit}"),
                    other => panic!("{name}({null}) limit {limit}: {other:?}"),
                }
                assert_eq!(resume_to_the_end(&mut store, 3), expected, "limit {limit}");
                assert_eq!(store.gas_used(), total, "{name}({null}) limit {limit}");
            }
        }
    }
}
