//! `validate_module_in_parallel` gives exactly the verdict of `validate_module_with`, whatever
//! the number of threads: the same first error (kind, message, offset, function), on seeded
//! `wasm-smith` modules, some with invalid functions, and mutations of them; and its sinks see
//! every body once, in order.

mod common;

use common::*;
use ssvm_binary::{Module, Operator};
use ssvm_validate::{validate_module_in_parallel, validate_module_with, Error, FunctionSink};

const SMITH_SEEDS: u64 = 300;
const MUTATIONS_PER_MODULE: usize = 8;

/// Notes the bodies it is given.
#[derive(Default)]
struct Bodies(Vec<u32>);

impl<'a> FunctionSink<'a> for Bodies {
    fn begin(&mut self, index: u32, _: &ssvm_binary::FuncType) -> Result<(), Error> {
        self.0.push(index);
        Ok(())
    }

    fn operator(&mut self, _: &Operator<'a>, _: usize) -> Result<(), Error> {
        Ok(())
    }
}

fn verdict(error: &Error) -> String {
    format!(
        "{:?} {} @{} in {:?}",
        error.kind, error.message, error.offset, error.function
    )
}

fn check(label: &str, bytes: &[u8]) {
    let Ok(module) = Module::decode(bytes) else {
        return;
    };
    let mut all = Bodies::default();
    let sequential = validate_module_with(&module, &mut all).map(drop);
    for threads in 1..=4 {
        let parallel = validate_module_in_parallel(&module, threads, Bodies::default);
        match (&sequential, &parallel) {
            (Ok(()), Ok((_, sinks))) => {
                let seen: Vec<u32> = sinks.iter().flat_map(|s| s.0.iter().copied()).collect();
                assert_eq!(seen, all.0, "{label}, {threads} threads: bodies seen");
                assert!(
                    sinks.len() <= threads,
                    "{label}: at most one run per thread"
                );
            }
            (Err(a), Err(b)) => {
                assert_eq!(verdict(a), verdict(b), "{label}, {threads} threads");
            }
            _ => panic!(
                "{label}, {threads} threads: sequential {:?}, parallel {:?}",
                sequential.as_ref().map_err(verdict),
                parallel.as_ref().map(drop).map_err(verdict)
            ),
        }
    }
}

#[test]
fn parallel_validation_agrees_with_sequential() {
    let mut rejected = 0;
    for seed in seeds(SMITH_SEEDS) {
        let flavor = if seed % 2 == 0 {
            Flavor::InvalidFuncs
        } else {
            Flavor::Mixed
        };
        let Some(bytes) = smith_module((7 << 40) + seed, flavor) else {
            continue;
        };
        check(&format!("smith-seed{seed}"), &bytes);
        let mut rng = Rng::new((7 << 40) + seed);
        for m in 0..MUTATIONS_PER_MODULE {
            let mutated = mutate(&bytes, &mut rng).0;
            if let Ok(module) = Module::decode(&mutated) {
                rejected += usize::from(validate_module_with(&module, &mut ()).is_err());
            }
            check(&format!("smith-seed{seed}-mutation{m}"), &mutated);
        }
    }
    // The comparison must cover errors, not only valid modules.
    assert!(rejected > 100, "only {rejected} rejected modules");
}
