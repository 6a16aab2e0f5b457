//! Values that cross the embedding API.

use ssvm_binary::{HeapType, ValType};
use std::fmt;

/// A reference to a function in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FuncRef(pub(crate) u32);

/// A reference to an exception kept in a store (caught by `catch_ref` or `catch_all_ref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef(pub(crate) u32);

/// A non-null reference of the GC proposal's `any` hierarchy: a struct, an array or an `i31`.
/// ssvm-lite has the GC types but not the instructions that make such values (`struct.new`,
/// `ref.i31`, `any.convert_extern`, ...), so none exists: only null is an `anyref` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnyRef {}

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
    /// An `exnref`: `None` is null.
    ExnRef(Option<ExnRef>),
    /// An `anyref` (and `eqref`, `structref`, `nullref`, ...): only null (`None`) exists.
    AnyRef(Option<AnyRef>),
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
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
            Val::AnyRef(_) => ValType::ANYREF,
        }
    }

    /// Whether this value is of type `t`: a number of its type, or a reference of `t`'s
    /// hierarchy that is null only if `t` is nullable, never of a bottom type unless null,
    /// and, to a function of a concrete type, one for which `has_type(function, type index)`.
    /// A concrete type is taken for a function type: the API's types name types of a module
    /// that a value cannot be checked against beyond that.
    pub fn matches(&self, t: ValType, has_type: impl Fn(FuncRef, u32) -> bool) -> bool {
        let (ValType::Ref(want), ValType::Ref(own)) = (t, self.ty()) else {
            return self.ty() == t;
        };
        if own.heap != want.heap.top(|_| HeapType::Func) {
            return false;
        }
        match (*self, want.heap) {
            (
                Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None),
                _,
            ) => want.nullable,
            (_, h) if h.is_bottom() => false,
            (Val::FuncRef(Some(f)), HeapType::Concrete(i)) => has_type(f, i),
            _ => true,
        }
    }

    /// The zero value of `ty` (null for references, even of a non-nullable type).
    #[inline]
    pub fn default_for(ty: ValType) -> Val {
        Val::from_bits(ty, 0)
    }

    /// The value's bits as the interpreter's frames hold them: a 64-bit slot's, or the two
    /// slots of a v128 (the second in the high bits).
    pub(crate) fn to_bits(self) -> u128 {
        match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::V128(v) => v,
            Val::FuncRef(r) => r.map_or(0, |f| u128::from(f.0) + 1),
            Val::ExternRef(r) => r.map_or(0, |x| u128::from(x) + 1),
            Val::ExnRef(r) => r.map_or(0, |x| u128::from(x.0) + 1),
            Val::AnyRef(r) => r.map_or(0, |x| match x {}),
        }
    }

    /// The value of type `ty` whose bits (`to_bits`) are `bits`.
    #[inline]
    pub(crate) fn from_bits(ty: ValType, bits: u128) -> Val {
        let slot = bits as u64;
        match ty {
            ValType::I32 => Val::I32(slot as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::V128 => Val::V128(bits),
            // A reference is a `Val` of its hierarchy's top type: `(ref $t)` is taken for a
            // funcref (see `matches`). An `any` reference is null: no other exists.
            ValType::Ref(r) => match r.heap.top(|_| HeapType::Func) {
                HeapType::Func => Val::FuncRef(slot.checked_sub(1).map(|i| FuncRef(i as u32))),
                HeapType::Extern => Val::ExternRef(slot.checked_sub(1).map(|i| i as u32)),
                HeapType::Exn => Val::ExnRef(slot.checked_sub(1).map(|i| ExnRef(i as u32))),
                _ => Val::AnyRef(None),
            },
        }
    }

    /// Writes `values` to consecutive frame slots from `stack[base]` on (a v128 takes two),
    /// growing the stack when it is too short.
    pub(crate) fn write_slots(values: &[Val], stack: &mut Vec<u64>, base: usize) {
        let mut at = base;
        for v in values {
            let n = slots(v.ty());
            if stack.len() < at + n {
                stack.resize(at + n, 0);
            }
            let bits = v.to_bits();
            stack[at] = bits as u64;
            if n == 2 {
                stack[at + 1] = (bits >> 64) as u64;
            }
            at += n;
        }
    }

    /// The values of `types` in consecutive frame slots from `stack[base]` on (missing slots
    /// read as zero).
    pub(crate) fn read_slots<'s>(
        types: &'s [ValType],
        stack: &'s [u64],
        base: usize,
    ) -> impl Iterator<Item = Val> + 's {
        let slot = move |i: usize| u128::from(stack.get(i).copied().unwrap_or(0));
        types.iter().scan(base, move |at, &t| {
            let bits = if t == ValType::V128 {
                slot(*at) | (slot(*at + 1) << 64)
            } else {
                slot(*at)
            };
            *at += slots(t);
            Some(Val::from_bits(t, bits))
        })
    }
}

/// How many 64-bit frame slots a value of `ty` takes.
#[inline]
pub(crate) fn slots(ty: ValType) -> usize {
    if ty == ValType::V128 {
        2
    } else {
        1
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
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => {
                f.write_str("null")
            }
            Val::AnyRef(Some(x)) => match *x {},
            Val::ExnRef(Some(x)) => write!(f, "exnref:{}", x.0),
            Val::FuncRef(Some(r)) => write!(f, "funcref:{}", r.0),
            Val::ExternRef(Some(x)) => write!(f, "externref:{x}"),
        }
    }
}
