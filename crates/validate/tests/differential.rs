//! Differential test: `ssvm_validate::validate` accepts exactly the modules that wasmparser's
//! validator accepts with the WebAssembly 2.0 features, tail calls, exception handling and
//! extended constant expressions.
//!
//! Inputs are deterministic: seed `s` drives a `wasm-smith` module (Wasm 2.0 features, sizes
//! and knobs drawn from the seed) and, in the mutation tests, a sequence of mutations (bit flips,
//! truncation, inserted bytes, section shuffles, and instruction-level edits of one function
//! body: another opcode with the same immediates, deleted / duplicated / transplanted / swapped
//! instructions, different locals). wasm-smith only makes valid modules; the mutations make the
//! malformed and invalid ones.
//!
//! On the first disagreement the test shrinks the module, writes both versions under
//! `target/tmp/differential/`, prints both verdicts, how to reproduce it, and an entry to paste
//! into `tests/regressions.rs`, then fails.
//!
//! Knobs (see `common/mod.rs`): `SSVM_PROPTEST_CASES` (seeds per test; defaults below),
//! `SSVM_PROPTEST_SEED` (first seed), `SSVM_DIFF_KEEP_GOING=1` (report every kind of
//! disagreement instead of stopping at the first).
//!
//! Modules that wasmparser rejects only for one of its implementation limits (e.g. more than
//! 50 000 locals) are valid Wasm 2.0 and are not counted as disagreements.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Default seeds per test, for a whole file well under a minute in `cargo test --release`.
const SMITH_SEEDS: u64 = 4000;
const MUTATED_SEEDS: u64 = 3000;
const MUTATIONS_PER_MODULE: usize = 12;
const SIMD_SEEDS: u64 = 2000;
const INVALID_FUNCS_SEEDS: u64 = 3000;

/// Seeds of the different tests are kept apart so that they see different modules.
const STREAM_SMITH: u64 = 0;
const STREAM_MUTATED: u64 = 1 << 40;
const STREAM_SIMD: u64 = 2 << 40;
const STREAM_INVALID_FUNCS: u64 = 3 << 40;

struct Disagreement {
    label: String,
    count: usize,
}

/// The state of one test run.
struct Run {
    test: &'static str,
    checked: usize,
    rejected_by_both: usize,
    /// Of those, how many we reject as invalid (well-formed) rather than malformed.
    invalid: usize,
    limit_only: usize,
    /// Disagreements only over what the GC proposal brings (`Verdicts::only_gc`).
    gc_only: usize,
    groups: BTreeMap<String, Disagreement>,
    opcodes: BTreeSet<ssvm_binary::Opcode>,
}

impl Run {
    fn new(test: &'static str) -> Run {
        Run {
            test,
            checked: 0,
            rejected_by_both: 0,
            invalid: 0,
            limit_only: 0,
            gc_only: 0,
            groups: BTreeMap::new(),
            opcodes: BTreeSet::new(),
        }
    }

    /// Compares the validators on one module; `seed` and `what` say how it was made.
    fn check(&mut self, seed: u64, what: &str, bytes: &[u8]) {
        self.checked += 1;
        let verdicts = match catch_unwind(AssertUnwindSafe(|| Verdicts::of(bytes))) {
            Ok(v) => v,
            Err(_) => {
                let path = save_failure(
                    "differential",
                    &format!("{}-seed{seed}-panic", self.test),
                    bytes,
                );
                panic!(
                    "a validator panicked on seed {seed} ({what}); module: {}\n  reproduce: {}",
                    path.display(),
                    self.reproduce(seed)
                );
            }
        };
        if verdicts.agree() {
            if let Err(e) = &verdicts.ours {
                self.rejected_by_both += 1;
                if e.kind == ssvm_validate::ErrorKind::Invalid {
                    self.invalid += 1;
                }
            }
            return;
        }
        if verdicts.only_implementation_limit() {
            self.limit_only += 1;
            return;
        }
        if verdicts.only_gc() {
            self.gc_only += 1;
            return;
        }
        let key = verdicts.group_key();
        if let Some(group) = self.groups.get_mut(&key) {
            group.count += 1;
            return;
        }
        let name = format!("{}-seed{seed}-{}", self.test, self.groups.len());
        let report = self.report(&name, seed, what, bytes, &verdicts);
        self.groups.insert(
            key,
            Disagreement {
                label: format!("seed {seed}: {what}"),
                count: 1,
            },
        );
        if !keep_going() {
            panic!("{report}");
        }
        eprintln!("{report}");
    }

    fn reproduce(&self, seed: u64) -> String {
        format!(
            "SSVM_PROPTEST_SEED={seed} SSVM_PROPTEST_CASES=1 cargo test --release -p ssvm-validate --test differential {}",
            self.test
        )
    }

    fn report(&self, name: &str, seed: u64, what: &str, bytes: &[u8], v: &Verdicts) -> String {
        let path = save_failure("differential", name, bytes);
        let ours_ok = v.ours.is_ok();
        let theirs_ok = v.theirs.is_ok();
        let same = move |b: &[u8]| {
            let w = Verdicts::of(b);
            w.disagree() && w.ours.is_ok() == ours_ok && w.theirs.is_ok() == theirs_ok
        };
        let small = shrink(bytes, &same, 4000);
        let small_path = save_failure("differential", &format!("{name}-min"), &small);
        let small_verdicts = Verdicts::of(&small);
        let test_name = name.replace('-', "_");
        format!(
            "\n=== DISAGREEMENT in `{test}` on seed {seed} ({what})\n\
             {direction}\n{describe}\n  module: {path} ({len} bytes)\n\
             shrunk to {small_len} bytes: {small_path}\n{small_describe}\n  hex: {small_hex}\n\
             reproduce: {repro}\n\
             entry for crates/validate/tests/regressions.rs:\n{snippet}\n",
            test = self.test,
            direction = v.direction(),
            describe = v.describe(),
            path = path.display(),
            len = bytes.len(),
            small_len = small.len(),
            small_path = small_path.display(),
            small_describe = small_verdicts.describe(),
            small_hex = hex(&small),
            repro = self.reproduce(seed),
            snippet = regression_snippet(&test_name, &small),
        )
    }

    /// Records which opcodes our decoder sees in a module (coverage report).
    fn record_opcodes(&mut self, bytes: &[u8]) {
        let Ok(module) = ssvm_binary::Module::decode(bytes) else {
            return;
        };
        for body in &module.code {
            let Ok(mut ops) = body.read_locals(|_, _| Ok(())) else {
                continue;
            };
            while !ops.is_empty() {
                match ops.read() {
                    Ok(op) => {
                        self.opcodes.insert(op.opcode());
                    }
                    Err(_) => break,
                }
            }
        }
    }

    fn finish(self) {
        let all = ssvm_binary::Opcode::ALL.len();
        let simd_all = ssvm_binary::Opcode::ALL
            .iter()
            .filter(|o| o.encoding().0 == 0xfd)
            .count();
        let simd = self
            .opcodes
            .iter()
            .filter(|o| o.encoding().0 == 0xfd)
            .count();
        let disagreements: usize = self.groups.values().map(|g| g.count).sum();
        eprintln!(
            "{}: {} modules, {} rejected by both ({} invalid, the rest malformed), {} only over a \
             wasmparser implementation limit, {} only over GC (unsupported), {} \
             disagreements in {} groups; opcodes seen in generated modules: {}/{all} (SIMD \
             {simd}/{simd_all})",
            self.test,
            self.checked,
            self.rejected_by_both,
            self.invalid,
            self.limit_only,
            self.gc_only,
            disagreements,
            self.groups.len(),
            self.opcodes.len(),
        );
        if self.groups.is_empty() {
            return;
        }
        let mut summary = String::new();
        for (key, g) in &self.groups {
            summary.push_str(&format!(
                "  {:>6} x {key}\n         first: {}\n",
                g.count, g.label
            ));
        }
        panic!(
            "{}: {disagreements} disagreements with wasmparser:\n{summary}",
            self.test
        );
    }
}

fn smith(run: &mut Run, stream: u64, seed: u64, flavor: Flavor) -> Option<Vec<u8>> {
    let bytes = smith_module(stream + seed, flavor)?;
    run.record_opcodes(&bytes);
    Some(bytes)
}

/// Applies one to three stacked mutations, `count` times, and checks each result.
fn check_mutations(run: &mut Run, stream: u64, seed: u64, bytes: &[u8], count: usize) {
    let mut rng = Rng::new(stream + seed + 0x5eed);
    for _ in 0..count {
        let mut current = bytes.to_vec();
        let mut what = Vec::new();
        for _ in 0..rng.range(1..=3) {
            let (next, description) = mutate(&current, &mut rng);
            current = next;
            what.push(description);
            if rng.chance(1, 2) {
                break;
            }
        }
        run.check(seed, &what.join("; "), &current);
    }
}

/// Unmutated wasm-smith modules: all valid, so both validators must accept them.
#[test]
fn smith_modules_agree() {
    let mut run = Run::new("smith_modules_agree");
    for seed in seeds(SMITH_SEEDS) {
        if let Some(bytes) = smith(&mut run, STREAM_SMITH, seed, Flavor::Mixed) {
            run.check(seed, "unmutated", &bytes);
        }
    }
    run.finish();
}

/// Mutated wasm-smith modules: mostly invalid or malformed.
#[test]
fn mutated_modules_agree() {
    let mut run = Run::new("mutated_modules_agree");
    for seed in seeds(MUTATED_SEEDS) {
        if let Some(bytes) = smith(&mut run, STREAM_MUTATED, seed, Flavor::Mixed) {
            check_mutations(&mut run, STREAM_MUTATED, seed, &bytes, MUTATIONS_PER_MODULE);
        }
    }
    run.finish();
}

/// SIMD-heavy modules, as generated and mutated.
#[test]
fn simd_modules_agree() {
    let mut run = Run::new("simd_modules_agree");
    for seed in seeds(SIMD_SEEDS) {
        if let Some(bytes) = smith(&mut run, STREAM_SIMD, seed, Flavor::Simd) {
            run.check(seed, "unmutated", &bytes);
            check_mutations(
                &mut run,
                STREAM_SIMD,
                seed,
                &bytes,
                MUTATIONS_PER_MODULE / 2,
            );
        }
    }
    run.finish();
}

/// wasm-smith with `allow_invalid_funcs`: some function bodies are raw bytes.
#[test]
fn raw_function_bodies_agree() {
    let mut run = Run::new("raw_function_bodies_agree");
    for seed in seeds(INVALID_FUNCS_SEEDS) {
        if let Some(bytes) = smith(&mut run, STREAM_INVALID_FUNCS, seed, Flavor::InvalidFuncs) {
            run.check(seed, "unmutated", &bytes);
            check_mutations(&mut run, STREAM_INVALID_FUNCS, seed, &bytes, 3);
        }
    }
    run.finish();
}

/// The generated modules are neither few nor trivial: the differential tests above are only as
/// strong as what wasm-smith makes. Prints their sizes and how many instructions they hold
/// (`cargo test --release -p ssvm-validate --test differential -- --nocapture`); the floors are
/// about half of what the first 300 seeds give (measured: medians of 539, 1294 and 2497 bytes,
/// at least 69 802 instructions per flavor).
#[test]
fn generated_modules_are_many_and_not_trivial() {
    for flavor in [Flavor::Mixed, Flavor::Simd, Flavor::InvalidFuncs] {
        let mut sizes = Vec::new();
        let mut ops = 0usize;
        for seed in 0..300 {
            let Some(bytes) = smith_module(seed, flavor) else {
                continue;
            };
            let module = ssvm_binary::Module::decode(&bytes).expect("wasm-smith output decodes");
            for body in &module.code {
                if let Ok(mut reader) = body.read_locals(|_, _| Ok(())) {
                    while !reader.is_empty() && reader.read().is_ok() {
                        ops += 1;
                    }
                }
            }
            sizes.push(bytes.len());
        }
        sizes.sort_unstable();
        let (median, p90) = (sizes[sizes.len() / 2], sizes[sizes.len() * 9 / 10]);
        eprintln!(
            "{flavor:?}: {} modules, size median {median} p90 {p90} max {}, {ops} instructions",
            sizes.len(),
            sizes[sizes.len() - 1],
        );
        assert!(sizes.len() >= 290, "{flavor:?}: {} modules", sizes.len());
        assert!(median >= 256 && p90 >= 1500, "{flavor:?}: {median} {p90}");
        assert!(ops >= 35_000, "{flavor:?}: {ops} instructions");
    }
}
