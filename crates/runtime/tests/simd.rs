//! v128 values in frames (two slots each, docs/ir.md): parameters, locals, results, globals,
//! `select`, calls between functions whose arguments mix v128 and scalars, host calls, and
//! the same results whether bodies are compiled at load or on first call, metered or not.

mod common;
use common::wat;
use ssvm_runtime::{Config, CostTable, Engine, FuncType, Linker, Module, Store, Val, ValType};
use std::sync::Arc;

const PROGRAM: &str = r#"
(module
  (import "host" "swap" (func $swap (param v128 i32) (result i32 v128)))
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  ;; Scalars before and after v128s: every slot position depends on the widths below it.
  (func $mix (param $a i32) (param $v v128) (param $b i64) (param $w v128) (result v128 i64 i32)
    (local $t v128) (local $k i32)
    (local.set $t (i32x4.add (local.get $v) (local.get $w)))
    (local.set $k (i32.add (local.get $a) (i32.const 1)))
    (local.get $t)
    (i64.add (local.get $b) (i64.extend_i32_u (local.get $k)))
    (local.get $k))
  (func (export "run") (param $n i32) (param $x v128) (result i32 v128)
    (local $acc v128) (local $s i64) (local $k i32)
    (local.set $acc (local.get $x))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $mix (local.get $n) (local.get $acc) (i64.const 10) (global.get $g))
        (local.set $k)
        (local.set $s)
        (local.set $acc)
        (global.set $g (i32x4.mul (global.get $g) (v128.const i32x4 2 2 2 2)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (select (result v128) (local.get $acc) (global.get $g) (local.get $k))
    (call $swap (i32.wrap_i64 (local.get $s))))
  ;; A v128 value carried through a block and a branch with an i32 below it.
  (func (export "branch") (param $c i32) (result i32 v128)
    (block $b (result i32 v128)
      (i32.const 7)
      (v128.const i64x2 5 6)
      (br_if $b (local.get $c))
      (drop)
      (drop)
      (i32.const 8)
      (v128.const i64x2 9 10))))
"#;

fn engine(lazy: bool, metered: bool) -> Engine {
    Engine::new(Config {
        lazy_compilation: lazy,
        cost_table: metered.then(|| Arc::new(CostTable::default_table())),
        ..Config::default()
    })
}

fn v128(lanes: [u32; 4]) -> Val {
    let mut bits = 0u128;
    for (i, l) in lanes.iter().enumerate() {
        bits |= u128::from(*l) << (32 * i);
    }
    Val::V128(bits)
}

fn run(lazy: bool, metered: bool) -> (Vec<Val>, Vec<Val>, Val, u64) {
    let engine = engine(lazy, metered);
    let module = Module::new(&engine, &wat(PROGRAM)).expect("loads");
    let mut store = Store::new(&engine, ());
    store.set_gas_limit(u64::MAX);
    let mut linker = Linker::new();
    let swap = FuncType {
        params: vec![ValType::V128, ValType::I32].into(),
        results: vec![ValType::I32, ValType::V128].into(),
    };
    linker.func_new("host", "swap", swap, |_, args, results| {
        results[0] = args[1];
        results[1] = args[0];
        Ok(())
    });
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let f = instance.get_func(&store, "run").expect("exported");
    let mut results = vec![Val::I32(0); 2];
    f.call(
        &mut store,
        &[Val::I32(3), v128([10, 20, 30, 40])],
        &mut results,
    )
    .expect("returns");
    let g = instance.get_func(&store, "branch").expect("exported");
    let mut taken = vec![Val::I32(0); 2];
    g.call(&mut store, &[Val::I32(1)], &mut taken)
        .expect("returns");
    let mut not_taken = vec![Val::I32(0); 2];
    g.call(&mut store, &[Val::I32(0)], &mut not_taken)
        .expect("returns");
    taken.extend(not_taken);
    let global = instance.get_global(&store, "g").expect("exported");
    (results, taken, global.get(&store), store.gas_used())
}

#[test]
fn v128_values_cross_calls_blocks_globals_and_the_host() {
    let (results, branch, global, _) = run(true, false);
    // Three rounds add g = (1,2,3,4), then twice and four times that.
    assert_eq!(results[1], v128([17, 34, 51, 68]));
    // The last round's `$s`: 10 + (1 + 1).
    assert_eq!(results[0], Val::I32(12));
    assert_eq!(global, v128([8, 16, 24, 32]));
    let i64x2 = |a: u64, b: u64| Val::V128(u128::from(a) | (u128::from(b) << 64));
    assert_eq!(
        branch,
        vec![Val::I32(7), i64x2(5, 6), Val::I32(8), i64x2(9, 10)]
    );
}

#[test]
fn lazy_and_eager_metered_and_not_agree() {
    let reference = run(true, false);
    for (lazy, metered) in [(false, false), (true, true), (false, true)] {
        let r = run(lazy, metered);
        assert_eq!(
            (&r.0, &r.1, &r.2),
            (&reference.0, &reference.1, &reference.2)
        );
        if metered {
            assert!(r.3 > 0);
        }
    }
    assert_eq!(run(true, true).3, run(false, true).3);
}
