//! The types of the WebAssembly 2.0 binary format.

use crate::error::{DecodeError, Proposal, Result};
use crate::reader::Reader;
use std::fmt;

/// A value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// A 32-bit integer (`0x7F`).
    I32,
    /// A 64-bit integer (`0x7E`).
    I64,
    /// A 32-bit IEEE 754 float (`0x7D`).
    F32,
    /// A 64-bit IEEE 754 float (`0x7C`).
    F64,
    /// A 128-bit SIMD vector (`0x7B`).
    V128,
    /// A reference to a function, or null (`0x70`).
    FuncRef,
    /// A reference to a host object, or null (`0x6F`).
    ExternRef,
    /// A reference to an exception, or null (`0x69`, exception handling; also written
    /// `(ref null exn)`).
    ExnRef,
}

impl ValType {
    /// The value type that `byte` encodes, if any.
    #[inline]
    pub fn from_byte(byte: u8) -> Option<ValType> {
        Some(match byte {
            0x7f => ValType::I32,
            0x7e => ValType::I64,
            0x7d => ValType::F32,
            0x7c => ValType::F64,
            0x7b => ValType::V128,
            0x70 => ValType::FuncRef,
            0x6f => ValType::ExternRef,
            0x69 => ValType::ExnRef,
            _ => return None,
        })
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(
            self,
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef
        )
    }

    /// Reads a value type.
    pub fn decode(r: &mut Reader<'_>) -> Result<ValType> {
        let at = r.offset();
        let b = r.u8()?;
        // `(ref null exn)` is `exnref` written out.
        if b == 0x63 && r.peek_u8().ok() == Some(0x69) {
            r.u8()?;
            return Ok(ValType::ExnRef);
        }
        match ValType::from_byte(b) {
            Some(t) => Ok(t),
            None => Err(unsupported_ref_type(b, r, at)
                .unwrap_or_else(|| DecodeError::new("malformed value type", at))),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
        })
    }
}

/// A reference type: the element type of tables and the operand of `ref.null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefType {
    /// A reference to a function (`0x70`).
    FuncRef,
    /// A reference to a host object (`0x6F`).
    ExternRef,
    /// A reference to an exception (`0x69`, or `(ref null exn)`; exception handling).
    ExnRef,
}

impl RefType {
    /// Reads a reference type.
    pub fn decode(r: &mut Reader<'_>) -> Result<RefType> {
        let at = r.offset();
        match r.u8()? {
            0x70 => Ok(RefType::FuncRef),
            0x6f => Ok(RefType::ExternRef),
            0x69 => Ok(RefType::ExnRef),
            0x63 if r.peek_u8().ok() == Some(0x69) => {
                r.u8()?;
                Ok(RefType::ExnRef)
            }
            b => Err(unsupported_ref_type(b, r, at)
                .unwrap_or_else(|| DecodeError::new("malformed reference type", at))),
        }
    }
}

impl From<RefType> for ValType {
    fn from(t: RefType) -> ValType {
        match t {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
            RefType::ExnRef => ValType::ExnRef,
        }
    }
}

/// The abstract heap types of later proposals by their byte (the shorthand reference type
/// `NAMEref` has the same byte), with the proposal that brings each.
const HEAP_TYPES: [(u8, &str, &str, Proposal); 12] = [
    (0x70, "func", "funcref", Proposal::FunctionReferences),
    (0x6f, "extern", "externref", Proposal::FunctionReferences),
    (0x6e, "any", "anyref", Proposal::Gc),
    (0x6d, "eq", "eqref", Proposal::Gc),
    (0x6c, "i31", "i31ref", Proposal::Gc),
    (0x6b, "struct", "structref", Proposal::Gc),
    (0x6a, "array", "arrayref", Proposal::Gc),
    (0x71, "none", "nullref", Proposal::Gc),
    (0x72, "noextern", "nullexternref", Proposal::Gc),
    (0x73, "nofunc", "nullfuncref", Proposal::Gc),
    (0x69, "exn", "exnref", Proposal::ExceptionHandling),
    (0x74, "noexn", "nullexnref", Proposal::ExceptionHandling),
];

/// The error for `byte`, read at `at` where a value or reference type belongs, when it starts
/// a reference type of a later proposal: a shorthand (`exnref`, `i31ref`) or `(ref null? HT)`,
/// whose heap type `HT` is then read from `r` to name the proposal. `None` for any other byte.
fn unsupported_ref_type(byte: u8, r: &mut Reader<'_>, at: usize) -> Option<DecodeError> {
    let heap = |b: u8| HEAP_TYPES.iter().find(|(code, ..)| *code == b);
    if let Some(&(_, _, shorthand, proposal)) =
        heap(byte).filter(|(b, ..)| ![0x70, 0x6f, 0x69].contains(b))
    {
        let what = format!("{shorthand} type");
        return Some(DecodeError::unsupported(proposal, &what, None, at));
    }
    let null = match byte {
        0x63 => "null ",
        0x64 => "",
        _ => return None,
    };
    // A heap type is an abstract type's byte or a type index (a non-negative s33).
    let (name, proposal) = match r.peek_u8().ok().and_then(heap) {
        Some(&(_, name, _, proposal)) => (name.to_string(), proposal),
        None => match r.s33() {
            Ok(index) if index >= 0 => (index.to_string(), Proposal::FunctionReferences),
            _ => ("?".to_string(), Proposal::FunctionReferences),
        },
    };
    let what = format!("(ref {null}{name}) type");
    Some(DecodeError::unsupported(proposal, &what, None, at))
}

/// A function type: parameters and results.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// The parameter types, first parameter first.
    pub params: Box<[ValType]>,
    /// The result types, first result first.
    pub results: Box<[ValType]>,
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

/// Size limits of a memory (in pages) or a table (in elements), with its address type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The minimum (initial) size, in pages or elements.
    pub min: u64,
    /// The maximum size, in pages or elements, if one is declared.
    pub max: Option<u64>,
    /// Whether addresses (or table indices) are `i64` (memory64), not `i32`.
    pub is64: bool,
}

impl Limits {
    /// Limits of a 32-bit memory or table.
    pub fn new(min: u32, max: Option<u32>) -> Limits {
        Limits {
            min: u64::from(min),
            max: max.map(u64::from),
            is64: false,
        }
    }

    /// The type of addresses (memories) or indices (tables): `i64` or `i32`.
    pub fn address_type(&self) -> ValType {
        if self.is64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }

    /// Reads a table's limits: a flag byte, the minimum and an optional maximum.
    pub fn decode(r: &mut Reader<'_>) -> Result<Limits> {
        Limits::decode_of(r, false)
    }

    /// Reads a memory's limits, whose flag byte may also say that the memory is shared
    /// (threads).
    pub fn decode_memory(r: &mut Reader<'_>) -> Result<Limits> {
        Limits::decode_of(r, true)
    }

    /// The flag byte: bit 0 a maximum follows, bit 1 shared (memories, threads), bit 2
    /// 64-bit (memory64). Wasm 3.0 reads the sizes as u64 whatever the address type; the
    /// validator bounds them by it.
    fn decode_of(r: &mut Reader<'_>, memory: bool) -> Result<Limits> {
        let at = r.offset();
        let flags = r.u8()?;
        match flags {
            0x00 | 0x01 | 0x04 | 0x05 => {}
            0x02 | 0x03 | 0x06 | 0x07 if memory => {
                return Err(DecodeError::unsupported(
                    Proposal::Threads,
                    "shared memory",
                    // The words Wasm 2.0's tests expect of these flags.
                    Some("integer too large"),
                    at,
                ));
            }
            _ => return Err(DecodeError::new("malformed limits flags", at)),
        }
        let min = r.u64()?;
        let max = if flags & 0x01 != 0 {
            Some(r.u64()?)
        } else {
            None
        };
        Ok(Limits {
            min,
            max,
            is64: flags & 0x04 != 0,
        })
    }
}

/// A table type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableType {
    /// The type of the table's elements.
    pub element: RefType,
    /// The table's size limits, in elements.
    pub limits: Limits,
}

impl TableType {
    /// Reads a table type.
    pub fn decode(r: &mut Reader<'_>) -> Result<TableType> {
        let element = RefType::decode(r)?;
        Ok(TableType {
            element,
            limits: Limits::decode(r)?,
        })
    }
}

/// A memory type: limits in 64 KiB pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryType {
    /// The memory's size limits, in 64 KiB pages.
    pub limits: Limits,
}

/// A global's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalType {
    /// The type of the global's value.
    pub content: ValType,
    /// Whether `global.set` may change the value (`mut` in the text format).
    pub mutable: bool,
}

impl GlobalType {
    /// Reads a global type.
    pub fn decode(r: &mut Reader<'_>) -> Result<GlobalType> {
        let content = ValType::decode(r)?;
        let at = r.offset();
        let mutable = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(DecodeError::new("malformed mutability", at)),
        };
        Ok(GlobalType { content, mutable })
    }
}

/// The type of a `block`, `loop` or `if`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockType {
    /// No parameters, no results.
    Empty,
    /// No parameters, one result.
    Value(ValType),
    /// The function type with this index.
    Func(u32),
}

impl BlockType {
    /// Reads a block type.
    #[inline]
    pub fn decode(r: &mut Reader<'_>) -> Result<BlockType> {
        let b = r.peek_u8()?;
        if b == 0x40 {
            r.u8()?;
            return Ok(BlockType::Empty);
        }
        if let Some(t) = ValType::from_byte(b) {
            r.u8()?;
            return Ok(BlockType::Value(t));
        }
        if b == 0x63 && r.rest().get(1) == Some(&0x69) {
            return ValType::decode(r).map(BlockType::Value);
        }
        let at = r.offset();
        let idx = r.s33()?;
        if idx < 0 {
            // A one-byte negative index may be a reference type of a later proposal.
            let mut after = Reader::new(r.rest(), r.offset());
            return Err(unsupported_ref_type(b, &mut after, at)
                .unwrap_or_else(|| DecodeError::new("malformed value type", at)));
        }
        Ok(BlockType::Func(idx as u32))
    }
}
