//! Interrupting running code from another thread (`Store::interrupt_handle`), as a timeout does.

use ssvm_runtime::{Config, CostTable, Engine, Error, Linker, Module, Store, Trap, Val};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wat;

/// Loops forever, calling a function on every turn: back edges and calls both get checked.
const SPIN: &str = r#"(module
  (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "spin") (result i32) (local $i i32)
    (loop $again
      (local.set $i (call $step (local.get $i)))
      (br $again))
    (local.get $i))
  (func (export "recurse") (result i32) (call 2)))"#;

fn interrupted_after(
    config: Config,
    export: &str,
    wait: Duration,
) -> (Result<(), Error>, Duration) {
    let engine = Engine::new(Config {
        interruptible: true,
        ..config
    });
    let module = Module::new(&engine, &wat(SPIN)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, export).unwrap();
    let handle = store.interrupt_handle();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(wait);
        handle.interrupt();
    });
    let start = Instant::now();
    let mut results = [Val::I32(0)];
    let outcome = f.call(&mut store, &[], &mut results);
    let took = start.elapsed();
    timer.join().unwrap();
    (outcome, took)
}

#[test]
fn an_endless_loop_stops_soon_after_the_interrupt() {
    for config in [
        Config::default(),
        Config {
            cost_table: Some(Arc::new(CostTable::default_table())),
            ..Config::default()
        },
        Config {
            cost_table: Some(Arc::new(CostTable::default_table())),
            histogram: true,
            ..Config::default()
        },
    ] {
        let (outcome, took) = interrupted_after(config, "spin", Duration::from_millis(50));
        assert_eq!(outcome, Err(Error::Trap(Trap::Interrupted)));
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

#[test]
fn an_interrupt_stops_calls_too_and_stays_until_reset() {
    let engine = Engine::new(Config {
        interruptible: true,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(SPIN)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "recurse").unwrap();
    let handle = store.interrupt_handle();
    handle.interrupt();
    let mut results = [Val::I32(0)];
    // The first call checks and traps before it recurses.
    assert_eq!(
        f.call(&mut store, &[], &mut results),
        Err(Error::Trap(Trap::Interrupted))
    );
    assert!(handle.is_interrupted());
    handle.reset();
    // Without the interrupt it recurses until the call stack is exhausted.
    assert_eq!(
        f.call(&mut store, &[], &mut results),
        Err(Error::Trap(Trap::CallStackExhausted))
    );
}

#[test]
fn the_gas_of_an_interrupted_call_is_what_ran() {
    let engine = Engine::new(Config {
        interruptible: true,
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(SPIN)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    store.interrupt_handle().interrupt();
    let f = instance.get_func(&store, "spin").unwrap();
    let mut results = [Val::I32(0)];
    assert_eq!(
        f.call(&mut store, &[], &mut results),
        Err(Error::Trap(Trap::Interrupted))
    );
    // `loop`, `local.get`, then the interrupted `call`, charged like a trapping instruction.
    assert_eq!(store.gas_used(), 3);
}
