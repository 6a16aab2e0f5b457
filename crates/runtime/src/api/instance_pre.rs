//! Pre-linked instantiation: a module's imports resolved by a `Linker` once, for many
//! instances (a server's one per request), so that each instantiation pushes its host
//! functions without looking them up by name, formatting their names or pricing them again.

use super::engine::Engine;
use super::error::Error;
use super::handles::{Extern, Func};
use super::instance::{instantiate, Definition, Instance, Linker};
use super::module::Module;
use super::store::{HostFn, Store};
use crate::exec::{FuncEntity, FuncKind};
use crate::meter::CostTable;
use ssvm_binary::FuncType;
use std::sync::Arc;

/// One resolved import: a host function, its name for gas profiles, its price.
struct PreHost<T> {
    ty: FuncType,
    f: HostFn<T>,
    name: String,
    price: u64,
}

/// A module with its imports resolved ([`Linker::instantiate_pre`]), ready to instantiate in
/// any number of stores.
pub struct InstancePre<T> {
    module: Module,
    hosts: Vec<PreHost<T>>,
    /// The cost table the prices are from.
    table: Option<Arc<CostTable>>,
}

impl<T> Linker<T> {
    /// Resolves `module`'s imports once, with the prices of `engine`'s cost table. Only host
    /// functions (`func_new`) can be pre-linked: an import this linker defines as an extern of
    /// a store is refused, as is one it does not define.
    pub fn instantiate_pre(
        &self,
        engine: &Engine,
        module: &Module,
    ) -> Result<InstancePre<T>, Error> {
        let table = engine.config.cost_table.clone();
        let mut hosts = Vec::with_capacity(module.inner.imports.len());
        for import in &module.inner.imports {
            let (m, n) = (&import.module, &import.name);
            match self.definitions.get(&(m.clone(), n.clone())) {
                Some(Definition::HostFunc(ty, f)) => hosts.push(PreHost {
                    ty: ty.clone(),
                    f: f.clone(),
                    name: format!("{m}::{n}"),
                    price: table.as_ref().map_or(0, |t| t.host(m, n)),
                }),
                Some(Definition::Extern(_)) => {
                    return Err(Error::Link(format!(
                        "`{m}::{n}` is an extern of a store: only host functions can be pre-linked"
                    )))
                }
                None => return Err(Error::Link(format!("unknown import `{m}::{n}`"))),
            }
        }
        Ok(InstancePre {
            module: module.clone(),
            hosts,
            table,
        })
    }
}

impl<T> InstancePre<T> {
    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Instantiates the module in `store`, as `Linker::instantiate` does (its start function
    /// runs). A store of an engine with another cost table gets its own prices.
    pub fn instantiate(&self, store: &mut Store<T>) -> Result<Instance, Error> {
        super::instance::same_metering(&self.module, store)?;
        let priced = match (&self.table, &store.config.cost_table) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        let mut imports = Vec::with_capacity(self.hosts.len());
        for (h, import) in self.hosts.iter().zip(&self.module.inner.imports) {
            let host_price = match (&store.config.cost_table, priced) {
                (_, true) => h.price,
                (Some(t), false) => t.host(&import.module, &import.name),
                (None, false) => 0,
            };
            let host = store.host_funcs.len() as u32;
            store.funcs.push(FuncEntity {
                ty: h.ty.clone(),
                type_id: crate::types::canonical_id(&h.ty),
                kind: FuncKind::Host(host),
                host_price,
                host_name: Some(h.name.clone()),
            });
            store.host_funcs.push(h.f.clone());
            imports.push(Extern::Func(Func(store.funcs.len() as u32 - 1)));
        }
        instantiate(store, &self.module, &imports)
    }
}
