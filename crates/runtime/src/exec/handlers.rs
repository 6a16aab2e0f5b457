//! The handlers: one function per kind of op, all with the same signature.
//!
//! Every handler is `unsafe`: it relies on `ip` pointing at one of the running function's ops
//! and `sp` at its frame, which the lowering and `enter` guarantee (see `exec/mod.rs`). Slot
//! operands are below the frame's `frame_size`, every body ends with a terminator, and indices
//! of functions, globals, tables and segments were checked by the validator.

#![allow(non_snake_case)]

use super::assemble::{Handler, Op};
use super::{enter, Exec, Flow, Frame};
use crate::numeric::{for_each_numeric, SlotValue};
use crate::store::{FuncKind, StoreInner, PAGE_SIZE};
use crate::trap::Trap;
use std::sync::Arc;

/// Continues with op `ip`: a tail call in optimised builds, a return to the loop otherwise.
macro_rules! next {
    ($ip:expr, $sp:expr, $exec:expr, $store:expr, $gas:expr) => {{
        let ip: *const Op = $ip;
        #[cfg(not(debug_assertions))]
        {
            return ((*ip).handler)(ip, $sp, $exec, $store, $gas);
        }
        #[cfg(debug_assertions)]
        {
            let _ = $store;
            $exec.ip = ip;
            $exec.sp = $sp;
            $exec.gas = $gas;
            return Flow::Continue;
        }
    }};
}

/// Stops with a trap.
macro_rules! trap {
    ($ip:expr, $exec:expr, $gas:expr, $trap:expr) => {{
        $exec.gas = $gas;
        return set_trap($ip, $exec, move || $trap);
    }};
}

/// Records the trap `make` gives. Out of line, and given a constructor rather than the trap
/// itself, so that handlers' fast paths carry neither drop code nor a trap value (either would
/// give each of them a stack frame to set up).
#[cold]
#[inline(never)]
fn set_trap(ip: *const Op, exec: &mut Exec, make: impl FnOnce() -> Trap) -> Flow {
    exec.trap = Some(make());
    // The trapping instruction is charged, nothing after it.
    exec.refund_after(ip, 0);
    Flow::Trap
}

/// Stops before op `ip`'s own instruction because its price (with `extra` for per-unit work)
/// cannot be paid: gives back what was charged for it and after it, and records where to resume.
#[cold]
#[inline(never)]
fn out_of_gas_at(ip: *const Op, exec: &mut Exec) -> Flow {
    exec.refund_after(ip, 1);
    exec.suspend_before(ip);
    Flow::OutOfGas
}

/// A slot of the current frame, as a place.
macro_rules! slot {
    ($sp:expr, $i:expr) => {
        *$sp.add($i as usize)
    };
}

/// Where execution goes on at `next`: past the block's charge, paid here, when `next` is an
/// untraced charge the gas covers. Branches, returns and calls land on block starts, so this
/// saves metered code a dispatch per block entered that way; other code pays one compare.
#[inline(always)]
unsafe fn land(next: *const Op, gas: &mut u64) -> *const Op {
    let op = &*next;
    if std::ptr::fn_addr_eq(op.handler, charge as Handler) {
        let price = u64::from(op.a) | (u64::from(op.b) << 32);
        if *gas >= price {
            *gas -= price;
            return next.add(1);
        }
    }
    next
}

/// The op `rel` ops away from `ip` (a jump offset stored in a `u32`).
#[inline(always)]
unsafe fn jump(ip: *const Op, rel: u32) -> *const Op {
    ip.offset(rel as i32 as isize)
}

macro_rules! numeric_handlers {
    ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
        $(numeric_handlers!(@$kind $name ($($in)*) $out ($($arg),*) $body);)*
    };
    (@un $name:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {
        pub(crate) unsafe fn $name(ip: *const Op, sp: *mut u64, exec: &mut Exec, store: &mut StoreInner, gas: u64) -> Flow {
            let op = &*ip;
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let r: $out = $body;
            slot!(sp, op.a) = r.into_slot();
            next!(ip.add(1), sp, exec, store, gas)
        }
    };
    (@un_trap $name:ident ($t:ident) $out:ident ($x:ident) $body:expr) => {
        pub(crate) unsafe fn $name(ip: *const Op, sp: *mut u64, exec: &mut Exec, store: &mut StoreInner, gas: u64) -> Flow {
            let op = &*ip;
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let r: Result<$out, Trap> = $body;
            match r {
                Ok(r) => slot!(sp, op.a) = r.into_slot(),
                Err(t) => trap!(ip, exec, gas, t),
            }
            next!(ip.add(1), sp, exec, store, gas)
        }
    };
    (@bin $name:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {
        pub(crate) unsafe fn $name(ip: *const Op, sp: *mut u64, exec: &mut Exec, store: &mut StoreInner, gas: u64) -> Flow {
            let op = &*ip;
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let $y = <$u as SlotValue>::from_slot(slot!(sp, op.c));
            let r: $out = $body;
            slot!(sp, op.a) = r.into_slot();
            next!(ip.add(1), sp, exec, store, gas)
        }
    };
    (@bin_trap $name:ident ($t:ident $u:ident) $out:ident ($x:ident, $y:ident) $body:expr) => {
        pub(crate) unsafe fn $name(ip: *const Op, sp: *mut u64, exec: &mut Exec, store: &mut StoreInner, gas: u64) -> Flow {
            let op = &*ip;
            let $x = <$t as SlotValue>::from_slot(slot!(sp, op.b));
            let $y = <$u as SlotValue>::from_slot(slot!(sp, op.c));
            let r: Result<$out, Trap> = $body;
            match r {
                Ok(r) => slot!(sp, op.a) = r.into_slot(),
                Err(t) => trap!(ip, exec, gas, t),
            }
            next!(ip.add(1), sp, exec, store, gas)
        }
    };
}

for_each_numeric!(numeric_handlers);

/// Declares handlers with the shared signature: `handler!(name(ip, sp, exec, store) { body })`.
macro_rules! handler {
    ($(fn $name:ident($ip:ident, $sp:ident, $exec:ident, $store:ident, $gas:ident) $body:block)*) => {
        $(
            #[allow(unused_variables, unused_mut)]
            pub(crate) unsafe fn $name(
                $ip: *const Op,
                $sp: *mut u64,
                $exec: &mut Exec,
                $store: &mut StoreInner,
                mut $gas: u64,
            ) -> Flow $body
        )*
    };
}

/// Where a taken branch goes on when the assembler found its target to be a charge of `price`
/// (stored in the branch op): past the charge, paid here, when the gas covers it; otherwise to
/// the charge, which takes the slow path. Unlike `land`, nothing of the target is read.
#[inline(always)]
unsafe fn land_paid(target: *const Op, price: u32, gas: &mut u64) -> *const Op {
    let price = u64::from(price);
    if *gas >= price {
        *gas -= price;
        target.add(1)
    } else {
        target
    }
}

/// Compare-and-branch handlers: `$name` lands on its target like other branches, `$paid` is
/// the variant whose target is a charge of `op.d` (see `land_paid`).
macro_rules! cmp_branches {
    ($($name:ident $paid:ident $t:ty, |$x:ident, $y:ident| $cond:expr;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, store, gas) {
                let op = &*ip;
                let $x = slot!(sp, op.a) as $t;
                let $y = slot!(sp, op.b) as $t;
                let next = if $cond { jump(ip, op.c) } else { ip.add(1) };
                next!(land(next, &mut gas), sp, exec, store, gas)
            }

            fn $paid(ip, sp, exec, store, gas) {
                let op = &*ip;
                let $x = slot!(sp, op.a) as $t;
                let $y = slot!(sp, op.b) as $t;
                let next = if $cond {
                    land_paid(jump(ip, op.c), op.d, &mut gas)
                } else {
                    land(ip.add(1), &mut gas)
                };
                next!(next, sp, exec, store, gas)
            }
        })*

        /// Each branch handler whose target is in operand `c`, with its paid variant.
        pub(crate) const PAID_CMP_BRANCHES: &[(Handler, Handler)] = &[$(($name, $paid)),*];
    };
}

cmp_branches! {
    br_i32_eq br_i32_eq_paid u32, |x, y| x == y;
    br_i32_ne br_i32_ne_paid u32, |x, y| x != y;
    br_i32_lt_s br_i32_lt_s_paid i32, |x, y| x < y;
    br_i32_lt_u br_i32_lt_u_paid u32, |x, y| x < y;
    br_i32_gt_s br_i32_gt_s_paid i32, |x, y| x > y;
    br_i32_gt_u br_i32_gt_u_paid u32, |x, y| x > y;
    br_i32_le_s br_i32_le_s_paid i32, |x, y| x <= y;
    br_i32_le_u br_i32_le_u_paid u32, |x, y| x <= y;
    br_i32_ge_s br_i32_ge_s_paid i32, |x, y| x >= y;
    br_i32_ge_u br_i32_ge_u_paid u32, |x, y| x >= y;
    br_i64_eq br_i64_eq_paid u64, |x, y| x == y;
    br_i64_ne br_i64_ne_paid u64, |x, y| x != y;
    br_i64_lt_s br_i64_lt_s_paid i64, |x, y| x < y;
    br_i64_lt_u br_i64_lt_u_paid u64, |x, y| x < y;
    br_i64_gt_s br_i64_gt_s_paid i64, |x, y| x > y;
    br_i64_gt_u br_i64_gt_u_paid u64, |x, y| x > y;
    br_i64_le_s br_i64_le_s_paid i64, |x, y| x <= y;
    br_i64_le_u br_i64_le_u_paid u64, |x, y| x <= y;
    br_i64_ge_s br_i64_ge_s_paid i64, |x, y| x >= y;
    br_i64_ge_u br_i64_ge_u_paid u64, |x, y| x >= y;
}

/// The price of `units` of per-unit work at rate `exec.per_unit.$rate`; stops with out of gas
/// (before the instruction) when it cannot be paid. Charged by the caller once the work is done.
macro_rules! per_unit {
    ($ip:expr, $exec:expr, $gas:expr, $rate:ident, $units:expr) => {{
        let price = ($units as u64).saturating_mul($exec.per_unit.$rate);
        // The rest of the block is charged but has not run: that gas is available too.
        if price > $gas && price > $gas.saturating_add($exec.price_after($ip)) {
            $exec.gas = $gas;
            return out_of_gas_at($ip, $exec);
        }
        price
    }};
}

/// Pays `price` for per-unit work done by op `ip` (`width` ops wide) and goes on.
macro_rules! pay {
    ($ip:expr, $sp:expr, $exec:expr, $store:expr, $gas:expr, $price:expr, $width:expr) => {{
        let price = $price;
        if price > $gas {
            $exec.gas = $gas;
            return pay_late($ip, $sp, $exec, $store, price, $width);
        }
        $gas -= price;
        if $exec.profiling {
            $exec.attribute(price, 1);
        }
        next!($ip.add($width), $sp, $exec, $store, $gas)
    }};
}

/// Pays per-unit work that only fits with the gas charged ahead for the rest of the block: that
/// charge is given back, the work paid, and the rest of the block runs as a partial block,
/// charged instruction by instruction as far as gas goes.
#[cold]
#[inline(never)]
unsafe fn pay_late(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    store: &mut StoreInner,
    price: u64,
    width: usize,
) -> Flow {
    let (block, next_instr, next_op) = exec.after(ip, width);
    exec.refund_after(ip, 0);
    exec.spend(price);
    super::run_partial(sp, exec, store, block, next_instr, next_op)
}

/// Bounds-checks an access of `len` bytes at `addr + offset` in a memory of `size` bytes; the
/// start index when in bounds.
#[inline(always)]
fn effective(addr: u64, offset: u32, len: usize, size: usize) -> Option<usize> {
    let start = (addr as u32 as u64) + u64::from(offset);
    match start.checked_add(len as u64) {
        Some(end) if end <= size as u64 => Some(start as usize),
        _ => None,
    }
}

macro_rules! loads {
    ($($name:ident $n:literal |$b:ident| $conv:expr;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, store, gas) {
                let op = &*ip;
                let Some(at) = effective(slot!(sp, op.b), op.c, $n, exec.mem_len) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                // SAFETY: `effective` checked `at + $n <= mem_len`, the length of the memory at
                // `mem_base` (kept current by `Exec::refresh_memory`).
                let $b: [u8; $n] = std::ptr::read_unaligned(exec.mem_base.add(at) as *const [u8; $n]);
                slot!(sp, op.a) = $conv;
                next!(ip.add(1), sp, exec, store, gas)
            }
        })*
    };
}

loads! {
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

macro_rules! stores {
    ($($name:ident $n:literal;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, store, gas) {
                let op = &*ip;
                let value = slot!(sp, op.b).to_le_bytes();
                let Some(at) = effective(slot!(sp, op.a), op.c, $n, exec.mem_len) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                // SAFETY: as for loads.
                std::ptr::copy_nonoverlapping(value.as_ptr(), exec.mem_base.add(at), $n);
                next!(ip.add(1), sp, exec, store, gas)
            }
        })*
    };
}

stores! {
    store_8 1;
    store_16 2;
    store_32 4;
    store_64 8;
}

/// Calls store function `addr` with its frame starting `base` slots into the current frame.
#[inline(always)]
unsafe fn call_addr(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    store: &mut StoreInner,
    addr: u32,
    base: u32,
    mut gas: u64,
) -> Flow {
    let base = exec.fp + base as usize;
    match &store.funcs[addr as usize].kind {
        FuncKind::Wasm { instance, code, .. } => {
            if exec.frames.len() + 1 >= exec.max_depth {
                trap!(ip, exec, gas, Trap::CallStackExhausted)
            }
            let callee = Arc::as_ptr(code);
            let instance = *instance;
            // SAFETY: the store keeps the callee's code alive for the whole call.
            if let Err(t) = enter(&mut exec.stack, &*callee, base, exec.max_slots) {
                trap!(ip, exec, gas, t)
            }
            exec.frames.push(Frame {
                func: exec.func,
                ip: ip.add(1),
                fp: exec.fp,
                instance: exec.instance,
                node: exec.node,
            });
            if exec.profiling {
                exec.node = exec.profile.child(exec.node, addr);
            }
            exec.func = callee;
            exec.fp = base;
            exec.set_instance(store, instance);
            let sp = exec.frame(base);
            let callee = &*callee;
            next!(land(callee.ops.as_ptr(), &mut gas), sp, exec, store, gas)
        }
        FuncKind::Host(h) => {
            exec.gas = gas;
            exec.host = (addr, *h, base);
            exec.ip = ip.add(1);
            exec.sp = sp;
            Flow::Host
        }
    }
}

handler! {
    fn charge(ip, sp, exec, store, gas) {
        let op = &*ip;
        let price = u64::from(op.a) | (u64::from(op.b) << 32);
        if gas >= price {
            gas -= price;
            next!(ip.add(1), sp, exec, store, gas)
        }
        exec.gas = gas;
        super::run_partial(sp, exec, store, op.c, 0, ip.add(1))
    }

    fn stop(ip, sp, exec, store, gas) {
        exec.gas = gas;
        Flow::OutOfGas
    }

    fn charge_traced(ip, sp, exec, store, gas) {
        let op = &*ip;
        let price = u64::from(op.a) | (u64::from(op.b) << 32);
        if gas >= price {
            gas -= price;
            if exec.counting {
                exec.count_block(op.c);
            }
            exec.attribute(price, 1);
            next!(ip.add(1), sp, exec, store, gas)
        }
        exec.gas = gas;
        super::run_partial(sp, exec, store, op.c, 0, ip.add(1))
    }

    fn copy(ip, sp, exec, store, gas) {
        let op = &*ip;
        slot!(sp, op.a) = slot!(sp, op.b);
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn select(ip, sp, exec, store, gas) {
        let op = &*ip;
        slot!(sp, op.a) = if slot!(sp, op.b) as u32 != 0 { slot!(sp, op.c) } else { slot!(sp, op.d) };
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn br(ip, sp, exec, store, gas) {
        next!(land(jump(ip, (*ip).a), &mut gas), sp, exec, store, gas)
    }

    fn br_paid(ip, sp, exec, store, gas) {
        let op = &*ip;
        next!(land_paid(jump(ip, op.a), op.d, &mut gas), sp, exec, store, gas)
    }

    fn br_if_nz(ip, sp, exec, store, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 != 0 { jump(ip, op.b) } else { ip.add(1) };
        next!(land(next, &mut gas), sp, exec, store, gas)
    }

    fn br_if_nz_paid(ip, sp, exec, store, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 != 0 {
            land_paid(jump(ip, op.b), op.d, &mut gas)
        } else {
            land(ip.add(1), &mut gas)
        };
        next!(next, sp, exec, store, gas)
    }

    fn br_if_z(ip, sp, exec, store, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 == 0 { jump(ip, op.b) } else { ip.add(1) };
        next!(land(next, &mut gas), sp, exec, store, gas)
    }

    fn br_if_z_paid(ip, sp, exec, store, gas) {
        let op = &*ip;
        let next = if slot!(sp, op.a) as u32 == 0 {
            land_paid(jump(ip, op.b), op.d, &mut gas)
        } else {
            land(ip.add(1), &mut gas)
        };
        next!(next, sp, exec, store, gas)
    }

    fn br_table(ip, sp, exec, store, gas) {
        let op = &*ip;
        let i = (slot!(sp, op.a) as u32).min(op.c - 1);
        let func = &*exec.func;
        let rel = func.br_targets[(op.b + i) as usize];
        next!(land(jump(ip, rel), &mut gas), sp, exec, store, gas)
    }

    fn ret(ip, sp, exec, store, gas) {
        match exec.frames.pop() {
            None => {
                exec.gas = gas;
                Flow::Done
            }
            Some(frame) => {
                exec.func = frame.func;
                exec.fp = frame.fp;
                exec.node = frame.node;
                exec.set_instance(store, frame.instance);
                let sp = exec.frame(frame.fp);
                next!(land(frame.ip, &mut gas), sp, exec, store, gas)
            }
        }
    }

    fn unreachable(ip, sp, exec, store, gas) {
        trap!(ip, exec, gas, Trap::Unreachable)
    }

    fn call(ip, sp, exec, store, gas) {
        let op = &*ip;
        let addr = store.instances[exec.instance as usize].funcs[op.a as usize];
        call_addr(ip, sp, exec, store, addr, op.b, gas)
    }

    fn call_indirect(ip, sp, exec, store, gas) {
        let op = &*ip;
        let inst = &store.instances[exec.instance as usize];
        let table = &store.tables[inst.tables[op.b as usize] as usize];
        let i = slot!(sp, op.c) as u32 as usize;
        let Some(&r) = table.elements.get(i) else {
            trap!(ip, exec, gas, Trap::UndefinedElement)
        };
        let Some(addr) = r.checked_sub(1) else {
            trap!(ip, exec, gas, Trap::UninitializedElement)
        };
        if store.funcs[addr as usize].ty != inst.module.types[op.a as usize] {
            trap!(ip, exec, gas, Trap::IndirectCallTypeMismatch)
        }
        call_addr(ip, sp, exec, store, addr as u32, op.d, gas)
    }

    fn global_get(ip, sp, exec, store, gas) {
        let op = &*ip;
        let g = store.instances[exec.instance as usize].globals[op.b as usize];
        slot!(sp, op.a) = store.globals[g as usize].value;
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn global_set(ip, sp, exec, store, gas) {
        let op = &*ip;
        let g = store.instances[exec.instance as usize].globals[op.b as usize];
        store.globals[g as usize].value = slot!(sp, op.a);
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn memory_size(ip, sp, exec, store, gas) {
        let op = &*ip;
        slot!(sp, op.a) = (store.memories[exec.memory].data.len() / PAGE_SIZE) as u64;
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn memory_grow(ip, sp, exec, store, gas) {
        let op = &*ip;
        let delta = slot!(sp, op.b) as u32;
        // Priced as if the grow succeeds; charged only if it does.
        let price = per_unit!(ip, exec, gas, memory_grow, delta);
        let old = store.memories[exec.memory].grow(delta);
        exec.refresh_memory(store);
        slot!(sp, op.a) = u64::from(old.unwrap_or(u32::MAX));
        pay!(ip, sp, exec, store, gas, if old.is_some() { price } else { 0 }, 1)
    }

    fn memory_fill(ip, sp, exec, store, gas) {
        let op = &*ip;
        let (d, val, n) = (slot!(sp, op.a), slot!(sp, op.b) as u8, slot!(sp, op.c) as u32 as usize);
        let price = per_unit!(ip, exec, gas, memory_fill, n);
        let mem = &mut store.memories[exec.memory].data;
        let Some(at) = effective(d, 0, n, mem.len()) else {
            trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
        };
        mem[at..at + n].fill(val);
        pay!(ip, sp, exec, store, gas, price, 1)
    }

    fn memory_copy(ip, sp, exec, store, gas) {
        let op = &*ip;
        let (d, s, n) = (slot!(sp, op.a), slot!(sp, op.b), slot!(sp, op.c) as u32 as usize);
        let price = per_unit!(ip, exec, gas, memory_copy, n);
        let mem = &mut store.memories[exec.memory].data;
        let (Some(dst), Some(src)) = (effective(d, 0, n, mem.len()), effective(s, 0, n, mem.len())) else {
            trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
        };
        mem.copy_within(src..src + n, dst);
        pay!(ip, sp, exec, store, gas, price, 1)
    }

    fn memory_init(ip, sp, exec, store, gas) {
        let op = &*ip;
        let (d, s, n) = (slot!(sp, op.b) as u32, slot!(sp, op.c) as u32, slot!(sp, op.d) as u32);
        let price = per_unit!(ip, exec, gas, memory_init, n);
        if let Err(t) = super::memory_init(store, exec.instance, op.a, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, store, gas, price, 1)
    }

    fn data_drop(ip, sp, exec, store, gas) {
        let op = &*ip;
        store.instances[exec.instance as usize].data[op.a as usize] = Arc::from(&[][..]);
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn table_get(ip, sp, exec, store, gas) {
        let op = &*ip;
        let t = store.instances[exec.instance as usize].tables[op.b as usize];
        let i = slot!(sp, op.c) as u32 as usize;
        let Some(&v) = store.tables[t as usize].elements.get(i) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        slot!(sp, op.a) = v;
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn table_set(ip, sp, exec, store, gas) {
        let op = &*ip;
        let t = store.instances[exec.instance as usize].tables[op.a as usize];
        let i = slot!(sp, op.b) as u32 as usize;
        let v = slot!(sp, op.c);
        let Some(e) = store.tables[t as usize].elements.get_mut(i) else {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        };
        *e = v;
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn table_size(ip, sp, exec, store, gas) {
        let op = &*ip;
        let t = store.instances[exec.instance as usize].tables[op.b as usize];
        slot!(sp, op.a) = store.tables[t as usize].elements.len() as u64;
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn table_grow(ip, sp, exec, store, gas) {
        let op = &*ip;
        let t = store.instances[exec.instance as usize].tables[op.b as usize];
        let (init, delta) = (slot!(sp, op.c), slot!(sp, op.d) as u32);
        let price = per_unit!(ip, exec, gas, table_grow, delta);
        let old = store.tables[t as usize].grow(delta, init);
        slot!(sp, op.a) = u64::from(old.unwrap_or(u32::MAX));
        pay!(ip, sp, exec, store, gas, if old.is_some() { price } else { 0 }, 1)
    }

    fn table_fill(ip, sp, exec, store, gas) {
        let op = &*ip;
        let t = store.instances[exec.instance as usize].tables[op.a as usize];
        let (d, val, n) = (slot!(sp, op.b) as u32 as usize, slot!(sp, op.c), slot!(sp, op.d) as u32 as usize);
        let price = per_unit!(ip, exec, gas, table_fill, n);
        let elements = &mut store.tables[t as usize].elements;
        if d.checked_add(n).is_none_or(|end| end > elements.len()) {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        }
        elements[d..d + n].fill(val);
        pay!(ip, sp, exec, store, gas, price, 1)
    }

    fn table_copy(ip, sp, exec, store, gas) {
        let op = &*ip;
        let n = slot!(sp, (*ip.add(1)).a) as u32 as usize;
        let price = per_unit!(ip, exec, gas, table_copy, n);
        let inst = &store.instances[exec.instance as usize];
        let (dt, st) = (inst.tables[op.a as usize] as usize, inst.tables[op.b as usize] as usize);
        let (d, s) = (slot!(sp, op.c) as u32 as usize, slot!(sp, op.d) as u32 as usize);
        let (src_len, dst_len) = (store.tables[st].elements.len(), store.tables[dt].elements.len());
        if s.checked_add(n).is_none_or(|e| e > src_len) || d.checked_add(n).is_none_or(|e| e > dst_len) {
            trap!(ip, exec, gas, Trap::TableOutOfBounds)
        }
        if dt == st {
            store.tables[dt].elements.copy_within(s..s + n, d);
        } else {
            let items = store.tables[st].elements[s..s + n].to_vec();
            store.tables[dt].elements[d..d + n].copy_from_slice(&items);
        }
        pay!(ip, sp, exec, store, gas, price, 2)
    }

    fn table_init(ip, sp, exec, store, gas) {
        let op = &*ip;
        let n = slot!(sp, (*ip.add(1)).a) as u32;
        let price = per_unit!(ip, exec, gas, table_init, n);
        let (d, s) = (slot!(sp, op.c) as u32, slot!(sp, op.d) as u32);
        if let Err(t) = super::table_init(store, exec.instance, op.a, op.b, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, store, gas, price, 2)
    }

    fn elem_drop(ip, sp, exec, store, gas) {
        let op = &*ip;
        store.instances[exec.instance as usize].elements[op.a as usize].1 = Vec::new();
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn ref_is_null(ip, sp, exec, store, gas) {
        let op = &*ip;
        slot!(sp, op.a) = u64::from(slot!(sp, op.b) == 0);
        next!(ip.add(1), sp, exec, store, gas)
    }

    fn ref_func(ip, sp, exec, store, gas) {
        let op = &*ip;
        slot!(sp, op.a) = u64::from(store.instances[exec.instance as usize].funcs[op.b as usize]) + 1;
        next!(ip.add(1), sp, exec, store, gas)
    }
}
