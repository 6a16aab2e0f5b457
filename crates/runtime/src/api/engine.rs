//! The engine: configuration shared by the stores and modules that use it.

use crate::exec::Metering;

/// Limits and settings of execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most nested Wasm calls before the trap "call stack exhausted".
    pub max_call_depth: u32,
    /// Most 64-bit value slots all frames of one call may use together.
    pub max_stack_slots: u32,
    /// Most pages (64 KiB) a memory may grow to, whatever its declared maximum.
    pub max_memory_pages: u32,
    /// Most bytes all the memories of one store may hold together: a `memory.grow` past it
    /// returns -1, and an instantiation that needs more fails.
    pub max_memory_bytes: u64,
    /// Most elements a table may grow to.
    pub max_table_elements: u32,
    /// With a cost table, modules are compiled metered: every instruction executed is charged
    /// its price (metering.md). Without one, code carries no metering at all.
    pub cost_table: Option<std::sync::Arc<crate::meter::CostTable>>,
    /// With a cost table: also count executions per opcode (`Store::histogram`).
    pub histogram: bool,
    /// With a cost table: also attribute gas to call paths (`Store::gas_profile`).
    pub gas_profile: bool,
    /// Compile code that checks for an interrupt (`Store::interrupt_handle`) at every loop back
    /// edge and call, so that an embedder can stop it (timeouts). Off, code pays nothing for it.
    pub interruptible: bool,
    /// Lower and assemble each function on its first call rather than all at load. Either way
    /// every body is validated at load, and a module the interpreter cannot run is refused
    /// there; lazily, the start-up and memory of functions never called are saved.
    pub lazy_compilation: bool,
    /// Keep each function's register IR after assembly (`Module::compiled_function`), for
    /// dumps; otherwise it is dropped once assembled. Compiles every function at load.
    pub keep_ir: bool,
    /// Validate a large module's bodies on several threads at once (as many as the machine has
    /// cores, up to four): its start-up, not the work, shrinks. Errors are the same either way.
    pub parallel_compilation: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_call_depth: 100_000,
            max_stack_slots: 16 << 20,
            max_memory_pages: 65536,
            max_memory_bytes: u64::MAX,
            max_table_elements: 10_000_000,
            cost_table: None,
            histogram: false,
            gas_profile: false,
            interruptible: false,
            lazy_compilation: true,
            keep_ir: false,
            parallel_compilation: true,
        }
    }
}

/// Compiles modules and runs them with one configuration.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    pub(crate) config: Config,
}

impl Engine {
    /// An engine with this configuration.
    pub fn new(config: Config) -> Self {
        Engine { config }
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How the code it compiles is metered.
    pub(crate) fn metering(&self) -> Metering {
        Metering::new(
            self.config.cost_table.is_some(),
            self.config.histogram || self.config.gas_profile,
        )
    }
}
