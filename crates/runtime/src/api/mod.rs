//! The embedding API, in the style of wasmtime and wasmi: an `Engine` holds the configuration,
//! a `Module` is compiled once (validate and lower, then assemble), a `Store` owns instances and
//! the embedder's data, a `Linker` resolves imports, and functions are called with `Val`s or
//! through a `TypedFunc`. It drives the compile and execute stages and is the only part of the
//! runtime that knows the embedder's data type.

mod call;
mod engine;
mod error;
mod handles;
mod instance;
mod instance_pre;
mod module;
mod store;

pub use engine::{Config, Engine};
pub use error::Error;
pub use handles::{
    Extern, Func, Global, Memory, Table, Tag, TypedFunc, WasmParams, WasmResults, WasmTy,
};
pub use instance::{Instance, Linker};
pub use instance_pre::InstancePre;
pub use module::{ExportType, ImportType, Module};
pub use store::{Caller, InterruptHandle, Store};
