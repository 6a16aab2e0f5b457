//! Exact metering on hand-counted programs (docs/metering.md). The independent oracle
//! (crates/metering-oracle) checks the same rules on many more programs.

mod common;
use common::{resume_to_the_end, wat};
use ssvm_runtime::{
    Config, CostTable, Engine, Error, Instance, Linker, Module, PerUnit, Rate, Store, Val,
};
use std::sync::Arc;

fn metered(text: &str, table: CostTable) -> (Store<()>, Instance) {
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

fn call(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> Result<Val, Error> {
    let f = instance.get_func(store, name).expect("exported");
    let mut results = [Val::I32(0)];
    let n = f.ty(store).results.len();
    f.call(store, args, &mut results[..n])?;
    Ok(results[0])
}

/// Sums n, n-1, ..., 1. With every instruction priced 1 it costs 12n + 7: `block`, `loop`,
/// 12 per iteration (`local.get`, `i32.eqz`, `br_if`; 4 to add; 4 to decrement; `br`), the
/// final check (3), `local.get`, and the function's `end`; the loop's and block's `end`s are
/// never reached by falling through.
const SUM: &str = r#"
(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    block
      loop
        local.get $n
        i32.eqz
        br_if 1
        local.get $acc
        local.get $n
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br 0
      end
    end
    local.get $acc))
"#;

#[test]
fn completion_charges_every_executed_instruction() {
    let (mut store, instance) = metered(SUM, CostTable::uniform(1));
    store.set_gas_limit(1_000);
    assert_eq!(
        call(&mut store, instance, "sum", &[Val::I32(3)]).unwrap(),
        Val::I32(6)
    );
    assert_eq!(store.gas_used(), 12 * 3 + 7);
}

#[test]
fn out_of_gas_stops_exactly_and_resumes_to_the_same_end() {
    let total = 12 * 3 + 7;
    for limit in 0..total {
        let (mut store, instance) = metered(SUM, CostTable::uniform(1));
        store.set_gas_limit(limit);
        match call(&mut store, instance, "sum", &[Val::I32(3)]) {
            Err(Error::OutOfGas { used }) => assert_eq!(used, limit, "limit {limit}"),
            other => panic!("limit {limit}: expected out of gas, got {other:?}"),
        }
        // Resume in slices of 5 until it completes.
        assert_eq!(
            resume_to_the_end(&mut store, 5),
            Val::I32(6),
            "limit {limit}"
        );
        assert_eq!(store.gas_used(), total, "limit {limit}");
    }
    let (mut store, instance) = metered(SUM, CostTable::uniform(1));
    store.set_gas_limit(total);
    assert_eq!(
        call(&mut store, instance, "sum", &[Val::I32(3)]).unwrap(),
        Val::I32(6)
    );
}

/// Functions with frames above the 256-local template, at the same depth one after another: a
/// frame left unzeroed would see the 99 its predecessor wrote. `$count` starts with a loop,
/// so a branch lands on its first instruction. `run` returns 1 + 2 + 5 + 3.
fn large_frames() -> String {
    let locals = "i64 ".repeat(300);
    format!(
        r#"(module
          (func $big (param i32) (result i64) (local {locals})
            (i64.add (local.get 300) (i64.extend_i32_u (local.get 0)))
            (local.set 300 (i64.const 99)))
          (func $count (param i32) (result i64) (local {locals})
            (loop $again
              (local.set 300 (i64.add (local.get 300) (i64.const 1)))
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (br_if $again (local.get 0)))
            (local.get 300))
          (func (export "run") (result i64)
            (i64.add (i64.add (call $big (i32.const 1)) (call $big (i32.const 2)))
              (i64.add (call $count (i32.const 5)) (call $big (i32.const 3))))))"#
    )
}

#[test]
fn declared_locals_are_paid_at_entry_before_a_large_frame_is_zeroed() {
    let text = large_frames();
    let engine = Engine::new(Config::default());
    let module = Module::new(&engine, &wat(&text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    assert_eq!(
        call(&mut store, instance, "run", &[]).unwrap(),
        Val::I64(11)
    );

    let mut table = CostTable::uniform(1);
    table.set_per_unit(PerUnit {
        local: 5.into(),
        ..PerUnit::default()
    });
    // Four entries of 300 locals at 5; `$big` 7 instructions, `$count` 54, `run` 12.
    let total = 4 * 300 * 5 + 3 * 7 + 54 + 12;
    for limit in 0..=total {
        let (mut store, instance) = metered(&text, table.clone());
        store.set_gas_limit(limit);
        let mut results = [Val::I64(0)];
        let mut outcome = match call(&mut store, instance, "run", &[]) {
            Ok(v) => {
                results[0] = v;
                Ok(())
            }
            Err(e) => Err(e),
        };
        if limit < total {
            assert!(
                matches!(outcome, Err(Error::OutOfGas { used }) if used <= limit),
                "limit {limit}: {outcome:?}"
            );
        }
        // A call stopped at an entry resumes with its charge, then the zeroing.
        while let Err(Error::OutOfGas { .. }) = outcome {
            store.add_gas(1000);
            outcome = store.resume(&mut results);
        }
        outcome.unwrap();
        assert_eq!(results[0], Val::I64(11), "limit {limit}");
        assert_eq!(store.gas_used(), total, "limit {limit}");
    }
    // Short of `$big`'s entry by one: stopped after `run`'s `i32.const`, before the entry.
    let (mut store, instance) = metered(&text, table);
    store.set_gas_limit(2 + 1500 - 1);
    assert!(matches!(
        call(&mut store, instance, "run", &[]),
        Err(Error::OutOfGas { used: 2 })
    ));
}

#[test]
fn a_trap_charges_the_trapping_instruction_and_nothing_after() {
    let text = r#"(module (func (export "t") (result i32)
        i32.const 1 i32.const 0 i32.div_s i32.const 5 i32.add))"#;
    let (mut store, instance) = metered(text, CostTable::uniform(1));
    store.set_gas_limit(100);
    assert!(matches!(
        call(&mut store, instance, "t", &[]),
        Err(Error::Trap(_))
    ));
    assert_eq!(store.gas_used(), 3);
}

#[test]
fn per_unit_work_is_charged_when_done() {
    let text = r#"(module (memory 1 2)
        (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let mut table = CostTable::uniform(1);
    table.set_per_unit(PerUnit {
        memory_fill: 2.into(),
        memory_grow: 3.into(),
        ..PerUnit::default()
    });
    let (mut store, instance) = metered(text, table);
    store.set_gas_limit(1_000_000);
    call(&mut store, instance, "fill", &[Val::I32(10)]).unwrap();
    assert_eq!(store.gas_used(), 5 + 2 * 10);
    store.set_gas_limit(1_000_000);
    assert!(call(&mut store, instance, "fill", &[Val::I32(70_000)]).is_err());
    assert_eq!(
        store.gas_used(),
        4,
        "a trapping fill pays no per-unit price"
    );
    store.set_gas_limit(1_000_000);
    assert_eq!(
        call(&mut store, instance, "grow", &[Val::I32(1)]).unwrap(),
        Val::I32(1)
    );
    assert_eq!(store.gas_used(), 3 + 3);
    store.set_gas_limit(1_000_000);
    assert_eq!(
        call(&mut store, instance, "grow", &[Val::I32(5)]).unwrap(),
        Val::I32(-1)
    );
    assert_eq!(store.gas_used(), 3, "a failed grow pays no per-page price");
    // Out of gas before the fill: it would need 4 + 2 * 10 with only 10 left after the
    // operands; it stops before the fill, having used the three operand pushes.
    store.set_gas_limit(10);
    match call(&mut store, instance, "fill", &[Val::I32(10)]) {
        Err(Error::OutOfGas { used }) => assert_eq!(used, 3),
        other => panic!("expected out of gas, got {other:?}"),
    }
}

#[test]
fn a_rate_charges_every_started_group_of_units() {
    // `memory.copy` at 1 gas per 16 bytes, declared locals at 3 gas per 16.
    let text = r#"(module (memory 1)
        (func (export "copy") (param i32) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                                                   i64 i64 i64 i64 i64 i64)
          (memory.copy (i32.const 100) (i32.const 0) (local.get 0))))"#;
    let mut table = CostTable::uniform(1);
    table.set_per_unit(PerUnit {
        memory_copy: Rate::new(1, 16).unwrap(),
        local: Rate::new(3, 16).unwrap(),
        ..PerUnit::default()
    });
    // 17 locals at 3 gas per 16: ceil(17 × 3 / 16) = 4; five instructions (`end` too) of 1.
    let base = 4 + 5;
    for (bytes, groups) in [(0, 0), (1, 1), (16, 1), (17, 2), (4096, 256), (4097, 257)] {
        let (mut store, instance) = metered(text, table.clone());
        store.set_gas_limit(1_000_000);
        call(&mut store, instance, "copy", &[Val::I32(bytes)]).unwrap();
        assert_eq!(store.gas_used(), base + groups, "{bytes} bytes");
        // One gas short, the run stops before the `end`; two short, before the copy (after the
        // entry and the three operands), when it copies anything.
        let total = base + groups;
        for (short, done) in [
            (1, total - 1),
            (2, if groups > 0 { 4 + 3 } else { total - 2 }),
        ] {
            let (mut store, instance) = metered(text, table.clone());
            store.set_gas_limit(total - short);
            match call(&mut store, instance, "copy", &[Val::I32(bytes)]) {
                Err(Error::OutOfGas { used }) => assert_eq!(used, done, "{bytes} bytes"),
                other => panic!("{bytes} bytes: expected out of gas, got {other:?}"),
            }
        }
    }
}

#[test]
fn unmetered_engines_compile_no_charges() {
    let engine = Engine::new(Config {
        keep_ir: true,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(SUM)).expect("valid");
    let code = module.compiled_function(0).unwrap();
    assert!(code.meter.is_none());
    assert!(!code.to_string().contains("Charge"));
}

fn histogram_engine() -> Engine {
    Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        histogram: true,
        ..Config::default()
    })
}

fn names(store: &Store<()>) -> Vec<(String, u64)> {
    store
        .histogram()
        .into_iter()
        .map(|(op, n)| (op.name().to_string(), n))
        .collect()
}

#[test]
fn histogram_counts_each_executed_instruction_also_across_out_of_gas() {
    let engine = histogram_engine();
    let module = Module::new(&engine, &wat(SUM)).expect("valid");
    let run = |limit: u64| {
        let mut store = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        store.set_gas_limit(limit);
        let sum = instance.get_func(&store, "sum").unwrap();
        let mut results = [Val::I32(0)];
        let mut outcome = sum.call(&mut store, &[Val::I32(3)], &mut results);
        while let Err(Error::OutOfGas { .. }) = outcome {
            store.add_gas(3);
            outcome = store.resume(&mut results);
        }
        outcome.unwrap();
        names(&store)
    };
    let expected: Vec<(String, u64)> = [
        ("block", 1),
        ("loop", 1),
        ("br", 3),
        ("br_if", 4),
        ("end", 1),
        ("local.get", 14),
        ("local.set", 6),
        ("i32.const", 3),
        ("i32.eqz", 4),
        ("i32.add", 3),
        ("i32.sub", 3),
    ]
    .iter()
    .map(|&(n, c)| (n.to_string(), c))
    .collect();
    let mut full = run(u64::MAX);
    full.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(full, want);
    for limit in 0..43 {
        let mut h = run(limit);
        h.sort();
        assert_eq!(h, want, "limit {limit}");
    }
}

#[test]
fn histogram_leaves_out_what_a_trap_skips() {
    let engine = histogram_engine();
    let text = r#"(module (func (export "t") (result i32)
        i32.const 1 i32.const 0 i32.div_s i32.const 5 i32.add))"#;
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    assert!(call(&mut store, instance, "t", &[]).is_err());
    let mut h = names(&store);
    h.sort();
    assert_eq!(
        h,
        vec![("i32.const".to_string(), 2), ("i32.div_s".to_string(), 1)]
    );
}

/// The bench kernels, stopped by out of gas in many slices and resumed, end with the results,
/// total gas and per-opcode counts of an uninterrupted run.
#[test]
fn kernels_resumed_in_slices_match_an_uninterrupted_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/kernels");
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::default_table())),
        histogram: true,
        ..Config::default()
    });
    for (kernel, n) in [
        ("fib", 15),
        ("nbody", 200),
        ("fannkuch", 6),
        ("mandelbrot", 40),
        ("binarytrees", 6),
        ("sorthash", 2000),
        ("coremark", 20),
    ] {
        let bytes = std::fs::read(dir.join(format!("{kernel}.wasm"))).expect("kernel is built");
        let module = Module::new(&engine, &bytes).expect("kernel compiles");
        let run = |slice: Option<u64>| {
            let mut store = Store::new(&engine, ());
            let instance = Linker::new().instantiate(&mut store, &module).unwrap();
            let run = instance.get_func(&store, "run").unwrap();
            let mut results = [Val::I64(0)];
            store.set_gas_limit(slice.unwrap_or(u64::MAX));
            let mut outcome = run.call(&mut store, &[Val::I32(n)], &mut results);
            let mut stops = 0;
            while let Err(Error::OutOfGas { .. }) = outcome {
                stops += 1;
                store.add_gas(slice.expect("only sliced runs stop"));
                outcome = store.resume(&mut results);
            }
            outcome.unwrap();
            let used = store.gas_used();
            (results[0], used, store.histogram(), stops)
        };
        let (result, total, histogram, _) = run(None);
        let plain = {
            let engine = Engine::default();
            let module = Module::new(&engine, &bytes).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Linker::new().instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<i32, i64, _>(&store, "run")
                .unwrap();
            Val::I64(run.call(&mut store, n).unwrap())
        };
        assert_eq!(
            result, plain,
            "{kernel}: metered and unmetered results differ"
        );
        let slice = total / 37 + 1;
        let (r, used, h, stops) = run(Some(slice));
        assert_eq!(r, result, "{kernel}: result");
        assert_eq!(used, total, "{kernel}: total gas");
        assert_eq!(h, histogram, "{kernel}: histogram");
        assert!(stops >= 36, "{kernel}: stopped only {stops} times");
    }
}

#[test]
fn gas_profile_attributes_gas_to_call_paths() {
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        gas_profile: true,
        ..Config::default()
    });
    let text = r#"(module
        (import "env" "host" (func $host))
        (func $main (export "main") (call $leaf) (call $mid) (call $host))
        (func $mid (call $leaf) (nop))
        (func $leaf (nop)))"#;
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    let ty = ssvm_runtime::FuncType::default();
    linker.func_new("env", "host", ty, |_, _, _| Ok(()));
    let instance = linker.instantiate(&mut store, &module).unwrap();
    call(&mut store, instance, "main", &[]).unwrap();
    // main: call, call, call, end; mid: call, nop, end; leaf: nop, end (twice, on two paths).
    assert_eq!(
        store.gas_profile(),
        vec![
            ("main".to_string(), 4),
            ("main;leaf".to_string(), 2),
            ("main;mid".to_string(), 3),
            ("main;mid;leaf".to_string(), 2),
        ]
    );
    assert_eq!(store.gas_used(), 11);
}

#[test]
fn gas_profile_folds_recursion_into_the_first_call_of_each_function() {
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(CostTable::uniform(1))),
        gas_profile: true,
        ..Config::default()
    });
    // even(n) and odd(n) call each other down to 0: 2000 deep, yet two paths.
    let text = r#"(module
        (func $even (export "even") (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
            (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
        (func $odd (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
            (else (call $even (i32.sub (local.get 0) (i32.const 1)))))))"#;
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let result = call(&mut store, instance, "even", &[Val::I32(2000)]).unwrap();
    assert_eq!(result, Val::I32(1));
    let profile = store.gas_profile();
    let paths: Vec<&str> = profile.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["even", "even;odd"]);
    let total: u64 = profile.iter().map(|(_, g)| g).sum();
    assert_eq!(total, store.gas_used());
}

#[test]
fn resuming_without_a_stopped_call_is_an_error() {
    let (mut store, _) = metered(SUM, CostTable::uniform(1));
    assert!(matches!(store.resume(&mut []), Err(Error::Type(_))));
    assert!(!store.has_suspended_call());
}

#[test]
fn a_failing_or_exiting_host_call_is_charged_with_nothing_after_it() {
    // The host's call is the trapping instruction: `i32.const`, `call`, then nothing of the
    // `i32.const 5`, `drop`, `end` after it. The host's own price is charged too.
    let text = r#"(module
        (import "env" "stop" (func $stop (param i32)))
        (func $inner (export "t") (param i32)
          local.get 0 call $stop i32.const 5 drop))"#;
    let mut table = CostTable::uniform(1);
    table.set_host("env", "stop", 10);
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(text)).expect("valid");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    let ty = ssvm_runtime::FuncType {
        params: Box::new([ssvm_runtime::ValType::I32]),
        results: Box::new([]),
    };
    linker.func_new("env", "stop", ty, |_, args, _| match args[0] {
        Val::I32(0) => Err(ssvm_runtime::Trap::Host("host failed".into())),
        Val::I32(code) => Err(ssvm_runtime::Trap::Exit(code)),
        _ => Ok(()),
    });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    store.set_gas_limit(100);
    let f = instance.get_func(&store, "t").unwrap();
    let e = f.call(&mut store, &[Val::I32(7)], &mut []).unwrap_err();
    assert_eq!(e, Error::Exit(7));
    assert_eq!(store.gas_used(), 12);
    assert_eq!(store.trap_backtrace(), vec!["inner".to_string()]);
    let e = f.call(&mut store, &[Val::I32(0)], &mut []).unwrap_err();
    assert_eq!(
        e,
        Error::Trap(ssvm_runtime::Trap::Host("host failed".into()))
    );
    assert_eq!(store.gas_used(), 24);
}

/// A module that calls `env::work(n)` (a host that charges 3 gas per unit of work) and counts.
const HOST_WORK: &str = r#"(module
    (import "env" "work" (func $work (param i32)))
    (func (export "run") (param i32) (call $work (local.get 0))))"#;

/// (store, instance, units of work the host did) with a host price of 10 and 3 gas per unit.
fn host_work_store(profile: bool) -> (Store<u64>, Instance) {
    let mut table = CostTable::uniform(1);
    table.set_host("env", "work", 10);
    table.set_host_per_unit("env", "work", "unit", 3.into());
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        gas_profile: profile,
        ..Config::default()
    });
    let module = Module::new(&engine, &wat(HOST_WORK)).expect("valid");
    let mut store = Store::new(&engine, 0u64);
    let mut linker = Linker::new();
    let ty = ssvm_runtime::FuncType {
        params: vec![ssvm_runtime::ValType::I32].into(),
        results: Vec::new().into(),
    };
    linker.func_new("env", "work", ty, |mut caller, args, _| {
        let Val::I32(n) = args[0] else { unreachable!() };
        let rate = caller
            .cost_table()
            .map_or(Rate::ZERO, |t| t.host_per_unit("env", "work", "unit"));
        // Charged before any side effect, as a host must.
        caller.charge_gas(rate.price(n as u64))?;
        *caller.data_mut() += n as u64;
        Ok(())
    });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

#[test]
fn a_host_pays_for_its_work_and_stops_before_it_when_gas_is_short() {
    // local.get, call (1 each), the host's 10, and 3 per unit; the function's `end` after it.
    let (mut store, instance) = host_work_store(false);
    let run = instance
        .get_typed_func::<i32, (), _>(&store, "run")
        .unwrap();
    run.call(&mut store, 5).unwrap();
    assert_eq!(store.gas_used(), 1 + 1 + 10 + 15 + 1);
    assert_eq!(*store.data(), 5);

    // 26 gas covers all but one unit of the work: the call stops before the host call, having
    // used only `local.get`, and the host did nothing.
    let (mut store, instance) = host_work_store(false);
    store.set_gas_limit(26);
    let run = instance
        .get_typed_func::<i32, (), _>(&store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, 5), Err(Error::OutOfGas { used: 1 }));
    assert_eq!(*store.data(), 0);
    // Resumed with enough gas, the host runs once, and the total is as if it never stopped.
    store.add_gas(100);
    store.resume(&mut []).unwrap();
    assert_eq!(*store.data(), 5);
    assert_eq!(store.gas_used(), 28);
}

#[test]
fn a_hosts_work_is_in_its_gas_profile() {
    let (mut store, instance) = host_work_store(true);
    let run = instance
        .get_typed_func::<i32, (), _>(&store, "run")
        .unwrap();
    run.call(&mut store, 4).unwrap();
    let profile = store.gas_profile();
    assert_eq!(
        profile,
        vec![
            ("func[1]".to_string(), 3),
            ("func[1];env::work".to_string(), 22)
        ]
    );
    assert_eq!(store.gas_used(), 25);
}
