//! Canonical type ids: one number for each distinct type (function, struct or array) of every
//! module of the process, so that types defined by different modules compare as the spec's iso-recursive
//! type equivalence says (`call_indirect`'s check, import matching).
//!
//! A module's recursion groups are written down with `ssvm_validate::group_shape`, the types
//! they name outside themselves by their ids; a group seen before gets the ids it got then.
//! The registry is shared by every engine: ids never mix with a module's own type indices,
//! and the shapes it keeps are few (one per distinct group, not per module).

use ssvm_binary::{CompositeType, FuncType, HeapType, RefType, TypeDecl, ValType};
use ssvm_validate::{group_shape, TypeShape};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[derive(Default)]
struct Registry {
    /// The id of each group's first type, by the group's shape.
    groups: HashMap<Vec<TypeShape>, u32>,
    /// The declared supertype of each id, if any.
    supertypes: Vec<Option<u32>>,
    /// The abstract heap type just above each id: `func`, `struct` or `array`.
    kinds: Vec<HeapType>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    let lock = REGISTRY.get_or_init(Mutex::default).lock();
    // The registry is only added to, whole groups at a time: a panic elsewhere cannot have
    // left it half-changed.
    lock.unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The canonical ids of a module's types (validated: `decls` describe well-formed groups).
pub(crate) fn canonical_ids(types: &[CompositeType], decls: &[TypeDecl]) -> Vec<u32> {
    let mut reg = registry();
    let mut ids: Vec<u32> = Vec::with_capacity(types.len());
    let mut start = 0u32;
    while (start as usize) < types.len() {
        let len = decls.get(start as usize).map_or(1, |d| d.group_len.max(1));
        let shape = group_shape(types, decls, start, len, |i| ids[i as usize]);
        let first = match reg.groups.get(&shape) {
            Some(&first) => first,
            None => {
                let first = reg.supertypes.len() as u32;
                for i in start..start + len {
                    let sup = decls[i as usize].supertypes.first();
                    // A supertype in the same group is one of the ids being given out.
                    let sup = sup.map(|&s| {
                        if s >= start {
                            first + s - start
                        } else {
                            ids[s as usize]
                        }
                    });
                    reg.supertypes.push(sup);
                    reg.kinds.push(types[i as usize].kind());
                }
                reg.groups.insert(shape, first);
                first
            }
        };
        ids.extend(first..first + len);
        start += len;
    }
    ids
}

/// The canonical id of a function type given alone (a host function's): a group of one.
pub(crate) fn canonical_id(ty: &FuncType) -> u32 {
    let decl = TypeDecl {
        group: 0,
        group_len: 1,
        is_final: true,
        supertypes: Box::default(),
    };
    canonical_ids(&[CompositeType::Func(ty.clone())], &[decl])[0]
}

/// The abstract heap type just above canonical type `id`: `func`, `struct` or `array` (`func`
/// for an id never given out, as a type named by no module is taken to be).
pub(crate) fn kind(id: u32) -> HeapType {
    let reg = registry();
    reg.kinds
        .get(id as usize)
        .copied()
        .unwrap_or(HeapType::Func)
}

/// Whether canonical type `a` is `b` or declares it as a supertype, directly or not.
pub(crate) fn is_subtype(a: u32, b: u32) -> bool {
    if a == b {
        return true;
    }
    let reg = registry();
    let mut at = reg.supertypes.get(a as usize).copied().flatten();
    while let Some(s) = at {
        if s == b {
            return true;
        }
        // Supertypes are registered before their subtypes: the walk goes down and ends.
        at = reg
            .supertypes
            .get(s as usize)
            .copied()
            .flatten()
            .filter(|&n| n < s);
    }
    false
}

/// `t` with its type index, if it names one, replaced by that type's canonical id.
pub(crate) fn canonical_val(t: ValType, ids: &[u32]) -> ValType {
    match t {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(i),
        }) => ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(ids.get(i as usize).copied().unwrap_or(u32::MAX)),
        }),
        t => t,
    }
}

/// Whether `a` is a subtype of `b`, both with canonical ids for type indices.
pub(crate) fn val_subtype(a: ValType, b: ValType) -> bool {
    ssvm_validate::val_matches(a, b, is_subtype, kind)
}
