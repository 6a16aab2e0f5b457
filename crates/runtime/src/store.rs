//! The store: every function, memory, table, global and segment instance, and the embedder's
//! data. Handles (`Func`, `Memory`, ...) are indices into one store.

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
        code: Arc<CompiledFunc>,
    },
    /// Index into `Store::host_funcs`.
    Host(u32),
}

pub(crate) struct FuncEntity {
    pub(crate) ty: FuncType,
    pub(crate) kind: FuncKind,
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
                config: engine.config,
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
        let instance = self.instance?;
        let addr = *self.store.instances[instance as usize].memories.first()?;
        Some(&mut self.store.memories[addr as usize].data)
    }
}
