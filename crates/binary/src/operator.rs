//! Operators: the `Opcode` and `Operator` types generated from the opcode table, their immediates,
//! and reading one operator from a function body without allocating.

use crate::error::{DecodeError, Proposal, Result};
use crate::reader::Reader;
use crate::types::{BlockType, HeapType, ValType};

/// Decoding of one immediate operand from the instruction stream.
pub trait Immediate<'a>: Sized {
    /// Reads the immediate.
    fn decode(r: &mut Reader<'a>) -> Result<Self>;

    /// This immediate as a memory access, if it is one.
    fn as_memarg(&self) -> Option<MemArg> {
        None
    }

    /// This immediate as a lane index, if it is one.
    fn as_lane(&self) -> Option<u8> {
        None
    }
}

impl<'a> Immediate<'a> for u32 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.u32()
    }
}

impl<'a> Immediate<'a> for i32 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.i32()
    }
}

impl<'a> Immediate<'a> for i64 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.i64()
    }
}

/// A lane index: one raw byte.
impl<'a> Immediate<'a> for u8 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.u8()
    }

    fn as_lane(&self) -> Option<u8> {
        Some(*self)
    }
}

impl<'a> Immediate<'a> for BlockType {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        BlockType::decode(r)
    }
}

impl<'a> Immediate<'a> for HeapType {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        HeapType::decode(r)
    }
}

/// The bits of an `f32` constant (kept as bits so NaN payloads survive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ieee32(pub u32);

impl<'a> Immediate<'a> for Ieee32 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.f32_bits().map(Ieee32)
    }
}

/// The bits of an `f64` constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ieee64(pub u64);

impl<'a> Immediate<'a> for Ieee64 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.f64_bits().map(Ieee64)
    }
}

/// A `v128` constant, little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V128(pub [u8; 16]);

impl<'a> Immediate<'a> for V128 {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.array().map(V128)
    }
}

/// The 16 lane selectors of `i8x16.shuffle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shuffle(pub [u8; 16]);

impl<'a> Immediate<'a> for Shuffle {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.array().map(Shuffle)
    }
}

/// The immediate of a load or store: alignment exponent, memory and static offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemArg {
    /// log2 of the promised alignment.
    pub align: u32,
    /// Added to the dynamic address: a u64 in Wasm 3.0 (memory64), which the validator
    /// bounds by the memory's address type.
    pub offset: u64,
    /// The memory accessed (multi-memory; 0 unless the flags' bit 6 says an index follows).
    pub memory: u32,
}

impl<'a> Immediate<'a> for MemArg {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        let at = r.offset();
        let flags = r.u32()?;
        // Multi-memory's flag (bit 6) says a memory index follows. An exponent of 32 to 63
        // decodes (Wasm 3.0) and is invalid, as any larger than the access.
        let (align, memory) = match flags {
            0..64 => (flags, 0),
            64..128 => (flags - 64, r.u32()?),
            _ => return Err(DecodeError::new("malformed memop flags", at)),
        };
        let offset = r.u64()?;
        Ok(MemArg {
            align,
            offset,
            memory,
        })
    }

    fn as_memarg(&self) -> Option<MemArg> {
        Some(*self)
    }
}

/// A memory index (multi-memory; in Wasm 2.0 a reserved zero byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemIdx(pub u32);

impl<'a> Immediate<'a> for MemIdx {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        r.u32().map(MemIdx)
    }
}

/// The type immediate of a typed `select`. Wasm 2.0 requires exactly one type; the count is kept
/// so that the validator can reject other arities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectType {
    /// How many types the immediate listed.
    pub count: u32,
    /// The type, when exactly one was listed.
    pub ty: Option<ValType>,
}

impl<'a> Immediate<'a> for SelectType {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        let count = r.u32()?;
        let mut ty = None;
        for _ in 0..count {
            ty = Some(ValType::decode(r)?);
        }
        Ok(SelectType {
            count,
            ty: if count == 1 { ty } else { None },
        })
    }
}

/// The targets of `br_table`, kept as undecoded bytes and read on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrTable<'a> {
    targets: &'a [u8],
    offset: usize,
    count: u32,
    /// The label taken when the index is out of range.
    pub default: u32,
}

impl<'a> BrTable<'a> {
    /// Number of targets, the default excluded.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether there are no targets besides the default.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The targets in order (already checked to be well-formed when decoded).
    pub fn targets(&self) -> impl Iterator<Item = u32> + 'a {
        let mut r = Reader::new(self.targets, self.offset);
        (0..self.count).map(move |_| r.u32().unwrap_or(0))
    }
}

impl<'a> Immediate<'a> for BrTable<'a> {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        let count = r.u32()?;
        let offset = r.offset();
        let rest = r.rest();
        for _ in 0..count {
            r.u32()?;
        }
        let targets = &rest[..r.offset() - offset];
        let default = r.u32()?;
        Ok(BrTable {
            targets,
            offset,
            count,
            default,
        })
    }
}

/// How a `try_table` catch clause matches and what it passes to its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchKind {
    /// `catch x l` (0): exceptions of tag `x`, their payload.
    Tag,
    /// `catch_ref x l` (1): exceptions of tag `x`, their payload and the exception.
    TagRef,
    /// `catch_all l` (2): every exception, nothing.
    All,
    /// `catch_all_ref l` (3): every exception, the exception.
    AllRef,
}

impl CatchKind {
    /// Whether the clause names a tag.
    pub fn has_tag(self) -> bool {
        matches!(self, CatchKind::Tag | CatchKind::TagRef)
    }

    /// Whether the clause passes the exception itself (an `exnref`) after the payload.
    pub fn passes_ref(self) -> bool {
        matches!(self, CatchKind::TagRef | CatchKind::AllRef)
    }
}

/// One catch clause of a `try_table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catch {
    /// What it matches and passes.
    pub kind: CatchKind,
    /// The tag matched (`catch`, `catch_ref`); 0 for the `catch_all` kinds.
    pub tag: u32,
    /// The label branched to, relative to the `try_table`'s enclosing block.
    pub label: u32,
}

impl Catch {
    fn decode(r: &mut Reader<'_>) -> Result<Catch> {
        let at = r.offset();
        let kind = match r.u8()? {
            0 => CatchKind::Tag,
            1 => CatchKind::TagRef,
            2 => CatchKind::All,
            3 => CatchKind::AllRef,
            _ => return Err(DecodeError::new("malformed catch clause", at)),
        };
        let tag = if kind.has_tag() { r.u32()? } else { 0 };
        Ok(Catch {
            kind,
            tag,
            label: r.u32()?,
        })
    }
}

/// The immediate of `try_table`: its block type and catch clauses, the clauses kept as
/// undecoded bytes (checked when decoded) and read on demand, like `br_table`'s targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryTable<'a> {
    /// The block type: the body's parameters and results.
    pub ty: BlockType,
    catches: &'a [u8],
    offset: usize,
    count: u32,
}

impl<'a> TryTable<'a> {
    /// Number of catch clauses.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether there are no catch clauses.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The catch clauses in order (already checked to be well-formed when decoded).
    pub fn catches(&self) -> impl Iterator<Item = Catch> + 'a {
        let mut r = Reader::new(self.catches, self.offset);
        (0..self.count).map_while(move |_| Catch::decode(&mut r).ok())
    }
}

impl<'a> Immediate<'a> for TryTable<'a> {
    #[inline]
    fn decode(r: &mut Reader<'a>) -> Result<Self> {
        let ty = BlockType::decode(r)?;
        let count = r.u32()?;
        let offset = r.offset();
        let rest = r.rest();
        for _ in 0..count {
            Catch::decode(r)?;
        }
        Ok(TryTable {
            ty,
            catches: &rest[..r.offset() - offset],
            offset,
            count,
        })
    }
}

/// A fixed stack effect: the operand types popped and pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The operand types popped, deepest first.
    pub params: &'static [ValType],
    /// The result types pushed, deepest first.
    pub results: &'static [ValType],
}

macro_rules! value_type {
    (i32) => {
        ValType::I32
    };
    (i64) => {
        ValType::I64
    };
    (f32) => {
        ValType::F32
    };
    (f64) => {
        ValType::F64
    };
    (v128) => {
        ValType::V128
    };
}

macro_rules! signature {
    (special) => {
        None
    };
    (($($p:ident)* -> $($r:ident)*)) => {
        Some(Signature { params: &[$(value_type!($p)),*], results: &[$(value_type!($r)),*] })
    };
}

macro_rules! optional {
    (_) => {
        None
    };
    ($x:literal) => {
        Some($x)
    };
}

/// The doc comment of an immediate in the opcode table, chosen by operator and field name. A field
/// name without a rule here fails to compile, so a new row of the table cannot go undocumented.
macro_rules! immediate_doc {
    (SelectTyped ty) => {
        "The operand type of the typed `select`."
    };
    (RefNull ty) => {
        "The heap type of the null reference."
    };
    ($op:ident ty) => {
        "The block type: the label's parameters and results."
    };
    ($op:ident depth) => {
        "The relative depth of the target label (0 is the innermost enclosing block)."
    };
    ($op:ident targets) => {
        "The label depths of the branch table and its default."
    };
    ($op:ident func) => {
        "The index of the function."
    };
    (CallRef type_index) => {
        "The index of the function type of the reference called."
    };
    (ReturnCallRef type_index) => {
        "The index of the function type of the reference called."
    };
    ($op:ident type_index) => {
        "The index of the function type the callee must have."
    };
    ($op:ident table) => {
        "The index of the table."
    };
    ($op:ident local) => {
        "The index of the local (parameters first)."
    };
    ($op:ident global) => {
        "The index of the global (imports first)."
    };
    ($op:ident memarg) => {
        "The alignment and static offset of the memory access."
    };
    ($op:ident mem) => {
        "The memory index (multi-memory; a reserved zero byte in Wasm 2.0)."
    };
    (MemoryCopy dst) => {
        "The destination memory index (multi-memory)."
    };
    (MemoryCopy src) => {
        "The source memory index (multi-memory)."
    };
    (TableCopy dst) => {
        "The index of the destination table."
    };
    (TableCopy src) => {
        "The index of the source table."
    };
    ($op:ident data) => {
        "The index of the data segment."
    };
    ($op:ident elem) => {
        "The index of the element segment."
    };
    ($op:ident value) => {
        "The constant's value."
    };
    ($op:ident lane) => {
        "The index of the lane accessed."
    };
    ($op:ident lanes) => {
        "For each result lane, which of the 32 lanes of the two operands it takes."
    };
    ($op:ident tag) => {
        "The index of the tag (imports first)."
    };
    ($op:ident catches) => {
        "The block type and the catch clauses, in order."
    };
}

macro_rules! define_operators {
    ($(
        $prefix:literal $code:literal $variant:ident { $($field:ident : $ty:ty),* }
        $name:literal $sig:tt $align:tt $lanes:tt;
    )*) => {
        /// Every opcode, without immediates: for tables keyed by instruction.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Opcode {
            $(
                #[doc = $name]
                $variant,
            )*
        }

        /// A decoded instruction with its immediates.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Operator<'a> {
            $(
                #[doc = $name]
                $variant { $(#[doc = immediate_doc!($variant $field)] $field: $ty),* },
            )*
        }

        /// What the opcode table says about each opcode, indexed by `Opcode as usize`.
        static INFO: &[OpcodeInfo] = &[$(OpcodeInfo {
            name: $name,
            prefix: $prefix,
            code: $code,
            signature: signature!($sig),
            max_align: optional!($align),
            lanes: optional!($lanes),
        }),*];

        impl Opcode {
            /// Every opcode, in table order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant),*];
        }
        impl<'a> Operator<'a> {
            /// The opcode of this instruction.
            #[inline]
            pub fn opcode(&self) -> Opcode {
                match self {
                    $(Operator::$variant { .. } => Opcode::$variant,)*
                }
            }

            /// The memory-access immediate, for loads and stores.
            #[inline]
            pub fn memarg(&self) -> Option<MemArg> {
                match self {
                    $(Operator::$variant { $($field),* } => None $(.or($field.as_memarg()))*,)*
                }
            }

            /// The lane-index immediate, for lane instructions.
            #[inline]
            pub fn lane(&self) -> Option<u8> {
                match self {
                    $(Operator::$variant { $($field),* } => None $(.or($field.as_lane()))*,)*
                }
            }

            /// Reads one instruction.
            #[inline]
            pub fn decode(r: &mut Reader<'a>) -> Result<Operator<'a>> {
                Self::decode_boxed(r).map_err(|e| *e)
            }

            /// Reads one instruction; the error is boxed, so the result is no larger than the
            /// operator (the hot loops that read operators move it without copying).
            #[inline(always)]
            pub fn decode_boxed(r: &mut Reader<'a>) -> std::result::Result<Operator<'a>, Box<DecodeError>> {
                let at = r.offset();
                let byte = r.u8()?;
                let (prefix, code) = match byte {
                    0xfc | 0xfd => (byte, r.u32()?),
                    _ => (0, u32::from(byte)),
                };
                // A table lookup, then a match on the dense opcode: one indirect jump, where
                // a match on the encoding compiles to a tree of comparisons.
                let table: &[u16] = match prefix {
                    0 => &PLAIN,
                    0xfc => &MISC,
                    _ => &SIMD,
                };
                let index = table.get(code as usize).copied().unwrap_or(NO_ROW);
                let Some(&opcode) = Opcode::ALL.get(usize::from(index)) else {
                    return Err(Box::new(illegal_opcode(prefix, code, at)));
                };
                Ok(match opcode {
                    $(Opcode::$variant => Operator::$variant {
                        $($field: <$ty as Immediate<'a>>::decode(r)?),*
                    },)*
                })
            }
        }

        /// Each row's encoding (prefix, code), in table order.
        const ENCODINGS: &[(u8, u32)] = &[$(($prefix, $code)),*];
    };
}

crate::for_each_operator!(define_operators);

/// The entry of the lookup tables below for an encoding no row has.
const NO_ROW: u16 = u16::MAX;

/// Row indices of the opcode table by code, for the rows with `prefix`. A code of `N` or more
/// stops the build (the table must grow), so no row can be missed.
const fn rows_by_code<const N: usize>(prefix: u8) -> [u16; N] {
    let mut table = [NO_ROW; N];
    let mut i = 0;
    while i < ENCODINGS.len() {
        let (p, code) = ENCODINGS[i];
        if p == prefix {
            table[code as usize] = i as u16;
        }
        i += 1;
    }
    table
}

/// The one-byte opcodes.
static PLAIN: [u16; 256] = rows_by_code(0);
/// The opcodes after the 0xFC prefix.
static MISC: [u16; 32] = rows_by_code(0xfc);
/// The opcodes after the 0xFD prefix (SIMD).
static SIMD: [u16; 512] = rows_by_code(0xfd);

/// The one-byte opcodes and prefixes of later proposals, with their names: decoded, they
/// are reported as unsupported rather than as illegal.
const PROPOSAL_OPCODES: [(u8, &str, Proposal); 8] = [
    (0x06, "try", Proposal::LegacyExceptionHandling),
    (0x07, "catch", Proposal::LegacyExceptionHandling),
    (0x09, "rethrow", Proposal::LegacyExceptionHandling),
    (0x18, "delegate", Proposal::LegacyExceptionHandling),
    (0x19, "catch_all", Proposal::LegacyExceptionHandling),
    (0xd3, "ref.eq", Proposal::Gc),
    (0xfb, "an instruction with the 0xFB prefix", Proposal::Gc),
    (
        0xfe,
        "an atomic instruction, prefix 0xFE",
        Proposal::Threads,
    ),
];

/// The error for an opcode (`prefix` 0 for none) that is not in the table, read at `at`.
fn illegal_opcode(prefix: u8, code: u32, at: usize) -> DecodeError {
    let known = PROPOSAL_OPCODES
        .iter()
        .find(|(byte, ..)| prefix == 0 && u32::from(*byte) == code);
    match known {
        // Wasm 3.0 left the legacy exception instructions out: its decoders call them illegal.
        Some(&(_, name, proposal @ Proposal::LegacyExceptionHandling)) => {
            DecodeError::unsupported(proposal, name, Some("illegal opcode"), at)
        }
        Some(&(_, name, proposal)) => DecodeError::unsupported(proposal, name, None, at),
        // The reference interpreter's words: the opcode's bytes in hex, as wasm-v3 expects.
        None if prefix == 0 => DecodeError::new(format!("illegal opcode {code:02x}"), at),
        None => DecodeError::new(format!("illegal opcode {prefix:02x} {code:02x}"), at),
    }
}

/// One row of the opcode table, without the immediates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpcodeInfo {
    /// The spec's text name, such as `i32.add`.
    pub name: &'static str,
    /// Prefix byte (0 for none).
    pub prefix: u8,
    /// The opcode byte, or the sub-opcode after the prefix.
    pub code: u32,
    /// The fixed stack effect, or `None` for instructions typed case by case.
    pub signature: Option<Signature>,
    /// log2 of the natural alignment, for memory accesses.
    pub max_align: Option<u32>,
    /// The exclusive bound of the lane immediate(s), for lane instructions.
    pub lanes: Option<u8>,
}

impl Opcode {
    /// This opcode's row of the table.
    #[inline]
    pub fn info(self) -> &'static OpcodeInfo {
        &INFO[self as usize]
    }

    /// The spec's text name, such as `i32.add`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The encoding: prefix byte (0 for none) and opcode or sub-opcode.
    pub fn encoding(self) -> (u8, u32) {
        (self.info().prefix, self.info().code)
    }

    /// The fixed stack effect, or `None` for instructions typed case by case.
    #[inline]
    pub fn signature(self) -> Option<Signature> {
        self.info().signature
    }

    /// log2 of the natural alignment, for memory accesses.
    pub fn max_align(self) -> Option<u32> {
        self.info().max_align
    }

    /// The exclusive bound of the lane immediate(s), for lane instructions.
    pub fn lanes(self) -> Option<u8> {
        self.info().lanes
    }
}

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
