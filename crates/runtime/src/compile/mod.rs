//! The compile stage: each function body is validated and lowered to register IR in one pass
//! (`lower`). It knows nothing of the interpreter or the store.

pub mod ir;
mod lower;

pub(crate) use lower::{unsupported, Lowerer};
