//! The type section as typed function references define it: recursion groups, declared
//! supertypes, iso-recursive type equivalence and the subtyping of value types.
//!
//! Two type indices denote the same type when their recursion groups have the same shape, with
//! the types a group names outside itself compared as canonical types in turn, and the indices
//! are at the same position of their groups. [`group_shape`] writes a group down that way; the
//! validator uses it to give every type index of a module a canonical index, and the runtime's
//! engine to give every type of every module one canonical id.

use crate::{invalid, Error};
use ssvm_binary::{FuncType, HeapType, RefType, TypeDecl, ValType};
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

/// One type of a recursion group, written independently of where the group sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TypeShape {
    /// Whether the type is final.
    pub is_final: bool,
    /// The declared supertypes.
    pub supertypes: Box<[Link]>,
    /// The parameters.
    pub params: Box<[ShapeVal]>,
    /// The results.
    pub results: Box<[ShapeVal]>,
}

/// The shape of the recursion group of `len` types from index `start` of `types`: two groups
/// are the same types exactly when their shapes are equal. `outer` gives the canonical number
/// of a type index before the group.
pub fn group_shape(
    types: &[FuncType],
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
    (start..start + len)
        .map(|i| {
            let (ty, decl) = (&types[i as usize], &decls[i as usize]);
            TypeShape {
                is_final: decl.is_final,
                supertypes: decl.supertypes.iter().map(|&s| link(s)).collect(),
                params: ty.params.iter().map(val).collect(),
                results: ty.results.iter().map(val).collect(),
            }
        })
        .collect()
}

/// Whether value type `a` is a subtype of `b`, given whether concrete type `a` is a subtype of
/// concrete type `b` (`concrete(a, b)`): the rules of typed function references, for the
/// validator's type indices and the runtime's canonical type ids alike.
pub fn val_matches(a: ValType, b: ValType, concrete: impl Fn(u32, u32) -> bool) -> bool {
    match (a, b) {
        _ if a == b => true,
        (ValType::Ref(a), ValType::Ref(b)) => {
            (!a.nullable || b.nullable) && heap_matches(a.heap, b.heap, concrete)
        }
        _ => false,
    }
}

/// Whether heap type `a` is a subtype of `b` (see [`val_matches`]): a concrete function type
/// is below `func`, and each hierarchy's bottom below all of it.
pub fn heap_matches(a: HeapType, b: HeapType, concrete: impl Fn(u32, u32) -> bool) -> bool {
    match (a, b) {
        _ if a == b => true,
        (HeapType::Concrete(a), HeapType::Concrete(b)) => concrete(a, b),
        (HeapType::Concrete(_), HeapType::Func) => true,
        (HeapType::NoFunc, HeapType::Concrete(_)) => true,
        (bottom, other) => bottom == other.bottom(),
    }
}

/// The types of a module with what subtyping needs: how each was declared and its canonical
/// index (the first index of the module that denotes the same type).
#[derive(Debug, Default)]
pub(crate) struct Types {
    pub(crate) types: Vec<FuncType>,
    decls: Vec<TypeDecl>,
    canonical: Vec<u32>,
}

impl Types {
    /// Checks the type section (`at` is its offset) and gives each type its canonical index.
    pub(crate) fn new(types: &[FuncType], decls: &[TypeDecl], at: usize) -> Result<Types, Error> {
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
            let ty = &self.types[i as usize];
            for t in ty.params.iter().chain(ty.results.iter()) {
                self.check_val_below(*t, end, at)?;
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

    /// Checks type `i`'s declared supertype: at most one, earlier, not final, and a function
    /// type that `i`'s matches.
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
        if self.decls[s as usize].is_final || !self.func_matches(sub, sup) {
            return Err(invalid("sub type", at));
        }
        Ok(())
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
        a == b || val_matches(a, b, |a, b| self.concrete_matches(a, b))
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
