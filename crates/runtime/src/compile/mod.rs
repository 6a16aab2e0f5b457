//! The compile stage: each function body is validated and lowered to register IR in one pass
//! (`lower`), at load or, from the `Source` a module keeps, on its first call. It knows nothing of the interpreter or the store.

pub mod ir;
mod lower;
mod source;

pub(crate) use lower::Lowerer;
pub(crate) use source::{memories64, tag_types, LoadCheck, Source};
