//! The handlers of the v128 instructions: one per SIMD opcode, generated from `simd.rs`'s
//! tables, and the v128 copies, `select` and globals. A v128 occupies two consecutive slots,
//! low half first (docs/ir.md); the lowering sized every frame to hold both.

#![allow(non_snake_case)]

use super::assemble::Handler;
use super::handlers::{effective, handler, next, slot, trap};
use crate::simd::*;
use crate::trap::Trap;
use ssvm_binary::Opcode;

/// The v128 in slots `s` and `s + 1`.
#[inline(always)]
pub(crate) unsafe fn get(sp: *mut u64, s: u32) -> u128 {
    // SAFETY: the handlers' contract (exec/mod.rs): the lowering gave a v128 operand two slots
    // of the frame.
    unsafe { u128::from(slot!(sp, s)) | (u128::from(slot!(sp, s + 1)) << 64) }
}

/// Writes `v` to slots `s` and `s + 1`.
#[inline(always)]
pub(crate) unsafe fn put(sp: *mut u64, s: u32, v: u128) {
    // SAFETY: as for `get`.
    unsafe {
        slot!(sp, s) = v as u64;
        slot!(sp, s + 1) = (v >> 64) as u64;
    }
}

macro_rules! simd_handlers {
    ($($kind:ident $name:ident |$($arg:ident),*| $body:expr;)*) => {
        $(simd_handlers!(@$kind $name ($($arg),*) $body);)*

        /// The handler of a `Simd` or `SimdLane` instruction.
        pub(crate) fn handler_of(op: Opcode) -> Handler {
            match op {
                $(Opcode::$name => $name,)*
                other => unreachable!("{other} has no SIMD handler"),
            }
        }
    };
    (@un $name:ident ($a:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| { let $a = get(sp, op.b); put(sp, op.a, $body) });
    };
    (@bin $name:ident ($a:ident, $b:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let ($a, $b) = (get(sp, op.b), get(sp, op.c));
            put(sp, op.a, $body)
        });
    };
    (@tern $name:ident ($a:ident, $b:ident, $c:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let ($a, $b, $c) = (get(sp, op.b), get(sp, op.c), get(sp, op.d));
            put(sp, op.a, $body)
        });
    };
    (@shuffle $name:ident ($a:ident, $b:ident, $c:ident) $body:expr) => {
        simd_handlers!(@tern $name ($a, $b, $c) $body);
    };
    (@shift $name:ident ($a:ident, $n:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let ($a, $n) = (get(sp, op.b), slot!(sp, op.c) as u32);
            put(sp, op.a, $body)
        });
    };
    (@test $name:ident ($a:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let $a = get(sp, op.b);
            slot!(sp, op.a) = u64::from($body);
        });
    };
    (@splat $name:ident ($x:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let $x = slot!(sp, op.b);
            put(sp, op.a, $body)
        });
    };
    (@extract $name:ident ($a:ident, $lane:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let ($a, $lane) = (get(sp, op.b), op.d as usize);
            slot!(sp, op.a) = $body;
        });
    };
    (@replace $name:ident ($a:ident, $x:ident, $lane:ident) $body:expr) => {
        simd_handlers!(@make $name |op, sp| {
            let ($a, $x, $lane) = (get(sp, op.b), slot!(sp, op.c), op.d as usize);
            put(sp, op.a, $body)
        });
    };
    (@make $name:ident |$op:ident, $sp:ident| $compute:block) => {
        handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let $op = &*ip;
                let $sp = sp;
                $compute
                next!(ip.add(1), sp, exec, vm, gas)
            }
        }
    };
}

for_each_simd!(simd_handlers);

/// Memory accesses: operands `a` the v128 (written by loads, read by stores), `b` the address,
/// `c` the static offset, `d` the lane (lane accesses).
macro_rules! access_handlers {
    ($($kind:ident $name:ident $($n:literal)? $(|$b:ident| $body:expr)?;)*) => {
        $(access_handlers!(@$kind $name $($n)? $(|$b| $body)?);)*

        /// The handler of a `SimdLoad` or `SimdStore` instruction.
        pub(crate) fn access_handler_of(op: Opcode) -> Handler {
            match op {
                $(Opcode::$name => $name,)*
                other => unreachable!("{other} is no SIMD access"),
            }
        }
    };
    (@load $name:ident $n:literal |$b:ident| $body:expr) => {
        access_handlers!(@access $name $n |op, sp, at| {
            // SAFETY: `effective` checked `at + $n <= mem_len`, the length of the memory at
            // `mem_base` (kept current by `Exec::refresh_memory`).
            let $b: [u8; $n] = std::ptr::read_unaligned(at as *const [u8; $n]);
            put(sp, op.a, $body);
        });
    };
    (@load_lane $name:ident $n:literal) => {
        access_handlers!(@access $name $n |op, sp, at| {
            // SAFETY: as for the loads.
            let bytes: [u8; $n] = std::ptr::read_unaligned(at as *const [u8; $n]);
            let lane = op.d as usize & 0xff;
            let mut v = get(sp, op.d >> 8).to_le_bytes();
            v[lane * $n..(lane + 1) * $n].copy_from_slice(&bytes);
            put(sp, op.a, u128::from_le_bytes(v));
        });
    };
    (@store $name:ident) => {
        access_handlers!(@access $name 16 |op, sp, at| {
            let v = get(sp, op.a).to_le_bytes();
            // SAFETY: as for the loads.
            std::ptr::copy_nonoverlapping(v.as_ptr(), at, 16);
        });
    };
    (@store_lane $name:ident $n:literal) => {
        access_handlers!(@access $name $n |op, sp, at| {
            let v = get(sp, op.a).to_le_bytes();
            let lane = op.d as usize;
            // SAFETY: as for the loads.
            std::ptr::copy_nonoverlapping(v[lane * $n..].as_ptr(), at, $n);
        });
    };
    (@access $name:ident $n:literal |$op:ident, $sp:ident, $at:ident| $body:block) => {
        handler! {
            fn $name(ip, sp, exec, vm, gas) {
                let $op = &*ip;
                let $sp = sp;
                let Some(at) = effective(slot!(sp, $op.b), $op.c, $n, exec.mem_len) else {
                    trap!(ip, exec, gas, Trap::MemoryOutOfBounds)
                };
                let $at = exec.mem_base.add(at);
                $body
                next!(ip.add(1), sp, exec, vm, gas)
            }
        }
    };
}

for_each_simd_access!(access_handlers);

handler! {
    fn copy_v128(ip, sp, exec, vm, gas) {
        let op = &*ip;
        put(sp, op.a, get(sp, op.b));
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn select_v128(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let v = if slot!(sp, op.b) as u32 != 0 { get(sp, op.c) } else { get(sp, op.d) };
        put(sp, op.a, v);
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn global_get_v128(ip, sp, exec, vm, gas) {
        let op = &*ip;
        // As for `global_get`: the validator checked the index.
        let g = *exec.globals.add(op.b as usize);
        put(sp, op.a, vm.globals.get_unchecked(g as usize).value);
        next!(ip.add(1), sp, exec, vm, gas)
    }

    fn global_set_v128(ip, sp, exec, vm, gas) {
        let op = &*ip;
        // As for `global_get`.
        let g = *exec.globals.add(op.b as usize);
        vm.globals.get_unchecked_mut(g as usize).value = get(sp, op.a);
        next!(ip.add(1), sp, exec, vm, gas)
    }
}
