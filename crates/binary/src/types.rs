//! The types of the WebAssembly 2.0 binary format.

use crate::error::Result;
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
            _ => return None,
        })
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    /// Reads a value type.
    pub fn decode(r: &mut Reader<'_>) -> Result<ValType> {
        let at = r.offset();
        let b = r.u8()?;
        ValType::from_byte(b).ok_or_else(|| crate::DecodeError::new("malformed value type", at))
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
}

impl RefType {
    /// Reads a reference type.
    pub fn decode(r: &mut Reader<'_>) -> Result<RefType> {
        let at = r.offset();
        match r.u8()? {
            0x70 => Ok(RefType::FuncRef),
            0x6f => Ok(RefType::ExternRef),
            _ => Err(crate::DecodeError::new("malformed reference type", at)),
        }
    }
}

impl From<RefType> for ValType {
    fn from(t: RefType) -> ValType {
        match t {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
        }
    }
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

/// Size limits of a memory (in pages) or a table (in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The minimum (initial) size, in pages or elements.
    pub min: u32,
    /// The maximum size, in pages or elements, if one is declared.
    pub max: Option<u32>,
}

impl Limits {
    /// Reads limits: a flag byte, the minimum and an optional maximum.
    pub fn decode(r: &mut Reader<'_>) -> Result<Limits> {
        // The flag is a one-bit LEB128 integer, with that encoding's errors.
        let at = r.offset();
        match r.u8()? {
            0x00 => Ok(Limits {
                min: r.u32()?,
                max: None,
            }),
            0x01 => Ok(Limits {
                min: r.u32()?,
                max: Some(r.u32()?),
            }),
            f if f & 0x80 != 0 => Err(crate::DecodeError::new(
                "integer representation too long",
                at,
            )),
            _ => Err(crate::DecodeError::new("integer too large", at)),
        }
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
            _ => return Err(crate::DecodeError::new("malformed mutability", at)),
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
        let at = r.offset();
        let idx = r.s33()?;
        if idx < 0 {
            return Err(crate::DecodeError::new("malformed value type", at));
        }
        Ok(BlockType::Func(idx as u32))
    }
}
