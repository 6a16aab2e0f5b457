//! The handlers of the loads and stores on a memory other than the instance's memory 0
//! (multi-memory), and of every memory's size, grow and bulk instructions. Memory 0's loads and
//! stores keep their own handlers, which use the base and length `Exec` caches (`handlers.rs`,
//! `simd.rs`), so modules with one memory run their hot paths exactly as before; these look the
//! memory up by its index in the module, an operand, on every access, and use safe slices.

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

/// Loads: operands `a` the result, `b` the address, `c` the offset, `d` the memory.
macro_rules! loads {
    ($($name:ident $n:literal |$b:ident| $conv:expr;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let mem = memory!(exec, vm, op.d);
                let Some(at) = effective(slot!(sp, op.b), op.c, $n, mem.len()) else {
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

for_each_load!(loads);

/// Stores: operands `a` the address, `b` the value, `c` the offset, `d` the memory.
macro_rules! stores {
    ($($name:ident $n:literal;)*) => {
        $(handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let op = &*ip;
                let value = slot!(sp, op.b).to_le_bytes();
                let mem = memory!(exec, vm, op.d);
                let Some(at) = effective(slot!(sp, op.a), op.c, $n, mem.len()) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                mem[at..at + $n].copy_from_slice(&value[..$n]);
                next!(ip.add(1), sp, exec, vm, gas)
            }
        })*
    };
}

for_each_store!(stores);

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
        let delta = slot!(sp, op.b) as u32;
        // Priced as if the grow succeeds; charged only if it does.
        let price = per_unit!(ip, exec, gas, memory_grow, delta);
        let old = vm.grow_memory(vm.memory_at(exec.instance, op.c), delta);
        // The same memory may be imported as memory 0 too: its cached base may have moved.
        exec.refresh_memory(vm);
        slot!(sp, op.a) = u64::from(old.unwrap_or(u32::MAX));
        pay!(ip, sp, exec, vm, gas, if old.is_some() { price } else { 0 }, 1)
    }

    /// Operands: `a` the destination, `b` the value, `c` the length, `d` the memory.
    fn memory_fill(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let (d, val, n) = (slot!(sp, op.a), slot!(sp, op.b) as u8, slot!(sp, op.c) as u32 as usize);
        let price = per_unit!(ip, exec, gas, memory_fill, n);
        if let Err(t) = vm.memory_fill(vm.memory_at(exec.instance, op.d), d, val, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 1)
    }

    /// Operands: `a` the destination, `b` the source, `c` the length, `d` the destination
    /// memory; the next op's `a` the source memory.
    fn memory_copy(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let (d, s, n) = (slot!(sp, op.a), slot!(sp, op.b), slot!(sp, op.c) as u32 as usize);
        let price = per_unit!(ip, exec, gas, memory_copy, n);
        let memories = (vm.memory_at(exec.instance, op.d), vm.memory_at(exec.instance, (*ip.add(1)).a));
        if let Err(t) = vm.memory_copy(memories, d, s, n) {
            trap!(ip, exec, gas, t)
        }
        pay!(ip, sp, exec, vm, gas, price, 2)
    }

    /// Operands: `a` the data segment, `b` the destination, `c` the source, `d` the length; the
    /// next op's `a` the memory.
    fn memory_init(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let (d, s, n) = (slot!(sp, op.b) as u32, slot!(sp, op.c) as u32, slot!(sp, op.d) as u32);
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
    ($($kind:ident $name:ident $($n:literal)? $(|$b:ident| $body:expr)?;)*) => {
        $(simd_accesses!(@$kind $name $($n)? $(|$b| $body)?);)*

        /// The handler of a `SimdLoad` or `SimdStore` instruction on a memory other than 0.
        pub(crate) fn simd_access_handler_of(op: Opcode) -> Handler {
            match op {
                $(Opcode::$name => $name,)*
                other => unreachable!("{other} is no SIMD access"),
            }
        }
    };
    (@load $name:ident $n:literal |$b:ident| $body:expr) => {
        simd_accesses!(@access $name $n |op, sp, mem, at| {
            let mut $b = [0u8; $n];
            $b.copy_from_slice(&mem[at..at + $n]);
            put(sp, op.a, $body);
        });
    };
    (@load_lane $name:ident $n:literal) => {
        simd_accesses!(@access $name $n |op, sp, mem, at| {
            let lane = op.d as usize & 0xff;
            let mut v = get(sp, op.d >> 8).to_le_bytes();
            v[lane * $n..(lane + 1) * $n].copy_from_slice(&mem[at..at + $n]);
            put(sp, op.a, u128::from_le_bytes(v));
        });
    };
    (@store $name:ident) => {
        simd_accesses!(@access $name 16 |op, sp, mem, at| {
            mem[at..at + 16].copy_from_slice(&get(sp, op.a).to_le_bytes());
        });
    };
    (@store_lane $name:ident $n:literal) => {
        simd_accesses!(@access $name $n |op, sp, mem, at| {
            let lane = op.d as usize;
            let v = get(sp, op.a).to_le_bytes();
            mem[at..at + $n].copy_from_slice(&v[lane * $n..(lane + 1) * $n]);
        });
    };
    (@access $name:ident $n:literal |$op:ident, $sp:ident, $mem:ident, $at:ident| $body:block) => {
        handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let $op = &*ip;
                let $sp = sp;
                let $mem = memory!(exec, vm, (*ip.add(1)).a);
                let Some($at) = effective(slot!(sp, $op.b), $op.c, $n, $mem.len()) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                $body
                next!(ip.add(2), sp, exec, vm, gas)
            }
        }
    };
}

for_each_simd_access!(simd_accesses);
