//! The SIMD (v128) instructions' semantics, written once here: the lowering and the interpreter's
//! handlers are generated from `for_each_simd!`, as the scalar ones are from `for_each_numeric!`.
//!
//! A v128 is a `u128` whose lane 0 is in the low bits (the memory order, little-endian). Lanes
//! are plain arrays, which LLVM turns into vector code where the target has it; no `unsafe`.
//! Float lanes follow the scalar instructions' rules (`numeric.rs`), so NaN results are the
//! same bits as the scalar operation would give.

pub(crate) use crate::numeric::{f32_max, f32_min, f32_round, f64_max, f64_min, f64_round};

/// Lane views of a v128: `get` splits it into lanes, `put` joins them.
macro_rules! lanes {
    ($($get:ident $put:ident $t:ty, $n:literal, $w:literal;)*) => {$(
        #[inline(always)]
        pub(crate) fn $get(v: u128) -> [$t; $n] {
            let b = v.to_le_bytes();
            std::array::from_fn(|i| {
                let mut lane = [0u8; $w];
                lane.copy_from_slice(&b[i * $w..(i + 1) * $w]);
                <$t>::from_le_bytes(lane)
            })
        }

        #[inline(always)]
        pub(crate) fn $put(lanes: [$t; $n]) -> u128 {
            let mut b = [0u8; 16];
            for (i, x) in lanes.iter().enumerate() {
                b[i * $w..(i + 1) * $w].copy_from_slice(&x.to_le_bytes());
            }
            u128::from_le_bytes(b)
        }
    )*};
}

lanes! {
    i8x16 from_i8x16 i8, 16, 1;
    u8x16 from_u8x16 u8, 16, 1;
    i16x8 from_i16x8 i16, 8, 2;
    u16x8 from_u16x8 u16, 8, 2;
    i32x4 from_i32x4 i32, 4, 4;
    u32x4 from_u32x4 u32, 4, 4;
    i64x2 from_i64x2 i64, 2, 8;
    u64x2 from_u64x2 u64, 2, 8;
    f32x4 from_f32x4 f32, 4, 4;
    f64x2 from_f64x2 f64, 2, 8;
}

/// Lane-wise `f(x)`.
macro_rules! map1 {
    ($get:ident $put:ident, $a:expr, |$x:ident| $e:expr) => {
        $put($get($a).map(|$x| $e))
    };
}

/// Lane-wise `f(x, y)`.
macro_rules! map2 {
    ($get:ident $put:ident, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {{
        let (l, r) = ($get($a), $get($b));
        $put(std::array::from_fn(|i| {
            let ($x, $y) = (l[i], r[i]);
            $e
        }))
    }};
}

/// Lane-wise comparison: all ones where it holds, zeros elsewhere (`$put` takes signed lanes of
/// the same width).
macro_rules! cmp {
    ($get:ident $put:ident, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {{
        let (l, r) = ($get($a), $get($b));
        $put(std::array::from_fn(|i| {
            let ($x, $y) = (l[i], r[i]);
            -i8::from($e) as _
        }))
    }};
}

/// The wider lanes of the low (`$off` 0) or high half of `$a`, each made by `f(x)`.
macro_rules! widen {
    ($get:ident $put:ident, $a:expr, $off:expr, |$x:ident| $e:expr) => {{
        let l = $get($a);
        $put(std::array::from_fn(|i| {
            let $x = l[i + $off];
            $e
        }))
    }};
}

/// The narrower lanes of `$a` then `$b`, saturated by `f(x)`.
macro_rules! narrow {
    ($get:ident $put:ident, $a:expr, $b:expr, $half:literal, |$x:ident| $e:expr) => {{
        let (l, r) = ($get($a), $get($b));
        $put(std::array::from_fn(|i| {
            let $x = if i < $half { l[i] } else { r[i - $half] };
            $e
        }))
    }};
}

/// Lane `i` of the result from lanes `2i` and `2i + 1` of `$a` (and `$b`): `f(x0, x1, y0, y1)`.
macro_rules! pairwise {
    ($get:ident $put:ident, $a:expr, $b:expr, |$x0:ident, $x1:ident, $y0:ident, $y1:ident| $e:expr) => {{
        let (l, r) = ($get($a), $get($b));
        $put(std::array::from_fn(|i| {
            let ($x0, $x1, $y0, $y1) = (l[2 * i], l[2 * i + 1], r[2 * i], r[2 * i + 1]);
            $e
        }))
    }};
}

/// One bit per lane: the lanes' sign bits.
macro_rules! bitmask {
    ($get:ident, $a:expr) => {
        $get($a)
            .iter()
            .enumerate()
            .fold(0u32, |m, (i, x)| m | (u32::from(*x < 0) << i))
    };
}

/// Every lane non-zero.
macro_rules! all_true {
    ($get:ident, $a:expr) => {
        u32::from($get($a).iter().all(|x| *x != 0))
    };
}

pub(crate) use {bitmask, cmp, map1, map2, narrow, pairwise, widen};

/// `f32x4.pmin`: `b < a ? b : a`, the operand order C's `fminf` replacement uses.
#[inline(always)]
pub(crate) fn pmin<T: PartialOrd>(a: T, b: T) -> T {
    if b < a {
        b
    } else {
        a
    }
}

/// `f32x4.pmax`: `a < b ? b : a`.
#[inline(always)]
pub(crate) fn pmax<T: PartialOrd>(a: T, b: T) -> T {
    if a < b {
        b
    } else {
        a
    }
}

/// `i8x16.shuffle` and `i8x16.swizzle`: byte `i` is byte `m[i]` of `a ++ b` (zero past the end).
#[inline(always)]
pub(crate) fn select_bytes(a: u128, b: u128, m: u128) -> u128 {
    // Shifts rather than indexing arrays: with `array::from_fn` LLVM left a call that took the
    // arrays' addresses, and a handler whose locals escape cannot tail-call the next op (each
    // shuffle kept a host frame: tests/threaded.rs).
    let mut out = 0u128;
    for i in 0..16 {
        let k = (m >> (8 * i)) as u8;
        let byte = match k {
            0..=15 => (a >> (8 * k)) as u8,
            16..=31 => (b >> (8 * (k - 16))) as u8,
            _ => 0,
        };
        out |= u128::from(byte) << (8 * i);
    }
    out
}

/// `i16x8.q15mulr_sat_s`: the rounded, saturated Q15 product.
#[inline(always)]
pub(crate) fn q15mulr(x: i16, y: i16) -> i16 {
    ((i32::from(x) * i32::from(y) + 0x4000) >> 15).clamp(-0x8000, 0x7fff) as i16
}

/// `v128.bitselect`: each bit from `a` where `m`'s is 1, else from `b`.
#[inline(always)]
pub(crate) fn bitselect(a: u128, b: u128, m: u128) -> u128 {
    (a & m) | (b & !m)
}

/// `i32x4.trunc_sat_f64x2_s_zero`: the two lanes truncated, saturating (Rust's `as`, NaN to 0),
/// then two zero lanes.
#[inline(always)]
pub(crate) fn trunc_sat_f64x2_s_zero(a: u128) -> u128 {
    let l = f64x2(a);
    from_i32x4([l[0] as i32, l[1] as i32, 0, 0])
}

/// `i32x4.trunc_sat_f64x2_u_zero`, the unsigned twin.
#[inline(always)]
pub(crate) fn trunc_sat_f64x2_u_zero(a: u128) -> u128 {
    let l = f64x2(a);
    from_u32x4([l[0] as u32, l[1] as u32, 0, 0])
}

/// Lane-wise `f(x, y, z)`.
macro_rules! map3 {
    ($get:ident $put:ident, $a:expr, $b:expr, $c:expr, |$x:ident, $y:ident, $z:ident| $e:expr) => {{
        let (l, m, r) = ($get($a), $get($b), $get($c));
        $put(std::array::from_fn(|i| {
            let ($x, $y, $z) = (l[i], m[i], r[i]);
            $e
        }))
    }};
}

pub(crate) use map3;

/// `x * y + z` rounded once (relaxed_madd's deterministic result). Rust's `mul_add` is the
/// correctly rounded fused operation on every host, in hardware or in libm. A NaN result takes
/// the bits the unfused `x * y + z` gives, as the scalar instructions' NaNs do: the two are NaN
/// for the same operands.
#[inline(always)]
pub(crate) fn fused<T: Fused>(x: T, y: T, z: T) -> T {
    let r = x.fused(y, z);
    if r.is_nan() {
        x * y + z
    } else {
        r
    }
}

/// The float lanes `fused` works on.
pub(crate) trait Fused:
    Copy + std::ops::Mul<Output = Self> + std::ops::Add<Output = Self>
{
    fn fused(self, y: Self, z: Self) -> Self;
    fn is_nan(self) -> bool;
}

macro_rules! fused_float {
    ($($t:ty)*) => {$(
        impl Fused for $t {
            #[inline(always)]
            fn fused(self, y: Self, z: Self) -> Self {
                self.mul_add(y, z)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    )*};
}

fused_float!(f32 f64);

/// The pairwise dot product of `a`'s and `b`'s signed bytes, wrapped to 16 bits: lane `i` is
/// `a[2i] * b[2i] + a[2i + 1] * b[2i + 1]` (relaxed_dot's deterministic result reads `b` as
/// signed too).
#[inline(always)]
pub(crate) fn dot_i8x16(a: u128, b: u128) -> [i16; 8] {
    let (l, r) = (i8x16(a), i8x16(b));
    std::array::from_fn(|i| {
        let p = |k: usize| i16::from(l[k]) * i16::from(r[k]);
        p(2 * i).wrapping_add(p(2 * i + 1))
    })
}

/// Calls `$m` with every SIMD instruction but the memory accesses and `v128.const`:
/// `kind Name |args| body;`. The kind gives the operands (all but `shift`'s count, `splat`'s
/// scalar and the lane ops' scalar are v128, as `u128`), the result, and what `lower` pops:
///
/// - `un |a|`, `bin |a, b|`, `tern |a, b, c|`: v128 operands, a v128 result;
/// - `shift |a, n|`: a v128 and an i32 count (`u32`), a v128 result;
/// - `test |a|`: a v128, an i32 result (`u32`);
/// - `splat |x|`: a scalar (its 64-bit slot), a v128 result;
/// - `extract |a, lane|`: a v128 and the lane immediate, a scalar result (a 64-bit slot);
/// - `replace |a, x, lane|`: a v128, a scalar slot and the lane immediate, a v128 result;
/// - `shuffle |a, b, m|`: two v128s and the 16 lane immediates as a v128, a v128 result.
macro_rules! for_each_simd {
    ($m:ident) => {
        $m! {
            shuffle I8x16Shuffle |a, b, m| select_bytes(a, b, m);
            bin I8x16Swizzle |a, b| select_bytes(a, 0, b);
            splat I8x16Splat |x| from_u8x16([x as u8; 16]);
            splat I16x8Splat |x| from_u16x8([x as u16; 8]);
            splat I32x4Splat |x| from_u32x4([x as u32; 4]);
            splat I64x2Splat |x| from_u64x2([x; 2]);
            splat F32x4Splat |x| from_u32x4([x as u32; 4]);
            splat F64x2Splat |x| from_u64x2([x; 2]);
            extract I8x16ExtractLaneS |a, lane| u64::from(i32::from(i8x16(a)[lane]) as u32);
            extract I8x16ExtractLaneU |a, lane| u64::from(u8x16(a)[lane]);
            replace I8x16ReplaceLane |a, x, lane| { let mut l = u8x16(a); l[lane] = x as u8; from_u8x16(l) };
            extract I16x8ExtractLaneS |a, lane| u64::from(i32::from(i16x8(a)[lane]) as u32);
            extract I16x8ExtractLaneU |a, lane| u64::from(u16x8(a)[lane]);
            replace I16x8ReplaceLane |a, x, lane| { let mut l = u16x8(a); l[lane] = x as u16; from_u16x8(l) };
            extract I32x4ExtractLane |a, lane| u64::from(u32x4(a)[lane]);
            replace I32x4ReplaceLane |a, x, lane| { let mut l = u32x4(a); l[lane] = x as u32; from_u32x4(l) };
            extract I64x2ExtractLane |a, lane| u64x2(a)[lane];
            replace I64x2ReplaceLane |a, x, lane| { let mut l = u64x2(a); l[lane] = x; from_u64x2(l) };
            extract F32x4ExtractLane |a, lane| u64::from(u32x4(a)[lane]);
            replace F32x4ReplaceLane |a, x, lane| { let mut l = u32x4(a); l[lane] = x as u32; from_u32x4(l) };
            extract F64x2ExtractLane |a, lane| u64x2(a)[lane];
            replace F64x2ReplaceLane |a, x, lane| { let mut l = u64x2(a); l[lane] = x; from_u64x2(l) };
            bin I8x16Eq |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x == y);
            bin I8x16Ne |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x != y);
            bin I8x16LtS |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x < y);
            bin I8x16LtU |a, b| cmp!(u8x16 from_i8x16, a, b, |x, y| x < y);
            bin I8x16GtS |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x > y);
            bin I8x16GtU |a, b| cmp!(u8x16 from_i8x16, a, b, |x, y| x > y);
            bin I8x16LeS |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x <= y);
            bin I8x16LeU |a, b| cmp!(u8x16 from_i8x16, a, b, |x, y| x <= y);
            bin I8x16GeS |a, b| cmp!(i8x16 from_i8x16, a, b, |x, y| x >= y);
            bin I8x16GeU |a, b| cmp!(u8x16 from_i8x16, a, b, |x, y| x >= y);
            bin I16x8Eq |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x == y);
            bin I16x8Ne |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x != y);
            bin I16x8LtS |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x < y);
            bin I16x8LtU |a, b| cmp!(u16x8 from_i16x8, a, b, |x, y| x < y);
            bin I16x8GtS |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x > y);
            bin I16x8GtU |a, b| cmp!(u16x8 from_i16x8, a, b, |x, y| x > y);
            bin I16x8LeS |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x <= y);
            bin I16x8LeU |a, b| cmp!(u16x8 from_i16x8, a, b, |x, y| x <= y);
            bin I16x8GeS |a, b| cmp!(i16x8 from_i16x8, a, b, |x, y| x >= y);
            bin I16x8GeU |a, b| cmp!(u16x8 from_i16x8, a, b, |x, y| x >= y);
            bin I32x4Eq |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x == y);
            bin I32x4Ne |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x != y);
            bin I32x4LtS |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x < y);
            bin I32x4LtU |a, b| cmp!(u32x4 from_i32x4, a, b, |x, y| x < y);
            bin I32x4GtS |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x > y);
            bin I32x4GtU |a, b| cmp!(u32x4 from_i32x4, a, b, |x, y| x > y);
            bin I32x4LeS |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x <= y);
            bin I32x4LeU |a, b| cmp!(u32x4 from_i32x4, a, b, |x, y| x <= y);
            bin I32x4GeS |a, b| cmp!(i32x4 from_i32x4, a, b, |x, y| x >= y);
            bin I32x4GeU |a, b| cmp!(u32x4 from_i32x4, a, b, |x, y| x >= y);
            bin F32x4Eq |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x == y);
            bin F32x4Ne |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x != y);
            bin F32x4Lt |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x < y);
            bin F32x4Gt |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x > y);
            bin F32x4Le |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x <= y);
            bin F32x4Ge |a, b| cmp!(f32x4 from_i32x4, a, b, |x, y| x >= y);
            bin F64x2Eq |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x == y);
            bin F64x2Ne |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x != y);
            bin F64x2Lt |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x < y);
            bin F64x2Gt |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x > y);
            bin F64x2Le |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x <= y);
            bin F64x2Ge |a, b| cmp!(f64x2 from_i64x2, a, b, |x, y| x >= y);
            un V128Not |a| !a;
            bin V128And |a, b| a & b;
            bin V128Andnot |a, b| a & !b;
            bin V128Or |a, b| a | b;
            bin V128Xor |a, b| a ^ b;
            tern V128Bitselect |a, b, c| bitselect(a, b, c);
            test V128AnyTrue |a| u32::from(a != 0);
            un F32x4DemoteF64x2Zero |a| {
                let l = f64x2(a);
                from_f32x4([l[0] as f32, l[1] as f32, 0.0, 0.0])
            };
            un F64x2PromoteLowF32x4 |a| {
                let l = f32x4(a);
                from_f64x2([f64::from(l[0]), f64::from(l[1])])
            };
            un I8x16Abs |a| map1!(i8x16 from_i8x16, a, |x| x.wrapping_abs());
            un I8x16Neg |a| map1!(i8x16 from_i8x16, a, |x| x.wrapping_neg());
            un I8x16Popcnt |a| map1!(u8x16 from_u8x16, a, |x| x.count_ones() as u8);
            test I8x16AllTrue |a| all_true!(u8x16, a);
            test I8x16Bitmask |a| bitmask!(i8x16, a);
            bin I8x16NarrowI16x8S |a, b| narrow!(i16x8 from_i8x16, a, b, 8, |x| x.clamp(-0x80, 0x7f) as i8);
            bin I8x16NarrowI16x8U |a, b| narrow!(i16x8 from_u8x16, a, b, 8, |x| x.clamp(0, 0xff) as u8);
            un F32x4Ceil |a| map1!(f32x4 from_f32x4, a, |x| f32_round(x, f32::ceil));
            un F32x4Floor |a| map1!(f32x4 from_f32x4, a, |x| f32_round(x, f32::floor));
            un F32x4Trunc |a| map1!(f32x4 from_f32x4, a, |x| f32_round(x, f32::trunc));
            un F32x4Nearest |a| map1!(f32x4 from_f32x4, a, |x| f32_round(x, f32::round_ties_even));
            shift I8x16Shl |a, n| map1!(i8x16 from_i8x16, a, |x| x.wrapping_shl(n));
            shift I8x16ShrS |a, n| map1!(i8x16 from_i8x16, a, |x| x.wrapping_shr(n));
            shift I8x16ShrU |a, n| map1!(u8x16 from_u8x16, a, |x| x.wrapping_shr(n));
            bin I8x16Add |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.wrapping_add(y));
            bin I8x16AddSatS |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.saturating_add(y));
            bin I8x16AddSatU |a, b| map2!(u8x16 from_u8x16, a, b, |x, y| x.saturating_add(y));
            bin I8x16Sub |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.wrapping_sub(y));
            bin I8x16SubSatS |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.saturating_sub(y));
            bin I8x16SubSatU |a, b| map2!(u8x16 from_u8x16, a, b, |x, y| x.saturating_sub(y));
            un F64x2Ceil |a| map1!(f64x2 from_f64x2, a, |x| f64_round(x, f64::ceil));
            un F64x2Floor |a| map1!(f64x2 from_f64x2, a, |x| f64_round(x, f64::floor));
            bin I8x16MinS |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.min(y));
            bin I8x16MinU |a, b| map2!(u8x16 from_u8x16, a, b, |x, y| x.min(y));
            bin I8x16MaxS |a, b| map2!(i8x16 from_i8x16, a, b, |x, y| x.max(y));
            bin I8x16MaxU |a, b| map2!(u8x16 from_u8x16, a, b, |x, y| x.max(y));
            un F64x2Trunc |a| map1!(f64x2 from_f64x2, a, |x| f64_round(x, f64::trunc));
            bin I8x16AvgrU |a, b| map2!(u8x16 from_u8x16, a, b, |x, y| ((u16::from(x) + u16::from(y) + 1) >> 1) as u8);
            un I16x8ExtaddPairwiseI8x16S |a| pairwise!(i8x16 from_i16x8, a, 0, |x0, x1, _y0, _y1| i16::from(x0) + i16::from(x1));
            un I16x8ExtaddPairwiseI8x16U |a| pairwise!(u8x16 from_u16x8, a, 0, |x0, x1, _y0, _y1| u16::from(x0) + u16::from(x1));
            un I32x4ExtaddPairwiseI16x8S |a| pairwise!(i16x8 from_i32x4, a, 0, |x0, x1, _y0, _y1| i32::from(x0) + i32::from(x1));
            un I32x4ExtaddPairwiseI16x8U |a| pairwise!(u16x8 from_u32x4, a, 0, |x0, x1, _y0, _y1| u32::from(x0) + u32::from(x1));
            un I16x8Abs |a| map1!(i16x8 from_i16x8, a, |x| x.wrapping_abs());
            un I16x8Neg |a| map1!(i16x8 from_i16x8, a, |x| x.wrapping_neg());
            bin I16x8Q15mulrSatS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| q15mulr(x, y));
            test I16x8AllTrue |a| all_true!(u16x8, a);
            test I16x8Bitmask |a| bitmask!(i16x8, a);
            bin I16x8NarrowI32x4S |a, b| narrow!(i32x4 from_i16x8, a, b, 4, |x| x.clamp(-0x8000, 0x7fff) as i16);
            bin I16x8NarrowI32x4U |a, b| narrow!(i32x4 from_u16x8, a, b, 4, |x| x.clamp(0, 0xffff) as u16);
            un I16x8ExtendLowI8x16S |a| widen!(i8x16 from_i16x8, a, 0, |x| i16::from(x));
            un I16x8ExtendHighI8x16S |a| widen!(i8x16 from_i16x8, a, 8, |x| i16::from(x));
            un I16x8ExtendLowI8x16U |a| widen!(u8x16 from_u16x8, a, 0, |x| u16::from(x));
            un I16x8ExtendHighI8x16U |a| widen!(u8x16 from_u16x8, a, 8, |x| u16::from(x));
            shift I16x8Shl |a, n| map1!(i16x8 from_i16x8, a, |x| x.wrapping_shl(n));
            shift I16x8ShrS |a, n| map1!(i16x8 from_i16x8, a, |x| x.wrapping_shr(n));
            shift I16x8ShrU |a, n| map1!(u16x8 from_u16x8, a, |x| x.wrapping_shr(n));
            bin I16x8Add |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.wrapping_add(y));
            bin I16x8AddSatS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.saturating_add(y));
            bin I16x8AddSatU |a, b| map2!(u16x8 from_u16x8, a, b, |x, y| x.saturating_add(y));
            bin I16x8Sub |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.wrapping_sub(y));
            bin I16x8SubSatS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.saturating_sub(y));
            bin I16x8SubSatU |a, b| map2!(u16x8 from_u16x8, a, b, |x, y| x.saturating_sub(y));
            un F64x2Nearest |a| map1!(f64x2 from_f64x2, a, |x| f64_round(x, f64::round_ties_even));
            bin I16x8Mul |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.wrapping_mul(y));
            bin I16x8MinS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.min(y));
            bin I16x8MinU |a, b| map2!(u16x8 from_u16x8, a, b, |x, y| x.min(y));
            bin I16x8MaxS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| x.max(y));
            bin I16x8MaxU |a, b| map2!(u16x8 from_u16x8, a, b, |x, y| x.max(y));
            bin I16x8AvgrU |a, b| map2!(u16x8 from_u16x8, a, b, |x, y| ((u32::from(x) + u32::from(y) + 1) >> 1) as u16);
            bin I16x8ExtmulLowI8x16S |a, b| extmul!(i8x16 from_i16x8 i16, a, b, 0);
            bin I16x8ExtmulHighI8x16S |a, b| extmul!(i8x16 from_i16x8 i16, a, b, 8);
            bin I16x8ExtmulLowI8x16U |a, b| extmul!(u8x16 from_u16x8 u16, a, b, 0);
            bin I16x8ExtmulHighI8x16U |a, b| extmul!(u8x16 from_u16x8 u16, a, b, 8);
            un I32x4Abs |a| map1!(i32x4 from_i32x4, a, |x| x.wrapping_abs());
            un I32x4Neg |a| map1!(i32x4 from_i32x4, a, |x| x.wrapping_neg());
            test I32x4AllTrue |a| all_true!(u32x4, a);
            test I32x4Bitmask |a| bitmask!(i32x4, a);
            un I32x4ExtendLowI16x8S |a| widen!(i16x8 from_i32x4, a, 0, |x| i32::from(x));
            un I32x4ExtendHighI16x8S |a| widen!(i16x8 from_i32x4, a, 4, |x| i32::from(x));
            un I32x4ExtendLowI16x8U |a| widen!(u16x8 from_u32x4, a, 0, |x| u32::from(x));
            un I32x4ExtendHighI16x8U |a| widen!(u16x8 from_u32x4, a, 4, |x| u32::from(x));
            shift I32x4Shl |a, n| map1!(i32x4 from_i32x4, a, |x| x.wrapping_shl(n));
            shift I32x4ShrS |a, n| map1!(i32x4 from_i32x4, a, |x| x.wrapping_shr(n));
            shift I32x4ShrU |a, n| map1!(u32x4 from_u32x4, a, |x| x.wrapping_shr(n));
            bin I32x4Add |a, b| map2!(i32x4 from_i32x4, a, b, |x, y| x.wrapping_add(y));
            bin I32x4Sub |a, b| map2!(i32x4 from_i32x4, a, b, |x, y| x.wrapping_sub(y));
            bin I32x4Mul |a, b| map2!(i32x4 from_i32x4, a, b, |x, y| x.wrapping_mul(y));
            bin I32x4MinS |a, b| map2!(i32x4 from_i32x4, a, b, |x, y| x.min(y));
            bin I32x4MinU |a, b| map2!(u32x4 from_u32x4, a, b, |x, y| x.min(y));
            bin I32x4MaxS |a, b| map2!(i32x4 from_i32x4, a, b, |x, y| x.max(y));
            bin I32x4MaxU |a, b| map2!(u32x4 from_u32x4, a, b, |x, y| x.max(y));
            bin I32x4DotI16x8S |a, b| pairwise!(i16x8 from_i32x4, a, b, |x0, x1, y0, y1| {
                (i32::from(x0) * i32::from(y0)).wrapping_add(i32::from(x1) * i32::from(y1))
            });
            bin I32x4ExtmulLowI16x8S |a, b| extmul!(i16x8 from_i32x4 i32, a, b, 0);
            bin I32x4ExtmulHighI16x8S |a, b| extmul!(i16x8 from_i32x4 i32, a, b, 4);
            bin I32x4ExtmulLowI16x8U |a, b| extmul!(u16x8 from_u32x4 u32, a, b, 0);
            bin I32x4ExtmulHighI16x8U |a, b| extmul!(u16x8 from_u32x4 u32, a, b, 4);
            un I64x2Abs |a| map1!(i64x2 from_i64x2, a, |x| x.wrapping_abs());
            un I64x2Neg |a| map1!(i64x2 from_i64x2, a, |x| x.wrapping_neg());
            test I64x2AllTrue |a| all_true!(u64x2, a);
            test I64x2Bitmask |a| bitmask!(i64x2, a);
            un I64x2ExtendLowI32x4S |a| widen!(i32x4 from_i64x2, a, 0, |x| i64::from(x));
            un I64x2ExtendHighI32x4S |a| widen!(i32x4 from_i64x2, a, 2, |x| i64::from(x));
            un I64x2ExtendLowI32x4U |a| widen!(u32x4 from_u64x2, a, 0, |x| u64::from(x));
            un I64x2ExtendHighI32x4U |a| widen!(u32x4 from_u64x2, a, 2, |x| u64::from(x));
            shift I64x2Shl |a, n| map1!(i64x2 from_i64x2, a, |x| x.wrapping_shl(n));
            shift I64x2ShrS |a, n| map1!(i64x2 from_i64x2, a, |x| x.wrapping_shr(n));
            shift I64x2ShrU |a, n| map1!(u64x2 from_u64x2, a, |x| x.wrapping_shr(n));
            bin I64x2Add |a, b| map2!(i64x2 from_i64x2, a, b, |x, y| x.wrapping_add(y));
            bin I64x2Sub |a, b| map2!(i64x2 from_i64x2, a, b, |x, y| x.wrapping_sub(y));
            bin I64x2Mul |a, b| map2!(i64x2 from_i64x2, a, b, |x, y| x.wrapping_mul(y));
            bin I64x2Eq |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x == y);
            bin I64x2Ne |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x != y);
            bin I64x2LtS |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x < y);
            bin I64x2GtS |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x > y);
            bin I64x2LeS |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x <= y);
            bin I64x2GeS |a, b| cmp!(i64x2 from_i64x2, a, b, |x, y| x >= y);
            bin I64x2ExtmulLowI32x4S |a, b| extmul!(i32x4 from_i64x2 i64, a, b, 0);
            bin I64x2ExtmulHighI32x4S |a, b| extmul!(i32x4 from_i64x2 i64, a, b, 2);
            bin I64x2ExtmulLowI32x4U |a, b| extmul!(u32x4 from_u64x2 u64, a, b, 0);
            bin I64x2ExtmulHighI32x4U |a, b| extmul!(u32x4 from_u64x2 u64, a, b, 2);
            un F32x4Abs |a| map1!(u32x4 from_u32x4, a, |x| x & 0x7fff_ffff);
            un F32x4Neg |a| map1!(u32x4 from_u32x4, a, |x| x ^ 0x8000_0000);
            un F32x4Sqrt |a| map1!(f32x4 from_f32x4, a, |x| x.sqrt());
            bin F32x4Add |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| x + y);
            bin F32x4Sub |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| x - y);
            bin F32x4Mul |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| x * y);
            bin F32x4Div |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| x / y);
            bin F32x4Min |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| f32_min(x, y));
            bin F32x4Max |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| f32_max(x, y));
            bin F32x4Pmin |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| pmin(x, y));
            bin F32x4Pmax |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| pmax(x, y));
            un F64x2Abs |a| map1!(u64x2 from_u64x2, a, |x| x & 0x7fff_ffff_ffff_ffff);
            un F64x2Neg |a| map1!(u64x2 from_u64x2, a, |x| x ^ 0x8000_0000_0000_0000);
            un F64x2Sqrt |a| map1!(f64x2 from_f64x2, a, |x| x.sqrt());
            bin F64x2Add |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| x + y);
            bin F64x2Sub |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| x - y);
            bin F64x2Mul |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| x * y);
            bin F64x2Div |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| x / y);
            bin F64x2Min |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| f64_min(x, y));
            bin F64x2Max |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| f64_max(x, y));
            bin F64x2Pmin |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| pmin(x, y));
            bin F64x2Pmax |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| pmax(x, y));
            // Rust's float-to-integer `as` saturates and takes NaN to 0: trunc_sat exactly.
            un I32x4TruncSatF32x4S |a| map1!(f32x4 from_i32x4, a, |x| x as i32);
            un I32x4TruncSatF32x4U |a| map1!(f32x4 from_u32x4, a, |x| x as u32);
            un F32x4ConvertI32x4S |a| map1!(i32x4 from_f32x4, a, |x| x as f32);
            un F32x4ConvertI32x4U |a| map1!(u32x4 from_f32x4, a, |x| x as f32);
            un I32x4TruncSatF64x2SZero |a| trunc_sat_f64x2_s_zero(a);
            un I32x4TruncSatF64x2UZero |a| trunc_sat_f64x2_u_zero(a);
            un F64x2ConvertLowI32x4S |a| widen!(i32x4 from_f64x2, a, 0, |x| f64::from(x));
            un F64x2ConvertLowI32x4U |a| widen!(u32x4 from_f64x2, a, 0, |x| f64::from(x));
            // Relaxed SIMD, each with one fixed result on every host, the spec's reference
            // interpreter's (docs/architecture.md, "Relaxed SIMD").
            bin I8x16RelaxedSwizzle |a, b| select_bytes(a, 0, b);
            un I32x4RelaxedTruncF32x4S |a| map1!(f32x4 from_i32x4, a, |x| x as i32);
            un I32x4RelaxedTruncF32x4U |a| map1!(f32x4 from_u32x4, a, |x| x as u32);
            un I32x4RelaxedTruncF64x2SZero |a| trunc_sat_f64x2_s_zero(a);
            un I32x4RelaxedTruncF64x2UZero |a| trunc_sat_f64x2_u_zero(a);
            tern F32x4RelaxedMadd |a, b, c| map3!(f32x4 from_f32x4, a, b, c, |x, y, z| fused(x, y, z));
            tern F32x4RelaxedNmadd |a, b, c| map3!(f32x4 from_f32x4, a, b, c, |x, y, z| fused(-x, y, z));
            tern F64x2RelaxedMadd |a, b, c| map3!(f64x2 from_f64x2, a, b, c, |x, y, z| fused(x, y, z));
            tern F64x2RelaxedNmadd |a, b, c| map3!(f64x2 from_f64x2, a, b, c, |x, y, z| fused(-x, y, z));
            tern I8x16RelaxedLaneselect |a, b, c| bitselect(a, b, c);
            tern I16x8RelaxedLaneselect |a, b, c| bitselect(a, b, c);
            tern I32x4RelaxedLaneselect |a, b, c| bitselect(a, b, c);
            tern I64x2RelaxedLaneselect |a, b, c| bitselect(a, b, c);
            bin F32x4RelaxedMin |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| f32_min(x, y));
            bin F32x4RelaxedMax |a, b| map2!(f32x4 from_f32x4, a, b, |x, y| f32_max(x, y));
            bin F64x2RelaxedMin |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| f64_min(x, y));
            bin F64x2RelaxedMax |a, b| map2!(f64x2 from_f64x2, a, b, |x, y| f64_max(x, y));
            bin I16x8RelaxedQ15mulrS |a, b| map2!(i16x8 from_i16x8, a, b, |x, y| q15mulr(x, y));
            bin I16x8RelaxedDotI8x16I7x16S |a, b| from_i16x8(dot_i8x16(a, b));
            tern I32x4RelaxedDotI8x16I7x16AddS |a, b, c| {
                let (d, acc) = (dot_i8x16(a, b), i32x4(c));
                from_i32x4(std::array::from_fn(|i| {
                    (i32::from(d[2 * i]) + i32::from(d[2 * i + 1])).wrapping_add(acc[i])
                }))
            };
        }
    };
}

/// The lanes of the low (`$off` 0) or high half of `$a` and `$b`, widened to `$w` and multiplied.
macro_rules! extmul {
    ($get:ident $put:ident $w:ty, $a:expr, $b:expr, $off:expr) => {{
        let (l, r) = ($get($a), $get($b));
        $put(std::array::from_fn(|i| {
            <$w>::from(l[i + $off]).wrapping_mul(<$w>::from(r[i + $off]))
        }))
    }};
}

pub(crate) use {all_true, extmul, for_each_simd};

/// Calls `$m` with every SIMD memory access: `load Name BYTES |bytes| v128;`,
/// `load_lane Name BYTES;` (the bytes replace a lane of the v128 operand), `store Name;` (16
/// bytes) and `store_lane Name BYTES;` (a lane's bytes).
macro_rules! for_each_simd_access {
    ($m:ident $(, $arg:tt)*) => {
        $m! {
            $($arg;)*
            load V128Load 16 |b| u128::from_le_bytes(b);
            load V128Load8x8S 8 |b| from_i16x8(std::array::from_fn(|i| i16::from(b[i] as i8)));
            load V128Load8x8U 8 |b| from_u16x8(std::array::from_fn(|i| u16::from(b[i])));
            load V128Load16x4S 8 |b| from_i32x4(std::array::from_fn(|i| {
                i32::from(i16::from_le_bytes([b[2 * i], b[2 * i + 1]]))
            }));
            load V128Load16x4U 8 |b| from_u32x4(std::array::from_fn(|i| {
                u32::from(u16::from_le_bytes([b[2 * i], b[2 * i + 1]]))
            }));
            load V128Load32x2S 8 |b| from_i64x2(std::array::from_fn(|i| {
                i64::from(i32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]))
            }));
            load V128Load32x2U 8 |b| from_u64x2(std::array::from_fn(|i| {
                u64::from(u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]))
            }));
            load V128Load8Splat 1 |b| from_u8x16([b[0]; 16]);
            load V128Load16Splat 2 |b| from_u16x8([u16::from_le_bytes(b); 8]);
            load V128Load32Splat 4 |b| from_u32x4([u32::from_le_bytes(b); 4]);
            load V128Load64Splat 8 |b| from_u64x2([u64::from_le_bytes(b); 2]);
            load V128Load32Zero 4 |b| u128::from(u32::from_le_bytes(b));
            load V128Load64Zero 8 |b| u128::from(u64::from_le_bytes(b));
            store V128Store;
            load_lane V128Load8Lane 1;
            load_lane V128Load16Lane 2;
            load_lane V128Load32Lane 4;
            load_lane V128Load64Lane 8;
            store_lane V128Store8Lane 1;
            store_lane V128Store16Lane 2;
            store_lane V128Store32Lane 4;
            store_lane V128Store64Lane 8;
        }
    };
}

pub(crate) use for_each_simd_access;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip_in_memory_order() {
        let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        assert_eq!(u8x16(v)[0], 0);
        assert_eq!(u8x16(v)[15], 15);
        assert_eq!(u16x8(v)[1], 0x0302);
        assert_eq!(from_i32x4(i32x4(v)), v);
        assert_eq!(from_f64x2(f64x2(v)).to_le_bytes(), v.to_le_bytes());
    }

    #[test]
    fn saturating_and_rounding_lane_ops() {
        assert_eq!(q15mulr(i16::MIN, i16::MIN), i16::MAX);
        assert_eq!(q15mulr(0x4000, 0x4000), 0x2000);
        let m = cmp!(u8x16 from_i8x16, from_u8x16([200; 16]), from_u8x16([100; 16]), |x, y| x > y);
        assert_eq!(m, u128::MAX);
        assert_eq!(bitmask!(i8x16, from_i8x16([-1; 16])), 0xffff);
        assert_eq!(
            select_bytes(
                u128::MAX,
                0,
                from_u8x16([0, 16, 32, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            ) & 0xffff_ffff,
            0xff
        );
    }

    #[test]
    fn relaxed_madd_rounds_once_and_its_nans_are_the_unfused_ones() {
        // (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46: rounded first, the product is 1 and the sum 0.
        let (x, y) = (1.0 + f32::EPSILON, 1.0 - f32::EPSILON);
        assert_eq!(x * y - 1.0, 0.0);
        assert_eq!(fused(x, y, -1.0), -(2f32.powi(-46)));
        // black_box: folded at compile time, the unfused NaN would be the canonical one.
        let nan = std::hint::black_box(f64::from_bits(0x7ff4_0000_0000_0001));
        let (one, two) = std::hint::black_box((1.0, 2.0));
        assert_eq!(fused(nan, one, two).to_bits(), (nan * one + two).to_bits());
        assert!(fused(f64::INFINITY, 0.0, 1.0).is_nan());
    }

    #[test]
    fn relaxed_dot_reads_both_operands_signed_and_wraps_to_16_bits() {
        let (a, b) = (from_i8x16([-128; 16]), from_i8x16([-128; 16]));
        assert_eq!(dot_i8x16(a, b), [i16::MIN; 8]);
        let b = from_i8x16([-1; 16]);
        assert_eq!(dot_i8x16(a, b), [256; 8]);
    }
}
