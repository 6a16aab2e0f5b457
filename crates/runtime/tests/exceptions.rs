//! Exception handling: `throw` and `throw_ref` unwinding through the interpreter's frames to a
//! `try_table` handler, traps for what no handler catches, the store's budget for the
//! exceptions it keeps, and the metering of an unwind (docs/metering.md: an unwind is a
//! branch: nothing after the throw is charged in the frames it leaves).

mod common;
use common::{histogram_by_name, owned, resume_to_the_end, wat};
use ssvm_runtime::{Config, CostTable, Engine, Error, Instance, Module, Store, Trap, Val};
use std::sync::Arc;

const MODULE: &str = r#"(module
  (tag $e (export "e") (param i32))
  (tag $other)
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func $middle (param i32) (result i32)
    (call $thrower (local.get 0))
    (i32.const 99))
  ;; Caught two frames up: the payload reaches the handler's label.
  (func $across (export "across") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $middle (local.get 0))))
    (i32.const 1)
    (i32.add))
  ;; catch_ref, then throw_ref of the same exception to an outer handler.
  (func (export "rethrow") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (result i32) (catch $e $outer)
        (block $inner (result i32 exnref)
          (try_table (result i32) (catch_ref $e $inner)
            (call $middle (local.get 0)))
          (return))
        (throw_ref))))
  (func (export "uncaught") (call $thrower (i32.const 7)))
  ;; A clause of another tag lets the exception go on.
  (func (export "other_tag") (result i32)
    (block $h
      (try_table (catch $other $h) (call $thrower (i32.const 1)))
      (return (i32.const 0)))
    (i32.const 2))
  (func (export "null_ref") (local exnref) (throw_ref (local.get 0)))
  ;; A handler that is a loop's label: the loop runs again, until the third try succeeds.
  (func (export "retry") (result i32) (local $tries i32)
    (loop $retry
      (try_table (catch_all $retry)
        (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
        (if (i32.lt_u (local.get $tries) (i32.const 3)) (then (throw $other)))))
    (local.get $tries))
  ;; A handler that is the function's label: the payload is its result.
  (func (export "to_function") (result i32)
    (try_table (catch $e 0) (call $thrower (i32.const 9)))
    (i32.const 0))
  ;; Throws and catches `n` times, one frame down, and adds up the payloads.
  (func (export "spin") (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (loop $again
      (block $h (result i32)
        (try_table (catch $e $h) (call $thrower (local.get $i)))
        (unreachable))
      (local.set $sum (i32.add (local.get $sum)))
      (br_if $again (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
    (local.get $sum))
  ;; Keeps `n` caught exceptions alive (each in the store) and counts them.
  (func (export "keep") (param $n i32) (result i32) (local $kept exnref) (local $i i32)
    (loop $again
      (block $h (result i32 exnref)
        (try_table (result i32 exnref) (catch_ref $e $h) (throw $e (local.get $i))))
      (local.set $kept)
      (local.set $i (i32.add (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#;

fn start(config: Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, &wat(MODULE)).expect("valid");
    let mut store = Store::new(&engine, ());
    let linker = ssvm_runtime::Linker::new();
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

fn call(
    store: &mut Store<()>,
    instance: Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let f = instance.get_func(store, name).expect("exported");
    let mut results = vec![Val::I32(0); f.ty(store).results.len()];
    f.call(store, args, &mut results)?;
    Ok(results)
}

fn metered(table: CostTable, profile: bool) -> (Store<()>, Instance) {
    start(Config {
        cost_table: Some(Arc::new(table)),
        gas_profile: profile,
        histogram: profile,
        ..Config::default()
    })
}

/// Every way of running: unmetered, metered (paid), and metered with histograms and profiles.
fn configs() -> [Config; 3] {
    let table = || Some(Arc::new(CostTable::uniform(1)));
    [
        Config::default(),
        Config {
            cost_table: table(),
            ..Config::default()
        },
        Config {
            cost_table: table(),
            histogram: true,
            gas_profile: true,
            ..Config::default()
        },
    ]
}

#[test]
fn an_exception_is_caught_frames_away_with_its_payload() {
    for config in configs() {
        let (mut store, instance) = start(config);
        assert_eq!(
            call(&mut store, instance, "across", &[Val::I32(5)]),
            Ok(vec![Val::I32(6)])
        );
        // The frames the unwinding left are gone: the next call runs from a clean stack.
        assert_eq!(
            call(&mut store, instance, "across", &[Val::I32(-1)]),
            Ok(vec![Val::I32(0)])
        );
    }
}

#[test]
fn a_handler_may_be_a_loop_or_the_function_itself() {
    for config in configs() {
        let (mut store, instance) = start(config);
        assert_eq!(
            call(&mut store, instance, "retry", &[]),
            Ok(vec![Val::I32(3)])
        );
        assert_eq!(
            call(&mut store, instance, "to_function", &[]),
            Ok(vec![Val::I32(9)])
        );
    }
}

#[test]
fn catch_ref_and_throw_ref_rethrow_the_same_exception() {
    for config in configs() {
        let (mut store, instance) = start(config);
        let got = call(&mut store, instance, "rethrow", &[Val::I32(41)]);
        assert_eq!(got, Ok(vec![Val::I32(41)]));
    }
}

#[test]
fn an_exception_no_handler_catches_is_a_trap_naming_its_tag() {
    for config in configs() {
        let (mut store, instance) = start(config);
        for name in ["uncaught", "other_tag"] {
            match call(&mut store, instance, name, &[]) {
                Err(Error::Trap(Trap::UncaughtException(message))) => {
                    assert_eq!(message, "uncaught exception (tag \"e\")", "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        // The backtrace keeps the frames the exception would have left.
        call(&mut store, instance, "uncaught", &[]).unwrap_err();
        assert_eq!(store.trap_backtrace_depth(), 2);
    }
}

/// The unwinding continues at the handler with a tail call, as every handler does (see
/// `threaded.rs`): a million throws and catches run on a thread with a 64 KiB stack.
#[test]
fn throwing_and_catching_in_a_loop_runs_in_a_small_host_stack() {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            for config in configs() {
                let (mut store, instance) = start(config);
                let n = 1_000_000;
                let sum = (0..n).fold(0i32, |s, i| s.wrapping_add(i));
                let got = call(&mut store, instance, "spin", &[Val::I32(n)]);
                assert_eq!(got, Ok(vec![Val::I32(sum)]));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn throw_ref_of_null_traps() {
    let (mut store, instance) = start(Config::default());
    let got = call(&mut store, instance, "null_ref", &[]);
    assert_eq!(got, Err(Error::Trap(Trap::NullExceptionReference)));
    assert_eq!(
        Trap::NullExceptionReference.message(),
        "null exception reference"
    );
}

#[test]
fn caught_exceptions_kept_by_reference_count_against_the_store_memory_budget() {
    let (mut store, instance) = start(Config::default());
    assert_eq!(
        call(&mut store, instance, "keep", &[Val::I32(1000)]),
        Ok(vec![Val::I32(1000)])
    );
    let (mut store, instance) = start(Config {
        max_memory_bytes: 1000,
        ..Config::default()
    });
    let got = call(&mut store, instance, "keep", &[Val::I32(1000)]);
    assert_eq!(got, Err(Error::Trap(Trap::ExceptionsExhausted)));
}

/// `across(5)`, every instruction priced 1: `across` runs `block`, `try_table`, `local.get`,
/// `call` (4); `middle` `local.get`, `call` (2, not its `i32.const` nor `end`); `thrower`
/// `local.get`, `throw` (2, not its `end`); the handler lands after `block $h`'s `end` (which a
/// branch skips, like the `try_table`'s): `i32.const`, `i32.add`, the final `end` (3).
const ACROSS_GAS: u64 = 11;

#[test]
fn an_unwind_is_charged_as_a_branch() {
    let (mut store, instance) = metered(CostTable::uniform(1), true);
    call(&mut store, instance, "across", &[Val::I32(5)]).unwrap();
    assert_eq!(store.gas_used(), ACROSS_GAS);
    let expected = [
        ("block", 1),
        ("call", 2),
        ("end", 1),
        ("i32.add", 1),
        ("i32.const", 1),
        ("local.get", 3),
        ("throw", 1),
        ("try_table", 1),
    ];
    assert_eq!(histogram_by_name(&store), owned(&expected));
    // The gas profile leaves the frames the exception left.
    let expected = [
        ("across", 7),
        ("across;middle", 2),
        ("across;middle;thrower", 2),
    ];
    assert_eq!(store.gas_profile(), owned(&expected));
}

/// `to_function`, every instruction priced 1: `try_table`, `i32.const`, `call`, then
/// `thrower`'s `local.get`, `throw` (5); the clause returns, executing nothing more. `retry`:
/// `loop` once (1); two failing tries of `try_table`, `local.get`, `i32.const`, `i32.add`,
/// `local.set`, `local.get`, `i32.const`, `i32.lt_u`, `if`, `throw` (10 each), landing at the
/// loop's body; the third without the `throw` and with the `if` false (9), then the `end`s of
/// the `try_table` and the loop, `local.get` and the final `end` (4).
#[test]
fn handlers_that_are_a_loop_or_the_function_are_charged_as_branches_to_them() {
    for profile in [false, true] {
        let (mut store, instance) = metered(CostTable::uniform(1), profile);
        call(&mut store, instance, "to_function", &[]).unwrap();
        assert_eq!(store.gas_used(), 5);
        let (mut store, instance) = metered(CostTable::uniform(1), profile);
        call(&mut store, instance, "retry", &[]).unwrap();
        assert_eq!(store.gas_used(), 1 + 2 * 10 + 9 + 4);
    }
}

#[test]
fn an_unwind_under_the_default_table_costs_the_sum_of_its_prices() {
    let table = CostTable::default_table();
    let price = |name: &str| {
        let op = ssvm_binary_opcode(name);
        table.instr(op)
    };
    // As in `ACROSS_GAS`, by name.
    let expected = price("block")
        + price("try_table")
        + 3 * price("local.get")
        + 2 * price("call")
        + price("throw")
        + price("i32.const")
        + price("i32.add")
        + price("end");
    let (mut store, instance) = metered(table.clone(), false);
    call(&mut store, instance, "across", &[Val::I32(5)]).unwrap();
    assert_eq!(store.gas_used(), expected);
}

fn ssvm_binary_opcode(name: &str) -> ssvm_binary::Opcode {
    *ssvm_binary::Opcode::ALL
        .iter()
        .find(|o| o.name() == name)
        .unwrap_or_else(|| panic!("no opcode {name}"))
}

#[test]
fn out_of_gas_anywhere_in_an_unwind_and_its_handler_stops_exactly_and_resumes() {
    for profile in [false, true] {
        for limit in 0..ACROSS_GAS {
            let (mut store, instance) = metered(CostTable::uniform(1), profile);
            store.set_gas_limit(limit);
            let got = call(&mut store, instance, "across", &[Val::I32(5)]);
            assert_eq!(got, Err(Error::OutOfGas { used: limit }), "limit {limit}");
            assert_eq!(
                resume_to_the_end(&mut store, 1),
                Val::I32(6),
                "limit {limit}"
            );
            assert_eq!(store.gas_used(), ACROSS_GAS, "limit {limit}");
        }
    }
}
