//! The interpreter: runs register IR on a value stack of 64-bit slots, with its own call stack
//! (Wasm calls never recurse on the host stack). This is the portable loop: one `match` per
//! instruction.
//!
//! Slot and instruction accesses are unchecked (see the `SAFETY` notes): the lowering gives every
//! function a `frame_size` above each slot its code names and ends every body with a terminator,
//! and `enter` keeps the value stack at least `fp + frame_size` long. Checked accesses cost about
//! a third of the run time on the bench kernels (measured with the harness).

use crate::ir::{CompiledFunc, Instr, LoadKind, StoreKind};
use crate::numeric::{for_each_numeric, SlotValue};
use crate::store::{Caller, FuncKind, Store, PAGE_SIZE};
use crate::trap::Trap;
use crate::value::Val;
use std::sync::Arc;

/// A suspended caller.
struct Frame {
    /// Kept alive by the store's function entities, which outlive the call.
    code: *const CompiledFunc,
    pc: usize,
    fp: usize,
    instance: u32,
}

/// Calls store function `func` with `args`, writing `results`.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Trap> {
    let entity = &store.funcs[func as usize];
    let result_types = entity.ty.results.clone();
    if let FuncKind::Host(h) = entity.kind {
        let f = store.host_funcs[h as usize].clone();
        return f(
            Caller {
                store,
                instance: None,
            },
            args,
            results,
        );
    }
    // A host function called from Wasm may call back into Wasm: each activation gets the stack
    // the store holds (or a new one when it is in use).
    let mut stack = std::mem::take(&mut store.stack);
    stack.clear();
    let n = args.len().max(results.len());
    stack.resize(n, 0);
    for (slot, a) in stack.iter_mut().zip(args) {
        *slot = a.to_slot();
    }
    let outcome = run(store, &mut stack, func);
    if outcome.is_ok() {
        for (i, (r, &t)) in results.iter_mut().zip(result_types.iter()).enumerate() {
            *r = Val::from_slot(t, stack[i]);
        }
    }
    store.stack = stack;
    outcome
}

/// Bounds-checks an access of `len` bytes at `addr + offset`; the start index when in bounds.
#[inline(always)]
fn effective(addr: u64, offset: u32, len: usize, size: usize) -> Result<usize, Trap> {
    let start = (addr as u32 as u64) + u64::from(offset);
    match start.checked_add(len as u64) {
        Some(end) if end <= size as u64 => Ok(start as usize),
        _ => Err(Trap::MemoryOutOfBounds),
    }
}

/// Runs Wasm function `func` whose arguments are in `stack[0..]`.
fn run<T>(store: &mut Store<T>, stack: &mut Vec<u64>, func: u32) -> Result<(), Trap> {
    let max_depth = store.config.max_call_depth as usize;
    let max_slots = store.config.max_stack_slots as usize;
    let mut frames: Vec<Frame> = Vec::new();
    let (mut code, mut instance) = match &store.funcs[func as usize].kind {
        FuncKind::Wasm { instance, code } => (Arc::as_ptr(code), *instance),
        FuncKind::Host(_) => unreachable!("host functions are called directly"),
    };
    let mut fp = 0usize;
    let mut pc = 0usize;
    // SAFETY: `code` points into an `Arc` held by `store.funcs`, which no one removes while
    // `run` holds the store; the same holds for every pointer pushed on `frames`.
    enter(stack, unsafe { &*code }, fp, max_slots)?;
    // Points at slot 0 of the current frame; recomputed whenever `fp` changes or the stack may
    // have been reallocated.
    let mut sp: *mut u64 = stack[fp..].as_mut_ptr();
    // The store index of the current instance's memory 0 (`usize::MAX` when it has none, which
    // validation ensures no memory instruction then uses).
    let memory_of = |store: &Store<T>, instance: u32| {
        store.instances[instance as usize]
            .memories
            .first()
            .map_or(usize::MAX, |&m| m as usize)
    };
    let mut memory = memory_of(store, instance);
    loop {
        // SAFETY: see `code` above. `pc` is in bounds: it starts at 0, and every jump target and
        // fall-through lands on an instruction because every body ends with a terminator.
        let f: &CompiledFunc = unsafe { &*code };
        let instr = unsafe { *f.code.get_unchecked(pc) };
        pc += 1;
        macro_rules! slot {
            ($s:expr) => {
                // SAFETY: slot numbers are below the frame's `frame_size` (lowering), and the
                // stack holds `fp + frame_size` slots (`enter`); `sp` is `&stack[fp]`.
                *unsafe { &mut *sp.add($s as usize) }
            };
        }
        macro_rules! memory {
            () => {
                &mut store.memories[memory].data
            };
        }
        macro_rules! dispatch {
            ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
                match instr {
                    $(Instr::$name { dst, a, b } => {
                        let _ = b;
                        dispatch!(@$kind dst a b ($($in)*) $out ($($arg),*) $body);
                    })*
                    Instr::Copy { dst, src } => slot!(dst) = slot!(src),
                    Instr::Select { dst, cond, a, b } => {
                        slot!(dst) = if slot!(cond) as u32 != 0 { slot!(a) } else { slot!(b) };
                    }
                    Instr::Br { target } => pc = target as usize,
                    Instr::BrIfNz { cond, target } => {
                        if slot!(cond) as u32 != 0 {
                            pc = target as usize;
                        }
                    }
                    Instr::BrIfZ { cond, target } => {
                        if slot!(cond) as u32 == 0 {
                            pc = target as usize;
                        }
                    }
                    Instr::BrCmpI32 { cmp, a, b, target } => {
                        let (x, y) = (slot!(a) as u32, slot!(b) as u32);
                        if cmp.holds(i64::from(x as i32), i64::from(y as i32), u64::from(x), u64::from(y)) {
                            pc = target as usize;
                        }
                    }
                    Instr::BrCmpI64 { cmp, a, b, target } => {
                        let (x, y) = (slot!(a), slot!(b));
                        if cmp.holds(x as i64, y as i64, x, y) {
                            pc = target as usize;
                        }
                    }
                    Instr::BrTable { index, start, len } => {
                        let i = (slot!(index) as u32).min(len - 1);
                        pc = f.br_tables[(start + i) as usize] as usize;
                    }
                    Instr::Return => match frames.pop() {
                        Some(frame) => {
                            code = frame.code;
                            pc = frame.pc;
                            fp = frame.fp;
                            instance = frame.instance;
                            memory = memory_of(store, instance);
                            sp = stack[fp..].as_mut_ptr();
                        }
                        None => return Ok(()),
                    },
                    Instr::Unreachable => return Err(Trap::Unreachable),
                    Instr::Call { func, base } => {
                        let addr = store.instances[instance as usize].funcs[func as usize];
                        let base = fp + base as usize;
                        call_addr!(addr, base);
                    }
                    Instr::CallIndirect { ty, table, index, base } => {
                        let inst = &store.instances[instance as usize];
                        let t = &store.tables[inst.tables[table as usize] as usize];
                        let i = slot!(index) as u32 as usize;
                        let r = *t.elements.get(i).ok_or(Trap::UninitializedElement)?;
                        let addr = r.checked_sub(1).ok_or(Trap::UninitializedElement)? as u32;
                        if store.funcs[addr as usize].ty != inst.module.types[ty as usize] {
                            return Err(Trap::IndirectCallTypeMismatch);
                        }
                        let base = fp + base as usize;
                        call_addr!(addr, base);
                    }
                    Instr::GlobalGet { dst, global } => {
                        let g = store.instances[instance as usize].globals[global as usize];
                        slot!(dst) = store.globals[g as usize].value;
                    }
                    Instr::GlobalSet { src, global } => {
                        let g = store.instances[instance as usize].globals[global as usize];
                        store.globals[g as usize].value = slot!(src);
                    }
                    Instr::Load { kind, dst, addr, offset } => {
                        let mem = memory!();
                        let a = slot!(addr);
                        macro_rules! load {
                            ($n:literal, $conv:expr) => {{
                                let at = effective(a, offset, $n, mem.len())?;
                                let bytes: [u8; $n] = mem[at..at + $n].try_into().expect("checked");
                                let f: fn([u8; $n]) -> u64 = $conv;
                                f(bytes)
                            }};
                        }
                        slot!(dst) = match kind {
                            LoadKind::I32 | LoadKind::F32 | LoadKind::I64_32U => {
                                load!(4, |b| u64::from(u32::from_le_bytes(b)))
                            }
                            LoadKind::I64 | LoadKind::F64 => load!(8, u64::from_le_bytes),
                            LoadKind::I32_8S => load!(1, |b| u64::from(i32::from(b[0] as i8) as u32)),
                            LoadKind::I32_8U | LoadKind::I64_8U => load!(1, |b| u64::from(b[0])),
                            LoadKind::I32_16S => {
                                load!(2, |b| u64::from(i32::from(i16::from_le_bytes(b)) as u32))
                            }
                            LoadKind::I32_16U | LoadKind::I64_16U => {
                                load!(2, |b| u64::from(u16::from_le_bytes(b)))
                            }
                            LoadKind::I64_8S => load!(1, |b| i64::from(b[0] as i8) as u64),
                            LoadKind::I64_16S => load!(2, |b| i64::from(i16::from_le_bytes(b)) as u64),
                            LoadKind::I64_32S => load!(4, |b| i64::from(i32::from_le_bytes(b)) as u64),
                        };
                    }
                    Instr::Store { kind, addr, value, offset } => {
                        let v = slot!(value);
                        let a = slot!(addr);
                        let mem = memory!();
                        let n = kind.width();
                        let at = effective(a, offset, n, mem.len())?;
                        mem[at..at + n].copy_from_slice(&v.to_le_bytes()[..n]);
                        let _ = StoreKind::B1;
                    }
                    Instr::MemorySize { dst } => {
                        slot!(dst) = u64::from((memory!().len() / PAGE_SIZE) as u32);
                    }
                    Instr::MemoryGrow { dst, delta } => {
                        let delta = slot!(delta) as u32;
                        let old = store.memories[memory].grow(delta);
                        slot!(dst) = u64::from(old.unwrap_or(u32::MAX));
                    }
                    Instr::MemoryFill { d, val, n } => {
                        let (d, val, n) = (slot!(d), slot!(val) as u8, slot!(n) as u32 as usize);
                        let mem = memory!();
                        let at = effective(d, 0, n, mem.len())?;
                        mem[at..at + n].fill(val);
                    }
                    Instr::MemoryCopy { d, s, n } => {
                        let (d, s, n) = (slot!(d), slot!(s), slot!(n) as u32 as usize);
                        let mem = memory!();
                        let dst = effective(d, 0, n, mem.len())?;
                        let src = effective(s, 0, n, mem.len())?;
                        mem.copy_within(src..src + n, dst);
                    }
                    Instr::MemoryInit { data, d, s, n } => {
                        let (d, s, n) = (slot!(d) as u32, slot!(s) as u32, slot!(n) as u32);
                        memory_init(store, instance, data, d, s, n)?;
                    }
                    Instr::DataDrop { data } => {
                        store.instances[instance as usize].data[data as usize] = Arc::from(&[][..]);
                    }
                    Instr::TableGet { dst, table, index } => {
                        let t = store.instances[instance as usize].tables[table as usize];
                        let i = slot!(index) as u32 as usize;
                        slot!(dst) = *store.tables[t as usize]
                            .elements
                            .get(i)
                            .ok_or(Trap::TableOutOfBounds)?;
                    }
                    Instr::TableSet { table, index, value } => {
                        let t = store.instances[instance as usize].tables[table as usize];
                        let i = slot!(index) as u32 as usize;
                        let v = slot!(value);
                        *store.tables[t as usize]
                            .elements
                            .get_mut(i)
                            .ok_or(Trap::TableOutOfBounds)? = v;
                    }
                    Instr::TableSize { dst, table } => {
                        let t = store.instances[instance as usize].tables[table as usize];
                        slot!(dst) = store.tables[t as usize].elements.len() as u64;
                    }
                    Instr::TableGrow { dst, table, init, delta } => {
                        let t = store.instances[instance as usize].tables[table as usize];
                        let (init, delta) = (slot!(init), slot!(delta) as u32);
                        let old = store.tables[t as usize].grow(delta, init);
                        slot!(dst) = u64::from(old.unwrap_or(u32::MAX));
                    }
                    Instr::TableFill { table, d, val, n } => {
                        let t = store.instances[instance as usize].tables[table as usize];
                        let (d, val, n) = (slot!(d) as u32 as usize, slot!(val), slot!(n) as u32 as usize);
                        let elements = &mut store.tables[t as usize].elements;
                        if d.checked_add(n).is_none_or(|end| end > elements.len()) {
                            return Err(Trap::TableOutOfBounds);
                        }
                        elements[d..d + n].fill(val);
                    }
                    Instr::TableCopy { dst_table, src_table, d, s, n } => {
                        let inst = &store.instances[instance as usize];
                        let (dt, st) = (inst.tables[dst_table as usize], inst.tables[src_table as usize]);
                        let (d, s, n) = (slot!(d) as u32 as usize, slot!(s) as u32 as usize, slot!(n) as u32 as usize);
                        let src_len = store.tables[st as usize].elements.len();
                        let dst_len = store.tables[dt as usize].elements.len();
                        if s.checked_add(n).is_none_or(|e| e > src_len)
                            || d.checked_add(n).is_none_or(|e| e > dst_len)
                        {
                            return Err(Trap::TableOutOfBounds);
                        }
                        if dt == st {
                            store.tables[dt as usize].elements.copy_within(s..s + n, d);
                        } else {
                            let items: Vec<u64> = store.tables[st as usize].elements[s..s + n].to_vec();
                            store.tables[dt as usize].elements[d..d + n].copy_from_slice(&items);
                        }
                    }
                    Instr::TableInit { table, elem, d, s, n } => {
                        let (d, s, n) = (slot!(d) as u32, slot!(s) as u32, slot!(n) as u32);
                        table_init(store, instance, table, elem, d, s, n)?;
                    }
                    Instr::ElemDrop { elem } => {
                        store.instances[instance as usize].elements[elem as usize].1 = Vec::new();
                    }
                    Instr::RefIsNull { dst, src } => slot!(dst) = u64::from(slot!(src) == 0),
                    Instr::RefFunc { dst, func } => {
                        slot!(dst) = u64::from(store.instances[instance as usize].funcs[func as usize]) + 1;
                    }
                }
            };
            (@un $dst:ident $a:ident $b:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {{
                let $x = <$t as SlotValue>::from_slot(slot!($a));
                let r: $out = $body;
                slot!($dst) = r.into_slot();
            }};
            (@un_trap $dst:ident $a:ident $b:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {{
                let $x = <$t as SlotValue>::from_slot(slot!($a));
                let r: Result<$out, Trap> = $body;
                slot!($dst) = r?.into_slot();
            }};
            (@bin $dst:ident $a:ident $b:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {{
                let $x = <$t as SlotValue>::from_slot(slot!($a));
                let $y = <$u as SlotValue>::from_slot(slot!($b));
                let r: $out = $body;
                slot!($dst) = r.into_slot();
            }};
            (@bin_trap $dst:ident $a:ident $b:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {{
                let $x = <$t as SlotValue>::from_slot(slot!($a));
                let $y = <$u as SlotValue>::from_slot(slot!($b));
                let r: Result<$out, Trap> = $body;
                slot!($dst) = r?.into_slot();
            }};

        }
        // Calls function `addr` with its frame starting at absolute slot `base`.
        macro_rules! call_addr {
            ($addr:expr, $base:expr) => {{
                let addr = $addr;
                let base = $base;
                match &store.funcs[addr as usize].kind {
                    FuncKind::Wasm {
                        instance: callee_instance,
                        code: callee,
                    } => {
                        if frames.len() + 1 >= max_depth {
                            return Err(Trap::CallStackExhausted);
                        }
                        let callee = Arc::as_ptr(callee);
                        let callee_instance = *callee_instance;
                        // SAFETY: as for `code`: the store keeps the callee's code alive.
                        enter(stack, unsafe { &*callee }, base, max_slots)?;
                        frames.push(Frame {
                            code: std::mem::replace(&mut code, callee),
                            pc,
                            fp,
                            instance,
                        });
                        instance = callee_instance;
                        memory = memory_of(store, instance);
                        fp = base;
                        pc = 0;
                        sp = stack[fp..].as_mut_ptr();
                    }
                    FuncKind::Host(h) => {
                        let h = *h;
                        call_host(store, stack, addr, h, base, instance)?;
                        sp = stack[fp..].as_mut_ptr();
                    }
                }
            }};
        }
        for_each_numeric!(dispatch);
    }
}

/// Sets up the frame of `code` at absolute slot `fp`: room for its slots, locals zeroed.
fn enter(
    stack: &mut Vec<u64>,
    code: &CompiledFunc,
    fp: usize,
    max_slots: usize,
) -> Result<(), Trap> {
    let end = fp + code.frame_size as usize;
    if end > max_slots {
        return Err(Trap::CallStackExhausted);
    }
    if stack.len() < end {
        stack.resize(end, 0);
    }
    let locals = fp + code.locals as usize;
    stack[fp + code.params as usize..locals].fill(0);
    stack[locals..locals + code.consts.len()].copy_from_slice(&code.consts);
    Ok(())
}

/// Calls host function `h` (store function `addr`) with arguments at `stack[base..]`.
fn call_host<T>(
    store: &mut Store<T>,
    stack: &mut Vec<u64>,
    addr: u32,
    h: u32,
    base: usize,
    instance: u32,
) -> Result<(), Trap> {
    let ty = store.funcs[addr as usize].ty.clone();
    let args: Vec<Val> = ty
        .params
        .iter()
        .enumerate()
        .map(|(i, &t)| Val::from_slot(t, stack.get(base + i).copied().unwrap_or(0)))
        .collect();
    let mut results: Vec<Val> = ty.results.iter().map(|&t| Val::default_for(t)).collect();
    let f = store.host_funcs[h as usize].clone();
    f(
        Caller {
            store,
            instance: Some(instance),
        },
        &args,
        &mut results,
    )?;
    if stack.len() < base + results.len() {
        stack.resize(base + results.len(), 0);
    }
    for (i, r) in results.iter().enumerate() {
        stack[base + i] = r.to_slot();
    }
    Ok(())
}

/// `memory.init`: copies `n` bytes of data segment `data` from `s` to memory address `d`.
pub(crate) fn memory_init<T>(
    store: &mut Store<T>,
    instance: u32,
    data: u32,
    d: u32,
    s: u32,
    n: u32,
) -> Result<(), Trap> {
    let inst = &store.instances[instance as usize];
    let bytes = inst.data[data as usize].clone();
    let mem = &mut store.memories[inst.memories[0] as usize].data;
    let (d, s, n) = (d as usize, s as usize, n as usize);
    if s + n > bytes.len() || d + n > mem.len() {
        return Err(Trap::MemoryOutOfBounds);
    }
    mem[d..d + n].copy_from_slice(&bytes[s..s + n]);
    Ok(())
}

/// `table.init`: copies `n` elements of segment `elem` from `s` to table `table` at `d`.
pub(crate) fn table_init<T>(
    store: &mut Store<T>,
    instance: u32,
    table: u32,
    elem: u32,
    d: u32,
    s: u32,
    n: u32,
) -> Result<(), Trap> {
    let inst = &store.instances[instance as usize];
    let items = &inst.elements[elem as usize].1;
    let t = &mut store.tables[inst.tables[table as usize] as usize].elements;
    let (d, s, n) = (d as usize, s as usize, n as usize);
    if s + n > items.len() || d + n > t.len() {
        return Err(Trap::TableOutOfBounds);
    }
    t[d..d + n].copy_from_slice(&items[s..s + n]);
    Ok(())
}
