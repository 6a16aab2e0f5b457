//! The ssvm-lite runtime: compiles validated modules to register IR and runs them.
//!
//! The embedding API follows wasmtime and wasmi: an [`Engine`] holds the configuration, a
//! [`Module`] is compiled once, a [`Store`] owns instances and the embedder's data, a [`Linker`]
//! resolves imports (host functions from closures, or other instances' exports), and functions
//! are called with [`Val`]s or through a [`TypedFunc`].
//!
//! ```
//! use ssvm_runtime::{Engine, Linker, Module, Store};
//!
//! // (module (func (export "add") (param i32 i32) (result i32)
//! //   local.get 0 local.get 1 i32.add))
//! let wasm = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
//!     0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64,
//!     0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
//! ];
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm).unwrap();
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new().instantiate(&mut store, &module).unwrap();
//! let add = instance.get_typed_func::<(i32, i32), i32, _>(&store, "add").unwrap();
//! assert_eq!(add.call(&mut store, (2, 3)).unwrap(), 5);
//! ```

//! The runtime is three stages with one-way dependencies (docs/architecture.md):
//!
//! - `compile`: validation and lowering of function bodies to register IR ([`ir`]);
//! - `exec`: assembly of IR into ops, and the threaded interpreter that runs them;
//! - `api`: the embedding API, which drives the two;
//!
//! with `meter` (exact gas metering, in both stages) and the leaves `numeric`, `trap` and
//! `value` beside them.

// The lowering's match walks the opcode table's rows one at a time (`simd_pattern!`).
#![recursion_limit = "1024"]

mod api;
mod bytes;
mod compile;
mod exec;
mod meter;
mod numeric;
mod simd;
mod trap;
mod types;
mod value;

pub use api::{
    Caller, Config, Engine, Error, ExportType, Extern, Func, Global, ImportType, Instance,
    InstancePre, InterruptHandle, Linker, Memory, Module, Store, Table, Tag, TypedFunc, WasmParams,
    WasmResults, WasmTy,
};
pub use compile::ir;
pub use exec::PAGE_SIZE;
pub use meter::{CostTable, CostTableError, PerUnit, Rate};
pub use ssvm_binary::{FuncType, GlobalType, HeapType, Limits, RefType, TableType, ValType};
pub use trap::Trap;
pub use value::{AnyRef, ExnRef, FuncRef, Val};
