//! `Linker::instantiate_pre`: imports resolved once, instances made from it behave as
//! `Linker::instantiate`'s do (same results, same host prices, a store of their own each).

use ssvm_runtime::{
    Config, CostTable, Engine, Error, Extern, FuncType, Linker, Module, Store, Val, ValType,
};
use std::sync::Arc;

mod common;
use common::wat;

/// Calls the host `env::add1` twice on its argument, and counts its calls in a global.
const MODULE: &str = r#"(module
  (import "env" "add1" (func $add1 (param i32) (result i32)))
  (global $calls (mut i32) (i32.const 0))
  (func (export "twice") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $add1 (call $add1 (local.get 0))))
  (func (export "calls") (result i32) (global.get $calls)))"#;

fn linker() -> Linker<()> {
    let mut linker = Linker::new();
    let ty = FuncType {
        params: Box::new([ValType::I32]),
        results: Box::new([ValType::I32]),
    };
    linker.func_new("env", "add1", ty, |_, args, results| {
        if let Val::I32(x) = args[0] {
            results[0] = Val::I32(x + 1);
        }
        Ok(())
    });
    linker
}

fn call(store: &mut Store<()>, instance: ssvm_runtime::Instance, name: &str, args: &[Val]) -> i32 {
    let f = instance.get_func(store, name).unwrap();
    let mut out = [Val::I32(0)];
    f.call(store, args, &mut out).unwrap();
    match out[0] {
        Val::I32(x) => x,
        _ => panic!("an i32"),
    }
}

#[test]
fn pre_linked_instances_match_linked_ones_and_are_fresh() {
    let mut table = CostTable::default_table();
    table.set_host("env", "add1", 100);
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(MODULE)).unwrap();
    let linker = linker();
    let pre = linker.instantiate_pre(&engine, &module).unwrap();
    let mut gas = Vec::new();
    for linked in [true, false, false] {
        let mut store = Store::new(&engine, ());
        store.set_gas_limit(1_000_000);
        let instance = if linked {
            linker.instantiate(&mut store, &module).unwrap()
        } else {
            pre.instantiate(&mut store).unwrap()
        };
        assert_eq!(call(&mut store, instance, "twice", &[Val::I32(5)]), 7);
        gas.push(store.gas_used());
        // Nothing of an earlier instance is seen.
        assert_eq!(call(&mut store, instance, "calls", &[]), 1);
    }
    assert!(gas[0] > 200, "the host's price is charged: {gas:?}");
    assert_eq!(gas[0], gas[1]);
    assert_eq!(gas[1], gas[2]);
    // A store of an engine with other prices gets its own.
    let other = Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::default_table())),
        ..Config::default()
    });
    let mut store = Store::new(&other, ());
    store.set_gas_limit(1_000_000);
    let instance = pre.instantiate(&mut store).unwrap();
    call(&mut store, instance, "twice", &[Val::I32(5)]);
    assert_eq!(store.gas_used(), gas[0] - 200);
}

#[test]
fn only_defined_host_functions_can_be_pre_linked() {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(MODULE)).unwrap();
    let e = Linker::<()>::new()
        .instantiate_pre(&engine, &module)
        .err()
        .unwrap();
    assert_eq!(e, Error::Link("unknown import `env::add1`".into()));
    let mut store = Store::new(&engine, ());
    let instance = linker().instantiate(&mut store, &module).unwrap();
    let Some(Extern::Func(f)) = instance.get_export(&store, "calls") else {
        panic!("a function")
    };
    let mut linker = Linker::<()>::new();
    linker.define("env", "add1", Extern::Func(f));
    let e = linker.instantiate_pre(&engine, &module).err().unwrap();
    assert!(e.to_string().contains("only host functions"), "{e}");
    // Metered differently from the store: refused.
    let metered = Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::default_table())),
        ..Config::default()
    });
    let pre = self::linker().instantiate_pre(&engine, &module).unwrap();
    let e = pre
        .instantiate(&mut Store::new(&metered, ()))
        .err()
        .unwrap();
    assert!(e.to_string().contains("metered differently"), "{e}");
}
