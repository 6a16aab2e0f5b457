//! Helpers shared by the oracle's tests.
#![allow(dead_code)]

use ssvm_metering_oracle::{run, Outcome, PerUnitRates, Prices, Report, UnitRate};
use ssvm_runtime::{Linker, Store, Val};

/// Encodes a module written in the text format.
pub fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    module.encode().expect("encodes")
}

/// Every instruction costs 1.
pub fn uniform(_: &str) -> u64 {
    1
}

/// A non-uniform table: distinct prices for the instructions whose charging rules differ.
pub fn table(name: &str) -> u64 {
    match name {
        "i32.const" => 2,
        "i32.add" => 3,
        "local.get" => 5,
        "end" => 7,
        "else" => 11,
        "block" => 13,
        "loop" => 17,
        "if" => 19,
        "br" => 23,
        "br_if" => 29,
        "br_table" => 31,
        "return" => 37,
        "call" => 41,
        "nop" => 0,
        "memory.fill" | "memory.copy" | "memory.init" | "memory.grow" => 43,
        "table.grow" | "table.fill" => 47,
        _ => 1,
    }
}

/// Per-unit rates, distinct for every instruction with per-unit work.
pub const RATES: PerUnitRates = PerUnitRates {
    memory_grow: UnitRate::per_unit(100),
    memory_fill: UnitRate::per_unit(10),
    memory_copy: UnitRate::per_unit(3),
    memory_init: UnitRate::per_unit(2),
    table_grow: UnitRate::per_unit(1000),
    table_fill: UnitRate::per_unit(7),
    table_copy: UnitRate::per_unit(5),
    table_init: UnitRate::per_unit(9),
    local: UnitRate::per_unit(0),
};

/// The trap of an out-of-bounds access of a memory or a table (`what`).
pub fn oob(what: &str) -> Outcome {
    Outcome::Trapped(format!("out of bounds {what} access"))
}

/// A 32-bit and a 64-bit memory (1 page, at most 3) and table (2 and 1 elements, at most 4),
/// and a function for each instruction with per-unit work on the 64-bit ones, between the two
/// kinds where there are two operands, taking its operands as parameters.
pub const MEMORY64: &str = r#"(module
    (memory $m 1 3)
    (memory $w i64 1 3)
    (table $t 2 4 funcref)
    (table $u i64 1 4 funcref)
    (data $d "hello")
    (elem $e func $grow $grow $grow)
    (func $grow (export "grow") (param i64) (result i64) (memory.grow $w (local.get 0)))
    (func (export "fill") (param i64 i64)
        (memory.fill $w (local.get 0) (i32.const 7) (local.get 1)))
    (func (export "copy") (param i64 i64 i64)
        (memory.copy $w $w (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_in") (param i64 i32 i32)
        (memory.copy $w $m (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_out") (param i32 i64 i32)
        (memory.copy $m $w (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i64 i32)
        (memory.init $w $d (local.get 0) (i32.const 0) (local.get 1)))
    (func (export "tgrow") (param i64) (result i64)
        (table.grow $u (ref.null func) (local.get 0)))
    (func (export "tfill") (param i64 i64)
        (table.fill $u (local.get 0) (ref.null func) (local.get 1)))
    (func (export "tcopy") (param i64 i64 i64)
        (table.copy $u $u (local.get 0) (local.get 1) (local.get 2)))
    (func (export "tcopy_in") (param i64 i32 i32)
        (table.copy $u $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "tinit") (param i64 i32)
        (table.init $u $e (local.get 0) (i32.const 0) (local.get 1)))
    (func (export "size") (result i64 i64) (memory.size $w) (table.size $u)))"#;

pub fn no_host(_: &str, _: &str) -> u64 {
    0
}

/// Prices with no per-unit costs and free host functions.
pub fn prices(instr: &dyn Fn(&str) -> u64) -> Prices<'_> {
    Prices {
        instr,
        per_unit: PerUnitRates::default(),
        host: &no_host,
    }
}

/// Runs `func` of the text module `text` with no imports.
pub fn run_wat(
    text: &str,
    prices: &Prices,
    limit: Option<u64>,
    func: &str,
    args: &[Val],
) -> Report {
    run(
        &wat(text),
        prices,
        limit,
        func,
        args,
        &mut |_: &mut Linker<()>, _: &mut Store<()>| {},
    )
    .expect("runs")
}

/// Builds an expected histogram.
pub fn counts(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|&(n, c)| (n.to_string(), c)).collect()
}

/// Σ price × count.
pub fn priced(
    counts: &std::collections::BTreeMap<String, u64>,
    price: &dyn Fn(&str) -> u64,
) -> u64 {
    counts.iter().map(|(n, &c)| price(n) * c).sum()
}
