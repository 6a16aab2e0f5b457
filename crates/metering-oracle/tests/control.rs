//! Hand-computed charges of control flow: which `block`, `loop`, `if`, `else` and `end` are
//! executed, under a uniform price and under a table of distinct prices.

mod common;

use common::*;
use ssvm_metering_oracle::{Outcome, UnitRate};
use ssvm_runtime::Val;

/// Runs under both price tables and checks the histogram, the totals and the outcome.
fn check(text: &str, args: &[Val], want: &[(&str, u64)], outcome: Outcome) {
    let want = counts(want);
    for price in [&uniform as &dyn Fn(&str) -> u64, &table] {
        let report = run_wat(text, &prices(price), None, "f", args);
        assert_eq!(report.counts, want, "counts for {args:?}");
        assert_eq!(report.gas, priced(&want, price), "gas for {args:?}");
        assert_eq!(report.outcome, outcome, "outcome for {args:?}");
    }
}

fn ret(v: i32) -> Outcome {
    Outcome::Returned(vec![Val::I32(v)])
}

#[test]
fn straight_line() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        local.get 0  i32.const 2  i32.add  i32.const 3  i32.mul))"#;
    let want = [
        ("local.get", 1),
        ("i32.const", 2),
        ("i32.add", 1),
        ("i32.mul", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(4)], &want, ret(18));
    // By hand: 5 + 2 + 3 + 2 + 1 + 7.
    let report = run_wat(text, &prices(&table), None, "f", &[Val::I32(4)]);
    assert_eq!(report.gas, 20);
    assert_eq!(
        run_wat(text, &prices(&uniform), None, "f", &[Val::I32(4)]).gas,
        6
    );
}

#[test]
fn branch_out_of_block_skips_its_end() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (block (result i32)
          i32.const 1
          local.get 0
          br_if 0
          drop
          i32.const 2)))"#;
    let taken = [
        ("block", 1),
        ("i32.const", 1),
        ("local.get", 1),
        ("br_if", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(1)], &taken, ret(1));
    // 13 + 2 + 5 + 29 + 7 (the function's end only).
    assert_eq!(
        run_wat(text, &prices(&table), None, "f", &[Val::I32(1)]).gas,
        56
    );
    let not_taken = [
        ("block", 1),
        ("i32.const", 2),
        ("local.get", 1),
        ("br_if", 1),
        ("drop", 1),
        ("end", 2),
    ];
    check(text, &[Val::I32(0)], &not_taken, ret(2));
}

#[test]
fn loop_is_charged_once_and_its_end_on_exit() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (loop $l
          local.get 0
          i32.const 1
          i32.sub
          local.tee 0
          br_if $l)
        local.get 0))"#;
    let n = 3;
    let want = [
        ("loop", 1),
        ("local.get", n + 1),
        ("i32.const", n),
        ("i32.sub", n),
        ("local.tee", n),
        ("br_if", n),
        ("end", 2),
    ];
    check(text, &[Val::I32(n as i32)], &want, ret(0));
    assert_eq!(
        run_wat(text, &prices(&uniform), None, "f", &[Val::I32(3)]).gas,
        5 * 3 + 4
    );
}

#[test]
fn if_else_charges_one_terminator_per_arm() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        local.get 0
        (if (result i32) (then i32.const 10) (else i32.const 20))))"#;
    // Then-arm: it falls through to `else`, which ends it; the `if`'s `end` is not reached.
    let then = [
        ("local.get", 1),
        ("if", 1),
        ("i32.const", 1),
        ("else", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(1)], &then, ret(10));
    // 5 + 19 + 2 + 11 + 7.
    assert_eq!(
        run_wat(text, &prices(&table), None, "f", &[Val::I32(1)]).gas,
        44
    );
    // Else-arm: `else` is skipped, the `if`'s `end` is reached by falling through.
    let els = [("local.get", 1), ("if", 1), ("i32.const", 1), ("end", 2)];
    check(text, &[Val::I32(0)], &els, ret(20));
    assert_eq!(
        run_wat(text, &prices(&table), None, "f", &[Val::I32(0)]).gas,
        40
    );
}

#[test]
fn false_if_without_else_skips_its_end() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        local.get 0
        (if (then nop))
        i32.const 7))"#;
    let skipped = [("local.get", 1), ("if", 1), ("i32.const", 1), ("end", 1)];
    check(text, &[Val::I32(0)], &skipped, ret(7));
    let taken = [
        ("local.get", 1),
        ("if", 1),
        ("nop", 1),
        ("i32.const", 1),
        ("end", 2),
    ];
    check(text, &[Val::I32(1)], &taken, ret(7));
}

#[test]
fn branch_out_of_nested_blocks_skips_every_end_on_the_way() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (block $outer
          (block $inner
            local.get 0
            (if (then br $outer))
            nop)
          nop)
        i32.const 1))"#;
    let out = [
        ("block", 2),
        ("local.get", 1),
        ("if", 1),
        ("br", 1),
        ("i32.const", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(1)], &out, ret(1));
    let through = [
        ("block", 2),
        ("local.get", 1),
        ("if", 1),
        ("nop", 2),
        ("i32.const", 1),
        // inner, outer and the function's: the false `if` has no `end` executed.
        ("end", 3),
    ];
    check(text, &[Val::I32(0)], &through, ret(1));
}

#[test]
fn br_table_and_return() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (block $b2
          (block $b1
            (block $b0
              local.get 0
              br_table $b0 $b1 $b2)
            i32.const 100
            return)
          i32.const 200
          return)
        i32.const 300))"#;
    // Targets 0 and 1 end in `return`: no `end` at all is executed.
    let early = [
        ("block", 3),
        ("local.get", 1),
        ("br_table", 1),
        ("i32.const", 1),
        ("return", 1),
    ];
    check(text, &[Val::I32(0)], &early, ret(100));
    check(text, &[Val::I32(1)], &early, ret(200));
    // 3 × 13 + 5 + 31 + 2 + 37.
    assert_eq!(
        run_wat(text, &prices(&table), None, "f", &[Val::I32(1)]).gas,
        114
    );
    // The default target falls off the function's end.
    let default = [
        ("block", 3),
        ("local.get", 1),
        ("br_table", 1),
        ("i32.const", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(9)], &default, ret(300));
}

#[test]
fn return_skips_the_final_end() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        i32.const 1 return))"#;
    check(
        text,
        &[Val::I32(0)],
        &[("i32.const", 1), ("return", 1)],
        ret(1),
    );
}

#[test]
fn branch_to_the_function_body_label_skips_the_final_end() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        i32.const 5 br 0))"#;
    check(text, &[Val::I32(0)], &[("i32.const", 1), ("br", 1)], ret(5));
}

#[test]
fn calls_charge_the_callee_body() {
    let text = r#"(module
        (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)
        (func (export "f") (param i32) (result i32) local.get 0 call $sq))"#;
    let want = [("local.get", 3), ("call", 1), ("i32.mul", 1), ("end", 2)];
    check(text, &[Val::I32(6)], &want, ret(36));
}

#[test]
fn trap_charges_the_trapping_instruction_and_nothing_after() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        i32.const 1
        local.get 0
        i32.div_u
        i32.const 5
        i32.add))"#;
    let trapped = [("i32.const", 1), ("local.get", 1), ("i32.div_u", 1)];
    check(
        text,
        &[Val::I32(0)],
        &trapped,
        Outcome::Trapped("integer divide by zero".into()),
    );
    let unreachable = r#"(module (func (export "f") (param i32) (result i32)
        local.get 0 drop unreachable))"#;
    check(
        unreachable,
        &[Val::I32(0)],
        &[("local.get", 1), ("drop", 1), ("unreachable", 1)],
        Outcome::Trapped("unreachable".into()),
    );
}

#[test]
fn start_function_is_not_charged() {
    let text = r#"(module
        (global $g (mut i32) (i32.const 0))
        (func $start i32.const 41 global.set $g)
        (start $start)
        (func (export "f") (param i32) (result i32) global.get $g local.get 0 i32.add))"#;
    let want = [
        ("global.get", 1),
        ("local.get", 1),
        ("i32.add", 1),
        ("end", 1),
    ];
    check(text, &[Val::I32(1)], &want, ret(42));
}

#[test]
fn select_and_multi_value_blocks() {
    let text = r#"(module (func (export "f") (param i32) (result i32)
        (block (result i32 i32) i32.const 3 i32.const 4)
        local.get 0
        select
        (select (result i32) (i32.const 8) (i32.const 9) (local.get 0))
        i32.add))"#;
    let want = [
        ("block", 1),
        ("i32.const", 4),
        ("local.get", 2),
        ("select", 2),
        ("i32.add", 1),
        ("end", 2),
    ];
    check(text, &[Val::I32(0)], &want, ret(13));
}

#[test]
fn dead_code_is_instrumented_but_never_charged() {
    let text = r#"(module
        (memory 1)
        (func (export "f") (param i32) (result i32)
          (block
            br 0
            (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
            (drop (memory.grow (i32.const 1)))
            select
            drop)
          unreachable
          memory.grow
          i32.const 1
          select))"#;
    let rated = ssvm_metering_oracle::Prices {
        instr: &uniform,
        per_unit: ssvm_metering_oracle::PerUnitRates {
            memory_fill: UnitRate::per_unit(5),
            memory_grow: UnitRate::per_unit(5),
            ..Default::default()
        },
        host: &no_host,
    };
    let r = run_wat(text, &rated, None, "f", &[Val::I32(0)]);
    assert_eq!(r.outcome, Outcome::Trapped("unreachable".into()));
    assert_eq!(
        r.counts,
        counts(&[("block", 1), ("br", 1), ("unreachable", 1)])
    );
    assert_eq!(r.gas, 3);
}
