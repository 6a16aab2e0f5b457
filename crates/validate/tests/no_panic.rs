//! `ssvm_validate::validate` never panics and takes time linear in its input.
//!
//! * proptest: random bytes; random bytes after a valid header; random sections; and a module
//!   with one function whose body is random opcodes of the table with random immediates;
//! * seeded `wasm-smith` modules (Wasm 2.0 features), mutated (bit flips, truncation, inserted
//!   bytes, section and instruction-level edits) and truncated at every length;
//! * hand-built large inputs that would expose super-linear algorithms (deep nesting, long
//!   straight-line code, huge `br_table`s, many functions, many locals, lying counts).
//!
//! Every call must finish within `common::time_budget(len)`: one second, or 10 ms per KiB for
//! inputs above 100 KiB. That is orders of magnitude above what a linear validator needs, even
//! unoptimised on a loaded machine, so only super-linear behaviour trips it.
//!
//! `SSVM_PROPTEST_CASES` sets the number of proptest cases and of seeds (defaults below);
//! `SSVM_PROPTEST_SEED` the first seed. Failing inputs are written under `target/tmp/no_panic/`.

mod common;

use common::Rng;
use common::*;
use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

const PROPTEST_CASES: u64 = 2000;
const SMITH_SEEDS: u64 = 2000;
const MUTATIONS_PER_MODULE: usize = 24;
const TRUNCATED_MODULES: u64 = 40;

/// Validates `bytes`, failing with the input saved if it panics or is too slow; any verdict is
/// fine.
fn validate_checked(label: &str, bytes: &[u8]) {
    let _ = verdict_checked(label, bytes);
}

/// Like `validate_checked`, returning our validator's verdict.
fn verdict_checked(label: &str, bytes: &[u8]) -> Result<(), ssvm_validate::Error> {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        ssvm_validate::validate(bytes).map(|_| ())
    }));
    let elapsed = start.elapsed();
    let Ok(verdict) = result else {
        let path = save_failure("no_panic", label, bytes);
        panic!("validate panicked on {label}; input: {}", path.display());
    };
    if bytes.len() > 500 << 10 {
        eprintln!("{label}: {} KiB in {elapsed:?}", bytes.len() >> 10);
    }
    let budget = time_budget(bytes.len());
    if elapsed > budget {
        let path = save_failure("no_panic", &format!("{label}-slow"), bytes);
        panic!(
            "validate took {elapsed:?} (budget {budget:?}) on {label} ({} bytes); input: {}",
            bytes.len(),
            path.display()
        );
    }
    verdict
}

/// Like `validate_checked`, for hand-built inputs meant to be valid: wasmparser must accept
/// them (so that they reach deep into validation instead of failing early), and so must ours.
fn validate_valid(label: &str, bytes: &[u8]) {
    if let Err(e) = wasmparser_verdict(bytes) {
        panic!("test input {label} is invalid: {e}");
    }
    validate_accepted(label, bytes);
}

/// Like `validate_checked`, for hand-built inputs that are valid Wasm 2.0 but beyond one of
/// wasmparser's implementation limits: ours must accept them.
fn validate_accepted(label: &str, bytes: &[u8]) {
    if let Err(e) = verdict_checked(label, bytes) {
        panic!("our validator rejects {label}, a valid module: {e}");
    }
}

/// Like `validate_checked`, for hand-built inputs that break the format: ours must reject them
/// as malformed.
fn validate_malformed(label: &str, bytes: &[u8]) {
    match verdict_checked(label, bytes) {
        Err(e) if e.kind == ssvm_validate::ErrorKind::Malformed => {}
        other => panic!("{label} must be malformed, our validator says {other:?}"),
    }
}

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(PROPTEST_CASES) as u32,
        // Failing inputs are kept in `tests/no_panic.proptest-regressions` and replayed first.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

fn module_with_sections(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, payload) in sections {
        out.push(*id);
        write_leb(payload.len() as u64, &mut out);
        out.extend_from_slice(payload);
    }
    out
}

/// A module with the usual context (types with and without params, a memory, a table, globals,
/// a passive data and element segment) and one function of type 1 `(i32 i64) -> (i32)` with
/// `body` (locals included).
fn module_with_body(body: &[u8]) -> Vec<u8> {
    let mut code = vec![1];
    write_leb(body.len() as u64, &mut code);
    code.extend_from_slice(body);
    module_with_sections(&[
        // types: 0 = [] -> [], 1 = [i32 i64] -> [i32], 2 = [v128 f32] -> [f64 externref]
        (
            1,
            vec![
                3, 0x60, 0, 0, 0x60, 2, 0x7f, 0x7e, 1, 0x7f, 0x60, 2, 0x7b, 0x7d, 2, 0x7c, 0x6f,
            ],
        ),
        // functions: one of type 1
        (3, vec![1, 1]),
        // tables: funcref min 1, externref min 0 max 4
        (4, vec![2, 0x70, 0, 1, 0x6f, 1, 0, 4]),
        // memory: min 1
        (5, vec![1, 0, 1]),
        // globals: mutable i32 = 0, immutable v128 = 0
        (
            6,
            [
                vec![2, 0x7f, 1, 0x41, 0, 0x0b, 0x7b, 0, 0xfd, 0x0c],
                vec![0; 16],
                vec![0x0b],
            ]
            .concat(),
        ),
        // elements: passive funcref [func 0]
        (9, vec![1, 1, 0, 1, 0]),
        // data count 1
        (12, vec![1]),
        (10, code),
        // data: passive "ab"
        (11, vec![1, 1, 2, b'a', b'b']),
    ])
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        validate_checked("random-bytes", &bytes);
    }

    #[test]
    fn random_bytes_after_header(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend(bytes);
        validate_checked("random-after-header", &module);
    }

    #[test]
    fn random_sections(
        sections in prop::collection::vec((0u8..=13, prop::collection::vec(any::<u8>(), 0..48)), 0..10)
    ) {
        validate_checked("random-sections", &module_with_sections(&sections));
    }

    #[test]
    fn random_function_bodies(
        locals in prop::collection::vec((0u32..4, prop::sample::select(vec![0x7fu8, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f])), 0..3),
        ops in prop::collection::vec(
            (0..ssvm_binary::Opcode::ALL.len(), prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0x40, 0x7f, 0x7b, 0x70, 0x80, 0xff]), 0..4)),
            0..64,
        ),
    ) {
        let encodings = opcode_encodings();
        let mut body = Vec::new();
        write_leb(locals.len() as u64, &mut body);
        for (count, ty) in &locals {
            write_leb((*count).into(), &mut body);
            body.push(*ty);
        }
        for (index, immediates) in &ops {
            body.extend_from_slice(&encodings[*index]);
            body.extend_from_slice(immediates);
        }
        body.push(0x0b);
        validate_checked("random-body", &module_with_body(&body));
    }
}

#[test]
fn mutated_smith_modules() {
    for seed in seeds(SMITH_SEEDS) {
        let flavor = match seed % 4 {
            0 => Flavor::Simd,
            1 => Flavor::InvalidFuncs,
            _ => Flavor::Mixed,
        };
        let Some(bytes) = smith_module((5 << 40) + seed, flavor) else {
            continue;
        };
        validate_checked(&format!("smith-seed{seed}"), &bytes);
        let mut rng = Rng::new((5 << 40) + seed);
        for m in 0..MUTATIONS_PER_MODULE {
            let mut current = bytes.clone();
            for _ in 0..rng.range(1..=4) {
                current = mutate(&current, &mut rng).0;
            }
            validate_checked(&format!("smith-seed{seed}-mutation{m}"), &current);
        }
    }
}

#[test]
fn truncated_smith_modules() {
    // Every prefix of a module is validated, so this scales with SSVM_PROPTEST_CASES in
    // proportion to the other tests rather than one module per case.
    let count = (cases(SMITH_SEEDS) * TRUNCATED_MODULES).div_ceil(SMITH_SEEDS);
    let first = seeds(0).start;
    for seed in first..first + count {
        let Some(bytes) = smith_module((6 << 40) + seed, Flavor::Mixed) else {
            continue;
        };
        for len in 0..bytes.len() {
            validate_checked(&format!("smith-seed{seed}-truncated{len}"), &bytes[..len]);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Large inputs that expose super-linear time.

fn body_of(ops: impl IntoIterator<Item = u8>) -> Vec<u8> {
    let mut body = vec![0]; // no locals
    body.extend(ops);
    body.push(0x0b);
    body
}

#[test]
fn deep_nesting_is_linear() {
    const DEPTH: usize = 100_000;
    for open in [0x02u8, 0x03] {
        // block/loop (result i32) nested DEPTH deep, i32.const 0 innermost
        let mut ops = Vec::new();
        for _ in 0..DEPTH {
            ops.extend([open, 0x7f]);
        }
        ops.extend([0x41, 0x00]);
        ops.extend(std::iter::repeat_n(0x0b, DEPTH));
        ops.push(0x1a); // drop
        ops.extend([0x41, 0x00]); // the function's i32 result
        validate_valid("deep-nesting", &module_with_body(&body_of(ops)));
    }
    // if/else nested: (i32.const 0) if ... else ... end
    let mut ops = Vec::new();
    for _ in 0..DEPTH {
        ops.extend([0x41, 0x00, 0x04, 0x40]);
    }
    for _ in 0..DEPTH {
        ops.extend([0x05, 0x0b]);
    }
    ops.extend([0x41, 0x00]);
    validate_valid("deep-if-else", &module_with_body(&body_of(ops)));
    // Unclosed: a million open blocks and no end.
    let mut ops = Vec::new();
    for _ in 0..DEPTH * 10 {
        ops.extend([0x02, 0x40]);
    }
    validate_malformed("unclosed-blocks", &module_with_body(&body_of(ops)));
}

#[test]
fn long_straight_line_code_is_linear() {
    // 500 000 x (local.get 0; i32.const 1; i32.add; local.set 0), then local.get 0
    let mut ops = Vec::new();
    for _ in 0..500_000 {
        ops.extend([0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00]);
    }
    ops.extend([0x20, 0x00]);
    validate_valid("straight-line", &module_with_body(&body_of(ops)));
    // A growing operand stack: 500 000 pushes, then 500 000 - 1 adds.
    let mut ops = Vec::new();
    for _ in 0..500_000 {
        ops.extend([0x41, 0x01]);
    }
    ops.extend(std::iter::repeat_n(0x6a, 499_999));
    validate_valid("deep-stack", &module_with_body(&body_of(ops)));
    // Polymorphic stack: unreachable, then a million drops and selects.
    let mut ops = vec![0x00];
    ops.extend(std::iter::repeat_n(0x1a, 1_000_000));
    ops.extend(std::iter::repeat_n(0x1b, 1_000_000));
    validate_valid("unreachable-pops", &module_with_body(&body_of(ops)));
    // SIMD: 300 000 x (v128.const; i8x16.shuffle with the previous; ...)
    let mut ops = vec![0xfd, 0x0c];
    ops.extend([0; 16]);
    for _ in 0..200_000 {
        ops.extend([0xfd, 0x0c]);
        ops.extend([1; 16]);
        ops.extend([0xfd, 0x0d]);
        ops.extend(0..16u8);
    }
    ops.extend([0xfd, 0x1b, 0x00]); // i32x4.extract_lane 0
    validate_valid("simd-chain", &module_with_body(&body_of(ops)));
}

#[test]
fn huge_br_tables_are_linear() {
    // block; local.get 0; br_table with 1 000 000 targets (all 0) default 0; end; i32.const 0
    let mut ops = vec![0x02, 0x40, 0x20, 0x00, 0x0e];
    write_leb(1_000_000, &mut ops);
    ops.extend(std::iter::repeat_n(0x00, 1_000_001));
    ops.extend([0x0b, 0x41, 0x00]);
    validate_valid("huge-br-table", &module_with_body(&body_of(ops)));
    // Many br_tables each over many nested labels.
    let mut ops = Vec::new();
    for _ in 0..1000 {
        ops.extend([0x02, 0x40]);
    }
    for _ in 0..1000 {
        ops.extend([0x20, 0x00, 0x0e]);
        write_leb(1000, &mut ops);
        for depth in 0..1000u64 {
            write_leb(depth, &mut ops);
        }
        ops.push(0x00);
    }
    ops.extend(std::iter::repeat_n(0x0b, 1000));
    ops.extend([0x41, 0x00]);
    validate_valid("many-br-tables", &module_with_body(&body_of(ops)));
}

#[test]
fn many_functions_types_and_locals_are_linear() {
    // 100 000 functions of type [] -> [], each `nop`, calling the next.
    const N: u64 = 100_000;
    let mut funcs = Vec::new();
    write_leb(N, &mut funcs);
    funcs.extend(std::iter::repeat_n(0, N as usize));
    let mut code = Vec::new();
    write_leb(N, &mut code);
    for i in 0..N {
        let mut body = vec![0, 0x01, 0x10];
        write_leb((i + 1) % N, &mut body);
        body.push(0x0b);
        write_leb(body.len() as u64, &mut code);
        code.extend(body);
    }
    let module = module_with_sections(&[(1, vec![1, 0x60, 0, 0]), (3, funcs), (10, code)]);
    validate_valid("many-functions", &module);

    // 20 000 types of 200 params each; one function uses the last.
    let mut types = Vec::new();
    write_leb(20_000, &mut types);
    for _ in 0..20_000 {
        types.extend([0x60, 0xc8, 0x01]);
        types.extend(std::iter::repeat_n(0x7f, 200));
        types.push(0);
    }
    let mut funcs = vec![1];
    write_leb(19_999, &mut funcs);
    let module = module_with_sections(&[(1, types), (3, funcs), (10, vec![1, 2, 0, 0x0b])]);
    validate_valid("many-types", &module);

    // 10 000 000 locals (more than wasmparser allows, fewer than the format's u32 limit), used
    // at both ends; then many small local groups.
    let mut body = vec![2];
    write_leb(5_000_000, &mut body);
    body.push(0x7f);
    write_leb(5_000_000, &mut body);
    body.push(0x7e);
    body.extend([0x20, 0x00, 0x1a, 0x20]);
    write_leb(9_999_999 + 2, &mut body);
    body.extend([0x1a, 0x41, 0x00, 0x0b]);
    validate_accepted("many-locals", &module_with_body(&body));
    let mut body = Vec::new();
    write_leb(40_000, &mut body);
    for i in 0..40_000u32 {
        body.extend([0x01, [0x7f, 0x7e, 0x7d, 0x7c, 0x7b][i as usize % 5]]);
    }
    body.extend([0x20]);
    write_leb(40_000, &mut body);
    body.extend([0x1a, 0x41, 0x00, 0x0b]);
    validate_valid("many-local-groups", &module_with_body(&body));
}

#[test]
fn lying_counts_fail_fast() {
    // Sections that announce u32::MAX entries and hold a few bytes.
    for id in [1u8, 2, 3, 4, 5, 6, 7, 9, 10, 11] {
        let module = module_with_sections(&[(id, vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0])]);
        validate_malformed(&format!("lying-count-section{id}"), &module);
    }
    // A body announcing u32::MAX local groups, and one with u32::MAX locals of one type.
    validate_malformed(
        "lying-local-groups",
        &module_with_body(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x7f, 0x0b]),
    );
    // Not a lie to the format: one group of 2^32 - 1 locals is within its bound (fewer than
    // 2^32), so the module is valid and must be accepted without allocating them.
    validate_accepted(
        "lying-local-count",
        &module_with_body(&[0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x41, 0x00, 0x0b]),
    );
    // br_table announcing u32::MAX targets.
    validate_malformed(
        "lying-br-table",
        &module_with_body(&body_of([
            0x41, 0x00, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00,
        ])),
    );
    // A type announcing u32::MAX params; a select announcing u32::MAX types.
    validate_malformed(
        "lying-params",
        &module_with_sections(&[(1, vec![1, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f])]),
    );
    validate_malformed(
        "lying-select",
        &module_with_body(&body_of([0x00, 0x1c, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f])),
    );
}

#[test]
fn time_budget_is_generous() {
    assert!(time_budget(0).as_millis() == 1000);
    assert!(time_budget(100 * 1024).as_millis() == 1000);
    assert!(time_budget(10 << 20).as_millis() == 102_400);
}
