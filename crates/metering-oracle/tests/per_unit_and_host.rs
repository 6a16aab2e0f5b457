//! Per-unit work (charged only when done) and host calls (the call plus the host's price).

mod common;

use common::*;
use ssvm_metering_oracle::{instrument, run, Outcome, PerUnitRates, Prices, UnitRate};
use ssvm_runtime::{FuncType, Linker, Store, Trap, Val, ValType};

fn rated(instr: &dyn Fn(&str) -> u64) -> Prices<'_> {
    Prices {
        instr,
        per_unit: RATES,
        host: &no_host,
    }
}

const MODULE: &str = r#"(module
    (memory 1 3)
    (table $t 1 4 funcref)
    (data $d "hello")
    (elem $e func $grow $grow $grow)
    (func $grow (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
    (func (export "copy") (param i32 i32 i32)
        (memory.copy (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i32 i32)
        (memory.init $d (local.get 0) (i32.const 0) (local.get 1)))
    (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
    (func (export "tfill") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1)))
    (func (export "tcopy") (param i32 i32 i32)
        (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "tinit") (param i32 i32)
        (table.init $t $e (local.get 0) (i32.const 0) (local.get 1))))"#;

fn go(func: &str, args: &[i32]) -> (u64, Outcome) {
    let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let r = run_wat(MODULE, &rated(&uniform), None, func, &args);
    (r.gas, r.outcome)
}

#[test]
fn memory_grow_charges_pages_only_on_success() {
    // local.get, memory.grow, end, and 100 per page added.
    assert_eq!(
        go("grow", &[2]),
        (3 + 200, Outcome::Returned(vec![Val::I32(1)]))
    );
    assert_eq!(go("grow", &[3]), (3, Outcome::Returned(vec![Val::I32(-1)])));
    assert_eq!(go("grow", &[0]), (3, Outcome::Returned(vec![Val::I32(1)])));
    // With the table's prices: 5 + 43 + 7 + 100.
    let r = run_wat(MODULE, &rated(&table), None, "grow", &[Val::I32(1)]);
    assert_eq!(r.gas, 155);
}

#[test]
fn memory_fill_copy_init_charge_bytes_only_without_trap() {
    // local.get, i32.const, local.get, memory.fill, end.
    assert_eq!(go("fill", &[0, 16]), (5 + 160, Outcome::Returned(vec![])));
    assert_eq!(go("fill", &[65536, 0]), (5, Outcome::Returned(vec![])));
    assert_eq!(go("fill", &[65530, 16]), (4, oob("memory")));
    // Three local.get, memory.copy, end.
    assert_eq!(
        go("copy", &[0, 100, 50]),
        (5 + 150, Outcome::Returned(vec![]))
    );
    assert_eq!(go("copy", &[65500, 0, 100]), (4, oob("memory")));
    // local.get, i32.const, local.get, memory.init, end.
    assert_eq!(go("init", &[0, 5]), (5 + 10, Outcome::Returned(vec![])));
    assert_eq!(go("init", &[0, 6]), (4, oob("memory")));
}

#[test]
fn a_rate_charges_ceil_of_units_times_gas_over_per_at_each_instruction() {
    let prices = Prices {
        instr: &uniform,
        per_unit: PerUnitRates {
            memory_copy: UnitRate { gas: 3, per: 8 },
            ..PerUnitRates::default()
        },
        host: &no_host,
    };
    // Three local.get, memory.copy, end: 5, and ceil(3 n / 8) for n bytes.
    for (n, work) in [(0, 0), (1, 1), (2, 1), (3, 2), (8, 3), (9, 4), (1000, 375)] {
        let r = run_wat(
            MODULE,
            &prices,
            None,
            "copy",
            &[Val::I32(0), Val::I32(100), Val::I32(n)],
        );
        assert_eq!(
            (r.gas, &r.outcome),
            (5 + work, &Outcome::Returned(vec![])),
            "{n} bytes"
        );
        // Short of the copy by one: stopped before it, after the three operands.
        if work > 0 {
            let r = run_wat(
                MODULE,
                &prices,
                Some(4 + work - 1),
                "copy",
                &[Val::I32(0), Val::I32(100), Val::I32(n)],
            );
            assert_eq!((r.gas, &r.outcome), (3, &Outcome::OutOfGas), "{n} bytes");
        }
    }
    let bad = Prices {
        instr: &uniform,
        per_unit: PerUnitRates {
            table_fill: UnitRate { gas: 1, per: 0 },
            ..PerUnitRates::default()
        },
        host: &no_host,
    };
    let err = instrument(&wat(MODULE), &bad, None).unwrap_err();
    assert!(
        err.contains("rate of table.fill: 1 gas per 0 units"),
        "{err}"
    );
}

#[test]
fn table_grow_fill_copy_init() {
    // ref.null, local.get, table.grow, end.
    assert_eq!(
        go("tgrow", &[2]),
        (4 + 2000, Outcome::Returned(vec![Val::I32(1)]))
    );
    assert_eq!(
        go("tgrow", &[4]),
        (4, Outcome::Returned(vec![Val::I32(-1)]))
    );
    assert_eq!(go("tfill", &[0, 1]), (5 + 7, Outcome::Returned(vec![])));
    assert_eq!(go("tfill", &[0, 2]), (4, oob("table")));
    assert_eq!(go("tcopy", &[0, 0, 1]), (5 + 5, Outcome::Returned(vec![])));
    assert_eq!(go("tcopy", &[1, 0, 1]), (4, oob("table")));
    assert_eq!(go("tinit", &[0, 1]), (5 + 9, Outcome::Returned(vec![])));
    assert_eq!(go("tinit", &[0, 2]), (4, oob("table")));
}

#[test]
fn per_unit_counts_keep_the_plain_histogram() {
    let r = run_wat(
        MODULE,
        &rated(&uniform),
        None,
        "fill",
        &[Val::I32(0), Val::I32(3)],
    );
    assert_eq!(
        r.counts,
        counts(&[
            ("local.get", 2),
            ("i32.const", 1),
            ("memory.fill", 1),
            ("end", 1)
        ])
    );
}

const LOCALS: &str = r#"(module
    (func $callee (param i32) (local i32 i64) (local f32)
        local.get 0 local.set 1)
    (func (export "call") (param i32) (local i64) local.get 0 call $callee))"#;

#[test]
fn declared_locals_are_charged_at_entry_and_stop_it_when_short() {
    let rates = PerUnitRates {
        local: UnitRate::per_unit(1_000_000),
        ..PerUnitRates::default()
    };
    let prices = Prices {
        instr: &uniform,
        per_unit: rates,
        host: &no_host,
    };
    // Three declared locals of the callee (not its parameter), one of the caller; three
    // instructions each.
    let entry = |locals: u64| locals * 1_000_000;
    let r = run_wat(LOCALS, &prices, None, "call", &[Val::I32(1)]);
    assert_eq!(r.gas, entry(1) + 3 + entry(3) + 3);
    assert_eq!(r.outcome, Outcome::Returned(vec![]));
    assert_eq!(
        r.counts,
        counts(&[("local.get", 2), ("local.set", 1), ("call", 1), ("end", 2)])
    );
    // Short of the callee's entry by one: it stops before the callee's first instruction.
    let limit = entry(1) + 2 + entry(3) - 1;
    let r = run_wat(LOCALS, &prices, Some(limit), "call", &[Val::I32(1)]);
    assert_eq!(r.outcome, Outcome::OutOfGas);
    assert_eq!(r.gas, entry(1) + 2);
    assert_eq!(r.counts, counts(&[("local.get", 1), ("call", 1)]));
    // Short of the caller's own entry: nothing runs.
    let r = run_wat(LOCALS, &prices, Some(entry(1) - 1), "call", &[Val::I32(1)]);
    assert_eq!((r.gas, r.outcome), (0, Outcome::OutOfGas));
    assert!(r.counts.is_empty(), "{:?}", r.counts);
}

const HOST: &str = r#"(module
    (import "env" "double" (func $double (param i32) (result i32)))
    (import "env" "free" (func $free))
    (func (export "f") (param i32) (result i32)
        call $free
        local.get 0 call $double i32.const 1 i32.add))"#;

fn host_price(module: &str, name: &str) -> u64 {
    match (module, name) {
        ("env", "double") => 50,
        _ => 0,
    }
}

fn link_host(fail: bool) -> impl FnMut(&mut Linker<()>, &mut Store<()>) {
    move |linker: &mut Linker<()>, _: &mut Store<()>| {
        let ty = FuncType {
            params: vec![ValType::I32].into(),
            results: vec![ValType::I32].into(),
        };
        linker.func_new("env", "double", ty, move |_, args, results| {
            if fail {
                return Err(Trap::Host("host failed".into()));
            }
            let Val::I32(x) = args[0] else { unreachable!() };
            results[0] = Val::I32(2 * x);
            Ok(())
        });
        linker.func_new("env", "free", FuncType::default(), |_, _, _| Ok(()));
    }
}

#[test]
fn host_calls_charge_the_call_and_the_host_price() {
    let prices = Prices {
        instr: &table,
        per_unit: PerUnitRates::default(),
        host: &host_price,
    };
    let r = run(
        &wat(HOST),
        &prices,
        None,
        "f",
        &[Val::I32(20)],
        &mut link_host(false),
    )
    .unwrap();
    assert_eq!(r.outcome, Outcome::Returned(vec![Val::I32(41)]));
    assert_eq!(
        r.counts,
        counts(&[
            ("call", 2),
            ("local.get", 1),
            ("i32.const", 1),
            ("i32.add", 1),
            ("end", 1)
        ])
    );
    // 41 (free call) + 5 + 41 + 50 + 2 + 3 + 7.
    assert_eq!(r.gas, 149);
    // A failing host call is charged in full, nothing after it.
    let r = run(
        &wat(HOST),
        &prices,
        None,
        "f",
        &[Val::I32(20)],
        &mut link_host(true),
    )
    .unwrap();
    assert_eq!(r.outcome, Outcome::Trapped("host failed".into()));
    assert_eq!(r.gas, 41 + 5 + 41 + 50);
}

#[test]
fn call_indirect_that_may_reach_a_priced_host_is_refused() {
    let text = r#"(module
        (import "env" "double" (func $double (param i32) (result i32)))
        (table 1 funcref)
        (elem (i32.const 0) $double)
        (type $t (func (param i32) (result i32)))
        (func (export "f") (param i32) (result i32)
            (call_indirect (type $t) (local.get 0) (i32.const 0))))"#;
    let priced = Prices {
        instr: &uniform,
        per_unit: PerUnitRates::default(),
        host: &host_price,
    };
    let err = instrument(&wat(text), &priced, None).unwrap_err();
    assert!(
        err.contains("call_indirect") && err.contains("env::double"),
        "{err}"
    );
    // A free host function behind call_indirect costs nothing extra: accepted.
    let r = run(
        &wat(text),
        &prices(&uniform),
        None,
        "f",
        &[Val::I32(4)],
        &mut link_host(false),
    );
    let r = r.unwrap();
    assert_eq!(r.outcome, Outcome::Returned(vec![Val::I32(8)]));
    // local.get, i32.const, call_indirect, end.
    assert_eq!(r.gas, 4);
}

#[test]
fn reserved_export_names_are_refused() {
    let text = r#"(module (global (export "__oracle_gas") i64 (i64.const 0)))"#;
    let err = instrument(&wat(text), &prices(&uniform), None).unwrap_err();
    assert!(err.contains("__oracle_gas"), "{err}");
}

#[test]
fn simd_modules_are_instrumented() {
    // The rewrite counts SIMD instructions like the others.
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (i32x4.extract_lane 0 (i32x4.add (i32x4.splat (local.get 0)) (v128.const i64x2 1 2)))))"#;
    let out = instrument(&wat(text), &prices(&uniform), Some(10)).unwrap();
    let exports: Vec<String> = wasmparser::Parser::new(0)
        .parse_all(&out)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::ExportSection(r) => Some(
                r.into_iter()
                    .map(|e| e.unwrap().name.to_string())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    for name in [
        "i32x4.add",
        "i32x4.splat",
        "v128.const",
        "i32x4.extract_lane",
    ] {
        assert!(
            exports.contains(&format!("__oracle_count_{name}")),
            "{name} in {exports:?}"
        );
    }
}

/// Sections by id, as raw bytes.
type RawSections = Vec<(u8, Vec<u8>)>;

/// The sections the rewrite does not touch, with the exports by name.
fn untouched(wasm: &[u8]) -> (RawSections, Vec<(String, u32)>) {
    let mut sections = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        if let wasmparser::Payload::ExportSection(r) = &payload {
            for e in r.clone() {
                let e = e.unwrap();
                exports.push((e.name.to_string(), e.index));
            }
        }
        if let Some((id, range)) = payload.as_section() {
            if ![6, 7, 10].contains(&id) {
                sections.push((id, wasm[range.start as usize..range.end as usize].to_vec()));
            }
        }
    }
    (sections, exports)
}

#[test]
fn the_rest_of_the_module_is_unchanged() {
    let text = r#"(module $m
        (import "env" "g" (global $ig i32))
        (import "env" "double" (func $double (param i32) (result i32)))
        (memory 1)
        (table 2 funcref)
        (global $g (mut i32) (global.get $ig))
        (func $start (global.set $g (i32.const 1)))
        (start $start)
        (elem (i32.const 0) $start $f)
        (func $f (export "f") (param i32) (result i32) (call $double (local.get 0)))
        (export "g" (global $g))
        (data (i32.const 0) "abc"))"#;
    let wasm = wat(text);
    let out = instrument(&wasm, &prices(&uniform), Some(5)).unwrap();
    let (before, before_exports) = untouched(&wasm);
    let (after, after_exports) = untouched(&out);
    assert_eq!(before, after);
    assert!(
        before.iter().any(|(id, _)| *id == 0),
        "the name section is kept"
    );
    assert_eq!(after_exports[..before_exports.len()], before_exports[..]);
    let added: Vec<(&str, u32)> = after_exports[before_exports.len()..]
        .iter()
        .map(|(n, i)| (n.as_str(), *i))
        .collect();
    // One imported and one defined global come first.
    assert_eq!(
        added,
        [
            ("__oracle_gas", 2),
            ("__oracle_out_of_gas", 3),
            ("__oracle_limit", 4),
            ("__oracle_count_i32.const", 5),
            ("__oracle_count_global.set", 6),
            ("__oracle_count_end", 7),
            ("__oracle_count_local.get", 8),
            ("__oracle_count_call", 9),
        ]
    );
}
