//! The store: every function, memory, table, global and segment instance, and the embedder's
//! data. Handles (`Func`, `Memory`, ...) are indices into one store.

use super::call::Suspended;
use super::engine::{Config, Engine};
use super::error::Error;
use super::module::ModuleInner;
use crate::exec::{FuncKind, Metering, Vm};
use crate::meter::Account;
use crate::trap::Trap;
use crate::value::Val;
use std::sync::Arc;

/// A host function's implementation.
pub type HostFn<T> =
    Arc<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static>;

/// Owns all instances and the embedder's data `T`.
pub struct Store<T> {
    /// The entities the interpreter works on.
    pub(crate) vm: Vm,
    pub(crate) config: Config,
    /// How the code this store runs is metered: every module instantiated in it must agree.
    pub(crate) metering: Metering,
    /// Gas, histograms and gas profiles between calls.
    pub(crate) account: Account,
    /// The module of each instance.
    pub(crate) modules: Vec<Arc<ModuleInner>>,
    /// The interpreter's value stack, kept between calls.
    pub(crate) stack: Vec<u64>,
    /// A call stopped by out of gas, until it is resumed.
    pub(crate) suspended: Option<Suspended>,
    /// The Wasm call stack when the last call trapped: (instance, function index), innermost
    /// first (the ends of a deep one, see `record_backtrace`), and its depth.
    pub(crate) backtrace: Vec<(u32, u32)>,
    pub(crate) backtrace_depth: usize,
    /// Argument and result buffers of host calls, kept to be reused.
    pub(crate) host_args: Vec<Val>,
    pub(crate) host_results: Vec<Val>,
    pub(crate) host_funcs: Vec<HostFn<T>>,
    /// Stops the code of interruptible engines (`Config::interruptible`).
    pub(crate) interrupt: InterruptHandle,
    data: T,
}

/// Interrupts the Wasm code running in a store, from any thread: once `interrupt` is called,
/// code compiled by an engine with `Config::interruptible` traps with "interrupted" at its next
/// loop back edge or call, and so does every later call in the store until `reset`. A host
/// function that is running finishes first. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct InterruptHandle(Arc<std::sync::atomic::AtomicBool>);

impl InterruptHandle {
    /// Asks the store's code to stop.
    pub fn interrupt(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Lets the store's code run again.
    pub fn reset(&self) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether `interrupt` was called since the last `reset`.
    pub fn is_interrupted(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.0.clone()
    }
}

impl<T> std::ops::Deref for Store<T> {
    type Target = Vm;
    fn deref(&self) -> &Vm {
        &self.vm
    }
}

impl<T> std::ops::DerefMut for Store<T> {
    fn deref_mut(&mut self) -> &mut Vm {
        &mut self.vm
    }
}

impl<T> Store<T> {
    /// A store for modules of `engine`, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        let config = engine.config.clone();
        let per_unit = config
            .cost_table
            .as_ref()
            .map(|t| t.per_unit())
            .unwrap_or_default();
        Store {
            vm: Vm::new(config.max_memory_bytes),
            metering: engine.metering(),
            account: Account::new(
                per_unit,
                config.cost_table.is_some(),
                config.histogram,
                config.gas_profile,
            ),
            config,
            modules: Vec::new(),
            stack: Vec::new(),
            suspended: None,
            backtrace: Vec::new(),
            backtrace_depth: 0,
            host_args: Vec::new(),
            host_results: Vec::new(),
            host_funcs: Vec::new(),
            interrupt: InterruptHandle::default(),
            data,
        }
    }

    /// Function `index` of `instance`'s module by its `name` section, else `func[N]`.
    fn func_name(&self, instance: u32, index: u32) -> String {
        self.modules[instance as usize].function_name(index)
    }

    /// A handle that interrupts this store's code from another thread (for timeouts).
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Gives back the embedder's data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Sets the gas metered code may use from now on (the engine needs a cost table), and
    /// starts counting gas used from zero.
    pub fn set_gas_limit(&mut self, limit: u64) {
        self.account.gas_left = limit;
        self.account.gas_given = limit;
    }

    /// Adds gas, for example to resume a call stopped by [`Error::OutOfGas`](crate::Error).
    pub fn add_gas(&mut self, gas: u64) {
        self.account.gas_left = self.account.gas_left.saturating_add(gas);
        self.account.gas_given = self.account.gas_given.saturating_add(gas);
    }

    /// Gas used since the limit was set (without a limit: since the store was made).
    pub fn gas_used(&self) -> u64 {
        self.account.gas_given - self.account.gas_left
    }

    /// Gas left.
    pub fn gas_left(&self) -> u64 {
        self.account.gas_left
    }

    /// Whether a `memory.grow` in this store was refused (returned -1) because of
    /// `Config::max_memory_pages` or `Config::max_memory_bytes`, where the memory's own declared
    /// maximum allowed it: an embedder reports a guest that failed after that as stopped by its
    /// memory limit.
    pub fn memory_limit_reached(&self) -> bool {
        self.vm.memory_limited
    }

    /// Executions per opcode since the store was made (engines with a cost table and
    /// `Config::histogram`), exact like gas: every executed instruction counts once.
    pub fn histogram(&self) -> std::collections::BTreeMap<ssvm_binary::Opcode, u64> {
        self.account.counts.histogram(&self.vm)
    }

    /// Gas by call path (engines with a cost table and `Config::gas_profile`), in the folded-stack
    /// format flame-graph tools read: `outer;inner;innermost` and the gas spent in the innermost
    /// function on that path (its own instructions, per-unit work, and the hosts it called).
    /// Functions are named by the module's `name` section, else `func[N]`; hosts `module::name`.
    pub fn gas_profile(&self) -> Vec<(String, u64)> {
        self.account.profile.folded(|addr| {
            let f = &self.vm.funcs[addr as usize];
            match &f.kind {
                FuncKind::Wasm {
                    instance, index, ..
                } => self.func_name(*instance, *index),
                FuncKind::Host(_) => f.host_name.clone().unwrap_or_else(|| "host".into()),
            }
        })
    }

    /// The Wasm functions on the call stack when the last call trapped (or exited), innermost
    /// first, named by the module's `name` section, else `func[N]`. Empty when no call trapped.
    /// A stack deeper than 1000 frames keeps its 500 innermost frames, then its 500 outermost
    /// (frames `depth - 500` to `depth - 1`, [`Store::trap_backtrace_depth`]).
    pub fn trap_backtrace(&self) -> Vec<String> {
        self.backtrace
            .iter()
            .map(|&(instance, index)| self.func_name(instance, index))
            .collect()
    }

    /// The functions of [`Store::trap_backtrace`] as (instance, function index) pairs, so that
    /// an embedder can group frames and name only those it shows ([`Store::frame_name`]).
    pub fn trap_backtrace_frames(&self) -> &[(u32, u32)] {
        &self.backtrace
    }

    /// The name of a frame of [`Store::trap_backtrace_frames`], as `trap_backtrace` gives it.
    pub fn frame_name(&self, (instance, index): (u32, u32)) -> String {
        self.func_name(instance, index)
    }

    /// How many frames the call stack had when the last call trapped (or exited): the length
    /// of [`Store::trap_backtrace`], or more when that kept only the ends.
    pub fn trap_backtrace_depth(&self) -> usize {
        self.backtrace_depth
    }

    /// Whether a call stopped by out of gas waits to be resumed.
    pub fn has_suspended_call(&self) -> bool {
        self.suspended.is_some()
    }

    /// Resumes the call that ran out of gas, with the gas there is now: it goes on exactly where
    /// it stopped, and its results land in `results`. It may run out of gas again.
    pub fn resume(&mut self, results: &mut [Val]) -> Result<(), Error> {
        if self.suspended.is_none() {
            return Err(Error::Type("no call is suspended".into()));
        }
        super::call::resume(self, results).map_err(|stop| Error::from_stop(stop, self))
    }
}

/// What a host function sees of the store while it runs.
pub struct Caller<'s, T> {
    pub(crate) store: &'s mut Store<T>,
    /// The instance of the calling Wasm function, if any.
    pub(crate) instance: Option<u32>,
}

impl<T> Caller<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// Charges `gas` for work the host function is about to do (metered stores; otherwise
    /// nothing). When the gas left does not cover it, nothing is charged and the host should
    /// return the error at once, before any side effect: the call then stops as out of gas,
    /// before the host call, with its price and whatever the host charged given back, and a
    /// resumption calls the host again.
    pub fn charge_gas(&mut self, gas: u64) -> Result<(), Trap> {
        if self.store.account.charge_host_work(gas) {
            Ok(())
        } else {
            Err(Trap::OutOfGas)
        }
    }

    /// The engine's cost table, when the store is metered: a host function finds the prices of
    /// its work there (`CostTable::host_per_unit`).
    pub fn cost_table(&self) -> Option<&crate::CostTable> {
        self.store.config.cost_table.as_deref()
    }

    /// The calling instance's memory 0, as bytes.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        self.data_and_memory().1
    }

    /// The embedder's data and the calling instance's memory 0, both mutably.
    pub fn data_and_memory(&mut self) -> (&mut T, Option<&mut [u8]>) {
        let store = &mut *self.store;
        let memory = self
            .instance
            .and_then(|i| store.vm.instances[i as usize].memories.first().copied())
            .map(|addr| &mut store.vm.memories[addr as usize].data[..]);
        (&mut store.data, memory)
    }
}
