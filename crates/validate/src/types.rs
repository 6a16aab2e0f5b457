//! The type section as typed function references and the GC proposal define it: function,
//! struct and array types in recursion groups, declared supertypes, iso-recursive type
//! equivalence and the subtyping of value types over the four heap type hierarchies.
//!
//! Two type indices denote the same type when their recursion groups have the same shape, with
//! the types a group names outside itself compared as canonical types in turn, and the indices
//! are at the same position of their groups. [`group_shape`] writes a group down that way; the
//! validator uses it to give every type index of a module a canonical index, and the runtime's
//! engine to give every type of every module one canonical id.

use crate::{invalid, Error};
use ssvm_binary::{
    CompositeType, FieldType, FuncType, HeapType, RefType, StorageType, TypeDecl, ValType,
};
use std::collections::HashMap;

/// A type that a recursion group names: one of its own, by position, or one outside it, by the
/// canonical number the caller gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    /// The type at this position of the same group.
    Rec(u32),
    /// A type of an earlier group, by its canonical number.
    Outer(u32),
}

/// A value type with the type index of a concrete reference replaced by a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShapeVal {
    /// A value type that names no type index.
    Plain(ValType),
    /// `(ref null? $t)`.
    Concrete {
        /// Whether null is a value of the type.
        nullable: bool,
        /// The type referred to.
        to: Link,
    },
}

/// A field's storage type with a concrete reference's type index replaced by a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShapeStorage {
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// A value type.
    Val(ShapeVal),
}

/// A field of a struct or the element of an array, written as a [`ShapeStorage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShapeField {
    /// What the field holds.
    pub storage: ShapeStorage,
    /// Whether it is mutable.
    pub mutable: bool,
}

/// A composite type written with [`ShapeVal`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShapeComposite {
    /// A function type.
    Func {
        /// The parameters.
        params: Box<[ShapeVal]>,
        /// The results.
        results: Box<[ShapeVal]>,
    },
    /// A struct type's fields.
    Struct(Box<[ShapeField]>),
    /// An array type's element.
    Array(ShapeField),
}

/// One type of a recursion group, written independently of where the group sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeShape {
    /// Whether the type is final.
    pub is_final: bool,
    /// The declared supertypes.
    pub supertypes: Box<[Link]>,
    /// What the type is.
    pub composite: ShapeComposite,
}

/// The shape of the recursion group of `len` types from index `start` of `types`: two groups
/// are the same types exactly when their shapes are equal. `outer` gives the canonical number
/// of a type index before the group.
pub fn group_shape(
    types: &[CompositeType],
    decls: &[TypeDecl],
    start: u32,
    len: u32,
    outer: impl Fn(u32) -> u32,
) -> Vec<TypeShape> {
    let link = |i: u32| {
        if i >= start {
            Link::Rec(i - start)
        } else {
            Link::Outer(outer(i))
        }
    };
    let val = |t: &ValType| match *t {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(i),
        }) => ShapeVal::Concrete {
            nullable,
            to: link(i),
        },
        t => ShapeVal::Plain(t),
    };
    let field = |f: &FieldType| ShapeField {
        storage: match f.storage {
            StorageType::I8 => ShapeStorage::I8,
            StorageType::I16 => ShapeStorage::I16,
            StorageType::Val(t) => ShapeStorage::Val(val(&t)),
        },
        mutable: f.mutable,
    };
    (start..start + len)
        .map(|i| {
            let (ty, decl) = (&types[i as usize], &decls[i as usize]);
            TypeShape {
                is_final: decl.is_final,
                supertypes: decl.supertypes.iter().map(|&s| link(s)).collect(),
                composite: match ty {
                    CompositeType::Func(f) => ShapeComposite::Func {
                        params: f.params.iter().map(val).collect(),
                        results: f.results.iter().map(val).collect(),
                    },
                    CompositeType::Struct(fields) => {
                        ShapeComposite::Struct(fields.iter().map(field).collect())
                    }
                    CompositeType::Array(element) => ShapeComposite::Array(field(element)),
                },
            }
        })
        .collect()
}

/// Whether value type `a` is a subtype of `b`, given whether concrete type `a` is a subtype of
/// concrete type `b` (`concrete(a, b)`) and the abstract type just above a concrete type
/// (`kind(t)`: `func`, `struct` or `array`): the rules of typed function references and the
/// GC proposal, for the validator's type indices and the runtime's canonical type ids alike.
pub fn val_matches(
    a: ValType,
    b: ValType,
    concrete: impl Fn(u32, u32) -> bool,
    kind: impl Fn(u32) -> HeapType,
) -> bool {
    match (a, b) {
        _ if a == b => true,
        (ValType::Ref(a), ValType::Ref(b)) => {
            (!a.nullable || b.nullable) && heap_matches(a.heap, b.heap, concrete, kind)
        }
        _ => false,
    }
}

/// Whether heap type `a` is a subtype of `b` (see [`val_matches`]): a concrete type is below
/// its kind, each hierarchy's bottom below all of it, and in the `any` hierarchy `i31`,
/// `struct` and `array` below `eq`, below `any`.
pub fn heap_matches(
    a: HeapType,
    b: HeapType,
    concrete: impl Fn(u32, u32) -> bool,
    kind: impl Fn(u32) -> HeapType,
) -> bool {
    match (a, b) {
        _ if a == b => true,
        (HeapType::Concrete(a), HeapType::Concrete(b)) => concrete(a, b),
        (HeapType::Concrete(a), b) => abstract_matches(kind(a), b),
        (a, HeapType::Concrete(_)) => a.is_bottom() && a == b.bottom(kind),
        (a, b) => abstract_matches(a, b),
    }
}

/// Whether abstract heap type `a` is a subtype of abstract heap type `b`.
fn abstract_matches(a: HeapType, b: HeapType) -> bool {
    use HeapType::{Any, Array, Eq, Struct, I31};
    match (a, b) {
        _ if a == b => true,
        (I31 | Struct | Array, Eq) | (I31 | Struct | Array | Eq, Any) => true,
        // Neither is concrete: `bottom` asks no kind.
        (a, b) => a.is_bottom() && a == b.bottom(|_| HeapType::None),
    }
}

/// The types of a module with what subtyping needs: how each was declared and its canonical
/// index (the first index of the module that denotes the same type).
#[derive(Debug, Default)]
pub(crate) struct Types {
    pub(crate) types: Vec<CompositeType>,
    decls: Vec<TypeDecl>,
    canonical: Vec<u32>,
}

impl Types {
    /// Checks the type section (`at` is its offset) and gives each type its canonical index.
    pub(crate) fn new(
        types: &[CompositeType],
        decls: &[TypeDecl],
        at: usize,
    ) -> Result<Types, Error> {
        let mut out = Types {
            types: types.to_vec(),
            decls: decls.to_vec(),
            canonical: Vec::with_capacity(types.len()),
        };
        let mut seen: HashMap<(Vec<TypeShape>, u32), u32> = HashMap::new();
        let mut start = 0;
        while (start as usize) < types.len() {
            let len = decls[start as usize].group_len;
            out.check_group(start, len, at)?;
            let shape = group_shape(types, decls, start, len, |i| out.canonical[i as usize]);
            for pos in 0..len {
                let first = *seen.entry((shape.clone(), pos)).or_insert(start + pos);
                out.canonical.push(first);
            }
            for i in start..start + len {
                out.check_supertypes(i, at)?;
            }
            start += len;
        }
        Ok(out)
    }

    /// Checks that the types of a group name only types up to the group's end.
    fn check_group(&self, start: u32, len: u32, at: usize) -> Result<(), Error> {
        let end = start + len;
        for i in start..end {
            for t in self.types[i as usize].val_types() {
                self.check_val_below(t, end, at)?;
            }
        }
        Ok(())
    }

    /// Checks that `t` names no type index at or past `end`.
    pub(crate) fn check_val_below(&self, t: ValType, end: u32, at: usize) -> Result<(), Error> {
        match t {
            ValType::Ref(RefType {
                heap: HeapType::Concrete(i),
                ..
            }) if i >= end => Err(invalid(format!("unknown type {i}"), at)),
            _ => Ok(()),
        }
    }

    /// Checks that `t` names only types of the module.
    pub(crate) fn check_val(&self, t: ValType, at: usize) -> Result<(), Error> {
        self.check_val_below(t, self.types.len() as u32, at)
    }

    /// Checks type `i`'s declared supertype: at most one, earlier, not final, and of the same
    /// kind (function, struct or array) as `i`, which matches it.
    fn check_supertypes(&self, i: u32, at: usize) -> Result<(), Error> {
        let supers = &self.decls[i as usize].supertypes;
        if supers.len() > 1 {
            return Err(invalid("multiple supertypes", at));
        }
        let Some(&s) = supers.first() else {
            return Ok(());
        };
        if s >= i {
            return Err(invalid(format!("unknown type {s}"), at));
        }
        let (sub, sup) = (&self.types[i as usize], &self.types[s as usize]);
        if self.decls[s as usize].is_final || !self.composite_matches(sub, sup) {
            return Err(invalid("sub type", at));
        }
        Ok(())
    }

    /// Whether composite type `a` matches `b`: both of one kind, functions as
    /// [`Types::func_matches`] says, a struct with at least the fields of `b` matching them
    /// in order, an array with an element that matches.
    fn composite_matches(&self, a: &CompositeType, b: &CompositeType) -> bool {
        match (a, b) {
            (CompositeType::Func(a), CompositeType::Func(b)) => self.func_matches(a, b),
            (CompositeType::Struct(a), CompositeType::Struct(b)) => {
                a.len() >= b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(a, b)| self.field_matches(a, b))
            }
            (CompositeType::Array(a), CompositeType::Array(b)) => self.field_matches(a, b),
            _ => false,
        }
    }

    /// Whether field `a` matches `b`: of the same mutability, an immutable one covariantly, a
    /// mutable one (read and written) only if its storage type is the same both ways.
    fn field_matches(&self, a: &FieldType, b: &FieldType) -> bool {
        let storage = |x: StorageType, y: StorageType| match (x, y) {
            (StorageType::Val(x), StorageType::Val(y)) => self.matches(x, y),
            (x, y) => x == y,
        };
        a.mutable == b.mutable
            && storage(a.storage, b.storage)
            && (!a.mutable || storage(b.storage, a.storage))
    }

    /// The abstract heap type just above type `i`: `func`, `struct` or `array` (`func` for an
    /// index out of range, which the checks of type indices reject on their own).
    pub(crate) fn kind(&self, i: u32) -> HeapType {
        self.types
            .get(i as usize)
            .map_or(HeapType::Func, CompositeType::kind)
    }

    /// Whether function type `a` matches `b`: parameters contravariant, results covariant.
    pub(crate) fn func_matches(&self, a: &FuncType, b: &FuncType) -> bool {
        let all = |x: &[ValType], y: &[ValType]| {
            x.len() == y.len() && x.iter().zip(y).all(|(&x, &y)| self.matches(x, y))
        };
        all(&b.params, &a.params) && all(&a.results, &b.results)
    }

    /// Whether type indices `a` and `b` denote the same type.
    pub(crate) fn same(&self, a: u32, b: u32) -> bool {
        self.canonical.get(a as usize) == self.canonical.get(b as usize)
    }

    /// Whether value type `a` is a subtype of `b`.
    #[inline]
    pub(crate) fn matches(&self, a: ValType, b: ValType) -> bool {
        a == b || val_matches(a, b, |a, b| self.concrete_matches(a, b), |i| self.kind(i))
    }

    /// Whether concrete type `a` is `b` or declares it as a supertype, directly or not.
    fn concrete_matches(&self, a: u32, b: u32) -> bool {
        let mut at = Some(a);
        while let Some(i) = at {
            if self.same(i, b) {
                return true;
            }
            // A supertype precedes its subtype (checked), so the walk ends.
            at = self
                .decls
                .get(i as usize)
                .and_then(|d| d.supertypes.first().copied())
                .filter(|&s| s < i);
        }
        false
    }
}
