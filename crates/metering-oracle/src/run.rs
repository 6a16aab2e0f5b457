//! Running an instrumented module on `ssvm-runtime` (metering off) and reading its counters.

use crate::{instrument, Prices, COUNT_PREFIX, GAS_EXPORT, LIMIT_EXPORT, OUT_OF_GAS_EXPORT};
use ssvm_runtime::{Engine, Error, Extern, Global, Instance, Linker, Module, Store, Val};
use std::collections::BTreeMap;

/// How the called function ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It returned these results.
    Returned(Vec<Val>),
    /// It trapped with this message (the spec's message, or a host function's).
    Trapped(String),
    /// The gas limit stopped it.
    OutOfGas,
}

/// What a run used.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// How the call ended.
    pub outcome: Outcome,
    /// Gas used by the call (never more than the limit).
    pub gas: u64,
    /// Executions per spec text name; names never executed are left out.
    pub counts: BTreeMap<String, u64>,
}

/// A module instrumented (with the limit guard) and compiled once, to be run many times.
pub struct Instrumented {
    engine: Engine,
    module: Module,
}

impl Instrumented {
    /// Instruments `wasm` (see [`instrument`]) and compiles it with a default engine (no cost
    /// table: the runtime's metering is off).
    pub fn new(wasm: &[u8], prices: &Prices) -> Result<Instrumented, String> {
        let instrumented = instrument(wasm, prices, Some(u64::MAX))?;
        let engine = Engine::default();
        let module = Module::new(&engine, &instrumented)
            .map_err(|e| format!("the runtime refused the instrumented module: {e}"))?;
        Ok(Instrumented { engine, module })
    }

    /// Instantiates the module in a fresh store after `link` has defined the imports, and calls
    /// the export `func` with `args` under `limit` (no limit: `u64::MAX`).
    ///
    /// Gas is counted from the start of that call only: the counters are reset after
    /// instantiation, so a start function is not charged.
    ///
    /// Errors (no such export, arguments that do not match, a failed instantiation) are `Err`;
    /// traps and running out of gas are outcomes.
    pub fn run(
        &self,
        limit: Option<u64>,
        func: &str,
        args: &[Val],
        link: &mut dyn FnMut(&mut Linker<()>, &mut Store<()>),
    ) -> Result<Report, String> {
        call(&self.engine, &self.module, limit, func, args, link)
    }
}

/// Instruments `wasm` and runs it once: [`Instrumented::new`] then [`Instrumented::run`].
pub fn run(
    wasm: &[u8],
    prices: &Prices,
    limit: Option<u64>,
    func: &str,
    args: &[Val],
    link: &mut dyn FnMut(&mut Linker<()>, &mut Store<()>),
) -> Result<Report, String> {
    Instrumented::new(wasm, prices)?.run(limit, func, args, link)
}

fn call(
    engine: &Engine,
    module: &Module,
    limit: Option<u64>,
    func: &str,
    args: &[Val],
    link: &mut dyn FnMut(&mut Linker<()>, &mut Store<()>),
) -> Result<Report, String> {
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new();
    link(&mut linker, &mut store);
    let instance = linker
        .instantiate(&mut store, module)
        .map_err(|e| format!("instantiation failed: {e}"))?;

    let gas = global(&store, instance, GAS_EXPORT)?;
    let out_of_gas = global(&store, instance, OUT_OF_GAS_EXPORT)?;
    let counters = counters(&store, instance);
    let set = |store: &mut Store<()>, g: Global, v: Val| {
        g.set(store, v)
            .map_err(|e| format!("cannot reset an oracle global: {e}"))
    };
    set(&mut store, gas, Val::I64(0))?;
    set(&mut store, out_of_gas, Val::I32(0))?;
    for (_, g) in &counters {
        set(&mut store, *g, Val::I64(0))?;
    }
    let g = global(&store, instance, LIMIT_EXPORT)?;
    set(&mut store, g, Val::I64(limit.unwrap_or(u64::MAX) as i64))?;

    let f = instance
        .get_func(&store, func)
        .ok_or_else(|| format!("no exported function named `{func}`"))?;
    let mut results: Vec<Val> = f
        .ty(&store)
        .results
        .iter()
        .map(|&t| Val::default_for(t))
        .collect();
    let outcome = match f.call(&mut store, args, &mut results) {
        Ok(()) => Outcome::Returned(results),
        Err(Error::Trap(trap)) => {
            if out_of_gas.get(&store) == Val::I32(1) {
                Outcome::OutOfGas
            } else {
                Outcome::Trapped(trap.to_string())
            }
        }
        Err(e) => return Err(format!("the call failed: {e}")),
    };
    let counts = counters
        .iter()
        .map(|(name, g)| (name.clone(), as_u64(g.get(&store))))
        .filter(|&(_, n)| n > 0)
        .collect();
    Ok(Report {
        outcome,
        gas: as_u64(gas.get(&store)),
        counts,
    })
}

fn global(store: &Store<()>, instance: Instance, name: &str) -> Result<Global, String> {
    instance
        .get_global(store, name)
        .ok_or_else(|| format!("internal error: the instrumented module lacks `{name}`"))
}

/// The per-opcode counters, by spec text name.
fn counters(store: &Store<()>, instance: Instance) -> Vec<(String, Global)> {
    instance
        .exports(store)
        .into_iter()
        .filter_map(|(name, item)| match item {
            Extern::Global(g) => Some((name.strip_prefix(COUNT_PREFIX)?.to_string(), g)),
            _ => None,
        })
        .collect()
}

fn as_u64(v: Val) -> u64 {
    match v {
        Val::I64(x) => x as u64,
        Val::I32(x) => u64::from(x as u32),
        _ => 0,
    }
}
