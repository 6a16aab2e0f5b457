//! The numeric instructions: every pure operator of one or two operands, written once here with
//! its semantics. The IR's variants, the lowering and the interpreter's cases are all generated
//! from this table (`for_each_numeric!`), so a numeric instruction is defined in one place.

use crate::trap::Trap;

/// A value kept in a 64-bit interpreter slot.
pub(crate) trait SlotValue: Copy {
    fn from_slot(slot: u64) -> Self;
    fn into_slot(self) -> u64;
}

impl SlotValue for i32 {
    #[inline(always)]
    fn from_slot(slot: u64) -> Self {
        slot as u32 as i32
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        u64::from(self as u32)
    }
}

impl SlotValue for i64 {
    #[inline(always)]
    fn from_slot(slot: u64) -> Self {
        slot as i64
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        self as u64
    }
}

impl SlotValue for f32 {
    #[inline(always)]
    fn from_slot(slot: u64) -> Self {
        f32::from_bits(slot as u32)
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl SlotValue for f64 {
    #[inline(always)]
    fn from_slot(slot: u64) -> Self {
        f64::from_bits(slot)
    }
    #[inline(always)]
    fn into_slot(self) -> u64 {
        self.to_bits()
    }
}

macro_rules! float_helpers {
    ($t:ty, $min:ident, $max:ident) => {
        /// Wasm `min`: NaN if either operand is NaN, and -0 below +0.
        pub(crate) fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                // Equal values: only the zeros differ, and -0 wins.
                if a.is_sign_negative() {
                    a
                } else {
                    b
                }
            } else if a < b {
                a
            } else {
                b
            }
        }

        /// Wasm `max`: NaN if either operand is NaN, and +0 above -0.
        pub(crate) fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                if a.is_sign_positive() {
                    a
                } else {
                    b
                }
            } else if a > b {
                a
            } else {
                b
            }
        }
    };
}

float_helpers!(f32, f32_min, f32_max);
float_helpers!(f64, f64_min, f64_max);

/// A rounding operation: a NaN operand gives a quiet NaN (Rust's `floor` and friends would pass
/// a signalling NaN through unchanged, which Wasm does not allow).
pub(crate) fn f32_round(a: f32, round: fn(f32) -> f32) -> f32 {
    if a.is_nan() {
        f32::from_bits(a.to_bits() | 0x0040_0000)
    } else {
        round(a)
    }
}

/// The `f64` twin of [`f32_round`].
pub(crate) fn f64_round(a: f64, round: fn(f64) -> f64) -> f64 {
    if a.is_nan() {
        f64::from_bits(a.to_bits() | 0x0008_0000_0000_0000)
    } else {
        round(a)
    }
}

/// A float-to-integer truncation that traps on NaN and on results out of range: the value must
/// lie strictly between `lo` and `hi`.
pub(crate) fn trunc_checked(x: f64, lo: f64, hi: f64) -> Result<f64, Trap> {
    if x.is_nan() {
        Err(Trap::InvalidConversionToInteger)
    } else if x <= lo || x >= hi {
        Err(Trap::IntegerOverflow)
    } else {
        Ok(x.trunc())
    }
}

pub(crate) fn i32_div_s(a: i32, b: i32) -> Result<i32, Trap> {
    match (a, b) {
        (_, 0) => Err(Trap::IntegerDivideByZero),
        (i32::MIN, -1) => Err(Trap::IntegerOverflow),
        _ => Ok(a / b),
    }
}

pub(crate) fn i64_div_s(a: i64, b: i64) -> Result<i64, Trap> {
    match (a, b) {
        (_, 0) => Err(Trap::IntegerDivideByZero),
        (i64::MIN, -1) => Err(Trap::IntegerOverflow),
        _ => Ok(a / b),
    }
}

/// Calls `$m` with every numeric instruction: `kind Name (inputs -> output) |args| body;` where
/// kind is `un`/`bin` (pure) or `un_trap`/`bin_trap` (body returns `Result<_, Trap>`). `Name` is
/// both the Wasm operator's variant and the IR instruction's.
macro_rules! for_each_numeric {
    ($m:ident) => {
        $m! {
            un I32Eqz (i32 -> i32) |a| (a == 0) as i32;
            bin I32Eq (i32 i32 -> i32) |a, b| (a == b) as i32;
            bin I32Ne (i32 i32 -> i32) |a, b| (a != b) as i32;
            bin I32LtS (i32 i32 -> i32) |a, b| (a < b) as i32;
            bin I32LtU (i32 i32 -> i32) |a, b| ((a as u32) < (b as u32)) as i32;
            bin I32GtS (i32 i32 -> i32) |a, b| (a > b) as i32;
            bin I32GtU (i32 i32 -> i32) |a, b| ((a as u32) > (b as u32)) as i32;
            bin I32LeS (i32 i32 -> i32) |a, b| (a <= b) as i32;
            bin I32LeU (i32 i32 -> i32) |a, b| ((a as u32) <= (b as u32)) as i32;
            bin I32GeS (i32 i32 -> i32) |a, b| (a >= b) as i32;
            bin I32GeU (i32 i32 -> i32) |a, b| ((a as u32) >= (b as u32)) as i32;
            un I64Eqz (i64 -> i32) |a| (a == 0) as i32;
            bin I64Eq (i64 i64 -> i32) |a, b| (a == b) as i32;
            bin I64Ne (i64 i64 -> i32) |a, b| (a != b) as i32;
            bin I64LtS (i64 i64 -> i32) |a, b| (a < b) as i32;
            bin I64LtU (i64 i64 -> i32) |a, b| ((a as u64) < (b as u64)) as i32;
            bin I64GtS (i64 i64 -> i32) |a, b| (a > b) as i32;
            bin I64GtU (i64 i64 -> i32) |a, b| ((a as u64) > (b as u64)) as i32;
            bin I64LeS (i64 i64 -> i32) |a, b| (a <= b) as i32;
            bin I64LeU (i64 i64 -> i32) |a, b| ((a as u64) <= (b as u64)) as i32;
            bin I64GeS (i64 i64 -> i32) |a, b| (a >= b) as i32;
            bin I64GeU (i64 i64 -> i32) |a, b| ((a as u64) >= (b as u64)) as i32;
            bin F32Eq (f32 f32 -> i32) |a, b| (a == b) as i32;
            bin F32Ne (f32 f32 -> i32) |a, b| (a != b) as i32;
            bin F32Lt (f32 f32 -> i32) |a, b| (a < b) as i32;
            bin F32Gt (f32 f32 -> i32) |a, b| (a > b) as i32;
            bin F32Le (f32 f32 -> i32) |a, b| (a <= b) as i32;
            bin F32Ge (f32 f32 -> i32) |a, b| (a >= b) as i32;
            bin F64Eq (f64 f64 -> i32) |a, b| (a == b) as i32;
            bin F64Ne (f64 f64 -> i32) |a, b| (a != b) as i32;
            bin F64Lt (f64 f64 -> i32) |a, b| (a < b) as i32;
            bin F64Gt (f64 f64 -> i32) |a, b| (a > b) as i32;
            bin F64Le (f64 f64 -> i32) |a, b| (a <= b) as i32;
            bin F64Ge (f64 f64 -> i32) |a, b| (a >= b) as i32;
            un I32Clz (i32 -> i32) |a| a.leading_zeros() as i32;
            un I32Ctz (i32 -> i32) |a| a.trailing_zeros() as i32;
            un I32Popcnt (i32 -> i32) |a| a.count_ones() as i32;
            bin I32Add (i32 i32 -> i32) |a, b| a.wrapping_add(b);
            bin I32Sub (i32 i32 -> i32) |a, b| a.wrapping_sub(b);
            bin I32Mul (i32 i32 -> i32) |a, b| a.wrapping_mul(b);
            bin_trap I32DivS (i32 i32 -> i32) |a, b| crate::numeric::i32_div_s(a, b);
            bin_trap I32DivU (i32 i32 -> i32) |a, b| (a as u32)
                .checked_div(b as u32)
                .map(|v| v as i32)
                .ok_or(Trap::IntegerDivideByZero);
            bin_trap I32RemS (i32 i32 -> i32) |a, b| if b == 0 {
                Err(Trap::IntegerDivideByZero)
            } else {
                Ok(a.wrapping_rem(b))
            };
            bin_trap I32RemU (i32 i32 -> i32) |a, b| (a as u32)
                .checked_rem(b as u32)
                .map(|v| v as i32)
                .ok_or(Trap::IntegerDivideByZero);
            bin I32And (i32 i32 -> i32) |a, b| a & b;
            bin I32Or (i32 i32 -> i32) |a, b| a | b;
            bin I32Xor (i32 i32 -> i32) |a, b| a ^ b;
            bin I32Shl (i32 i32 -> i32) |a, b| a.wrapping_shl(b as u32);
            bin I32ShrS (i32 i32 -> i32) |a, b| a.wrapping_shr(b as u32);
            bin I32ShrU (i32 i32 -> i32) |a, b| (a as u32).wrapping_shr(b as u32) as i32;
            bin I32Rotl (i32 i32 -> i32) |a, b| a.rotate_left(b as u32 % 32);
            bin I32Rotr (i32 i32 -> i32) |a, b| a.rotate_right(b as u32 % 32);
            un I64Clz (i64 -> i64) |a| i64::from(a.leading_zeros());
            un I64Ctz (i64 -> i64) |a| i64::from(a.trailing_zeros());
            un I64Popcnt (i64 -> i64) |a| i64::from(a.count_ones());
            bin I64Add (i64 i64 -> i64) |a, b| a.wrapping_add(b);
            bin I64Sub (i64 i64 -> i64) |a, b| a.wrapping_sub(b);
            bin I64Mul (i64 i64 -> i64) |a, b| a.wrapping_mul(b);
            bin_trap I64DivS (i64 i64 -> i64) |a, b| crate::numeric::i64_div_s(a, b);
            bin_trap I64DivU (i64 i64 -> i64) |a, b| (a as u64)
                .checked_div(b as u64)
                .map(|v| v as i64)
                .ok_or(Trap::IntegerDivideByZero);
            bin_trap I64RemS (i64 i64 -> i64) |a, b| if b == 0 {
                Err(Trap::IntegerDivideByZero)
            } else {
                Ok(a.wrapping_rem(b))
            };
            bin_trap I64RemU (i64 i64 -> i64) |a, b| (a as u64)
                .checked_rem(b as u64)
                .map(|v| v as i64)
                .ok_or(Trap::IntegerDivideByZero);
            bin I64And (i64 i64 -> i64) |a, b| a & b;
            bin I64Or (i64 i64 -> i64) |a, b| a | b;
            bin I64Xor (i64 i64 -> i64) |a, b| a ^ b;
            bin I64Shl (i64 i64 -> i64) |a, b| a.wrapping_shl(b as u32);
            bin I64ShrS (i64 i64 -> i64) |a, b| a.wrapping_shr(b as u32);
            bin I64ShrU (i64 i64 -> i64) |a, b| (a as u64).wrapping_shr(b as u32) as i64;
            bin I64Rotl (i64 i64 -> i64) |a, b| a.rotate_left((b as u64 % 64) as u32);
            bin I64Rotr (i64 i64 -> i64) |a, b| a.rotate_right((b as u64 % 64) as u32);
            un F32Abs (f32 -> f32) |a| f32::from_bits(a.to_bits() & 0x7fff_ffff);
            un F32Neg (f32 -> f32) |a| f32::from_bits(a.to_bits() ^ 0x8000_0000);
            un F32Ceil (f32 -> f32) |a| crate::numeric::f32_round(a, f32::ceil);
            un F32Floor (f32 -> f32) |a| crate::numeric::f32_round(a, f32::floor);
            un F32Trunc (f32 -> f32) |a| crate::numeric::f32_round(a, f32::trunc);
            un F32Nearest (f32 -> f32) |a| crate::numeric::f32_round(a, f32::round_ties_even);
            un F32Sqrt (f32 -> f32) |a| a.sqrt();
            bin F32Add (f32 f32 -> f32) |a, b| a + b;
            bin F32Sub (f32 f32 -> f32) |a, b| a - b;
            bin F32Mul (f32 f32 -> f32) |a, b| a * b;
            bin F32Div (f32 f32 -> f32) |a, b| a / b;
            bin F32Min (f32 f32 -> f32) |a, b| crate::numeric::f32_min(a, b);
            bin F32Max (f32 f32 -> f32) |a, b| crate::numeric::f32_max(a, b);
            bin F32Copysign (f32 f32 -> f32) |a, b| f32::from_bits(
                (a.to_bits() & 0x7fff_ffff) | (b.to_bits() & 0x8000_0000)
            );
            un F64Abs (f64 -> f64) |a| f64::from_bits(a.to_bits() & 0x7fff_ffff_ffff_ffff);
            un F64Neg (f64 -> f64) |a| f64::from_bits(a.to_bits() ^ 0x8000_0000_0000_0000);
            un F64Ceil (f64 -> f64) |a| crate::numeric::f64_round(a, f64::ceil);
            un F64Floor (f64 -> f64) |a| crate::numeric::f64_round(a, f64::floor);
            un F64Trunc (f64 -> f64) |a| crate::numeric::f64_round(a, f64::trunc);
            un F64Nearest (f64 -> f64) |a| crate::numeric::f64_round(a, f64::round_ties_even);
            un F64Sqrt (f64 -> f64) |a| a.sqrt();
            bin F64Add (f64 f64 -> f64) |a, b| a + b;
            bin F64Sub (f64 f64 -> f64) |a, b| a - b;
            bin F64Mul (f64 f64 -> f64) |a, b| a * b;
            bin F64Div (f64 f64 -> f64) |a, b| a / b;
            bin F64Min (f64 f64 -> f64) |a, b| crate::numeric::f64_min(a, b);
            bin F64Max (f64 f64 -> f64) |a, b| crate::numeric::f64_max(a, b);
            bin F64Copysign (f64 f64 -> f64) |a, b| f64::from_bits(
                (a.to_bits() & 0x7fff_ffff_ffff_ffff) | (b.to_bits() & 0x8000_0000_0000_0000)
            );
            un I32WrapI64 (i64 -> i32) |a| a as i32;
            un_trap I32TruncF32S (f32 -> i32) |a| crate::numeric::trunc_checked(f64::from(a), -2147483904.0, 2147483648.0).map(|v| v as i32);
            un_trap I32TruncF32U (f32 -> i32) |a| crate::numeric::trunc_checked(f64::from(a), -1.0, 4294967296.0).map(|v| v as u32).map(|v| v as i32);
            un_trap I32TruncF64S (f64 -> i32) |a| crate::numeric::trunc_checked(a, -2147483649.0, 2147483648.0).map(|v| v as i32);
            un_trap I32TruncF64U (f64 -> i32) |a| crate::numeric::trunc_checked(a, -1.0, 4294967296.0).map(|v| v as u32).map(|v| v as i32);
            un I64ExtendI32S (i32 -> i64) |a| i64::from(a);
            un I64ExtendI32U (i32 -> i64) |a| i64::from(a as u32);
            un_trap I64TruncF32S (f32 -> i64) |a| crate::numeric::trunc_checked(f64::from(a), -9223373136366403584.0, 9223372036854775808.0).map(|v| v as i64);
            un_trap I64TruncF32U (f32 -> i64) |a| crate::numeric::trunc_checked(f64::from(a), -1.0, 18446744073709551616.0).map(|v| v as u64).map(|v| v as i64);
            un_trap I64TruncF64S (f64 -> i64) |a| crate::numeric::trunc_checked(a, -9223372036854777856.0, 9223372036854775808.0).map(|v| v as i64);
            un_trap I64TruncF64U (f64 -> i64) |a| crate::numeric::trunc_checked(a, -1.0, 18446744073709551616.0).map(|v| v as u64).map(|v| v as i64);
            un F32ConvertI32S (i32 -> f32) |a| a as f32;
            un F32ConvertI32U (i32 -> f32) |a| a as u32 as f32;
            un F32ConvertI64S (i64 -> f32) |a| a as f32;
            un F32ConvertI64U (i64 -> f32) |a| a as u64 as f32;
            un F32DemoteF64 (f64 -> f32) |a| a as f32;
            un F64ConvertI32S (i32 -> f64) |a| f64::from(a);
            un F64ConvertI32U (i32 -> f64) |a| f64::from(a as u32);
            un F64ConvertI64S (i64 -> f64) |a| a as f64;
            un F64ConvertI64U (i64 -> f64) |a| a as u64 as f64;
            un F64PromoteF32 (f32 -> f64) |a| f64::from(a);
            un I32ReinterpretF32 (f32 -> i32) |a| a.to_bits() as i32;
            un I64ReinterpretF64 (f64 -> i64) |a| a.to_bits() as i64;
            un F32ReinterpretI32 (i32 -> f32) |a| f32::from_bits(a as u32);
            un F64ReinterpretI64 (i64 -> f64) |a| f64::from_bits(a as u64);
            un I32Extend8S (i32 -> i32) |a| i32::from(a as i8);
            un I32Extend16S (i32 -> i32) |a| i32::from(a as i16);
            un I64Extend8S (i64 -> i64) |a| i64::from(a as i8);
            un I64Extend16S (i64 -> i64) |a| i64::from(a as i16);
            un I64Extend32S (i64 -> i64) |a| i64::from(a as i32);
            un I32TruncSatF32S (f32 -> i32) |a| a as i32;
            un I32TruncSatF32U (f32 -> i32) |a| a as u32 as i32;
            un I32TruncSatF64S (f64 -> i32) |a| a as i32;
            un I32TruncSatF64U (f64 -> i32) |a| a as u32 as i32;
            un I64TruncSatF32S (f32 -> i64) |a| a as i64;
            un I64TruncSatF32U (f32 -> i64) |a| a as u64 as i64;
            un I64TruncSatF64S (f64 -> i64) |a| a as i64;
            un I64TruncSatF64U (f64 -> i64) |a| a as u64 as i64;
        }
    };
}

pub(crate) use for_each_numeric;

#[cfg(test)]
mod tests {
    use ssvm_binary::{Opcode, ValType};

    macro_rules! ty {
        (i32) => {
            ValType::I32
        };
        (i64) => {
            ValType::I64
        };
        (f32) => {
            ValType::F32
        };
        (f64) => {
            ValType::F64
        };
    }

    /// Every numeric row names an opcode of the table, with the table's signature.
    macro_rules! check {
        ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
            $(
                let sig = Opcode::$name.signature().expect(stringify!($name));
                assert_eq!(sig.params, &[$(ty!($in)),*], stringify!($name));
                assert_eq!(sig.results, &[ty!($out)], stringify!($name));
                let arity = [$(stringify!($arg)),*].len();
                let expected = if stringify!($kind).starts_with("un") { 1 } else { 2 };
                assert_eq!(arity, expected, stringify!($name));
            )*
        };
    }

    #[test]
    fn numeric_rows_match_the_opcode_table() {
        for_each_numeric!(check);
    }
}
