//! Handles to store entities: functions, memories, tables, globals, and what an import or export
//! can be.

use super::call;
use super::error::Error;
use super::store::{Caller, Store};
use crate::exec::{FuncEntity, FuncKind, GlobalEntity, PAGE_SIZE};
use crate::trap::Trap;
use crate::value::{FuncRef, Val};
use ssvm_binary::{FuncType, GlobalType, MemoryType, ValType};
use std::sync::Arc;

/// A function in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) u32);

/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) u32);

/// A table in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) u32);

/// A global in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) u32);

/// A tag in a store (exception handling): exceptions are matched by it, so two instances that
/// share a tag (one imports it from the other) catch each other's exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) u32);

impl Tag {
    /// A tag of type `ty` (its parameters are the payload; it has no results), for a module to
    /// import.
    pub fn new<T>(store: &mut Store<T>, ty: FuncType) -> Tag {
        let name = format!("host tag {}", store.tags.len());
        let type_id = crate::types::canonical_id(&ty);
        store
            .tags
            .push(crate::exec::TagEntity { ty, type_id, name });
        Tag(store.tags.len() as u32 - 1)
    }

    /// The tag's type.
    pub fn ty<'s, T>(&self, store: &'s Store<T>) -> &'s FuncType {
        &store.tags[self.0 as usize].ty
    }
}

/// Something an instance imports or exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A linear memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// A tag.
    Tag(Tag),
}

impl Func {
    /// A host function of type `ty` implemented by `f`.
    pub fn new<T>(
        store: &mut Store<T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let host = store.host_funcs.len() as u32;
        store.host_funcs.push(Arc::new(f));
        store.funcs.push(FuncEntity {
            type_id: crate::types::canonical_id(&ty),
            ty,
            kind: FuncKind::Host(host),
            host_price: 0,
            host_name: None,
        });
        Func(store.funcs.len() as u32 - 1)
    }

    /// The function's type.
    pub fn ty<'s, T>(&self, store: &'s Store<T>) -> &'s FuncType {
        &store.funcs[self.0 as usize].ty
    }

    /// Calls the function with `args`, writing its results to `results`.
    pub fn call<T>(
        &self,
        store: &mut Store<T>,
        args: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let ty = self.ty(store);
        // A concrete reference type is one of the callee's module's types.
        let types = match &store.funcs[self.0 as usize].kind {
            FuncKind::Wasm { instance, .. } => &store.instances[*instance as usize].types[..],
            FuncKind::Host(_) => &[],
        };
        let has_type = |f: FuncRef, i: u32| {
            let callee = store.funcs.get(f.0 as usize).map(|f| &f.ty);
            callee.is_some_and(|t| types.get(i as usize) == Some(t))
        };
        if args.len() != ty.params.len()
            || args
                .iter()
                .zip(ty.params.iter())
                .any(|(a, &t)| !a.matches(t, has_type) || !call::in_store(a, store.funcs.len()))
        {
            return Err(Error::Type(format!(
                "arguments do not match the function type {ty}"
            )));
        }
        if results.len() != ty.results.len() {
            return Err(Error::Type(format!(
                "expected {} results, the function type is {ty}",
                results.len()
            )));
        }
        call::call(store, self.0, args, results).map_err(|stop| Error::from_stop(stop, store))
    }

    /// A typed view of the function, checked against its type.
    pub fn typed<P: WasmParams, R: WasmResults, T>(
        &self,
        store: &Store<T>,
    ) -> Result<TypedFunc<P, R>, Error> {
        let ty = self.ty(store);
        if *ty.params != *P::types() || *ty.results != *R::types() {
            return Err(Error::Type(format!("the function's type is {ty}")));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: std::marker::PhantomData,
        })
    }

    /// This function as a reference value.
    pub fn as_ref(&self) -> FuncRef {
        FuncRef(self.0)
    }
}

/// A function whose parameter and result types are known statically.
#[derive(Debug, Clone, Copy)]
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: std::marker::PhantomData<fn(P) -> R>,
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call<T>(&self, store: &mut Store<T>, params: P) -> Result<R, Error> {
        let args = params.into_vals();
        let mut results = vec![Val::I32(0); R::types().len()];
        self.func.call(store, &args, &mut results)?;
        R::from_vals(&results).ok_or_else(|| Error::Type("unexpected result types".into()))
    }
}

/// A Rust type that stands for one Wasm value type.
pub trait WasmTy: Sized {
    /// The Wasm value type.
    fn ty() -> ValType;
    /// The value as a `Val`.
    fn into_val(self) -> Val;
    /// The value of a `Val` of this type, `None` for another type.
    fn from_val(v: Val) -> Option<Self>;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $v:ident, $into:expr, $from:expr) => {
        impl WasmTy for $t {
            fn ty() -> ValType {
                ValType::$vt
            }
            fn into_val(self) -> Val {
                let f: fn($t) -> Val = $into;
                f(self)
            }
            fn from_val(v: Val) -> Option<Self> {
                match v {
                    Val::$v(x) => {
                        let f: fn(_) -> $t = $from;
                        Some(f(x))
                    }
                    _ => None,
                }
            }
        }
    };
}

wasm_ty!(i32, I32, I32, Val::I32, |x| x);
wasm_ty!(u32, I32, I32, |x| Val::I32(x as i32), |x: i32| x as u32);
wasm_ty!(i64, I64, I64, Val::I64, |x| x);
wasm_ty!(u64, I64, I64, |x| Val::I64(x as i64), |x: i64| x as u64);
wasm_ty!(f32, F32, F32, |x| Val::F32(x.to_bits()), f32::from_bits);
wasm_ty!(f64, F64, F64, |x| Val::F64(x.to_bits()), f64::from_bits);

/// Parameter lists of typed functions: `()`, a single type, or tuples.
pub trait WasmParams {
    /// The parameter types, in order.
    fn types() -> Vec<ValType>;
    /// The parameters as `Val`s.
    fn into_vals(self) -> Vec<Val>;
}

/// Result lists of typed functions: `()`, a single type, or tuples.
pub trait WasmResults: Sized {
    /// The result types, in order.
    fn types() -> Vec<ValType>;
    /// The results from `Val`s, `None` when their types do not match.
    fn from_vals(vals: &[Val]) -> Option<Self>;
}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::ty()]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::ty()]
    }
    fn from_vals(vals: &[Val]) -> Option<Self> {
        match vals {
            [a] => A::from_val(*a),
            _ => None,
        }
    }
}

macro_rules! tuples {
    ($($name:ident)*) => {
        impl<$($name: WasmTy),*> WasmParams for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::ty()),*]
            }
            #[allow(non_snake_case)]
            fn into_vals(self) -> Vec<Val> {
                let ($($name,)*) = self;
                vec![$($name.into_val()),*]
            }
        }

        impl<$($name: WasmTy),*> WasmResults for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::ty()),*]
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn from_vals(vals: &[Val]) -> Option<Self> {
                let mut it = vals.iter().copied();
                let out = ($($name::from_val(it.next()?)?,)*);
                it.next().is_none().then_some(out)
            }
        }
    };
}

tuples!();
tuples!(A B);
tuples!(A B C);
tuples!(A B C D);

impl Global {
    /// A new global.
    pub fn new<T>(store: &mut Store<T>, ty: GlobalType, value: Val) -> Result<Global, Error> {
        if ty.content == ValType::V128 {
            return Err(Error::Unsupported(
                "v128 globals are not supported by the interpreter yet".into(),
            ));
        }
        // A global made by the host belongs to no module: no concrete type has a meaning.
        if !value.matches(ty.content, |_, _| false) || !call::in_store(&value, store.funcs.len()) {
            return Err(Error::Type(format!(
                "a {} value for a global of type {}",
                value.ty(),
                ty.content
            )));
        }
        store.globals.push(GlobalEntity {
            ty,
            value: value.to_bits(),
        });
        Ok(Global(store.globals.len() as u32 - 1))
    }

    /// The global's value.
    pub fn get<T>(&self, store: &Store<T>) -> Val {
        let g = &store.globals[self.0 as usize];
        Val::from_bits(g.ty.content, g.value)
    }

    /// The global's type.
    pub fn ty<T>(&self, store: &Store<T>) -> GlobalType {
        store.globals[self.0 as usize].ty
    }

    /// Sets a mutable global.
    pub fn set<T>(&self, store: &mut Store<T>, value: Val) -> Result<(), Error> {
        let in_store = call::in_store(&value, store.funcs.len());
        let g = &mut store.globals[self.0 as usize];
        if !g.ty.mutable || !value.matches(g.ty.content, |_, _| false) || !in_store {
            return Err(Error::Type("cannot set this global to that value".into()));
        }
        g.value = value.to_bits();
        Ok(())
    }
}

impl Memory {
    /// A new (32-bit) memory of `min` pages, growable to `max`.
    pub fn new<T>(store: &mut Store<T>, min: u32, max: Option<u32>) -> Result<Memory, Error> {
        super::instance::new_memory(store, ssvm_binary::Limits::new(min, max)).map(Memory)
    }

    /// A new memory of type `ty`: 64-bit (memory64) when its limits say so.
    pub fn with_type<T>(store: &mut Store<T>, ty: MemoryType) -> Result<Memory, Error> {
        super::instance::new_memory(store, ty.limits).map(Memory)
    }

    /// The memory's type: its current size as the minimum, its declared maximum and whether
    /// it is 64-bit.
    pub fn ty<T>(&self, store: &Store<T>) -> MemoryType {
        let m = &store.memories[self.0 as usize];
        MemoryType {
            limits: ssvm_binary::Limits {
                min: u64::from(m.pages()),
                max: m.declared_max,
                is64: m.is64,
            },
        }
    }

    /// The memory's bytes.
    pub fn data<'s, T>(&self, store: &'s Store<T>) -> &'s [u8] {
        &store.memories[self.0 as usize].data
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'s, T>(&self, store: &'s mut Store<T>) -> &'s mut [u8] {
        &mut store.memories[self.0 as usize].data
    }

    /// Size in pages.
    pub fn pages<T>(&self, store: &Store<T>) -> u32 {
        (store.memories[self.0 as usize].data.len() / PAGE_SIZE) as u32
    }
}

impl Table {
    /// A new table.
    pub fn new<T>(store: &mut Store<T>, ty: ssvm_binary::TableType) -> Result<Table, Error> {
        super::instance::new_table(store, ty, 0).map(Table)
    }

    /// Number of elements.
    pub fn size<T>(&self, store: &Store<T>) -> u32 {
        store.tables[self.0 as usize].elements.len() as u32
    }
}
