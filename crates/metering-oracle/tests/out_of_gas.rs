//! Out of gas: for every limit from 0 to the total, execution stops exactly before the first
//! instruction whose charge would exceed the limit.

mod common;

use common::*;
use ssvm_metering_oracle::{run, Outcome, PerUnitRates, Prices, Report, UnitRate};
use ssvm_runtime::{FuncType, Linker, Store, Val};
use std::collections::BTreeMap;

const MODULE: &str = r#"(module
    (import "env" "h" (func $h))
    (memory 1 2)
    (func (export "f") (result i32)
      (local i32)
      (loop $l
        nop
        local.get 0
        i32.const 1
        i32.add
        local.tee 0
        i32.const 3
        i32.lt_u
        br_if $l)
      call $h
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
      (drop (memory.grow (i32.const 1)))
      local.get 0))"#;

const RATES: PerUnitRates = PerUnitRates {
    memory_grow: UnitRate::per_unit(100),
    memory_fill: UnitRate::per_unit(10),
    memory_copy: UnitRate::per_unit(0),
    memory_init: UnitRate::per_unit(0),
    table_grow: UnitRate::per_unit(0),
    table_fill: UnitRate::per_unit(0),
    table_copy: UnitRate::per_unit(0),
    table_init: UnitRate::per_unit(0),
    local: UnitRate::per_unit(0),
};

fn host_price(_: &str, _: &str) -> u64 {
    50
}

/// The executed instructions of `f` in order, with the whole charge of each (base, the host's
/// price for the call, per-unit work of the fill and of the successful grow).
fn trace(price: &dyn Fn(&str) -> u64, rates: &PerUnitRates, host: u64) -> Vec<(&'static str, u64)> {
    let mut t = vec!["loop"];
    for _ in 0..3 {
        t.extend([
            "nop",
            "local.get",
            "i32.const",
            "i32.add",
            "local.tee",
            "i32.const",
            "i32.lt_u",
            "br_if",
        ]);
    }
    t.extend([
        "end",
        "call",
        "i32.const",
        "i32.const",
        "i32.const",
        "memory.fill",
        "i32.const",
        "memory.grow",
        "drop",
        "local.get",
        "end",
    ]);
    t.into_iter()
        .map(|name| {
            let extra = match name {
                "call" => host,
                "memory.fill" => rates.memory_fill.price(4) as u64,
                "memory.grow" => rates.memory_grow.price(1) as u64,
                _ => 0,
            };
            (name, price(name) + extra)
        })
        .collect()
}

fn link(linker: &mut Linker<()>, _: &mut Store<()>) {
    linker.func_new("env", "h", FuncType::default(), |_, _, _| Ok(()));
}

/// Runs `f` at every limit from 0 to its total plus one; returns the total.
fn sweep(
    price: &dyn Fn(&str) -> u64,
    rates: PerUnitRates,
    host: &dyn Fn(&str, &str) -> u64,
) -> u64 {
    let prices = Prices {
        instr: price,
        per_unit: rates,
        host,
    };
    let trace = trace(price, &rates, host("env", "h"));
    let total: u64 = trace.iter().map(|&(_, c)| c).sum();
    let wasm = wat(MODULE);
    let unlimited = run(&wasm, &prices, None, "f", &[], &mut link).unwrap();
    assert_eq!(unlimited.gas, total);
    assert_eq!(unlimited.outcome, Outcome::Returned(vec![Val::I32(3)]));
    for limit in 0..=total + 1 {
        // The longest prefix of the trace whose cost fits in the limit.
        let (mut k, mut used) = (0, 0);
        while k < trace.len() && used + trace[k].1 <= limit {
            used += trace[k].1;
            k += 1;
        }
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for &(name, _) in &trace[..k] {
            *want.entry(name.to_string()).or_default() += 1;
        }
        let r: Report = run(&wasm, &prices, Some(limit), "f", &[], &mut link).unwrap();
        assert_eq!(r.gas, used, "gas at limit {limit}");
        assert!(r.gas <= limit);
        assert_eq!(r.counts, want, "counts at limit {limit}");
        let outcome = if limit >= total {
            Outcome::Returned(vec![Val::I32(3)])
        } else {
            Outcome::OutOfGas
        };
        assert_eq!(r.outcome, outcome, "outcome at limit {limit}");
    }
    total
}

#[test]
fn sweep_every_limit_uniform() {
    assert_eq!(
        sweep(&uniform, PerUnitRates::default(), &no_host),
        1 + 3 * 8 + 11
    );
}

#[test]
fn sweep_every_limit_with_table_per_unit_and_host_prices() {
    // loop 17; 3 × (0 + 5 + 2 + 3 + 1 + 2 + 1 + 29); end 7; call 41 + 50; 3 × 2 and fill
    // 43 + 4 × 10; 2 and grow 43 + 100; drop 1; local.get 5; end 7.
    assert_eq!(sweep(&table, RATES, &host_price), 491);
}

#[test]
fn out_of_gas_assumes_the_grow_succeeds() {
    let text = r#"(module (memory 1 1) (func (export "g") (result i32)
        (memory.grow (i32.const 1))))"#;
    let prices = Prices {
        instr: &uniform,
        per_unit: RATES,
        host: &no_host,
    };
    // The grow would fail, but its charge is checked as if it added a page.
    for limit in 1..102 {
        let r = run_wat(text, &prices, Some(limit), "g", &[]);
        assert_eq!((r.gas, r.outcome), (1, Outcome::OutOfGas), "limit {limit}");
    }
    // Enough for base + one page: it runs, fails, and only the base is charged.
    let r = run_wat(text, &prices, Some(102), "g", &[]);
    assert_eq!(
        (r.gas, r.outcome),
        (3, Outcome::Returned(vec![Val::I32(-1)]))
    );
}

#[test]
fn zero_limit_runs_free_instructions_only() {
    let free = |name: &str| u64::from(name != "nop" && name != "local.get");
    let text = r#"(module (func (export "f") (param i32) (result i32)
        nop nop local.get 0 i32.const 1 i32.add))"#;
    let r = run_wat(text, &prices(&free), Some(0), "f", &[Val::I32(1)]);
    assert_eq!(r.outcome, Outcome::OutOfGas);
    assert_eq!(r.gas, 0);
    assert_eq!(r.counts, counts(&[("nop", 2), ("local.get", 1)]));
}
