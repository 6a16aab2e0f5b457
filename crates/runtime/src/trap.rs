//! Traps: the ways execution can stop abnormally, with the spec's messages.

use std::fmt;

/// Why execution trapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trap {
    /// `unreachable` ran.
    Unreachable,
    /// A memory access or bulk memory operation went out of bounds.
    MemoryOutOfBounds,
    /// A table access or bulk table operation went out of bounds.
    TableOutOfBounds,
    /// `call_indirect` found a function of another type.
    IndirectCallTypeMismatch,
    /// `call_indirect` got an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` found a null entry.
    UninitializedElement,
    /// An integer division or remainder by zero.
    IntegerDivideByZero,
    /// An integer division or float-to-integer conversion overflowed.
    IntegerOverflow,
    /// A float-to-integer conversion of NaN.
    InvalidConversionToInteger,
    /// Calls nested deeper than the configured limits.
    CallStackExhausted,
    /// The embedder interrupted execution (`InterruptHandle::interrupt`, a timeout).
    Interrupted,
    /// A host function could not pay for its work (`Caller::charge_gas`): returned by the host,
    /// it stops the call as out of gas, before the host call, which a resumption runs again.
    OutOfGas,
    /// A function could not be compiled on its first call (lazy compilation), for this reason.
    /// Load-time checks refuse what lowering cannot do, so this is only what the host lacks.
    Compile(String),
    /// A host function failed with this message.
    Host(String),
    /// A host function ended the program with this exit status (WASI's `proc_exit`). Not a
    /// fault: the embedding API reports it as `Error::Exit`.
    Exit(i32),
    /// A Wasm exception left the outermost Wasm frame of the call (or would have crossed into
    /// the host that called it) without a handler: the message names its tag.
    UncaughtException(String),
    /// `throw_ref` of a null `exnref`.
    NullExceptionReference,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference,
    /// `ref.as_non_null` of null.
    NullReference,
    /// A caught exception could not be kept: the store's memory budget
    /// (`Config::max_memory_bytes`) is used up.
    ExceptionsExhausted,
}

impl Trap {
    /// The spec's message for this trap.
    pub fn message(&self) -> &str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IntegerDivideByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::InvalidConversionToInteger => "invalid conversion to integer",
            Trap::CallStackExhausted => "call stack exhausted",
            Trap::Interrupted => "interrupted",
            Trap::OutOfGas => "out of gas",
            Trap::Compile(message) | Trap::Host(message) | Trap::UncaughtException(message) => {
                message
            }
            Trap::NullExceptionReference => "null exception reference",
            Trap::NullFunctionReference => "null function reference",
            Trap::NullReference => "null reference",
            Trap::ExceptionsExhausted => "out of memory for exception objects",
            Trap::Exit(_) => "exit",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Exit(code) => write!(f, "exit with status {code}"),
            other => f.write_str(other.message()),
        }
    }
}

impl std::error::Error for Trap {}
