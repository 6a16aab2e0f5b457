//! 64-bit memories and tables (memory64): i64 addresses, bounds checks that no address or
//! offset can wrap, grow bounded by the store's limits, and the 64-bit sizes.

use ssvm_runtime::{Config, Engine, Linker, Module, Store, Val};

mod common;
use common::wat;

const MODULE: &str = r#"(module
  (memory (export "mem") i64 1)
  (table $t i64 2 funcref)
  (elem (table $t) (i64.const 0) func $seven)
  (type $r (func (result i32)))
  (func $seven (result i32) (i32.const 7))
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i64) (result i32)
    (i32.load offset=0xffff_ffff_ffff_fff0 (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "table_size") (result i64) (table.size $t))
  (func (export "table_grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $r) (local.get 0))))"#;

fn setup(config: Config) -> (Store<()>, ssvm_runtime::Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, &wat(MODULE)).expect("a valid memory64 module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// Calls export `name`: its one result, or the trap's message.
fn call(store: &mut Store<()>, i: &ssvm_runtime::Instance, name: &str, args: &[Val]) -> String {
    let f = i.get_func(store, name).unwrap();
    let results = f.ty(store).results.len();
    let mut out = vec![Val::I32(0); results];
    match f.call(store, args, &mut out) {
        Ok(()) => out.first().map_or("()".into(), |v| format!("{v:?}")),
        Err(e) => e.to_string(),
    }
}

#[test]
fn addresses_above_4_gib_trap_and_offsets_do_not_wrap() {
    let (mut s, i) = setup(Config::default());
    assert_eq!(
        call(&mut s, &i, "store", &[Val::I64(8), Val::I32(42)]),
        "()"
    );
    assert_eq!(call(&mut s, &i, "load", &[Val::I64(8)]), "I32(42)");
    // 4 GiB + 8 is not address 8 of a 32-bit memory.
    let oob = call(&mut s, &i, "load", &[Val::I64((1 << 32) + 8)]);
    assert!(oob.contains("out of bounds memory access"), "{oob}");
    let oob = call(&mut s, &i, "store", &[Val::I64(-4), Val::I32(1)]);
    assert!(oob.contains("out of bounds memory access"), "{oob}");
    // An offset near 2^64 plus an address past it would wrap to a small address.
    let oob = call(&mut s, &i, "load_far", &[Val::I64(0x18)]);
    assert!(oob.contains("out of bounds memory access"), "{oob}");
}

#[test]
fn size_grow_and_bulk_instructions_take_i64s() {
    let (mut s, i) = setup(Config::default());
    assert_eq!(call(&mut s, &i, "size", &[]), "I64(1)");
    assert_eq!(call(&mut s, &i, "grow", &[Val::I64(2)]), "I64(1)");
    assert_eq!(call(&mut s, &i, "size", &[]), "I64(3)");
    // 2^40 pages: refused (-1 as an i64), never wrapped into a small grow.
    assert_eq!(call(&mut s, &i, "grow", &[Val::I64(1 << 40)]), "I64(-1)");
    assert_eq!(call(&mut s, &i, "grow", &[Val::I64(-1)]), "I64(-1)");
    assert_eq!(call(&mut s, &i, "size", &[]), "I64(3)");
    assert_eq!(
        call(
            &mut s,
            &i,
            "fill",
            &[Val::I64(100), Val::I32(0x55), Val::I64(4)]
        ),
        "()"
    );
    assert_eq!(
        call(
            &mut s,
            &i,
            "copy",
            &[Val::I64(200), Val::I64(100), Val::I64(4)]
        ),
        "()"
    );
    assert_eq!(
        call(&mut s, &i, "load", &[Val::I64(200)]),
        "I32(1431655765)"
    );
    // A length of 2^32 + 4 is not a length of 4.
    let oob = call(
        &mut s,
        &i,
        "fill",
        &[Val::I64(0), Val::I32(1), Val::I64((1 << 32) + 4)],
    );
    assert!(oob.contains("out of bounds memory access"), "{oob}");
    let oob = call(
        &mut s,
        &i,
        "copy",
        &[Val::I64(1 << 33), Val::I64(0), Val::I64(1)],
    );
    assert!(oob.contains("out of bounds memory access"), "{oob}");
}

#[test]
fn grow_is_bounded_by_the_stores_memory_limit() {
    let config = Config {
        max_memory_bytes: 4 * 65536,
        ..Config::default()
    };
    let (mut s, i) = setup(config);
    assert_eq!(call(&mut s, &i, "grow", &[Val::I64(3)]), "I64(1)");
    assert_eq!(call(&mut s, &i, "grow", &[Val::I64(1)]), "I64(-1)");
    assert!(s.memory_limit_reached());
}

#[test]
fn a_64_bit_table_takes_i64_indices() {
    let (mut s, i) = setup(Config::default());
    assert_eq!(call(&mut s, &i, "call", &[Val::I64(0)]), "I32(7)");
    let e = call(&mut s, &i, "call", &[Val::I64(1 << 32)]);
    assert!(e.contains("undefined element"), "{e}");
    assert_eq!(call(&mut s, &i, "table_size", &[]), "I64(2)");
    assert_eq!(call(&mut s, &i, "table_grow", &[Val::I64(3)]), "I64(2)");
    assert_eq!(
        call(&mut s, &i, "table_grow", &[Val::I64(1 << 40)]),
        "I64(-1)"
    );
    assert_eq!(call(&mut s, &i, "table_size", &[]), "I64(5)");
}

#[test]
fn the_memory_type_says_64_bit() {
    let (s, i) = setup(Config::default());
    let memory = i.get_memory(&s, "mem").unwrap();
    let ty = memory.ty(&s);
    assert!(ty.limits.is64);
    assert_eq!((ty.limits.min, ty.limits.max), (1, None));
}
