//! Threaded dispatch must not grow the host stack: in optimised builds every handler tail-calls
//! the next one. A long loop on a thread with a small stack overflows (and aborts the test
//! binary) if any handler on the loop's path stops tail-calling.

use ssvm_binary::Opcode;
use ssvm_runtime::{Config, CostTable, Engine, Linker, Module, Store, ValType};
use std::sync::Arc;

mod common;
use common::wat;

/// Loops `n` times through arithmetic, memory, globals, locals, select, calls and branches.
const LOOP: &str = r#"
(module
  (memory 1)
  (global $g (mut i64) (i64.const 0))
  (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  (func (export "spin") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $f f64)
    (loop $top
      (i32.store (i32.const 8) (local.get $i))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (i32.const 8)))))
      (local.set $f (f64.add (local.get $f) (f64.const 0.5)))
      (global.set $g (call $inc (global.get $g)))
      (local.set $acc (select (local.get $acc) (i64.const 0) (i32.const 1)))
      (br_if $top (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i64.add (local.get $acc) (global.get $g))))
"#;

#[test]
fn a_long_loop_runs_in_a_small_host_stack() {
    let n: i64 = 2_000_000;
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let engine = Engine::default();
            let module = Module::new(&engine, &wat(LOOP)).expect("valid");
            let mut store = Store::new(&engine, ());
            let instance = Linker::new()
                .instantiate(&mut store, &module)
                .expect("instantiates");
            let spin = instance
                .get_typed_func::<i32, i64, _>(&store, "spin")
                .unwrap();
            let expected = (0..n).sum::<i64>() + n;
            assert_eq!(spin.call(&mut store, n as i32).unwrap(), expected);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The operands of a fixed-signature instruction, as constants.
fn operand(ty: ValType) -> Option<&'static str> {
    Some(match ty {
        ValType::I32 => "i32.const 1",
        ValType::I64 => "i64.const 1",
        ValType::F32 => "f32.const 1",
        ValType::F64 => "f64.const 1",
        ValType::V128 => "v128.const i64x2 1 1",
        _ => return None,
    })
}

/// The instruction with the immediates it needs: a constant's value, lane 0, or the identity
/// shuffle.
fn instruction(op: Opcode) -> String {
    match (op.name(), op.lanes()) {
        ("v128.const", _) => "v128.const i64x2 1 1".to_string(),
        (name, _) if name.ends_with(".const") => format!("{name} 1"),
        (name, Some(32)) => {
            let lanes: Vec<String> = (0..16).map(|i| i.to_string()).collect();
            format!("{name} {}", lanes.join(" "))
        }
        // A lane access's memarg is written, so that its lane is not read as a memory index.
        (name, Some(_)) if op.max_align().is_some() => format!("{name} offset=0 0"),
        (name, Some(_)) => format!("{name} 0"),
        (name, None) => name.to_string(),
    }
}

/// A module with one loop per instruction of fixed signature (every numeric, memory and SIMD
/// instruction): each runs it once a time round, on constants, and drops what it gives.
fn every_instruction_looped() -> (String, Vec<(String, &'static str)>) {
    let mut funcs = String::new();
    let mut names = Vec::new();
    for (i, &op) in Opcode::ALL.iter().enumerate() {
        // Segment instructions need a segment: the ones a loop over memory runs are the rest.
        let segment = op.name().ends_with(".init") || op.name().ends_with(".drop");
        let Some(sig) = op.signature().filter(|_| !segment) else {
            continue;
        };
        let Some(params) = sig
            .params
            .iter()
            .map(|&t| operand(t))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let drops = "drop ".repeat(sig.results.len());
        funcs.push_str(&format!(
            "(func (export \"{i}\") (param $n i32)
               (loop $l {} {} {drops}
                 (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n",
            params.join(" "),
            instruction(op)
        ));
        names.push((i.to_string(), op.name()));
    }
    (
        format!("(module (memory 1) (table 2 funcref) {funcs})"),
        names,
    )
}

/// Every handler of an instruction that code loops over tail-calls the next op: 10,000 rounds
/// of each instruction on a 64 KiB host stack, unmetered and metered. A handler that stopped
/// tail-calling would keep a host frame per round (10,000 of at least 16 bytes) and overflow
/// the stack, aborting the test binary (as `i8x16.shuffle` did before its lanes were selected
/// without `array::from_fn`, which LLVM did not inline).
#[test]
fn every_instruction_in_a_loop_runs_in_a_small_host_stack() {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let (text, names) = every_instruction_looped();
            assert!(
                names.len() > 400,
                "only {} instructions looped",
                names.len()
            );
            let metered = Config {
                cost_table: Some(Arc::new(CostTable::default_table())),
                ..Config::default()
            };
            for engine in [Engine::default(), Engine::new(metered)] {
                let module = Module::new(&engine, &wat(&text)).expect("valid");
                let mut store = Store::new(&engine, ());
                store.set_gas_limit(u64::MAX);
                let instance = Linker::new()
                    .instantiate(&mut store, &module)
                    .expect("instantiates");
                for (export, name) in &names {
                    let f = instance
                        .get_typed_func::<i32, (), _>(&store, export)
                        .unwrap();
                    if let Err(e) = f.call(&mut store, 10_000) {
                        panic!("{name} in a loop: {e}");
                    }
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
