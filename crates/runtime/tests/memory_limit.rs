//! `Store::memory_limit_reached`: a `memory.grow` refused by the engine's limits is recorded,
//! one refused by the module's own maximum (or one that succeeds) is not.

use ssvm_runtime::{Config, Engine, Linker, Module, Store, Val};

mod common;
use common::wat;

/// Grows memory 0 by the argument and gives the result of `memory.grow`.
fn grower(limits: &str) -> String {
    format!(
        r#"(module (memory {limits})
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#
    )
}

/// The results of growing by each of `deltas` in turn, and whether the store then says a limit
/// was reached.
fn grow(config: Config, limits: &str, deltas: &[i32]) -> (Vec<i32>, bool) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, &wat(&grower(limits))).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "grow").unwrap();
    let mut got = Vec::new();
    for &d in deltas {
        let mut out = [Val::I32(0)];
        f.call(&mut store, &[Val::I32(d)], &mut out).unwrap();
        got.push(match out[0] {
            Val::I32(r) => r,
            _ => panic!("an i32"),
        });
    }
    (got, store.memory_limit_reached())
}

#[test]
fn a_grow_refused_by_the_page_cap_is_recorded() {
    let capped = || Config {
        max_memory_pages: 4,
        ..Config::default()
    };
    // Within the cap: no limit reached.
    assert_eq!(grow(capped(), "1", &[3]), (vec![1], false));
    // Past the cap, with no declared maximum or a larger one: reached.
    assert_eq!(grow(capped(), "1", &[3, 1]), (vec![1, -1], true));
    assert_eq!(grow(capped(), "1 100", &[4]), (vec![-1], true));
    // Past the module's own maximum, which is below the cap: not the engine's doing.
    assert_eq!(grow(capped(), "1 2", &[2]), (vec![-1], false));
    // Past what a 32-bit memory can ever have: not the engine's doing either.
    assert_eq!(grow(Config::default(), "1", &[65536]), (vec![-1], false));
}

#[test]
fn a_grow_refused_by_the_byte_budget_is_recorded() {
    let budget = Config {
        max_memory_bytes: 3 * 65536,
        ..Config::default()
    };
    assert_eq!(grow(budget.clone(), "1", &[2]), (vec![1], false));
    assert_eq!(grow(budget, "1", &[2, 1]), (vec![1, -1], true));
}
