//! The types of the WebAssembly binary format: Wasm 2.0's, with the reference types of typed
//! function references (`(ref null? HT)`), exception handling and the GC proposal (its heap
//! types and its struct and array types; not its instructions).

use crate::error::{DecodeError, Proposal, Result};
use crate::reader::Reader;
use std::fmt;

/// A heap type: what a reference points to. There are four hierarchies: functions, host
/// objects, exceptions and the GC proposal's `any` (structs, arrays, `i31`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`0x70`).
    Func,
    /// Any host object (`0x6F`).
    Extern,
    /// Any exception (`0x69`, exception handling).
    Exn,
    /// Anything of the GC proposal's hierarchy (`0x6E`).
    Any,
    /// What `ref.eq` compares: structs, arrays and `i31`s (`0x6D`).
    Eq,
    /// An unboxed 31-bit integer (`0x6C`).
    I31,
    /// Any struct (`0x6B`).
    Struct,
    /// Any array (`0x6A`).
    Array,
    /// No function: the bottom of the function references, only null is of it (`0x73`).
    NoFunc,
    /// No host object: the bottom of the external references (`0x72`).
    NoExtern,
    /// No exception: the bottom of the exception references (`0x74`).
    NoExn,
    /// Nothing of the `any` hierarchy: its bottom (`0x71`).
    None,
    /// The type with this index in the module's type section: a function, struct or array type.
    Concrete(u32),
}

/// The abstract heap types and their bytes (the shorthand reference type `(ref null HT)`,
/// `funcref` say, has the same byte).
const ABSTRACT_HEAP_TYPES: [(u8, HeapType); 12] = [
    (0x70, HeapType::Func),
    (0x6f, HeapType::Extern),
    (0x69, HeapType::Exn),
    (0x6e, HeapType::Any),
    (0x6d, HeapType::Eq),
    (0x6c, HeapType::I31),
    (0x6b, HeapType::Struct),
    (0x6a, HeapType::Array),
    (0x73, HeapType::NoFunc),
    (0x72, HeapType::NoExtern),
    (0x74, HeapType::NoExn),
    (0x71, HeapType::None),
];

impl HeapType {
    /// The abstract heap type that `byte` encodes, if any.
    fn from_byte(byte: u8) -> Option<HeapType> {
        ABSTRACT_HEAP_TYPES
            .iter()
            .find(|(b, _)| *b == byte)
            .map(|&(_, t)| t)
    }

    /// Reads a heap type: an abstract type's byte or a type index (a non-negative s33).
    pub fn decode(r: &mut Reader<'_>) -> Result<HeapType> {
        let at = r.offset();
        let b = r.peek_u8()?;
        if let Some(t) = HeapType::from_byte(b) {
            r.u8()?;
            return Ok(t);
        }
        match r.s33()? {
            index if (0..=i64::from(u32::MAX)).contains(&index) => {
                Ok(HeapType::Concrete(index as u32))
            }
            _ => Err(DecodeError::new("malformed heap type", at)),
        }
    }

    /// The bottom type of this type's hierarchy (`nofunc` for functions). A concrete type is of
    /// the hierarchy of its kind, which only the type section says: `kind` gives, for a type
    /// index, the abstract type just above it (`func`, `struct` or `array`).
    pub fn bottom(self, kind: impl Fn(u32) -> HeapType) -> HeapType {
        match self {
            HeapType::Concrete(i) => kind(i).abstract_bottom(),
            t => t.abstract_bottom(),
        }
    }

    /// The bottom of an abstract type's hierarchy (a concrete type is taken for a struct, whose
    /// hierarchy `kind` may name, should it give one).
    fn abstract_bottom(self) -> HeapType {
        match self {
            HeapType::Func | HeapType::NoFunc => HeapType::NoFunc,
            HeapType::Extern | HeapType::NoExtern => HeapType::NoExtern,
            HeapType::Exn | HeapType::NoExn => HeapType::NoExn,
            HeapType::Any
            | HeapType::Eq
            | HeapType::I31
            | HeapType::Struct
            | HeapType::Array
            | HeapType::None
            | HeapType::Concrete(_) => HeapType::None,
        }
    }

    /// The top type of this type's hierarchy (`func` for functions; see [`HeapType::bottom`]
    /// for `kind`).
    pub fn top(self, kind: impl Fn(u32) -> HeapType) -> HeapType {
        match self.bottom(kind) {
            HeapType::NoFunc => HeapType::Func,
            HeapType::NoExtern => HeapType::Extern,
            HeapType::NoExn => HeapType::Exn,
            _ => HeapType::Any,
        }
    }

    /// Whether this is the bottom of its hierarchy: `nofunc`, `noextern`, `noexn` or `none`.
    pub fn is_bottom(self) -> bool {
        matches!(
            self,
            HeapType::NoFunc | HeapType::NoExtern | HeapType::NoExn | HeapType::None
        )
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::Exn => f.write_str("exn"),
            HeapType::NoFunc => f.write_str("nofunc"),
            HeapType::NoExtern => f.write_str("noextern"),
            HeapType::NoExn => f.write_str("noexn"),
            HeapType::Any => f.write_str("any"),
            HeapType::Eq => f.write_str("eq"),
            HeapType::I31 => f.write_str("i31"),
            HeapType::Struct => f.write_str("struct"),
            HeapType::Array => f.write_str("array"),
            HeapType::None => f.write_str("none"),
            HeapType::Concrete(i) => write!(f, "{i}"),
        }
    }
}

/// A reference type: `(ref null? HT)`, the element type of tables and a value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// What the reference points to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`, `(ref null func)`.
    pub const FUNCREF: RefType = RefType::null(HeapType::Func);
    /// `externref`, `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType::null(HeapType::Extern);
    /// `exnref`, `(ref null exn)`.
    pub const EXNREF: RefType = RefType::null(HeapType::Exn);
    /// `anyref`, `(ref null any)`.
    pub const ANYREF: RefType = RefType::null(HeapType::Any);

    /// The nullable reference type of `heap`.
    pub const fn null(heap: HeapType) -> RefType {
        RefType {
            nullable: true,
            heap,
        }
    }

    /// Reads a reference type.
    pub fn decode(r: &mut Reader<'_>) -> Result<RefType> {
        let at = r.offset();
        match ValType::decode(r) {
            Ok(ValType::Ref(t)) => Ok(t),
            Ok(_) => Err(DecodeError::new("malformed reference type", at)),
            Err(e) if e.message == "malformed value type" => {
                Err(DecodeError::new("malformed reference type", at))
            }
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shorthand = match (self.nullable, self.heap) {
            (true, HeapType::Func) => "funcref",
            (true, HeapType::Extern) => "externref",
            (true, HeapType::Exn) => "exnref",
            (true, HeapType::NoFunc) => "nullfuncref",
            (true, HeapType::NoExtern) => "nullexternref",
            (true, HeapType::NoExn) => "nullexnref",
            (true, HeapType::Any) => "anyref",
            (true, HeapType::Eq) => "eqref",
            (true, HeapType::I31) => "i31ref",
            (true, HeapType::Struct) => "structref",
            (true, HeapType::Array) => "arrayref",
            (true, HeapType::None) => "nullref",
            (true, h) => return write!(f, "(ref null {h})"),
            (false, h) => return write!(f, "(ref {h})"),
        };
        f.write_str(shorthand)
    }
}

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
    /// A reference (`(ref null? HT)`, or a shorthand such as `funcref`).
    Ref(RefType),
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref`.
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);
    /// `anyref`.
    pub const ANYREF: ValType = ValType::Ref(RefType::ANYREF);

    /// The value type that the one byte `byte` encodes, if any: a number type, a vector type
    /// or a shorthand reference type (`funcref`, `nullfuncref`, ...).
    #[inline]
    pub fn from_byte(byte: u8) -> Option<ValType> {
        Some(match byte {
            0x7f => ValType::I32,
            0x7e => ValType::I64,
            0x7d => ValType::F32,
            0x7c => ValType::F64,
            0x7b => ValType::V128,
            _ => return HeapType::from_byte(byte).map(|h| ValType::Ref(RefType::null(h))),
        })
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether a local of this type has a default value (zero, or null): all but the
    /// non-nullable references.
    pub fn is_defaultable(self) -> bool {
        !matches!(
            self,
            ValType::Ref(RefType {
                nullable: false,
                ..
            })
        )
    }

    /// Reads a value type.
    pub fn decode(r: &mut Reader<'_>) -> Result<ValType> {
        let at = r.offset();
        let b = r.u8()?;
        if let Some(t) = ValType::from_byte(b) {
            return Ok(t);
        }
        let nullable = match b {
            0x63 => true,
            0x64 => false,
            _ => return Err(DecodeError::new("malformed value type", at)),
        };
        let heap = HeapType::decode(r)?;
        Ok(ValType::Ref(RefType { nullable, heap }))
    }
}

impl From<RefType> for ValType {
    fn from(t: RefType) -> ValType {
        ValType::Ref(t)
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
            ValType::Ref(r) => return r.fmt(f),
        })
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

/// What a field of a struct or the elements of an array hold: a value type, or one of the
/// packed integer types that only storage has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageType {
    /// An 8-bit integer (`0x78`), read as an `i32`.
    I8,
    /// A 16-bit integer (`0x77`), read as an `i32`.
    I16,
    /// A value type.
    Val(ValType),
}

impl StorageType {
    /// Reads a storage type: a packed type's byte or a value type.
    pub fn decode(r: &mut Reader<'_>) -> Result<StorageType> {
        match r.peek_u8()? {
            0x78 => r.u8().map(|_| StorageType::I8),
            0x77 => r.u8().map(|_| StorageType::I16),
            _ => ValType::decode(r).map(StorageType::Val),
        }
    }
}

impl fmt::Display for StorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageType::I8 => f.write_str("i8"),
            StorageType::I16 => f.write_str("i16"),
            StorageType::Val(t) => t.fmt(f),
        }
    }
}

/// A field of a struct type, or the element of an array type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// What the field holds.
    pub storage: StorageType,
    /// Whether `struct.set` / `array.set` may change it (`mut` in the text format).
    pub mutable: bool,
}

impl FieldType {
    /// Reads a field type: its storage type and a mutability byte.
    pub fn decode(r: &mut Reader<'_>) -> Result<FieldType> {
        let storage = StorageType::decode(r)?;
        let mutable = read_mutability(r)?;
        Ok(FieldType { storage, mutable })
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable {
            write!(f, "(mut {})", self.storage)
        } else {
            self.storage.fmt(f)
        }
    }
}

/// A type of the type section: a function type, or one of the GC proposal's struct and array
/// types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompositeType {
    /// A function type (`0x60`).
    Func(FuncType),
    /// A struct type: its fields, first field first (`0x5F`).
    Struct(Box<[FieldType]>),
    /// An array type: the type of its elements (`0x5E`).
    Array(FieldType),
}

impl CompositeType {
    /// The function type, if this is one.
    pub fn as_func(&self) -> Option<&FuncType> {
        match self {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The abstract heap type just above this type: `func`, `struct` or `array`.
    pub fn kind(&self) -> HeapType {
        match self {
            CompositeType::Func(_) => HeapType::Func,
            CompositeType::Struct(_) => HeapType::Struct,
            CompositeType::Array(_) => HeapType::Array,
        }
    }

    /// The value types this type mentions: a function's parameters and results, the fields'
    /// (packed types mention none).
    pub fn val_types(&self) -> Vec<ValType> {
        let field = |f: &FieldType| match f.storage {
            StorageType::Val(t) => Some(t),
            _ => None,
        };
        match self {
            CompositeType::Func(f) => f.params.iter().chain(f.results.iter()).copied().collect(),
            CompositeType::Struct(fields) => fields.iter().filter_map(field).collect(),
            CompositeType::Array(element) => field(element).into_iter().collect(),
        }
    }
}

impl From<FuncType> for CompositeType {
    fn from(f: FuncType) -> CompositeType {
        CompositeType::Func(f)
    }
}

impl fmt::Display for CompositeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompositeType::Func(t) => t.fmt(f),
            CompositeType::Struct(fields) => {
                f.write_str("(struct")?;
                for field in fields.iter() {
                    write!(f, " {field}")?;
                }
                f.write_str(")")
            }
            CompositeType::Array(element) => write!(f, "(array {element})"),
        }
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

/// Reads the mutability byte of a global or a field: 0 immutable, 1 mutable.
fn read_mutability(r: &mut Reader<'_>) -> Result<bool> {
    let at = r.offset();
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::new("malformed mutability", at)),
    }
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
        let mutable = read_mutability(r)?;
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
        if b == 0x63 || b == 0x64 {
            return ValType::decode(r).map(BlockType::Value);
        }
        let at = r.offset();
        let idx = r.s33()?;
        if idx < 0 {
            return Err(DecodeError::new("malformed value type", at));
        }
        Ok(BlockType::Func(idx as u32))
    }
}
