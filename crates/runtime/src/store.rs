//! The store: every function, memory, table, global and segment instance, and the embedder's
//! data. Handles (`Func`, `Memory`, ...) are indices into one store.

use crate::cost::PerUnit;
use crate::engine::{Config, Engine};
use crate::ir::CompiledFunc;
use crate::module::ModuleInner;
use crate::trap::Trap;
use crate::value::Val;
use ssvm_binary::{FuncType, GlobalType, RefType, TableType};
use std::sync::Arc;

/// Bytes in a memory page.
pub const PAGE_SIZE: usize = 65536;

/// A host function's implementation.
pub type HostFn<T> =
    Arc<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static>;

pub(crate) enum FuncKind {
    Wasm {
        instance: u32,
        /// The function's index in its module.
        index: u32,
        code: Arc<CompiledFunc>,
    },
    /// Index into `Store::host_funcs`.
    Host(u32),
}

pub(crate) struct FuncEntity {
    pub(crate) ty: FuncType,
    pub(crate) kind: FuncKind,
    /// The metering price of a call to this host function (its `[host]` cost table entry).
    pub(crate) host_price: u64,
    /// For host functions imported by name: `module::name` (gas profiles show it).
    pub(crate) host_name: Option<String>,
}

pub(crate) struct MemoryEntity {
    pub(crate) data: Vec<u8>,
    /// Maximum pages: the declared maximum, capped by the engine's limit.
    pub(crate) max: u32,
    pub(crate) declared_max: Option<u32>,
}

impl MemoryEntity {
    pub(crate) fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }

    /// Grows by `delta` pages; the old size in pages, or `None` when it cannot.
    pub(crate) fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.data.resize(new as usize * PAGE_SIZE, 0);
        Some(old)
    }
}

pub(crate) struct TableEntity {
    pub(crate) ty: TableType,
    pub(crate) elements: Vec<u64>,
    pub(crate) max: u32,
}

impl TableEntity {
    /// Grows by `delta` elements set to `init`; the old size, or `None` when it cannot.
    pub(crate) fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        let old = self.elements.len() as u32;
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.elements.resize(new as usize, init);
        Some(old)
    }
}

pub(crate) struct GlobalEntity {
    pub(crate) ty: GlobalType,
    pub(crate) value: u64,
}

pub(crate) struct InstanceEntity {
    pub(crate) module: Arc<ModuleInner>,
    pub(crate) funcs: Vec<u32>,
    pub(crate) tables: Vec<u32>,
    pub(crate) memories: Vec<u32>,
    pub(crate) globals: Vec<u32>,
    /// Element segments: their reference type and items (emptied by `elem.drop`).
    pub(crate) elements: Vec<(RefType, Vec<u64>)>,
    /// Data segments (emptied by `data.drop`).
    pub(crate) data: Vec<Arc<[u8]>>,
}

/// Everything of a store but the host functions and the embedder's data: the part the
/// interpreter's handlers work on, which does not depend on `T`.
pub struct StoreInner {
    pub(crate) config: Config,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    /// The interpreter's value stack, kept between calls.
    pub(crate) stack: Vec<u64>,
    /// Gas left for metered code, and all the gas given so far (used = given - left).
    pub(crate) gas_left: u64,
    pub(crate) gas_given: u64,
    /// Prices of per-unit work, from the engine's cost table.
    pub(crate) per_unit: PerUnit,
    /// A call stopped by out of gas, until it is resumed.
    pub(crate) suspended: Option<crate::exec::Suspended>,
    /// Histogram: whole-block executions by compiled function id and block, and instructions
    /// counted one by one (+1) or given back (-1).
    pub(crate) counts: Vec<Vec<u64>>,
    pub(crate) counts_extra: Vec<(ssvm_binary::Opcode, i64)>,
    /// Gas profile: gas by call path.
    pub(crate) profile: crate::exec::Profile,
    /// The Wasm call stack when the last call trapped: (instance, function index), innermost
    /// first.
    pub(crate) backtrace: Vec<(u32, u32)>,
    /// Argument and result buffers of host calls, kept to be reused.
    pub(crate) host_args: Vec<crate::Val>,
    pub(crate) host_results: Vec<crate::Val>,
}

impl StoreInner {
    /// Function `index` of `instance`'s module by its `name` section, else `func[N]`.
    fn func_name(&self, instance: u32, index: u32) -> String {
        let module = &self.instances[instance as usize].module;
        module
            .names
            .iter()
            .find(|(i, _)| *i == index)
            .map_or_else(|| format!("func[{index}]"), |(_, n)| n.clone())
    }
}

/// Owns all instances and the embedder's data `T`.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<HostFn<T>>,
    data: T,
}

impl<T> std::ops::Deref for Store<T> {
    type Target = StoreInner;
    fn deref(&self) -> &StoreInner {
        &self.inner
    }
}

impl<T> std::ops::DerefMut for Store<T> {
    fn deref_mut(&mut self) -> &mut StoreInner {
        &mut self.inner
    }
}

impl<T> Store<T> {
    /// A store for modules of `engine`, holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner {
                config: engine.config.clone(),
                gas_left: u64::MAX,
                gas_given: u64::MAX,
                per_unit: engine
                    .config
                    .cost_table
                    .as_ref()
                    .map(|t| t.per_unit())
                    .unwrap_or_default(),
                suspended: None,
                counts: Vec::new(),
                counts_extra: Vec::new(),
                profile: Default::default(),
                backtrace: Vec::new(),
                host_args: Vec::new(),
                host_results: Vec::new(),
                funcs: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                stack: Vec::new(),
            },
            host_funcs: Vec::new(),
            data,
        }
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
        self.inner.gas_left = limit;
        self.inner.gas_given = limit;
    }

    /// Adds gas, for example to resume a call stopped by [`Error::OutOfGas`](crate::Error).
    pub fn add_gas(&mut self, gas: u64) {
        self.inner.gas_left = self.inner.gas_left.saturating_add(gas);
        self.inner.gas_given = self.inner.gas_given.saturating_add(gas);
    }

    /// Gas used since the limit was set (without a limit: since the store was made).
    pub fn gas_used(&self) -> u64 {
        self.inner.gas_given - self.inner.gas_left
    }

    /// Gas left.
    pub fn gas_left(&self) -> u64 {
        self.inner.gas_left
    }

    /// Executions per opcode since the store was made (engines with a cost table and
    /// `Config::histogram`), exact like gas: every executed instruction counts once.
    pub fn histogram(&self) -> std::collections::BTreeMap<ssvm_binary::Opcode, u64> {
        let mut counts: std::collections::BTreeMap<ssvm_binary::Opcode, i64> = Default::default();
        let mut seen = std::collections::HashSet::new();
        for f in &self.inner.funcs {
            let FuncKind::Wasm { code, .. } = &f.kind else {
                continue;
            };
            if !seen.insert(code.id) {
                continue;
            }
            let Some(blocks) = self.inner.counts.get(code.id as usize) else {
                continue;
            };
            for (b, &n) in blocks.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                for &op in &code.meter_blocks[b].opcodes {
                    *counts.entry(op).or_default() += n as i64;
                }
            }
        }
        for &(op, sign) in &self.inner.counts_extra {
            *counts.entry(op).or_default() += sign;
        }
        counts
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(op, n)| (op, n as u64))
            .collect()
    }

    /// Gas by call path (engines with a cost table and `Config::gas_profile`), in the folded-stack
    /// format flame-graph tools read: `outer;inner;innermost` and the gas spent in the innermost
    /// function on that path (its own instructions, per-unit work, and the hosts it called).
    /// Functions are named by the module's `name` section, else `func[N]`; hosts `module::name`.
    pub fn gas_profile(&self) -> Vec<(String, u64)> {
        let p = &self.inner.profile;
        let name = |addr: u32| -> String {
            let f = &self.inner.funcs[addr as usize];
            match &f.kind {
                FuncKind::Wasm {
                    instance, index, ..
                } => self.inner.func_name(*instance, *index),
                FuncKind::Host(_) => f.host_name.clone().unwrap_or_else(|| "host".into()),
            }
        };
        let mut out = Vec::new();
        for (node, &gas) in p.gas.iter().enumerate() {
            if gas == 0 {
                continue;
            }
            let mut path = Vec::new();
            let mut n = node as u32;
            while n != u32::MAX {
                let (parent, addr) = p.nodes[n as usize];
                path.push(name(addr));
                n = parent;
            }
            path.reverse();
            out.push((path.join(";"), gas));
        }
        out.sort();
        out
    }

    /// The Wasm functions on the call stack when the last call trapped (or exited), innermost
    /// first, named by the module's `name` section, else `func[N]`. Empty when no call trapped.
    pub fn trap_backtrace(&self) -> Vec<String> {
        let inner = &self.inner;
        inner
            .backtrace
            .iter()
            .map(|&(instance, index)| inner.func_name(instance, index))
            .collect()
    }

    /// Whether a call stopped by out of gas waits to be resumed.
    pub fn has_suspended_call(&self) -> bool {
        self.inner.suspended.is_some()
    }

    /// Resumes the call that ran out of gas, with the gas there is now: it goes on exactly where
    /// it stopped, and its results land in `results`. It may run out of gas again.
    pub fn resume(&mut self, results: &mut [crate::Val]) -> Result<(), crate::Error> {
        if self.inner.suspended.is_none() {
            return Err(crate::Error::Type("no call is suspended".into()));
        }
        crate::exec::resume_suspended(self, results)
            .map_err(|stop| crate::Error::from_stop(stop, self))
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

    /// The calling instance's memory 0, as bytes.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        self.data_and_memory().1
    }

    /// The embedder's data and the calling instance's memory 0, both mutably.
    pub fn data_and_memory(&mut self) -> (&mut T, Option<&mut [u8]>) {
        let store = &mut *self.store;
        let memory = self
            .instance
            .and_then(|i| store.inner.instances[i as usize].memories.first().copied())
            .map(|addr| &mut store.inner.memories[addr as usize].data[..]);
        (&mut store.data, memory)
    }
}
