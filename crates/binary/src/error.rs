//! The decoder's error: what is malformed and at which byte offset.

use std::fmt;

/// A malformed binary: the input does not follow the binary format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What is wrong, in the spec test suite's words where it has them.
    pub message: String,
    /// Byte offset in the module where the problem was found.
    pub offset: usize,
}

impl DecodeError {
    /// An error with `message` at byte `offset`.
    pub fn new(message: impl Into<String>, offset: usize) -> Self {
        DecodeError {
            message: message.into(),
            offset,
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
