//! Memory64: the per-unit work of 64-bit memories and tables is counted from their `i64`
//! operands in full (`memory.copy` and `table.copy` between a 32-bit and a 64-bit one from an
//! unsigned `i32`), a grow that fails returns an `i64` -1 and pays no units, and a charge
//! beyond 2^64 - 1 stops for lack of gas even under the largest limit.

mod common;

use common::*;
use ssvm_metering_oracle::{Outcome, Prices, Report};
use ssvm_runtime::Val;

fn go(func: &str, args: &[Val], limit: Option<u64>) -> (u64, Outcome) {
    let prices = Prices {
        instr: &uniform,
        per_unit: RATES,
        host: &no_host,
    };
    let Report { gas, outcome, .. } = run_wat(MEMORY64, &prices, limit, func, args);
    (gas, outcome)
}

fn i64s(args: &[i64]) -> Vec<Val> {
    args.iter().map(|&a| Val::I64(a)).collect()
}

const DONE: Outcome = Outcome::Returned(vec![]);

#[test]
fn a_64_bit_grow_charges_pages_only_on_success() {
    // local.get, memory.grow, end, and 100 a page added; the old size as an i64.
    let grow = |delta: i64| go("grow", &i64s(&[delta]), None);
    assert_eq!(grow(2), (3 + 200, Outcome::Returned(vec![Val::I64(1)])));
    assert_eq!(grow(0), (3, Outcome::Returned(vec![Val::I64(1)])));
    // Above the maximum: -1 as an i64, no pages paid. 2^40 pages at 100 fit in 2^64.
    assert_eq!(grow(3), (3, Outcome::Returned(vec![Val::I64(-1)])));
    assert_eq!(grow(1 << 40), (3, Outcome::Returned(vec![Val::I64(-1)])));
    // 2^62 pages at 100 are more than 2^64 - 1: out of gas before the grow, whatever the limit.
    assert_eq!(grow(1 << 62), (1, Outcome::OutOfGas));
    // Priced as if it succeeded: 2 + 100 × 2^32 (a count cut to 32 bits would be 0).
    let limit = 2 + (100 << 32);
    assert_eq!(
        go("grow", &i64s(&[1 << 32]), Some(limit - 1)),
        (1, Outcome::OutOfGas)
    );
    assert_eq!(
        go("grow", &i64s(&[1 << 32]), Some(limit)),
        (3, Outcome::Returned(vec![Val::I64(-1)]))
    );
}

#[test]
fn a_64_bit_fill_counts_every_bit_of_its_length() {
    // local.get, i32.const, local.get, memory.fill, end, and 10 a byte.
    let fill = |n: i64, limit| go("fill", &i64s(&[0, n]), limit);
    assert_eq!(fill(16, None), (5 + 160, DONE));
    // Stopped exactly: the fill fits a limit of 164, the `end` after it does not.
    assert_eq!(fill(16, Some(164)), (164, Outcome::OutOfGas));
    assert_eq!(fill(16, Some(163)), (3, Outcome::OutOfGas));
    // 2^32 + 16 bytes: they fit no limit that 16 bytes fit, and trap when the limit allows them.
    let n = (1 << 32) + 16;
    assert_eq!(fill(n, Some(1000)), (3, Outcome::OutOfGas));
    assert_eq!(fill(n, None), (4, oob("memory")));
    // A length of 2^64 - 1 is a count (unsigned), far beyond any limit.
    assert_eq!(fill(-1, None), (3, Outcome::OutOfGas));
}

#[test]
fn copies_count_with_the_smaller_address_type() {
    // Three local.get, memory.copy, end, and 3 a byte.
    assert_eq!(go("copy", &i64s(&[0, 100, 50]), None), (5 + 150, DONE));
    // Between two 64-bit memories the length is an i64: 2^40 bytes are 3 × 2^40 gas.
    let big = i64s(&[0, 0, 1 << 40]);
    assert_eq!(go("copy", &big, Some(3 << 40)), (3, Outcome::OutOfGas));
    assert_eq!(go("copy", &big, Some(4 + (3 << 40))), (4, oob("memory")));
    // From the 32-bit memory into the 64-bit one and back the length is an unsigned i32:
    // -1 is 2^32 - 1 bytes, 3 × (2^32 - 1) gas, which a limit of 3 more lets the copy try.
    let units = 3 * u64::from(u32::MAX);
    let copy_in = |limit| {
        let args = [Val::I64(0), Val::I32(0), Val::I32(-1)];
        go("copy_in", &args, Some(limit))
    };
    assert_eq!(copy_in(units + 3), (3, Outcome::OutOfGas));
    assert_eq!(copy_in(units + 4), (4, oob("memory")));
    let copy_out = |n| go("copy_out", &[Val::I32(8), Val::I64(0), Val::I32(n)], None);
    assert_eq!(copy_out(50), (5 + 150, DONE));
    assert_eq!(copy_out(-1), (4, oob("memory")));
    // memory.init's length is an i32 whatever the memory: 2 a byte.
    let init = |n| go("init", &[Val::I64(0), Val::I32(n)], None);
    assert_eq!(init(5), (5 + 10, DONE));
    assert_eq!(init(6), (4, oob("memory")));
}

#[test]
fn a_64_bit_table_grows_fills_copies_and_inits_by_its_operands() {
    // ref.null, local.get, table.grow, end, and 1000 an element added.
    let tgrow = |delta: i64| go("tgrow", &i64s(&[delta]), None);
    assert_eq!(tgrow(2), (4 + 2000, Outcome::Returned(vec![Val::I64(1)])));
    assert_eq!(tgrow(4), (4, Outcome::Returned(vec![Val::I64(-1)])));
    assert_eq!(tgrow(1 << 60), (2, Outcome::OutOfGas));
    // local.get, ref.null, local.get, table.fill, end, and 7 an element.
    let tfill = |n: i64, limit| go("tfill", &i64s(&[0, n]), limit);
    assert_eq!(tfill(1, None), (5 + 7, DONE));
    assert_eq!(tfill((1 << 32) + 1, Some(100)), (3, Outcome::OutOfGas));
    assert_eq!(tfill((1 << 32) + 1, None), (4, oob("table")));
    // 5 an element copied, between 64-bit tables and from the 32-bit one (an i32 length).
    assert_eq!(go("tcopy", &i64s(&[0, 0, 1]), None), (5 + 5, DONE));
    assert_eq!(
        go("tcopy", &i64s(&[0, 0, 1 << 33]), Some(5 << 33)),
        (3, Outcome::OutOfGas)
    );
    let tcopy_in = |n| go("tcopy_in", &[Val::I64(0), Val::I32(1), Val::I32(n)], None);
    assert_eq!(tcopy_in(1), (5 + 5, DONE));
    assert_eq!(tcopy_in(2), (4, oob("table")));
    // table.init's length is an i32: 9 an element.
    let tinit = |n| go("tinit", &[Val::I64(0), Val::I32(n)], None);
    assert_eq!(tinit(1), (5 + 9, DONE));
    assert_eq!(tinit(2), (4, oob("table")));
    assert_eq!(
        go("size", &[], None),
        (3, Outcome::Returned(vec![Val::I64(1), Val::I64(1)]))
    );
}
