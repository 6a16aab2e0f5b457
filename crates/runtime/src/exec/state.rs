//! The store's entities as the interpreter sees them: functions, memories, tables, globals and
//! instances, indexed by number. The embedding API's `Store<T>` owns a `Vm` and adds the
//! embedder's data and host functions, which the interpreter never touches.

use super::lazy::ModuleCode;
use super::memories::effective64;
use super::Code;
use crate::bytes::Segment;
use crate::trap::Trap;
use ssvm_binary::{FuncType, GlobalType, RefType, TableType};
use std::sync::Arc;

/// Bytes in a memory page.
pub const PAGE_SIZE: usize = 65536;

pub(crate) enum FuncKind {
    Wasm {
        instance: u32,
        /// The function's index in its module.
        index: u32,
        /// Its code, once assembled (`Vm::code`).
        code: Option<Arc<Code>>,
    },
    /// Index into `Store::host_funcs`.
    Host(u32),
}

pub(crate) struct FuncEntity {
    pub(crate) ty: FuncType,
    /// The canonical id of its type (`crate::types`): `call_indirect` and imports compare it.
    pub(crate) type_id: u32,
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
    pub(crate) declared_max: Option<u64>,
    /// Whether addresses are i64s (memory64).
    pub(crate) is64: bool,
}

impl MemoryEntity {
    pub(crate) fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }

    /// The address (or length, or page count) in a slot: all 64 bits for a 64-bit memory, the
    /// low 32 of an i32 for the others.
    pub(crate) fn address(&self, slot: u64) -> u64 {
        if self.is64 {
            slot
        } else {
            slot as u32 as u64
        }
    }

    /// Grows by `delta` pages; the old size in pages, or `None` when it cannot.
    pub(crate) fn grow(&mut self, delta: u64) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(u32::try_from(delta).ok()?)?;
        if new > self.max {
            return None;
        }
        // A host that cannot give the memory makes the grow fail, as the spec allows.
        let extra = (new - old) as usize * PAGE_SIZE;
        self.data.try_reserve(extra).ok()?;
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
    /// The index (or length) in a slot: all 64 bits for a 64-bit table, the low 32 of an i32
    /// for the others.
    pub(crate) fn index(&self, slot: u64) -> u64 {
        if self.ty.limits.is64 {
            slot
        } else {
            slot as u32 as u64
        }
    }

    /// Grows by `delta` elements set to `init`; the old size, or `None` when it cannot.
    pub(crate) fn grow(&mut self, delta: u64, init: u64) -> Option<u32> {
        let old = self.elements.len() as u32;
        let delta = u32::try_from(delta).ok()?;
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        Some(old)
    }
}

pub(crate) struct GlobalEntity {
    pub(crate) ty: GlobalType,
    /// The value's slot, or both slots of a v128 (the high one in the high bits).
    pub(crate) value: u128,
}

/// A tag (exception handling): its identity is its store index, so an imported tag is the tag
/// it imports.
pub(crate) struct TagEntity {
    /// Its type: the parameters are an exception's payload.
    pub(crate) ty: FuncType,
    /// The canonical id of its type: an import must have the same.
    pub(crate) type_id: u32,
    /// How traps name it: the export name it was defined under, or its index in its module.
    pub(crate) name: String,
}

/// An exception kept in the store because a handler took a reference to it (`catch_ref`,
/// `catch_all_ref`): what `throw_ref` throws again and `exnref` values point at.
pub(crate) struct ExceptionEntity {
    /// The store index of its tag.
    pub(crate) tag: u32,
    /// The payload as frame slots (a v128 takes two).
    pub(crate) payload: Box<[u64]>,
}

pub(crate) struct InstanceEntity {
    /// The module's code, assembled function by function as they are first called.
    pub(crate) code: Arc<ModuleCode>,
    /// The module's function types.
    pub(crate) types: Arc<[FuncType]>,
    /// Their canonical ids (`call_indirect` checks against them).
    pub(crate) type_ids: Arc<[u32]>,
    pub(crate) funcs: Vec<u32>,
    pub(crate) tables: Vec<u32>,
    pub(crate) memories: Vec<u32>,
    pub(crate) globals: Vec<u32>,
    /// Store indices of the instance's tags, imported ones first.
    pub(crate) tags: Vec<u32>,
    /// Element segments: their reference type and items (emptied by `elem.drop`).
    pub(crate) elements: Vec<(RefType, Vec<u64>)>,
    /// Data segments (emptied by `data.drop`).
    pub(crate) data: Vec<Segment>,
}

/// Numbers whose value zero is all zero bytes, so that zeroed memory holds zeros of them.
///
/// # Safety
/// All-zero bytes must be a valid value of the type.
pub(crate) unsafe trait ZeroBytesAreZero: Copy {}
// SAFETY: every bit pattern is a valid integer; all-zero bytes are 0.
unsafe impl ZeroBytesAreZero for u8 {}
// SAFETY: as for `u8`.
unsafe impl ZeroBytesAreZero for u64 {}

/// `len` zeros, or `None` when the allocator cannot give them. Large allocations come zeroed
/// from the system (`alloc_zeroed`), so a big memory or stack costs nothing until it is touched.
pub(crate) fn zeroed<T: ZeroBytesAreZero>(len: usize) -> Option<Vec<T>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(len).ok()?;
    // SAFETY: `layout` has a non-zero size (`T` is a number of at least one byte).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) } as *mut T;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of `len` values of
    // `T`, all of them zero bytes, which are the value zero of `T` (`ZeroBytesAreZero`); the
    // `Vec` takes it over with that capacity and length.
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// `len` copies of `value`, or `None` when the allocator cannot give them.
pub(crate) fn filled<T: Clone>(len: usize, value: T) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.resize(len, value);
    Some(v)
}

/// Every entity of a store.
pub struct Vm {
    /// Bytes the store's memories may still take together (`Config::max_memory_bytes`).
    pub(crate) memory_left: u64,
    /// A `memory.grow` was refused by the engine's limits, not the module's own maximum.
    pub(crate) memory_limited: bool,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    pub(crate) tags: Vec<TagEntity>,
    pub(crate) exceptions: Vec<ExceptionEntity>,
}

impl Vm {
    /// A store's entities, its memories together limited to `max_memory_bytes`.
    pub(crate) fn new(max_memory_bytes: u64) -> Vm {
        Vm {
            memory_left: max_memory_bytes,
            memory_limited: false,
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            tags: Vec::new(),
            exceptions: Vec::new(),
        }
    }

    /// Takes `bytes` of the store's memory budget, if that many are left.
    pub(crate) fn take_memory(&mut self, bytes: u64) -> bool {
        match self.memory_left.checked_sub(bytes) {
            Some(left) => {
                self.memory_left = left;
                true
            }
            None => false,
        }
    }

    /// `memory.grow` of store memory `memory` by `delta` pages: the old size in pages, or
    /// `None` when the memory's maximum, the store's budget or the allocator refuses.
    pub(crate) fn grow_memory(&mut self, memory: usize, delta: u64) -> Option<u32> {
        // A delta of 2^48 pages or more (memory64) has no byte count: no budget holds it.
        let bytes = delta.saturating_mul(PAGE_SIZE as u64);
        if !self.take_memory(bytes) {
            self.note_limited(memory, delta, true);
            return None;
        }
        let old = self.memories[memory].grow(delta);
        if old.is_none() {
            self.memory_left += bytes;
            self.note_limited(memory, delta, false);
        }
        old
    }

    /// Notes a refused grow of `memory` by `delta` pages when the module's own maximum allowed
    /// it: the store's byte budget (`over_budget`) or the engine's page cap refused it.
    fn note_limited(&mut self, memory: usize, delta: u64, over_budget: bool) {
        let m = &self.memories[memory];
        let new = u64::from(m.pages()).saturating_add(delta);
        let allowed = m
            .declared_max
            .unwrap_or(if m.is64 { 1 << 48 } else { 1 << 16 });
        if new <= allowed && (over_budget || new > u64::from(m.max)) {
            self.memory_limited = true;
        }
    }

    /// `memory.init`: copies `n` bytes of data segment `data` from `s` to address `d` of the
    /// instance's memory `memory`.
    pub(crate) fn memory_init(
        &mut self,
        instance: u32,
        memory: u32,
        data: u32,
        d: u64,
        s: u32,
        n: u32,
    ) -> Result<(), Trap> {
        let inst = &self.instances[instance as usize];
        let bytes = inst.data[data as usize].as_slice();
        let memory = &mut self.memories[inst.memories[memory as usize] as usize];
        let d = memory.address(d);
        let (s, n) = (s as usize, n as usize);
        let Some(to) = effective64(d, 0, n as u64, memory.data.len()) else {
            return Err(Trap::MemoryOutOfBounds);
        };
        if s + n > bytes.len() {
            return Err(Trap::MemoryOutOfBounds);
        }
        memory.data[to..to + n].copy_from_slice(&bytes[s..s + n]);
        Ok(())
    }

    /// `memory.fill`: writes `val` to `n` bytes from address `d` of store memory `memory`
    /// (`d` as its slot holds it, `n` as the memory's address type reads it).
    pub(crate) fn memory_fill(
        &mut self,
        memory: usize,
        d: u64,
        val: u8,
        n: u64,
    ) -> Result<(), Trap> {
        let m = &mut self.memories[memory];
        let d = m.address(d);
        let at = effective64(d, 0, n, m.data.len()).ok_or(Trap::MemoryOutOfBounds)?;
        m.data[at..at + n as usize].fill(val);
        Ok(())
    }

    /// `memory.copy`: copies `n` bytes from address `s` of store memory `src` to address `d` of
    /// store memory `dst` (the same one, or another); `d` and `s` as the slots hold them, `n`
    /// as `memory_copy` read it (an i64 only when both memories are 64-bit).
    pub(crate) fn memory_copy(
        &mut self,
        (dst, src): (usize, usize),
        d: u64,
        s: u64,
        n: u64,
    ) -> Result<(), Trap> {
        let (to_mem, from_mem) = (&self.memories[dst], &self.memories[src]);
        let (d, s) = (to_mem.address(d), from_mem.address(s));
        let (dst_len, src_len) = (to_mem.data.len(), from_mem.data.len());
        let (Some(to), Some(from)) = (effective64(d, 0, n, dst_len), effective64(s, 0, n, src_len))
        else {
            return Err(Trap::MemoryOutOfBounds);
        };
        let n = n as usize;
        if dst == src {
            self.memories[dst].data.copy_within(from..from + n, to);
        } else {
            let (to_mem, from_mem) = two(&mut self.memories, dst, src);
            to_mem.data[to..to + n].copy_from_slice(&from_mem.data[from..from + n]);
        }
        Ok(())
    }

    /// `table.init`: copies `n` elements of segment `elem` from `s` to table `table` at `d`.
    pub(crate) fn table_init(
        &mut self,
        instance: u32,
        table: u32,
        elem: u32,
        d: u64,
        s: u32,
        n: u32,
    ) -> Result<(), Trap> {
        let inst = &self.instances[instance as usize];
        let t = inst.tables[table as usize] as usize;
        // `d` as its slot holds it: an i64 for a 64-bit table.
        let d = self.tables[t].index(d);
        let (s, n) = (s as usize, n as usize);
        let items_len = inst.elements[elem as usize].1.len();
        if s + n > items_len || d.saturating_add(n as u64) > self.tables[t].elements.len() as u64 {
            return Err(Trap::TableOutOfBounds);
        }
        let d = d as usize;
        let items = self.instances[instance as usize].elements[elem as usize].1[s..s + n].to_vec();
        self.tables[t].elements[d..d + n].copy_from_slice(&items);
        Ok(())
    }

    /// The code of Wasm function `addr`, which its entity keeps once it has it. The first call of
    /// a function from a store comes here: its module assembles it (lowering it first unless some
    /// store did already).
    pub(crate) fn code(&mut self, addr: u32) -> Result<*const Code, Trap> {
        let FuncKind::Wasm {
            instance,
            index,
            code,
        } = &mut self.funcs[addr as usize].kind
        else {
            unreachable!("store function {addr} is a host function")
        };
        if let Some(code) = code {
            return Ok(Arc::as_ptr(code));
        }
        let inst = &self.instances[*instance as usize];
        let own = *index as usize - (inst.funcs.len() - inst.code.len());
        let assembled = inst
            .code
            .code(own)
            .map_err(|e| Trap::Compile(format!("function {index} could not be compiled: {e}")))?;
        let ptr = Arc::as_ptr(&assembled);
        *code = Some(assembled);
        Ok(ptr)
    }

    /// Store index of `instance`'s memory `index` (which the validator checked).
    pub(crate) fn memory_at(&self, instance: u32, index: u32) -> usize {
        self.instances[instance as usize].memories[index as usize] as usize
    }

    /// Store index of `instance`'s memory 0, or `usize::MAX`.
    pub(crate) fn memory_of(&self, instance: u32) -> usize {
        self.instances[instance as usize]
            .memories
            .first()
            .map_or(usize::MAX, |&m| m as usize)
    }
}

/// `dst` and `src`, two elements of `v` (`dst != src`), the first mutable.
fn two<T>(v: &mut [T], dst: usize, src: usize) -> (&mut T, &T) {
    if dst < src {
        let (lo, hi) = v.split_at_mut(src);
        (&mut lo[dst], &hi[0])
    } else {
        let (lo, hi) = v.split_at_mut(dst);
        (&mut hi[0], &lo[src])
    }
}
