//! A module's code as the interpreter gets it: each function assembled once, on its first call
//! from any instance (lazy compilation), or all of them at load (eager).

use super::assemble::{assemble, Code, Metering, Relower};
use crate::compile::ir::CompiledFunc;
use crate::compile::Source;
use ssvm_validate::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// The assembled functions of one module, and the source of those not assembled yet.
#[derive(Debug)]
pub(crate) struct ModuleCode {
    source: Arc<Source>,
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
            source: Arc::new(source),
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

    /// The cells of the assembled functions, by index from the module's first own function:
    /// direct calls of those read their callee here (`handlers::call_own`).
    pub(crate) fn cells(&self) -> *const OnceLock<Arc<Code>> {
        self.assembled.as_ptr()
    }

    /// Assembles function `i` (of the module's own) from IR lowered already, if no other
    /// caller did so first.
    pub(crate) fn assemble_lowered(&self, i: usize, ir: &CompiledFunc) {
        self.assembled[i].get_or_init(|| Arc::new(self.assemble(i, ir)));
    }

    /// Function `i`'s code: lowered and assembled now if it was not yet. Several threads may
    /// assemble one function at once; the first one kept is the code every caller gets.
    pub(crate) fn code(&self, i: usize) -> Result<Arc<Code>, Error> {
        if let Some(code) = self.assembled[i].get() {
            return Ok(code.clone());
        }
        let ir = self.source.lower(i)?;
        Ok(self.assembled[i]
            .get_or_init(|| Arc::new(self.assemble(i, &ir)))
            .clone())
    }

    /// Assembles function `i` from its IR `ir`. Paid code keeps no metering positions: they
    /// are computed again if a slow path needs them (`Code::meter`).
    fn assemble(&self, i: usize, ir: &CompiledFunc) -> Code {
        let imported = self.source.imported_funcs();
        let mut code = assemble(
            ir,
            self.metering,
            self.interruptible,
            imported,
            next_code_id(),
        );
        if self.metering == Metering::Paid {
            code.meter.take();
            code.relower = Some(Relower::new(self.source.clone(), i, self.interruptible));
        }
        code
    }
}

/// A number no other assembled function in this process has (histogram counters use it).
fn next_code_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use crate::{Config, CostTable, Engine, Error, Linker, Module, Store, Val};
    use std::sync::Arc;

    fn wat(text: &str) -> Vec<u8> {
        let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
        let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
        module.encode().expect("encodes")
    }

    #[test]
    fn paid_code_computes_its_metering_when_a_slow_path_first_needs_it() {
        let engine = Engine::new(Config {
            cost_table: Some(Arc::new(CostTable::default_table())),
            ..Config::default()
        });
        let text = r#"(module (func (export "f") (param i32) (result i32)
            local.get 0
            i32.const 1
            i32.add))"#;
        let module = Module::new(&engine, &wat(text)).expect("loads");
        let mut store = Store::new(&engine, ());
        store.set_gas_limit(1_000);
        let instance = Linker::new()
            .instantiate(&mut store, &module)
            .expect("instantiates");
        let f = instance.get_func(&store, "f").expect("exported");
        let mut results = [Val::I32(0)];
        f.call(&mut store, &[Val::I32(1)], &mut results)
            .expect("returns");
        assert_eq!(results[0], Val::I32(2));
        let code = module.inner.code.assembled[0].get().expect("assembled");
        assert!(code.meter.get().is_none(), "a run that never stopped");

        // Less than the one block of the body costs.
        store.set_gas_limit(store.gas_used() - 1);
        let stopped = f.call(&mut store, &[Val::I32(1)], &mut results);
        assert!(
            matches!(stopped, Err(Error::OutOfGas { .. })),
            "{stopped:?}"
        );
        let meter = code.meter.get().expect("out of gas needed the positions");
        assert!(meter.block_count() > 0 && !meter.positions.is_empty());
    }
}
