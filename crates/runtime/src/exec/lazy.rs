//! A module's code as the interpreter gets it: each function assembled once, on its first call
//! from any instance (lazy compilation), or all of them at load (eager).

use super::assemble::{assemble, Code, Metering};
use crate::compile::ir::CompiledFunc;
use crate::compile::Source;
use ssvm_validate::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// The assembled functions of one module, and the source of those not assembled yet.
#[derive(Debug)]
pub(crate) struct ModuleCode {
    source: Source,
    metering: Metering,
    interruptible: bool,
    /// One cell per function of the module's own, filled when it is assembled.
    assembled: Box<[OnceLock<Arc<Code>>]>,
}

impl ModuleCode {
    /// The code of a module whose bodies are in `source`, none assembled yet.
    pub(crate) fn new(source: Source, metering: Metering, interruptible: bool) -> ModuleCode {
        let assembled = (0..source.len()).map(|_| OnceLock::new()).collect();
        ModuleCode {
            source,
            metering,
            interruptible,
            assembled,
        }
    }

    /// How the code is metered.
    pub(crate) fn metering(&self) -> Metering {
        self.metering
    }

    /// The number of functions.
    pub(crate) fn len(&self) -> usize {
        self.assembled.len()
    }

    /// Assembles function `i` (of the module's own) from IR lowered already, if no other
    /// caller did so first.
    pub(crate) fn assemble_lowered(&self, i: usize, ir: &CompiledFunc) {
        self.assembled[i].get_or_init(|| Arc::new(self.assemble(ir)));
    }

    /// Function `i`'s code: lowered and assembled now if it was not yet. Several threads may
    /// assemble one function at once; the first one kept is the code every caller gets.
    pub(crate) fn code(&self, i: usize) -> Result<Arc<Code>, Error> {
        if let Some(code) = self.assembled[i].get() {
            return Ok(code.clone());
        }
        let ir = self.source.lower(i)?;
        Ok(self.assembled[i]
            .get_or_init(|| Arc::new(self.assemble(&ir)))
            .clone())
    }

    fn assemble(&self, ir: &CompiledFunc) -> Code {
        assemble(ir, self.metering, self.interruptible, next_code_id())
    }
}

/// A number no other assembled function in this process has (histogram counters use it).
fn next_code_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
