//! The handlers of the loads and stores on a memory other than the instance's memory 0
//! (multi-memory), and of every memory's size, grow and bulk instructions. Memory 0's loads and
//! stores keep their own handlers, which use the base and length `Exec` caches (`handlers.rs`,
//! `simd.rs`), so modules with one memory run their hot paths exactly as before; these look the
//! memory up by its index in the module, an operand, on every access, and use safe slices.
//! 64-bit memories (memory64) have loads and stores of their own (`wide`), chosen at lowering:
//! their addresses and offsets are u64 (the offset a constant's slot), so a 32-bit memory's
//! accesses keep their one-operand offset and their u32 address.

#![allow(non_snake_case)]

use super::assemble::Handler;
use super::handlers::{effective, for_each_load, for_each_store, handler, next, slot, trap};
use super::simd::{get, put};
use super::state::PAGE_SIZE;
use crate::meter::{pay, per_unit};
use crate::simd::*;
use crate::trap::Trap;
use ssvm_binary::Opcode;

/// The bytes of the current instance's memory `index` (which the validator checked).
macro_rules! memory {
    ($exec:expr, $vm:expr, $index:expr) => {{
        let m = $vm.memory_at($exec.instance, $index);
        &mut $vm.memories[m].data
    }};
}

/// The effective address of an access of `$n` bytes to a 32-bit memory of `$len` bytes:
/// the address in slot `$addr`, the offset the operand `$offset`.
macro_rules! narrow {
    ($sp:expr, $addr:expr, $offset:expr, $n:expr, $len:expr) => {
        effective(slot!($sp, $addr), $offset, $n, $len)
    };
}

/// The same for a 64-bit memory: the offset is in slot `$offset` (a constant).
macro_rules! wide {
    ($sp:expr, $addr:expr, $offset:expr, $n:expr, $len:expr) => {
        effective64(slot!($sp, $addr), slot!($sp, $offset), $n, $len)
    };
}

/// The start of an access of `len` bytes at `addr + offset` (u64s, a 64-bit memory's) in a
/// memory of `size` bytes, if it is in bounds: no sum can wrap around.
pub(crate) fn effective64(addr: u64, offset: u64, len: u64, size: usize) -> Option<usize> {
    let start = addr.checked_add(offset)?;
    match start.checked_add(len) {
        Some(end) if end <= size as u64 => Some(start as usize),
        _ => None,
    }
}

/// Loads: operands `a` the result, `b` the address, `c` the offset, `d` the memory; `$address`
/// computes the effective address (`narrow` or `wide`).
macro_rules! loads {
    ($address:ident; $($name:ident $n:literal |$b:ident| $conv:expr;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let mem = memory!(exec, vm, op.d);
                let Some(at) = $address!(sp, op.b, op.c, $n, mem.len()) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                let mut $b = [0u8; $n];
                $b.copy_from_slice(&mem[at..at + $n]);
                slot!(sp, op.a) = $conv;
                next!(ip.add(1), sp, exec, vm, gas)
            }
        })*
    };
}

for_each_load!(loads, narrow);

/// Stores: operands `a` the address, `b` the value, `c` the offset, `d` the memory.
macro_rules! stores {
    ($address:ident; $($name:ident $n:literal;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let value = slot!(sp, op.b).to_le_bytes();
                let mem = memory!(exec, vm, op.d);
                let Some(at) = $address!(sp, op.a, op.c, $n, mem.len()) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                mem[at..at + $n].copy_from_slice(&value[..$n]);
                next!(ip.add(1), sp, exec, vm, gas)
            }
        })*
    };
}

for_each_store!(stores, narrow);

handler! {
    /// Operands: `a` the result, `b` the memory.
    fn memory_size(ip, sp, exec, vm, gas) {
        let op = &*ip;
        slot!(sp, op.a) = (memory!(exec, vm, op.b).len() / PAGE_SIZE) as u64;
        next!(ip.add(1), sp, exec, vm, gas)
    }

    /// Operands: `a` the result, `b` the delta, `c` the memory.
    fn memory_grow(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let m = vm.memory_at(exec.instance, op.c);
        let delta = vm.memories[m].address(slot!(sp, op.b));
        // -1 of the memory's address type.
        let failed = vm.memories[m].address(u64::MAX);
        // Priced as if the grow succeeds (saturating, so a 64-bit delta cannot wrap the price);
        // charged only if it does.
        let price = per_unit!(ip, exec, gas, memory_grow, delta);
        let old = vm.grow_memory(m, delta);
        // The same memory may be imported as memory 0 too: its cached base may have moved.
        exec.refresh_memory(vm);
        slot!(sp, op.a) = old.map_or(failed, u64::from);
        pay!(ip, sp, exec, vm, gas, if old.is_some() { price } else { 0 }, 1)
    }

    /// Operands: `a` the destination, `b` the value, `c` the length, `d` the memory.
    fn memory_fill(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let m = vm.memory_at(exec.instance, op.d);
        let (d, val, n) = (slot!(sp, op.a), slot!(sp, op.b) as u8, vm.memories[m].address(slot!(sp, op.c)));
        let price = per_unit!(ip, exec, gas, memory_fill, n);
        if let Err(t) = vm.memory_fill(m, d, val, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 1)
    }

    /// Operands: `a` the destination, `b` the source, `c` the length, `d` the destination
    /// memory; the next op's `a` the source memory.
    fn memory_copy(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let memories = (vm.memory_at(exec.instance, op.d), vm.memory_at(exec.instance, (*ip.add(1)).a));
        let (d, s, mut n) = (slot!(sp, op.a), slot!(sp, op.b), slot!(sp, op.c));
        // The length is an i64 only between two 64-bit memories.
        if !(vm.memories[memories.0].is64 && vm.memories[memories.1].is64) {
            n = n as u32 as u64;
        }
        let price = per_unit!(ip, exec, gas, memory_copy, n);
        if let Err(t) = vm.memory_copy(memories, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 2)
    }

    /// Operands: `a` the data segment, `b` the destination, `c` the source, `d` the length; the
    /// next op's `a` the memory.
    fn memory_init(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let (d, s, n) = (slot!(sp, op.b), slot!(sp, op.c) as u32, slot!(sp, op.d) as u32);
        let price = per_unit!(ip, exec, gas, memory_init, n);
        if let Err(t) = vm.memory_init(exec.instance, (*ip.add(1)).a, op.a, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 2)
    }
}

/// SIMD accesses: operands as memory 0's (`simd.rs`: `a` the v128, `b` the address, `c` the
/// offset, `d` the lane), and the next op's `a` the memory.
macro_rules! simd_accesses {
    ($address:ident; $($kind:ident $name:ident $($n:literal)? $(|$b:ident| $body:expr)?;)*) => {
        $(simd_accesses!(@$kind $address $name $($n)? $(|$b| $body)?);)*

        /// The handler of a `SimdLoad` or `SimdStore` instruction on a memory other than 0.
        pub(crate) fn simd_access_handler_of(op: Opcode) -> Handler {
            match op {
                $(Opcode::$name => $name,)*
                other => unreachable!("{other} is no SIMD access"),
            }
        }
    };
    (@load $address:ident $name:ident $n:literal |$b:ident| $body:expr) => {
        simd_accesses!(@access $address $name $n |op, sp, mem, at| {
            let mut $b = [0u8; $n];
            $b.copy_from_slice(&mem[at..at + $n]);
            put(sp, op.a, $body);
        });
    };
    (@load_lane $address:ident $name:ident $n:literal) => {
        simd_accesses!(@access $address $name $n |op, sp, mem, at| {
            let lane = op.d as usize & 0xff;
            let mut v = get(sp, op.d >> 8).to_le_bytes();
            v[lane * $n..(lane + 1) * $n].copy_from_slice(&mem[at..at + $n]);
            put(sp, op.a, u128::from_le_bytes(v));
        });
    };
    (@store $address:ident $name:ident) => {
        simd_accesses!(@access $address $name 16 |op, sp, mem, at| {
            mem[at..at + 16].copy_from_slice(&get(sp, op.a).to_le_bytes());
        });
    };
    (@store_lane $address:ident $name:ident $n:literal) => {
        simd_accesses!(@access $address $name $n |op, sp, mem, at| {
            let lane = op.d as usize;
            let v = get(sp, op.a).to_le_bytes();
            mem[at..at + $n].copy_from_slice(&v[lane * $n..(lane + 1) * $n]);
        });
    };
    (@access $address:ident $name:ident $n:literal |$op:ident, $sp:ident, $mem:ident, $at:ident| $body:block) => {
        handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let $op = &*ip;
                let $sp = sp;
                let $mem = memory!(exec, vm, (*ip.add(1)).a);
                let Some($at) = $address!(sp, $op.b, $op.c, $n, $mem.len()) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                $body
                next!(ip.add(2), sp, exec, vm, gas)
            }
        }
    };
}

for_each_simd_access!(simd_accesses, narrow);

/// The loads and stores of 64-bit memories, memory 0's included: operands as above, but the
/// offset `c` is the slot of a constant holding it.
pub(crate) mod wide {
    use super::*;

    for_each_load!(loads, wide);
    for_each_store!(stores, wide);
    for_each_simd_access!(simd_accesses, wide);
}
