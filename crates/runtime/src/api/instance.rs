//! Instantiation: resolving imports, creating the module's functions, tables, memories and
//! globals, running element and data segments and the start function. Also the `Linker`.

use super::call;
use super::error::Error;
use super::handles::{
    Extern, Func, Global, Memory, Table, Tag, TypedFunc, WasmParams, WasmResults,
};
use super::module::{ArithOp, Const, ConstOp, Leaf, Module, SegmentPlace};
use super::store::{Caller, HostFn, Store};
use crate::exec::{
    filled, zeroed, FuncEntity, FuncKind, GlobalEntity, InstanceEntity, MemoryEntity, TableEntity,
    TagEntity, PAGE_SIZE,
};
use crate::trap::Trap;
use crate::types::canonical_val;
use crate::value::Val;
use ssvm_binary::{ExternKind, FuncType, GlobalType, ImportDesc, Limits, TableType, ValType};
use std::collections::HashMap;
use std::sync::Arc;

/// An instance of a module in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) u32);

impl Instance {
    /// The export called `name`.
    pub fn get_export<T>(&self, store: &Store<T>, name: &str) -> Option<Extern> {
        let inst = &store.instances[self.0 as usize];
        let module = &store.modules[self.0 as usize];
        let export = module.exports.iter().find(|x| x.name == name)?;
        let i = export.index as usize;
        Some(match export.kind {
            ExternKind::Func => Extern::Func(Func(inst.funcs[i])),
            ExternKind::Table => Extern::Table(Table(inst.tables[i])),
            ExternKind::Memory => Extern::Memory(Memory(inst.memories[i])),
            ExternKind::Global => Extern::Global(Global(inst.globals[i])),
            ExternKind::Tag => Extern::Tag(Tag(inst.tags[i])),
        })
    }

    /// Every export, by name.
    pub fn exports<T>(&self, store: &Store<T>) -> Vec<(String, Extern)> {
        store.modules[self.0 as usize]
            .exports
            .iter()
            .filter_map(|x| Some((x.name.clone(), self.get_export(store, &x.name)?)))
            .collect()
    }

    /// The exported function called `name`.
    pub fn get_func<T>(&self, store: &Store<T>, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported function called `name`, with its type checked against `P -> R`.
    pub fn get_typed_func<P: WasmParams, R: WasmResults, T>(
        &self,
        store: &Store<T>,
        name: &str,
    ) -> Result<TypedFunc<P, R>, Error> {
        self.get_func(store, name)
            .ok_or_else(|| Error::Link(format!("no exported function named `{name}`")))?
            .typed(store)
    }

    /// The exported global called `name`.
    pub fn get_global<T>(&self, store: &Store<T>, name: &str) -> Option<Global> {
        match self.get_export(store, name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The exported memory called `name`.
    pub fn get_memory<T>(&self, store: &Store<T>, name: &str) -> Option<Memory> {
        match self.get_export(store, name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The module this is an instance of.
    pub fn module<T>(&self, store: &Store<T>) -> Module {
        Module {
            inner: store.modules[self.0 as usize].clone(),
        }
    }
}

pub(super) enum Definition<T> {
    Extern(Extern),
    HostFunc(FuncType, HostFn<T>),
}

/// A host function made for an import nobody defined.
type UnknownImport<T> =
    Box<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync>;

/// Resolves imports by module and name: host functions and externs of other instances.
pub struct Linker<T> {
    pub(super) definitions: HashMap<(String, String), Definition<T>>,
}

impl<T> Default for Linker<T> {
    fn default() -> Self {
        Linker {
            definitions: HashMap::new(),
        }
    }
}

impl<T> Linker<T> {
    /// An empty linker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines a host function `module::name` of type `ty`.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> &mut Self {
        self.definitions.insert(
            (module.to_string(), name.to_string()),
            Definition::HostFunc(ty, Arc::new(f)),
        );
        self
    }

    /// Defines `module::name` as an existing extern of the store.
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Self {
        self.definitions.insert(
            (module.to_string(), name.to_string()),
            Definition::Extern(item),
        );
        self
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store<T>, module: &str, instance: Instance) -> &mut Self {
        for (name, item) in instance.exports(store) {
            self.define(module, &name, item);
        }
        self
    }

    /// Defines every function import of `module` this linker has no definition for as a host
    /// function that traps when called, naming the import (wasmtime's
    /// `define_unknown_imports_as_traps`): such a module instantiates, and runs as long as it
    /// does not call what its host would have provided. Other kinds of imports are left alone.
    pub fn define_unknown_imports_as_traps(&mut self, module: &Module) -> &mut Self {
        self.define_unknown_functions(module, |import, _| {
            Box::new(move |_, _, _| {
                Err(Trap::Host(format!("unknown import `{import}` was called")))
            })
        })
    }

    /// Defines every function import of `module` this linker has no definition for as a host
    /// function that returns the zero of each of its result types (null for references), and
    /// does nothing else (wasmtime's `define_unknown_imports_as_default_values`).
    pub fn define_unknown_imports_as_default_values(&mut self, module: &Module) -> &mut Self {
        self.define_unknown_functions(module, |_, ty| {
            let defaults: Vec<Val> = ty.results.iter().map(|&t| Val::default_for(t)).collect();
            Box::new(move |_, _, results| {
                results.copy_from_slice(&defaults);
                Ok(())
            })
        })
    }

    /// Defines each function import of `module` that has no definition by what `make` gives
    /// for its name (`module::name`) and type.
    fn define_unknown_functions(
        &mut self,
        module: &Module,
        make: impl Fn(String, &FuncType) -> UnknownImport<T>,
    ) -> &mut Self {
        for import in module.imports() {
            let ImportDesc::Func(t) = import.desc else {
                continue;
            };
            let key = (import.module.clone(), import.name.clone());
            if self.definitions.contains_key(&key) {
                continue;
            }
            let ty = module.inner.types[t as usize].clone();
            let f: HostFn<T> = Arc::from(make(format!("{}::{}", import.module, import.name), &ty));
            self.definitions.insert(key, Definition::HostFunc(ty, f));
        }
        self
    }

    fn resolve(&self, store: &mut Store<T>, module: &str, name: &str) -> Option<Extern> {
        match self
            .definitions
            .get(&(module.to_string(), name.to_string()))?
        {
            Definition::Extern(e) => Some(*e),
            Definition::HostFunc(ty, f) => {
                let host = store.host_funcs.len() as u32;
                store.host_funcs.push(f.clone());
                let host_price = store
                    .config
                    .cost_table
                    .as_ref()
                    .map_or(0, |t| t.host(module, name));
                store.funcs.push(FuncEntity {
                    ty: ty.clone(),
                    type_id: crate::types::canonical_id(ty),
                    kind: FuncKind::Host(host),
                    host_price,
                    host_name: Some(format!("{module}::{name}")),
                });
                Some(Extern::Func(Func(store.funcs.len() as u32 - 1)))
            }
        }
    }

    /// Instantiates `module`, resolving its imports here, and runs its start function.
    pub fn instantiate(&self, store: &mut Store<T>, module: &Module) -> Result<Instance, Error> {
        same_metering(module, store)?;
        let mut imports = Vec::with_capacity(module.inner.imports.len());
        for import in &module.inner.imports {
            let item = self
                .resolve(store, &import.module, &import.name)
                .ok_or_else(|| {
                    Error::Link(format!(
                        "unknown import `{}::{}`",
                        import.module, import.name
                    ))
                })?;
            imports.push(item);
        }
        instantiate(store, module, &imports)
    }
}

pub(crate) fn new_memory<T>(store: &mut Store<T>, limits: Limits) -> Result<u32, Error> {
    let cap = store.config.max_memory_pages;
    if limits.min > u64::from(cap) {
        return Err(Error::Link(format!(
            "memory of {} pages exceeds the limit of {cap} pages",
            limits.min
        )));
    }
    let bytes = limits.min as usize * PAGE_SIZE;
    if !store.vm.take_memory(bytes as u64) {
        return Err(Error::Link(format!(
            "memory of {} pages exceeds the store's memory limit of {} bytes",
            limits.min, store.config.max_memory_bytes
        )));
    }
    let data = zeroed(bytes).ok_or_else(|| {
        store.vm.memory_left += bytes as u64;
        Error::Link(format!(
            "cannot allocate a memory of {} pages ({bytes} bytes)",
            limits.min
        ))
    })?;
    store.memories.push(MemoryEntity {
        data,
        max: capped(limits.max, cap),
        declared_max: limits.max,
        is64: limits.is64,
    });
    Ok(store.memories.len() as u32 - 1)
}

pub(crate) fn new_table<T>(store: &mut Store<T>, ty: TableType, init: u64) -> Result<u32, Error> {
    let cap = store.config.max_table_elements;
    if ty.limits.min > u64::from(cap) {
        return Err(Error::Link(format!(
            "table of {} elements exceeds the limit of {cap}",
            ty.limits.min
        )));
    }
    let elements = filled(ty.limits.min as usize, init).ok_or_else(|| {
        Error::Link(format!(
            "cannot allocate a table of {} elements",
            ty.limits.min
        ))
    })?;
    store.tables.push(TableEntity {
        ty,
        elements,
        max: capped(ty.limits.max, cap),
    });
    Ok(store.tables.len() as u32 - 1)
}

/// A declared maximum (pages or elements; none, or one past u32, for a 64-bit memory or
/// table) capped by the engine's limit `cap`.
fn capped(max: Option<u64>, cap: u32) -> u32 {
    max.map_or(cap, |m| m.min(u64::from(cap)) as u32)
}

/// Whether limits `actual` (of address type `is64`) satisfy the declared import limits
/// `expected`.
fn limits_match(actual_min: u32, actual_max: Option<u64>, is64: bool, expected: Limits) -> bool {
    is64 == expected.is64
        && u64::from(actual_min) >= expected.min
        && match (expected.max, actual_max) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(e), Some(a)) => a <= e,
        }
}

fn check_import<T>(store: &Store<T>, desc: &ImportDesc, item: Extern, module: &Module) -> bool {
    match (desc, item) {
        // Store entities hold canonical types; the module's are made so to compare.
        (ImportDesc::Func(t), Extern::Func(f)) => {
            let expected = module.inner.type_ids[*t as usize];
            crate::types::is_subtype(store.funcs[f.0 as usize].type_id, expected)
        }
        (ImportDesc::Table(t), Extern::Table(x)) => {
            let table = &store.tables[x.0 as usize];
            let element = canonical_val(t.element.into(), &module.inner.type_ids);
            ValType::from(table.ty.element) == element
                && limits_match(
                    table.elements.len() as u32,
                    table.ty.limits.max,
                    table.ty.limits.is64,
                    t.limits,
                )
        }
        (ImportDesc::Memory(t), Extern::Memory(x)) => {
            let memory = &store.memories[x.0 as usize];
            limits_match(memory.pages(), memory.declared_max, memory.is64, t.limits)
        }
        (ImportDesc::Global(t), Extern::Global(x)) => {
            let actual = store.globals[x.0 as usize].ty;
            let expected = canonical_val(t.content, &module.inner.type_ids);
            // An immutable global may be of a subtype; a mutable one is read and written.
            actual.mutable == t.mutable
                && if t.mutable {
                    actual.content == expected
                } else {
                    crate::types::val_subtype(actual.content, expected)
                }
        }
        (ImportDesc::Tag(t), Extern::Tag(x)) => {
            module.inner.type_ids[*t as usize] == store.tags[x.0 as usize].type_id
        }
        _ => false,
    }
}

/// A store runs only code metered as its engine says (handlers differ by metering mode).
pub(super) fn same_metering<T>(module: &Module, store: &Store<T>) -> Result<(), Error> {
    let compiled = module.inner.code.metering();
    if compiled != store.metering {
        return Err(Error::Link(format!(
            "the module and the store are metered differently (the module was compiled {}, the \
             store runs code {}): use one engine for both",
            compiled.describe(),
            store.metering.describe()
        )));
    }
    Ok(())
}

pub(super) fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance, Error> {
    let m = &module.inner;
    let index = store.instances.len() as u32;
    let mut inst = InstanceEntity {
        code: m.code.clone(),
        types: m.types.clone(),
        type_ids: m.type_ids.clone(),
        funcs: Vec::new(),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        elements: Vec::new(),
        data: Vec::new(),
    };
    for (import, &item) in m.imports.iter().zip(imports) {
        if !check_import(store, &import.desc, item, module) {
            return Err(Error::Link(format!(
                "incompatible import type for `{}::{}`",
                import.module, import.name
            )));
        }
        match item {
            Extern::Func(f) => inst.funcs.push(f.0),
            Extern::Table(t) => inst.tables.push(t.0),
            Extern::Memory(x) => inst.memories.push(x.0),
            Extern::Global(g) => inst.globals.push(g.0),
            Extern::Tag(t) => inst.tags.push(t.0),
        }
    }
    let imported_funcs = inst.funcs.len();
    for i in 0..m.code.len() {
        let t = m.functions[imported_funcs + i] as usize;
        store.funcs.push(FuncEntity {
            ty: m.types[t].clone(),
            type_id: m.type_ids[t],
            kind: FuncKind::Wasm {
                instance: index,
                index: (imported_funcs + i) as u32,
                code: None,
            },
            host_price: 0,
            host_name: None,
        });
        inst.funcs.push(store.funcs.len() as u32 - 1);
    }
    for &ty in &m.memories[inst.memories.len()..] {
        let x = new_memory(store, ty.limits)?;
        inst.memories.push(x);
    }
    for i in inst.tags.len()..m.tags.len() {
        let exported = m
            .exports
            .iter()
            .find(|x| x.kind == ExternKind::Tag && x.index as usize == i);
        let name = match exported {
            Some(x) => format!("tag \"{}\"", x.name),
            None => format!("tag {i}"),
        };
        let t = m.tags[i] as usize;
        let (ty, type_id) = (m.types[t].clone(), m.type_ids[t]);
        store.tags.push(TagEntity { ty, type_id, name });
        inst.tags.push(store.tags.len() as u32 - 1);
    }
    for (ty, init) in &m.globals {
        let value = eval(store, &inst, init);
        let ty = GlobalType {
            content: canonical_val(ty.content, &m.type_ids),
            ..*ty
        };
        store.globals.push(GlobalEntity { ty, value });
        inst.globals.push(store.globals.len() as u32 - 1);
    }
    // After the globals: a table's initial value may read them.
    let defined_tables = m.tables[inst.tables.len()..].iter().zip(&m.table_inits);
    for (&ty, init) in defined_tables.collect::<Vec<_>>() {
        let value = init.as_ref().map_or(0, |c| eval(store, &inst, c) as u64);
        let ValType::Ref(element) = canonical_val(ty.element.into(), &m.type_ids) else {
            unreachable!("a table's element type is a reference type")
        };
        let ty = TableType { element, ..ty };
        let t = new_table(store, ty, value)?;
        inst.tables.push(t);
    }
    for e in &m.elements {
        // Element items are references: one slot each.
        let items = e
            .items
            .iter()
            .map(|c| eval(store, &inst, c) as u64)
            .collect();
        inst.elements.push((e.ty, items));
    }
    for d in &m.data {
        inst.data.push(d.bytes.clone());
    }
    store.instances.push(inst);
    store.modules.push(m.clone());
    let instance = Instance(index);

    // Active segments are copied in order, and dropped; declarative ones are dropped.
    for (i, e) in m.elements.iter().enumerate() {
        match &e.place {
            SegmentPlace::Active {
                index: table,
                offset,
            } => {
                let inst = &store.instances[index as usize];
                let d = eval(store, inst, offset) as u64;
                let n = e.items.len() as u32;
                store.vm.table_init(index, *table, i as u32, d, 0, n)?;
                store.instances[index as usize].elements[i].1.clear();
            }
            SegmentPlace::Declarative => store.instances[index as usize].elements[i].1.clear(),
            SegmentPlace::Passive => {}
        }
    }
    for (i, d) in m.data.iter().enumerate() {
        if let SegmentPlace::Active {
            index: memory,
            offset,
        } = &d.place
        {
            let inst = &store.instances[index as usize];
            let at = eval(store, inst, offset) as u64;
            let n = d.bytes.len() as u32;
            store.vm.memory_init(index, *memory, i as u32, at, 0, n)?;
            store.instances[index as usize].data[i].drop_bytes();
        }
    }
    if let Some(start) = m.start {
        let f = store.instances[index as usize].funcs[start as usize];
        call::call(store, f, &[], &mut []).map_err(|stop| Error::from_stop(stop, store))?;
    }
    Ok(instance)
}

/// Evaluates a constant expression in `inst`.
fn eval<T>(store: &Store<T>, inst: &InstanceEntity, c: &Const) -> u128 {
    let global = |g: u32| store.globals[inst.globals[g as usize] as usize].value;
    match c {
        Const::Value(v) => *v,
        Const::Global(g) => global(*g),
        Const::Func(f) => u128::from(inst.funcs[*f as usize]) + 1,
        // Extended constants are i32 and i64 arithmetic: 64 bits hold them.
        Const::Arith(ops) => u128::from(eval_arith(ops, |g| global(g) as u64)),
    }
}

/// Runs an arithmetic constant expression. The validator checked that every operator finds its
/// two operands and that one value is left; `i32` results keep their high bits zero, as slots do.
fn eval_arith(ops: &[ConstOp], global: impl Fn(u32) -> u64) -> u64 {
    let mut stack: Vec<u64> = Vec::with_capacity(ops.len());
    for op in ops {
        let value = match *op {
            ConstOp::Push(Leaf::Value(v)) => v,
            ConstOp::Push(Leaf::Global(g)) => global(g),
            ConstOp::Bin { op, wide } => {
                let (b, a) = (stack.pop().unwrap_or(0), stack.pop().unwrap_or(0));
                let r = match op {
                    ArithOp::Add => a.wrapping_add(b),
                    ArithOp::Sub => a.wrapping_sub(b),
                    ArithOp::Mul => a.wrapping_mul(b),
                };
                if wide {
                    r
                } else {
                    u64::from(r as u32)
                }
            }
        };
        stack.push(value);
    }
    stack.pop().unwrap_or(0)
}
