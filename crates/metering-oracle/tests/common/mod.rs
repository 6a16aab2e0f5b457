//! Helpers shared by the oracle's tests.
#![allow(dead_code)]

use ssvm_metering_oracle::{run, PerUnitRates, Prices, Report};
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
