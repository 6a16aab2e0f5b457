//! Errors of the embedding API.

use crate::trap::Trap;
use std::fmt;

/// Why an operation of the runtime failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The module is malformed or invalid.
    Validation(ssvm_validate::Error),
    /// An import is missing or does not match (the spec's "unknown import" and
    /// "incompatible import type").
    Link(String),
    /// Execution trapped.
    Trap(Trap),
    /// Metered execution ran out of gas, having used `used` (exactly: everything before the
    /// instruction it could not pay). The call can be resumed with `Store::resume`.
    OutOfGas {
        /// The gas used.
        used: u64,
    },
    /// A call was made with arguments or results that do not match the function's type.
    Type(String),
    /// The module uses something this runtime cannot execute yet.
    Unsupported(String),
    /// A host function ended the program with this exit status (WASI's `proc_exit`).
    Exit(i32),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation(e) => write!(f, "{e}"),
            Error::Link(m) => write!(f, "link error: {m}"),
            Error::Trap(t) => write!(f, "trap: {t}"),
            Error::OutOfGas { used } => write!(f, "out of gas after using {used}"),
            Error::Type(m) => write!(f, "type error: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::Exit(code) => write!(f, "exit with status {code}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ssvm_validate::Error> for Error {
    fn from(e: ssvm_validate::Error) -> Error {
        Error::Validation(e)
    }
}

impl From<ssvm_binary::DecodeError> for Error {
    fn from(e: ssvm_binary::DecodeError) -> Error {
        Error::Validation(e.into())
    }
}

impl Error {
    /// The error for a call that stopped.
    pub(crate) fn from_stop<T>(stop: super::call::Stop, store: &super::store::Store<T>) -> Error {
        match stop {
            super::call::Stop::Trap(Trap::Exit(code)) => Error::Exit(code),
            super::call::Stop::Trap(t) => Error::Trap(t),
            super::call::Stop::OutOfGas => Error::OutOfGas {
                used: store.gas_used(),
            },
        }
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Error {
        match t {
            Trap::Exit(code) => Error::Exit(code),
            t => Error::Trap(t),
        }
    }
}
