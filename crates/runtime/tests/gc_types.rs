//! The GC proposal's types at run time: nulls of the `any` hierarchy (`anyref`, `eqref`,
//! `nullref`, ...) made by `ref.null`, kept in globals and tables, passed and returned through
//! the API as `Val::AnyRef(None)`, and priced as `ref.null` of any other type.

mod common;
use common::wat;
use ssvm_binary::Opcode;
use ssvm_runtime::{
    Config, CostTable, Engine, Error, Global, GlobalType, HeapType, Instance, Linker, Module,
    RefType, Store, Val, ValType,
};
use std::sync::Arc;

const MODULE: &str = r#"
(module
  (type $s (struct (field (mut i32))))
  (type $a (array i8))
  (global $any (export "any") anyref (ref.null any))
  (global $none (export "none") (mut nullref) (ref.null none))
  (global (export "eq") eqref (ref.null $s))
  (table $t 3 anyref)
  (func (export "null_any") (result anyref) (ref.null any))
  (func (export "null_none") (result nullref) (ref.null none))
  (func (export "null_struct") (result structref) (ref.null $s))
  (func (export "null_array") (result arrayref) (ref.null $a))
  (func (export "null_i31") (result i31ref) (global.get $none))
  (func (export "is_null") (param anyref) (result i32) (ref.is_null (local.get 0)))
  ;; The table's slot 0 after storing the argument there.
  (func (export "through_table") (param eqref) (result anyref)
    (table.set $t (i32.const 0) (local.get 0))
    (table.get $t (i32.const 0)))
  ;; 1 when the argument is null (br_on_null branches), 2 when not.
  (func (export "br_on_null") (param anyref) (result i32)
    (block $null
      (drop (br_on_null $null (local.get 0)))
      (return (i32.const 2)))
    (i32.const 1))
  (func (export "as_non_null") (param structref) (result (ref struct))
    (ref.as_non_null (local.get 0)))
  (func (export "select") (param i32) (result eqref)
    (select (result eqref) (ref.null i31) (ref.null $a) (local.get 0)))
  (func (export "grow") (result i32) (table.grow $t (ref.null none) (i32.const 2)))
  ;; Two `ref.null`s of two hierarchies, dropped: priced alike.
  (func (export "two_func_nulls") (drop (ref.null func)) (drop (ref.null nofunc)))
  (func (export "two_any_nulls") (drop (ref.null any)) (drop (ref.null $s)))
)
"#;

/// A store of an engine of `config` with `MODULE` instantiated in it.
fn instance(config: Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config);
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, &wat(MODULE)).expect("valid");
    match Linker::new().instantiate(&mut store, &module) {
        Ok(instance) => (store, instance),
        Err(e) => panic!("MODULE instantiates: {e}"),
    }
}

fn call(store: &mut Store<()>, i: Instance, name: &str, args: &[Val]) -> Result<Val, Error> {
    let f = i.get_func(store, name).expect("exported");
    let mut results = [Val::I32(-1)];
    let n = f.ty(store).results.len();
    f.call(store, args, &mut results[..n])?;
    Ok(results[0])
}

#[test]
fn nulls_of_the_any_hierarchy_come_back_as_anyref_nulls() {
    let (mut store, i) = instance(Config::default());
    for name in [
        "null_any",
        "null_none",
        "null_struct",
        "null_array",
        "null_i31",
    ] {
        let v = call(&mut store, i, name, &[]).unwrap();
        assert_eq!(v, Val::AnyRef(None), "{name}");
        assert_eq!(v.ty(), ValType::ANYREF);
        assert_eq!(v.to_string(), "null");
    }
    for name in ["any", "none", "eq"] {
        let g = i.get_global(&store, name).expect("exported");
        assert_eq!(g.get(&store), Val::AnyRef(None), "{name}");
    }
    let none = i.get_global(&store, "none").unwrap();
    assert_eq!(
        none.ty(&store).content,
        ValType::Ref(RefType::null(HeapType::None))
    );
}

#[test]
fn anyref_nulls_go_in_as_arguments_and_through_tables() {
    let (mut store, i) = instance(Config::default());
    let null = Val::AnyRef(None);
    assert_eq!(
        call(&mut store, i, "is_null", &[null]).unwrap(),
        Val::I32(1)
    );
    assert_eq!(call(&mut store, i, "through_table", &[null]).unwrap(), null);
    assert_eq!(
        call(&mut store, i, "br_on_null", &[null]).unwrap(),
        Val::I32(1)
    );
    assert_eq!(call(&mut store, i, "select", &[Val::I32(0)]).unwrap(), null);
    assert_eq!(call(&mut store, i, "grow", &[]).unwrap(), Val::I32(3));
    let e = call(&mut store, i, "as_non_null", &[null]).unwrap_err();
    match e {
        Error::Trap(t) => assert_eq!(t.message(), "null reference"),
        other => panic!("expected a trap, got {other:?}"),
    }
    // The null of another hierarchy is not an anyref.
    for other in [Val::FuncRef(None), Val::ExternRef(None), Val::ExnRef(None)] {
        let e = call(&mut store, i, "is_null", &[other]).unwrap_err();
        assert!(matches!(e, Error::Type(_)), "{other:?}: {e:?}");
    }
}

#[test]
fn host_globals_of_the_any_hierarchy_hold_its_null_only() {
    let engine = Engine::new(Config::default());
    let mut store = Store::new(&engine, ());
    for heap in [
        HeapType::Any,
        HeapType::Eq,
        HeapType::Struct,
        HeapType::None,
    ] {
        let ty = GlobalType {
            content: ValType::Ref(RefType::null(heap)),
            mutable: true,
        };
        let g = Global::new(&mut store, ty, Val::AnyRef(None)).expect("a null of its hierarchy");
        assert_eq!(g.get(&store), Val::AnyRef(None));
        assert!(
            Global::new(&mut store, ty, Val::FuncRef(None)).is_err(),
            "{heap}"
        );
        assert!(g.set(&mut store, Val::ExternRef(None)).is_err(), "{heap}");
    }
    // A non-nullable type has no value the host could give.
    let ty = GlobalType {
        content: ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Any,
        }),
        mutable: false,
    };
    assert!(Global::new(&mut store, ty, Val::AnyRef(None)).is_err());
}

#[test]
fn ref_null_of_any_heap_type_costs_what_ref_null_does() {
    let mut table = CostTable::default_table();
    table.set_instr(Opcode::RefNull, 7);
    table.set_instr(Opcode::Drop, 1);
    let config = Config {
        cost_table: Some(Arc::new(table)),
        ..Config::default()
    };
    let (mut store, i) = instance(config);
    let mut used = Vec::new();
    for name in ["two_func_nulls", "two_any_nulls"] {
        store.set_gas_limit(1_000);
        let before = store.gas_used();
        call(&mut store, i, name, &[]).unwrap();
        used.push(store.gas_used() - before);
    }
    assert_eq!(used[0], used[1], "{used:?}");
    // Both `ref.null`s are paid at the price set (and both `drop`s at theirs).
    let mut cheap = CostTable::default_table();
    cheap.set_instr(Opcode::RefNull, 0);
    cheap.set_instr(Opcode::Drop, 1);
    let (mut store, i) = instance(Config {
        cost_table: Some(Arc::new(cheap)),
        ..Config::default()
    });
    store.set_gas_limit(1_000);
    call(&mut store, i, "two_any_nulls", &[]).unwrap();
    assert_eq!(used[1] - store.gas_used(), 14);
}
