//! The handlers: one function per kind of op, all with the same signature. Every handler is
//! `unsafe` and relies on the contract stated once in `exec/mod.rs`; a `SAFETY` comment inside a
//! handler argues only what goes beyond it.
//!
//! A handler that has a metered variant is written once, generic over how its code is metered
//! (`const PAID: bool` for branches, `const MODE: u8` for calls and returns); the assembler picks
//! the variant, so unmetered code runs none of the metering paths.

#![allow(non_snake_case)]

use super::assemble::Op;
use super::state::{FuncKind, TableEntity, Vm};
use super::{enter, init_frame, Exec, Flow, Frame, HostCall};
use crate::meter::{land, pay, pay_landing, per_unit};
use crate::numeric::{for_each_numeric, SlotValue};
use crate::trap::Trap;
use std::sync::Arc;

/// `MODE` of calls and returns in unmetered code.
pub(crate) const UNMETERED: u8 = 0;
/// `MODE` of calls and returns in paid code: the op they land on is a charge, paid by them.
pub(crate) const PAID: u8 = 1;
/// `MODE` of calls and returns in traced code: the gas profile follows them.
pub(crate) const TRACED: u8 = 2;

/// Continues with op `ip`: a tail call in optimised builds, a return to the loop otherwise.
macro_rules! next {
    ($ip:expr, $sp:expr, $exec:expr, $vm:expr, $gas:expr) => {{
        let ip: *const $crate::exec::Op = $ip;
        #[cfg(not(debug_assertions))]
        {
            return ((*ip).handler)(ip, $sp, $exec, $vm, $gas);
        }
        #[cfg(debug_assertions)]
        {
            let _ = $vm;
            $exec.ip = ip;
            $exec.sp = $sp;
            $exec.meter.gas = $gas;
            return $crate::exec::Flow::Continue;
        }
    }};
}

/// Declares handlers with the shared signature:
/// `handler!(fn name(ip, sp, exec, vm, gas) { body })`, optionally generic over a constant.
macro_rules! handler {
    ($($(#[$attr:meta])* fn $name:ident $(<$(const $g:ident: $gt:ty),*>)? ($ip:ident, $sp:ident, $exec:ident, $vm:ident, $gas:ident) $body:block)*) => {
        $(
            $(#[$attr])*
            #[allow(unused_variables, unused_mut, unused_unsafe)]
            pub(crate) unsafe fn $name $(<$(const $g: $gt),*>)? (
                $ip: *const $crate::exec::Op,
                $sp: *mut u64,
                $exec: &mut $crate::exec::Exec,
                $vm: &mut $crate::exec::Vm,
                mut $gas: u64,
            ) -> $crate::exec::Flow {
                // SAFETY: the handlers' contract (exec/mod.rs); what goes beyond it is argued
                // where it is needed.
                unsafe { $body }
            }
        )*
    };
}

pub(crate) use {handler, next};

/// Stops with a trap.
macro_rules! trap {
    ($ip:expr, $exec:expr, $gas:expr, $trap:expr) => {{
        $exec.meter.gas = $gas;
        return $crate::exec::handlers::set_trap($ip, $exec, move || $trap);
    }};
}

pub(crate) use trap;

/// Records the trap `make` gives. Out of line, and given a constructor rather than the trap
/// itself, so that handlers' fast paths carry neither drop code nor a trap value (either would
/// give each of them a stack frame to set up).
#[cold]
#[inline(never)]
pub(crate) fn set_trap(ip: *const Op, exec: &mut Exec, make: impl FnOnce() -> Trap) -> Flow {
    exec.trap = Some(make());
    // The trapping instruction is charged, nothing after it.
    exec.refund_after(ip, 0);
    Flow::Trap
}

/// A slot of the current frame, as a place.
macro_rules! slot {
    ($sp:expr, $i:expr) => {
        *$sp.add($i as usize)
    };
}

pub(crate) use slot;

/// The op `rel` ops away from `ip` (a jump offset stored in a `u32`).
#[inline(always)]
unsafe fn jump(ip: *const Op, rel: u32) -> *const Op {
    // SAFETY: the assembler computed `rel` between two ops of the same function.
    unsafe { ip.offset(rel as i32 as isize) }
}

macro_rules! numeric_handlers {
    ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
        $(numeric_handlers!(@$kind $name ($($in)*) $out ($($arg),*) $body);)*
    };
    (@un $name:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {
        numeric_handlers!(@make $name |op, sp| {
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            Ok::<$out, Trap>($body)
        });
    };
    (@un_trap $name:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {
        numeric_handlers!(@make $name |op, sp| {
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let r: Result<$out, Trap> = $body;
            r
        });
    };
    (@bin $name:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {
        numeric_handlers!(@make $name |op, sp| {
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let $y = <$u as SlotValue>::from_slot(slot!(sp, op.c));
            Ok::<$out, Trap>($body)
        });
    };
    (@bin_trap $name:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {
        numeric_handlers!(@make $name |op, sp| {
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let $y = <$u as SlotValue>::from_slot(slot!(sp, op.c));
            let r: Result<$out, Trap> = $body;
            r
        });
    };
    // Reads the operands, computes (a pure body's `Ok` folds away), writes `a`, goes on.
    (@make $name:ident |$op:ident, $sp:ident| $compute:block) => {
        handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let $op = &*ip;
                let $sp = sp;
                match $compute {
                    Ok(r) => slot!(sp, $op.a) = r.into_slot(),
                    Err(t) => trap!(ip, exec, gas, t),
                }
                next!(ip.add(1), sp, exec, vm, gas)
            }
        }
    };
}

for_each_numeric!(numeric_handlers);

/// Where a taken branch goes, `rel` ops away: in interruptible code (`CHECK`, back edges only)
/// an interrupt stops it first, with the trap "interrupted"; in paid code it pays the target's
/// charge of `price`.
macro_rules! taken {
    ($ip:expr, $rel:expr, $price:expr, $exec:expr, $gas:ident) => {{
        if CHECK && $exec.interrupted() {
            trap!($ip, $exec, $gas, Trap::Interrupted)
        }
        land::<PAID>(jump($ip, $rel), $price, &mut $gas)
    }};
}

/// Where a conditional branch not taken goes: the next op, or past it when it is the charge of
/// the block that follows (`FALL`, paid code) and the gas covers it, as a call's return does.
macro_rules! not_taken {
    ($ip:expr, $gas:ident) => {
        if FALL {
            // SAFETY: the assembler gives a branch `FALL` only when the op after it is the
            // charge of the block it falls into (`fall` in assemble.rs); a partial block, the
            // one place ops run elsewhere, never holds a block's closing branch (meter/run.rs).
            pay_landing($ip.add(1), &mut $gas)
        } else {
            $ip.add(1)
        }
    };
}

/// Compare-and-branch handlers; the target is operand `c`, its price (paid code) `d`.
macro_rules! cmp_branches {
    ($($name:ident $t:ty, |$x:ident, $y:ident| $cond:expr;)*) => {
        $(handler! {
            fn $name<const PAID: bool, const CHECK: bool, const FALL: bool>(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let $x = slot!(sp, op.a) as $t;
                let $y = slot!(sp, op.b) as $t;
                let next = if $cond { taken!(ip, op.c, op.d, exec, gas) } else { not_taken!(ip, gas) };
                next!(next, sp, exec, vm, gas)
            }
        })*
    };
}

cmp_branches! {
    br_i32_eq u32, |x, y| x == y;
    br_i32_ne u32, |x, y| x != y;
    br_i32_lt_s i32, |x, y| x < y;
    br_i32_lt_u u32, |x, y| x < y;
    br_i32_gt_s i32, |x, y| x > y;
    br_i32_gt_u u32, |x, y| x > y;
    br_i32_le_s i32, |x, y| x <= y;
    br_i32_le_u u32, |x, y| x <= y;
    br_i32_ge_s i32, |x, y| x >= y;
    br_i32_ge_u u32, |x, y| x >= y;
    br_i64_eq u64, |x, y| x == y;
    br_i64_ne u64, |x, y| x != y;
    br_i64_lt_s i64, |x, y| x < y;
    br_i64_lt_u u64, |x, y| x < y;
    br_i64_gt_s i64, |x, y| x > y;
    br_i64_gt_u u64, |x, y| x > y;
    br_i64_le_s i64, |x, y| x <= y;
    br_i64_le_u u64, |x, y| x <= y;
    br_i64_ge_s i64, |x, y| x >= y;
    br_i64_ge_u u64, |x, y| x >= y;
}

/// Bounds-checks an access of `len` bytes at `addr + offset` in a memory of `size` bytes; the
/// start index when in bounds.
#[inline(always)]
pub(crate) fn effective(addr: u64, offset: u32, len: usize, size: usize) -> Option<usize> {
    let start = (addr as u32 as u64) + u64::from(offset);
    match start.checked_add(len as u64) {
        Some(end) if end <= size as u64 => Some(start as usize),
        _ => None,
    }
}

macro_rules! loads {
    ($($name:ident $n:literal |$b:ident| $conv:expr;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let Some(at) = effective(slot!(sp, op.b), op.c, $n, exec.mem_len) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                // SAFETY: `effective` checked `at + $n <= mem_len`, the length of the memory at
                // `mem_base` (kept current by `Exec::refresh_memory`).
                let $b: [u8; $n] = std::ptr::read_unaligned(exec.mem_base.add(at) as *const [u8; $n]);
                slot!(sp, op.a) = $conv;
                next!(ip.add(1), sp, exec, vm, gas)
            }
        })*
    };
}

/// Calls `$m` with every scalar load: `name BYTES |bytes| slot;` (memory 0's handlers here, the
/// other memories' in `memories.rs`).
macro_rules! for_each_load {
    ($m:ident $(, $arg:tt)*) => {
        $m! {
            $($arg;)*
            load_u8 1 |b| u64::from(b[0]);
            load_u16 2 |b| u64::from(u16::from_le_bytes(b));
            load_u32 4 |b| u64::from(u32::from_le_bytes(b));
            load_u64 8 |b| u64::from_le_bytes(b);
            load_i32_8s 1 |b| u64::from(i32::from(b[0] as i8) as u32);
            load_i32_16s 2 |b| u64::from(i32::from(i16::from_le_bytes(b)) as u32);
            load_i64_8s 1 |b| i64::from(b[0] as i8) as u64;
            load_i64_16s 2 |b| i64::from(i16::from_le_bytes(b)) as u64;
            load_i64_32s 4 |b| i64::from(i32::from_le_bytes(b)) as u64;
        }
    };
}

for_each_load!(loads);

macro_rules! stores {
    ($($name:ident $n:literal;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let value = slot!(sp, op.b).to_le_bytes();
                let Some(at) = effective(slot!(sp, op.a), op.c, $n, exec.mem_len) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                // SAFETY: as for loads.
                std::ptr::copy_nonoverlapping(value.as_ptr(), exec.mem_base.add(at), $n);
                next!(ip.add(1), sp, exec, vm, gas)
            }
        })*
    };
}

/// Calls `$m` with every scalar store: `name BYTES;` (the value's low bytes).
macro_rules! for_each_store {
    ($m:ident $(, $arg:tt)*) => {
        $m! {
            $($arg;)*
            store_8 1;
            store_16 2;
            store_32 4;
            store_64 8;
        }
    };
}

for_each_store!(stores);

pub(crate) use {for_each_load, for_each_store};

/// Calls store function `addr` with its frame starting `base` slots into the current frame.
#[inline(always)]
unsafe fn call_addr<const MODE: u8>(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    vm: &mut Vm,
    addr: u32,
    base: u32,
    gas: u64,
) -> Flow {
    // SAFETY: called by the call handlers, under their contract; the callee's code is kept
    // alive by the store's function entity for the whole call.
    unsafe {
        let base = exec.fp + base as usize;
        // `addr` is a store function: an instance's address or a table's (non-null) entry.
        match &vm.funcs.get_unchecked(addr as usize).kind {
            FuncKind::Wasm { instance, code, .. } => {
                if exec.frames.len() + 1 >= exec.max_depth {
                    trap!(ip, exec, gas, Trap::CallStackExhausted)
                }
                let instance = *instance;
                // The slow paths (a first call compiles, a frame that needs more stack) are
                // tail calls that redo this call once done, so the fast path makes no calls.
                let Some(callee) = code.as_ref().map(Arc::as_ptr) else {
                    return call_first(ip, exec, vm, addr, gas);
                };
                enter_callee::<MODE>(ip, exec, vm, addr, callee, instance, base, gas)
            }
            FuncKind::Host(h) => {
                exec.meter.gas = gas;
                exec.host = HostCall {
                    func: addr,
                    host: *h,
                    base,
                };
                exec.ip = ip.add(1);
                exec.sp = sp;
                Flow::Host
            }
        }
    }
}

/// Enters the Wasm function `callee` (store function `addr`) of `instance` with its frame at
/// absolute slot `base`, from the call op `ip`: the fast path of every call.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter_callee<const MODE: u8>(
    ip: *const Op,
    exec: &mut Exec,
    vm: &mut Vm,
    addr: u32,
    callee: *const super::Code,
    instance: u32,
    base: usize,
    mut gas: u64,
) -> Flow {
    // SAFETY: the call handlers' contract; `callee` is kept alive by the store's function
    // entity (and its module's code) for the whole call.
    unsafe {
        let end = base + (*callee).frame_size as usize;
        if !exec.has_room(end) {
            return call_make_room(ip, exec, vm, end, gas);
        }
        init_frame(&mut exec.stack, &*callee, base);
        exec.push_frame(Frame {
            func: exec.func,
            ip: ip.add(1),
            fp: exec.fp,
            instance: exec.instance,
        });
        if MODE == TRACED {
            exec.meter.enter(addr);
        }
        exec.func = callee;
        exec.fp = base;
        exec.set_instance(vm, instance);
        let sp = exec.frame(base);
        let entry = (*callee).ops.as_ptr();
        // Paid code starts with the charge of its first block (the assembler keeps it).
        let entry = if MODE == PAID {
            pay_landing(entry, &mut gas)
        } else {
            entry
        };
        next!(entry, sp, exec, vm, gas)
    }
}

/// Tail-calls store function `addr`, its arguments `base` slots into the current frame. A Wasm
/// callee's frame replaces the caller's: the arguments move down to the frame's start and no
/// frame record is pushed, so a chain of tail calls runs in the space of its largest frame. A
/// host callee is called as by `call`; the ops after the tail call return its results.
#[inline(always)]
unsafe fn tail_call_addr<const MODE: u8>(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    vm: &mut Vm,
    addr: u32,
    base: u32,
    mut gas: u64,
) -> Flow {
    // SAFETY: called by the tail-call handlers, under their contract; the callee's code is kept
    // alive by the store's function entity for the whole call.
    unsafe {
        let FuncKind::Wasm { instance, code, .. } = &vm.funcs.get_unchecked(addr as usize).kind
        else {
            return call_addr::<MODE>(ip, sp, exec, vm, addr, base, gas);
        };
        let instance = *instance;
        let callee = match code {
            Some(code) => Arc::as_ptr(code),
            None => match first_call(vm, addr) {
                Ok(code) => code,
                Err(t) => trap!(ip, exec, gas, t),
            },
        };
        let fp = exec.fp;
        // Checked before the arguments move, so that the trap leaves the caller's frame intact.
        if fp + (*callee).frame_size as usize > exec.max_slots {
            trap!(ip, exec, gas, Trap::CallStackExhausted)
        }
        // The arguments are the top of the caller's operand stack, inside its frame (`base` is at
        // least the caller's locals): the ranges may overlap, so this is a move.
        std::ptr::copy(sp.add(base as usize), sp, (*callee).params as usize);
        if let Err(t) = enter(&mut exec.stack, &*callee, fp, exec.max_slots) {
            trap!(ip, exec, gas, t)
        }
        if MODE == TRACED {
            exec.meter.replace(addr);
        }
        exec.func = callee;
        exec.set_instance(vm, instance);
        let sp = exec.frame(fp);
        let entry = (*callee).ops.as_ptr();
        // As for a call: paid code starts with the charge of the callee's first block.
        let entry = if MODE == PAID {
            pay_landing(entry, &mut gas)
        } else {
            entry
        };
        next!(entry, sp, exec, vm, gas)
    }
}

/// The element of `table` at the index a slot holds (`raw`), if in bounds.
#[inline(always)]
fn element(table: &TableEntity, raw: u64) -> Option<&u64> {
    table.elements.get(usize::try_from(table.index(raw)).ok()?)
}

/// The store function at the index in slot `op.c` of table `op.b`, checked against type `op.a`
/// (`call_indirect` and `return_call_indirect`).
#[inline(always)]
unsafe fn table_callee(op: &Op, sp: *mut u64, exec: &Exec, vm: &Vm) -> Result<u32, Trap> {
    // SAFETY: the handlers' contract: `op.c` is a slot of the frame at `sp`.
    let raw = unsafe { slot!(sp, op.c) };
    let inst = &vm.instances[exec.instance as usize];
    let table = &vm.tables[inst.tables[op.b as usize] as usize];
    let Some(&r) = element(table, raw) else {
        return Err(Trap::UndefinedElement);
    };
    let Some(addr) = r.checked_sub(1) else {
        return Err(Trap::UninitializedElement);
    };
    let (actual, expected) = (
        vm.funcs[addr as usize].type_id,
        inst.type_ids[op.a as usize],
    );
    if actual != expected && !crate::types::is_subtype(actual, expected) {
        return Err(Trap::IndirectCallTypeMismatch);
    }
    Ok(addr as u32)
}

/// Calls (`TAIL`: tail-calls) the function the reference in slot `op.a` names, its frame at
/// slot `op.b` (`call_ref`, `return_call_ref`). A function reference is its store address plus
/// one, of a function of this store (the embedding API checks the ones hosts pass); the
/// validator checked its type.
#[inline(always)]
unsafe fn ref_call<const MODE: u8, const TAIL: bool>(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    vm: &mut Vm,
    gas: u64,
) -> Flow {
    // SAFETY: called by the two handlers, under their contract: `ip` is their op and `op.a` a
    // slot of the frame at `sp`.
    unsafe {
        let op = &*ip;
        let Some(addr) = slot!(sp, op.a).checked_sub(1) else {
            trap!(ip, exec, gas, Trap::NullFunctionReference)
        };
        if TAIL {
            tail_call_addr::<MODE>(ip, sp, exec, vm, addr as u32, op.b, gas)
        } else {
            call_addr::<MODE>(ip, sp, exec, vm, addr as u32, op.b, gas)
        }
    }
}

/// The code of a function called for the first time from this store: out of line, so that the
/// call path stays small.
#[cold]
#[inline(never)]
fn first_call(vm: &mut Vm, addr: u32) -> Result<*const super::Code, Trap> {
    vm.code(addr)
}

/// A call's first of function `addr`: compiles it, then runs the call op `ip` again, which now
/// finds the code.
#[cold]
#[inline(never)]
#[allow(unused_unsafe)] // `next!` calls the handler only in optimised builds
unsafe fn call_first(ip: *const Op, exec: &mut Exec, vm: &mut Vm, addr: u32, gas: u64) -> Flow {
    if let Err(t) = first_call(vm, addr) {
        trap!(ip, exec, gas, t)
    }
    let sp = exec.frame(exec.fp);
    // SAFETY: `ip` is the call op that came here, in the running function, and `sp` its frame.
    unsafe { next!(ip, sp, exec, vm, gas) }
}

/// A call whose callee's frame would end at absolute slot `end`, past the stack's length, or
/// which finds no room left for its frame record: makes the room (or traps when the limits do
/// not allow it), then runs the call op `ip` again.
#[cold]
#[inline(never)]
#[allow(unused_unsafe)] // as in `call_first`
unsafe fn call_make_room(
    ip: *const Op,
    exec: &mut Exec,
    vm: &mut Vm,
    end: usize,
    gas: u64,
) -> Flow {
    if let Err(t) = exec.make_room(end) {
        trap!(ip, exec, gas, t)
    }
    // The stack may have moved: the frame's address is taken anew.
    let sp = exec.frame(exec.fp);
    // SAFETY: as in `call_first`.
    unsafe { next!(ip, sp, exec, vm, gas) }
}

handler! {
    /// Zeroes the declared locals of a frame too large for its template (`Code::zero_fill`),
    /// right after the entry's charge: only a paid entry does this work.
    fn zero_locals(ip, sp, exec, vm, gas) {
        let code = &*exec.func;
        // SAFETY: `sp` is the running function's frame, which holds its parameters and then
        // `zero_fill` declared locals (`enter`).
        std::ptr::write_bytes(sp.add(code.params as usize), 0, code.zero_fill as usize);
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn copy(ip, sp, exec, vm, gas) {
        let op = &*ip;
        slot!(sp, op.a) = slot!(sp, op.b);
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn select(ip, sp, exec, vm, gas) {
        let op = &*ip;
        slot!(sp, op.a) = if slot!(sp, op.b) as u32 != 0 { slot!(sp, op.c) } else { slot!(sp, op.d) };
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn br<const PAID: bool, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        next!(taken!(ip, op.a, op.d, exec, gas), sp, exec, vm, gas)
    }

    fn br_if_nz<const PAID: bool, const CHECK: bool, const FALL: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 != 0 { taken!(ip, op.b, op.d, exec, gas) } else { not_taken!(ip, gas) };
        next!(next, sp, exec, vm, gas)
    }

    fn br_if_z<const PAID: bool, const CHECK: bool, const FALL: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 == 0 { taken!(ip, op.b, op.d, exec, gas) } else { not_taken!(ip, gas) };
        next!(next, sp, exec, vm, gas)
    }

    /// `br_on_null`: a reference is null when its whole slot is zero.
    fn br_if_null<const PAID: bool, const CHECK: bool, const FALL: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) == 0 { taken!(ip, op.b, op.d, exec, gas) } else { not_taken!(ip, gas) };
        next!(next, sp, exec, vm, gas)
    }

    fn br_if_non_null<const PAID: bool, const CHECK: bool, const FALL: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) != 0 { taken!(ip, op.b, op.d, exec, gas) } else { not_taken!(ip, gas) };
        next!(next, sp, exec, vm, gas)
    }

    /// Its targets are stubs that move the branch's values and jump on: never charges.
    fn br_table(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let i = (slot!(sp, op.a) as u32).min(op.c - 1);
        let func = &*exec.func;
        let rel = func.br_targets[(op.b + i) as usize];
        next!(jump(ip, rel), sp, exec, vm, gas)
    }

    fn ret<const MODE: u8>(ip, sp, exec, vm, gas) {
        match exec.frames.pop() {
            None => {
                exec.meter.gas = gas;
                Flow::Done
            }
            Some(frame) => {
                exec.func = frame.func;
                exec.fp = frame.fp;
                if MODE == TRACED {
                    exec.meter.leave();
                }
                exec.set_instance(vm, frame.instance);
                let sp = exec.frame(frame.fp);
                // In paid code a call is followed by the charge of the block after it.
                let next = if MODE == PAID { pay_landing(frame.ip, &mut gas) } else { frame.ip };
                next!(next, sp, exec, vm, gas)
            }
        }
    }

    fn unreachable(ip, sp, exec, vm, gas) {
        trap!(ip, exec, gas, Trap::Unreachable)
    }

    fn call<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        // The validator checked the function index against the instance's functions.
        let addr = *exec.funcs.add(op.a as usize);
        call_addr::<MODE>(ip, sp, exec, vm, addr, op.b, gas)
    }

    /// A direct call of function `a` of the module's own, the `c`th of its bodies: the callee
    /// is read from the module's code rather than through the instance's function addresses
    /// and the store's function entity, two dependent loads fewer (in large programs those
    /// loads miss the cache), and stays in the same instance. Its first call takes `call`'s
    /// path, which assembles it.
    fn call_own<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        // The assembler gave `c` below the module's function count, the length of the cells.
        let Some(callee) = (*exec.own_code.add(op.c as usize)).get() else {
            let addr = *exec.funcs.add(op.a as usize);
            return call_addr::<MODE>(ip, sp, exec, vm, addr, op.b, gas);
        };
        if exec.frames.len() + 1 >= exec.max_depth {
            trap!(ip, exec, gas, Trap::CallStackExhausted)
        }
        let base = exec.fp + op.b as usize;
        // The gas profile, the one user of the callee's address, is traced code's (`call`).
        enter_callee::<MODE>(ip, exec, vm, u32::MAX, Arc::as_ptr(callee), exec.instance, base, gas)
    }

    fn call_indirect<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        match table_callee(op, sp, exec, vm) {
            Ok(addr) => call_addr::<MODE>(ip, sp, exec, vm, addr, op.d, gas),
            Err(t) => trap!(ip, exec, gas, t),
        }
    }

    fn return_call<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        // The validator checked the function index against the instance's functions.
        let addr = *exec.funcs.add(op.a as usize);
        tail_call_addr::<MODE>(ip, sp, exec, vm, addr, op.b, gas)
    }

    fn return_call_indirect<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        let op = &*ip;
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        match table_callee(op, sp, exec, vm) {
            Ok(addr) => tail_call_addr::<MODE>(ip, sp, exec, vm, addr, op.d, gas),
            Err(t) => trap!(ip, exec, gas, t),
        }
    }

    fn call_ref<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        ref_call::<MODE, false>(ip, sp, exec, vm, gas)
    }

    fn return_call_ref<const MODE: u8, const CHECK: bool>(ip, sp, exec, vm, gas) {
        if CHECK && exec.interrupted() {
            trap!(ip, exec, gas, Trap::Interrupted)
        }
        ref_call::<MODE, true>(ip, sp, exec, vm, gas)
    }

    fn global_get(ip, sp, exec, vm, gas) {
        let op = &*ip;
        // The validator checked the index against the instance's globals, whose addresses are
        // store globals.
        let g = *exec.globals.add(op.b as usize);
        slot!(sp, op.a) = vm.globals.get_unchecked(g as usize).value as u64;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn global_set(ip, sp, exec, vm, gas) {
        let op = &*ip;
        // As for `global_get`.
        let g = *exec.globals.add(op.b as usize);
        vm.globals.get_unchecked_mut(g as usize).value = u128::from(slot!(sp, op.a));
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn data_drop(ip, sp, exec, vm, gas) {
        let op = &*ip;
        vm.instances[exec.instance as usize].data[op.a as usize].drop_bytes();
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn table_get(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let t = vm.instances[exec.instance as usize].tables[op.b as usize];
        let Some(&v) = element(&vm.tables[t as usize], slot!(sp, op.c)) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        slot!(sp, op.a) = v;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn table_set(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let table = &mut vm.tables[vm.instances[exec.instance as usize].tables[op.a as usize] as usize];
        let i = usize::try_from(table.index(slot!(sp, op.b))).unwrap_or(usize::MAX);
        let v = slot!(sp, op.c);
        let Some(e) = table.elements.get_mut(i) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        *e = v;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn table_size(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let t = vm.instances[exec.instance as usize].tables[op.b as usize];
        slot!(sp, op.a) = vm.tables[t as usize].elements.len() as u64;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn table_grow(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let table = &mut vm.tables[vm.instances[exec.instance as usize].tables[op.b as usize] as usize];
        let (init, delta) = (slot!(sp, op.c), table.index(slot!(sp, op.d)));
        // -1 of the table's index type.
        let failed = table.index(u64::MAX);
        let price = per_unit!(ip, exec, gas, table_grow, delta);
        let old = table.grow(delta, init);
        slot!(sp, op.a) = old.map_or(failed, u64::from);
        pay!(ip, sp, exec, vm, gas, if old.is_some() { price } else { 0 }, 1)
    }

    fn table_fill(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let table = &mut vm.tables[vm.instances[exec.instance as usize].tables[op.a as usize] as usize];
        let (d, val, n) = (table.index(slot!(sp, op.b)), slot!(sp, op.c), table.index(slot!(sp, op.d)));
        let price = per_unit!(ip, exec, gas, table_fill, n);
        let Some(range) = in_bounds(d, n, table.elements.len()) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        table.elements[range].fill(val);
        pay!(ip, sp, exec, vm, gas, price, 1)
    }

    fn table_copy(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let inst = &vm.instances[exec.instance as usize];
        let (dt, st) = (inst.tables[op.a as usize] as usize, inst.tables[op.b as usize] as usize);
        let (to, from) = (&vm.tables[dt], &vm.tables[st]);
        // The length is an i64 only between two 64-bit tables.
        let n = slot!(sp, (*ip.add(1)).a);
        let n = if to.ty.limits.is64 && from.ty.limits.is64 { n } else { n as u32 as u64 };
        let price = per_unit!(ip, exec, gas, table_copy, n);
        let (d, s) = (to.index(slot!(sp, op.c)), from.index(slot!(sp, op.d)));
        let (Some(dr), Some(sr)) = (in_bounds(d, n, to.elements.len()), in_bounds(s, n, from.elements.len())) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        let (d, s, n) = (dr.start, sr.start, dr.len());
        if dt == st {
            vm.tables[dt].elements.copy_within(s..s + n, d);
        } else {
            let items = vm.tables[st].elements[s..s + n].to_vec();
            vm.tables[dt].elements[d..d + n].copy_from_slice(&items);
        }
        pay!(ip, sp, exec, vm, gas, price, 2)
    }

    fn table_init(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let n = slot!(sp, (*ip.add(1)).a) as u32;
        let price = per_unit!(ip, exec, gas, table_init, n);
        let (d, s) = (slot!(sp, op.c), slot!(sp, op.d) as u32);
        if let Err(t) = vm.table_init(exec.instance, op.a, op.b, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 2)
    }

    fn elem_drop(ip, sp, exec, vm, gas) {
        let op = &*ip;
        vm.instances[exec.instance as usize].elements[op.a as usize].1 = Vec::new();
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn ref_is_null(ip, sp, exec, vm, gas) {
        let op = &*ip;
        slot!(sp, op.a) = u64::from(slot!(sp, op.b) == 0);
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn ref_as_non_null(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let r = slot!(sp, op.b);
        if r == 0 {
            trap!(ip, exec, gas, Trap::NullReference)
        }
        slot!(sp, op.a) = r;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn ref_func(ip, sp, exec, vm, gas) {
        let op = &*ip;
        slot!(sp, op.a) = u64::from(vm.instances[exec.instance as usize].funcs[op.b as usize]) + 1;
        next!(ip.add(1), sp, exec, vm, gas)
    }
}

/// The range of `n` elements from `d` in a table of `len`, if it is in bounds.
#[inline]
fn in_bounds(d: u64, n: u64, len: usize) -> Option<std::ops::Range<usize>> {
    let end = d.checked_add(n).filter(|&end| end <= len as u64)?;
    Some(d as usize..end as usize)
}
