//! Values that cross the embedding API.

use ssvm_binary::ValType;
use std::fmt;

/// A reference to a function in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FuncRef(pub(crate) u32);

/// A WebAssembly value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits (so NaN payloads survive).
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
    /// A `v128`, as its bits.
    V128(u128),
    /// A `funcref`: `None` is null.
    FuncRef(Option<FuncRef>),
    /// A host reference: an opaque number chosen by the embedder.
    ExternRef(Option<u32>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero value of `ty` (null for references).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// The value as a 64-bit slot of the interpreter's frames.
    pub(crate) fn to_slot(self) -> u64 {
        match self {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(v) => v as u64,
            Val::F64(v) => v,
            Val::V128(v) => v as u64,
            Val::FuncRef(r) => r.map_or(0, |f| u64::from(f.0) + 1),
            Val::ExternRef(r) => r.map_or(0, |x| u64::from(x) + 1),
        }
    }

    /// The value of type `ty` held in `slot`.
    pub(crate) fn from_slot(ty: ValType, slot: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(slot as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::V128 => Val::V128(u128::from(slot)),
            ValType::FuncRef => Val::FuncRef(slot.checked_sub(1).map(|i| FuncRef(i as u32))),
            ValType::ExternRef => Val::ExternRef(slot.checked_sub(1).map(|i| i as u32)),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(bits) => write!(f, "{}", f32::from_bits(*bits)),
            Val::F64(bits) => write!(f, "{}", f64::from_bits(*bits)),
            Val::V128(v) => write!(f, "0x{v:032x}"),
            Val::FuncRef(None) | Val::ExternRef(None) => f.write_str("null"),
            Val::FuncRef(Some(r)) => write!(f, "funcref:{}", r.0),
            Val::ExternRef(Some(x)) => write!(f, "externref:{x}"),
        }
    }
}
