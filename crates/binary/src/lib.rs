//! Decoder for the WebAssembly 2.0 binary format.
//!
//! [`Module::decode`] reads a whole module without copying it: function bodies and constant
//! expressions stay byte ranges whose operators are read on demand with [`OperatorReader`].
//! The decoder checks only what the binary format requires (the "malformed" errors of the spec);
//! what the validation rules require is the validator's job.

// Decoding and validation are pure byte and type checks: nothing here needs `unsafe`.
#![forbid(unsafe_code)]

mod error;
mod module;
mod opcodes;
mod operator;
mod reader;
mod types;

pub use error::{DecodeError, Proposal, Result};
pub use module::*;
pub use operator::*;
pub use reader::Reader;
pub use types::*;
