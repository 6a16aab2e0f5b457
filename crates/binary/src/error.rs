//! The decoder's error: what is malformed and at which byte offset, and whether the bytes are
//! the encoding of a later proposal this decoder does not implement.

use std::fmt;

/// A proposal that extends WebAssembly 2.0 and that ssvm-lite does not implement (yet). An
/// encoding that only such a proposal gives a meaning is reported as unsupported, naming it,
/// rather than as malformed or invalid in the words of Wasm 2.0 alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proposal {
    /// Exception handling: tags, `throw`, `try_table`, `exnref` (implemented since issue 11:
    /// named only by the tests of what came before).
    ExceptionHandling,
    /// The first, superseded encoding of exception handling: `try`, `catch`, `catch_all`,
    /// `delegate`, `rethrow` (toolchains now emit `try_table`).
    LegacyExceptionHandling,
    /// Tail calls: `return_call`, `return_call_indirect`.
    TailCall,
    /// Typed function references: `(ref $t)`, `call_ref`, `br_on_null`, ...
    FunctionReferences,
    /// Garbage collection: its instructions, `ref.eq` and the `0xFB` prefix (its types, struct,
    /// array, `i31` and the `any` hierarchy, are decoded and validated).
    Gc,
    /// Threads: shared memories and the `0xFE` atomic instructions.
    Threads,
    /// 64-bit memories and tables.
    Memory64,
    /// Arithmetic in constant expressions.
    ExtendedConst,
}

impl Proposal {
    /// The proposal's name as the WebAssembly repositories spell it, e.g. `exception-handling`.
    pub fn name(self) -> &'static str {
        match self {
            Proposal::ExceptionHandling => "exception-handling",
            Proposal::LegacyExceptionHandling => "legacy exception-handling",
            Proposal::TailCall => "tail-call",
            Proposal::FunctionReferences => "function-references",
            Proposal::Gc => "GC",
            Proposal::Threads => "threads",
            Proposal::Memory64 => "memory64",
            Proposal::ExtendedConst => "extended-const",
        }
    }

    /// The words for `what` (`tag section`, `return_call`) of this proposal being unsupported:
    /// `the tail-call proposal is not supported (return_call)`.
    pub fn not_supported(self, what: &str) -> String {
        format!("the {} proposal is not supported ({what})", self.name())
    }
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A malformed binary: the input does not follow the binary format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What is wrong, in the spec test suite's words where it has them.
    pub message: String,
    /// Byte offset in the module where the problem was found.
    pub offset: usize,
    /// The proposal whose encoding this is, when the bytes are not malformed in WebAssembly
    /// with that proposal but the decoder does not implement it.
    pub unsupported: Option<Proposal>,
}

impl DecodeError {
    /// An error with `message` at byte `offset`.
    pub fn new(message: impl Into<String>, offset: usize) -> Self {
        DecodeError {
            message: message.into(),
            offset,
            unsupported: None,
        }
    }

    /// The error for `what`, an encoding of `proposal`, at byte `offset`. `spec_words`, when
    /// given, are what Wasm 2.0 calls these bytes ("integer too large"); they lead the message,
    /// so that it still reads as the spec's tests expect a 2.0 decoder to report them.
    pub fn unsupported(
        proposal: Proposal,
        what: &str,
        spec_words: Option<&str>,
        offset: usize,
    ) -> Self {
        let words = proposal.not_supported(what);
        DecodeError {
            message: match spec_words {
                Some(spec) => format!("{spec}: {words}"),
                None => words,
            },
            offset,
            unsupported: Some(proposal),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset 0x{:x}", self.message, self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// Result of a decoding step.
pub type Result<T> = std::result::Result<T, DecodeError>;
