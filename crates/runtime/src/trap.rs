//! Traps: the ways execution can stop abnormally, with the spec's messages.

use std::fmt;

/// Why execution trapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trap {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallTypeMismatch,
    /// A `call_indirect` index past the end of the table.
    UndefinedElement,
    /// A `call_indirect` to a null table entry.
    UninitializedElement,
    IntegerDivideByZero,
    IntegerOverflow,
    InvalidConversionToInteger,
    CallStackExhausted,
    /// A host function failed with this message.
    Host(String),
    /// A host function ended the program with this exit status (WASI's `proc_exit`). Not a
    /// fault: the embedding API reports it as `Error::Exit`.
    Exit(i32),
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
            Trap::Host(message) => message,
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
