//! The module structure and the section decoder.

use crate::error::{DecodeError, Result};
use crate::operator::Operator;
use crate::reader::Reader;
use crate::types::{
    CompositeType, FieldType, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType,
    TableType, ValType,
};

/// The kind of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    /// A function (kind byte `0x00`).
    Func,
    /// A table (kind byte `0x01`).
    Table,
    /// A memory (kind byte `0x02`).
    Memory,
    /// A global (kind byte `0x03`).
    Global,
    /// A tag (kind byte `0x04`, exception handling).
    Tag,
}

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDesc {
    /// A function of the type with this index.
    Func(u32),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
    /// A tag of the function type with this index (its parameters are the payload).
    Tag(u32),
}

/// An import.
#[derive(Debug, Clone)]
pub struct Import<'a> {
    /// The name of the module imported from (the first of the import's two names).
    pub module: &'a str,
    /// The name of the item within that module.
    pub name: &'a str,
    /// The kind and type of the imported item.
    pub desc: ImportDesc,
    /// Offset of the import entry.
    pub offset: usize,
}

/// An export.
#[derive(Debug, Clone)]
pub struct Export<'a> {
    /// The name the item is exported under.
    pub name: &'a str,
    /// The kind of the exported item.
    pub kind: ExternKind,
    /// The item's index in the index space of its kind (imports first).
    pub index: u32,
    /// Offset of the export entry.
    pub offset: usize,
}

/// A constant expression, kept as bytes up to and including its final `end`.
#[derive(Debug, Clone, Copy)]
pub struct ConstExpr<'a> {
    /// The encoded operators, the final `end` included.
    pub bytes: &'a [u8],
    /// Offset of the expression's first byte.
    pub offset: usize,
}

impl<'a> ConstExpr<'a> {
    /// Reads a constant expression: operators up to the `end` that closes it.
    fn decode(r: &mut Reader<'a>) -> Result<ConstExpr<'a>> {
        let offset = r.offset();
        let rest = r.rest();
        let mut depth = 0u32;
        loop {
            let at = r.offset();
            let op = Operator::decode(r).map_err(|e| match e.unsupported {
                // No proposal's control or call instruction is constant: for Wasm 2.0 (and
                // its tests) the opcode stays illegal here, with the proposal named after.
                Some(_) if e.offset == at && !e.message.starts_with("illegal opcode") => {
                    DecodeError {
                        message: format!("illegal opcode: {}", e.message),
                        ..e
                    }
                }
                _ => e,
            })?;
            match op {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::TryTable { .. } => depth += 1,
                Operator::End {} if depth == 0 => break,
                Operator::End {} => depth -= 1,
                _ => {}
            }
        }
        Ok(ConstExpr {
            bytes: &rest[..r.offset() - offset],
            offset,
        })
    }

    /// The expression's operators, its final `end` included.
    pub fn operators(&self) -> OperatorReader<'a> {
        OperatorReader {
            reader: Reader::new(self.bytes, self.offset),
        }
    }
}

/// A global definition.
#[derive(Debug, Clone)]
pub struct Global<'a> {
    /// The global's type and mutability.
    pub ty: GlobalType,
    /// The constant expression that gives the initial value.
    pub init: ConstExpr<'a>,
}

/// How a segment is used at instantiation.
#[derive(Debug, Clone)]
pub enum SegmentMode<'a> {
    /// Available to `memory.init` / `table.init`.
    Passive,
    /// Copied into the table or memory with this index at this offset.
    Active {
        /// The index of the table or memory.
        index: u32,
        /// The constant expression that gives the start offset, in elements or bytes.
        offset: ConstExpr<'a>,
    },
    /// Element segments only: declares functions for `ref.func`.
    Declarative,
}

/// The items of an element segment.
#[derive(Debug, Clone)]
pub enum ElementItems<'a> {
    /// Function indices.
    Functions(Vec<u32>),
    /// Constant expressions, one per element.
    Expressions(Vec<ConstExpr<'a>>),
}

/// An element segment.
#[derive(Debug, Clone)]
pub struct Element<'a> {
    /// Passive, active or declarative.
    pub mode: SegmentMode<'a>,
    /// The reference type of the segment's elements.
    pub ty: RefType,
    /// The elements.
    pub items: ElementItems<'a>,
    /// Offset of the segment entry.
    pub offset: usize,
}

/// A data segment.
#[derive(Debug, Clone)]
pub struct Data<'a> {
    /// Passive or active (never declarative).
    pub mode: SegmentMode<'a>,
    /// The bytes the segment holds.
    pub bytes: &'a [u8],
    /// Offset of the segment entry.
    pub offset: usize,
}

/// A function body: local declarations and code, undecoded.
#[derive(Debug, Clone, Copy)]
pub struct FunctionBody<'a> {
    /// The body's bytes, as sized by the code section.
    pub bytes: &'a [u8],
    /// Offset of the body's first byte.
    pub offset: usize,
    /// The module's bytes from the body's start on. The operators are read from here, so that a
    /// body whose code runs past its declared size is reported as the spec's reference decoder
    /// reports it (a size mismatch, or the error of the bytes it ran into).
    tail: &'a [u8],
}

/// The most locals a function may declare (the binary format counts them in a u32).
const MAX_LOCALS: u64 = u32::MAX as u64;

impl<'a> FunctionBody<'a> {
    /// A body whose bytes were already checked (its module decoded and validated), kept apart
    /// from its module: `offset` is where it started in the module, so errors, traces and
    /// metering positions keep the module's offsets.
    pub fn checked(bytes: &'a [u8], offset: usize) -> FunctionBody<'a> {
        FunctionBody {
            bytes,
            offset,
            tail: bytes,
        }
    }

    /// Reads the local declarations, calling `declare(count, type)` for each group, and returns a
    /// reader over the body's operators.
    pub fn read_locals(
        &self,
        mut declare: impl FnMut(u32, ValType) -> Result<()>,
    ) -> Result<OperatorReader<'a>> {
        let mut r = Reader::new(self.tail, self.offset);
        let groups = r.u32()?;
        let mut total: u64 = 0;
        for _ in 0..groups {
            let at = r.offset();
            let count = r.u32()?;
            total += u64::from(count);
            if total > MAX_LOCALS {
                return Err(DecodeError::new("too many locals", at));
            }
            let ty = ValType::decode(&mut r)?;
            declare(count, ty)?;
        }
        Ok(OperatorReader { reader: r })
    }

    /// Offset just past the body's declared end.
    pub fn end(&self) -> usize {
        self.offset + self.bytes.len()
    }

    /// Reads the body's operators without validating them, for the first malformed one: the
    /// binary-format errors that a validator reading the body would report.
    pub fn check_encoding(&self) -> Result<()> {
        let mut ops = self.read_locals(|_, _| Ok(()))?;
        // One entry per open block: whether it is an `if` (which alone may hold an `else`).
        let mut blocks: Vec<bool> = Vec::new();
        loop {
            let at = ops.offset();
            match ops.read()? {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::TryTable { .. } => {
                    blocks.push(false)
                }
                Operator::If { .. } => blocks.push(true),
                Operator::Else {} if blocks.last() != Some(&true) => {
                    return Err(DecodeError::new("END opcode expected", at));
                }
                Operator::End {} if blocks.pop().is_none() => {
                    if ops.offset() != self.end() {
                        return Err(DecodeError::new("section size mismatch", ops.offset()));
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
    }
}

/// Reads operators one at a time.
#[derive(Debug, Clone)]
pub struct OperatorReader<'a> {
    reader: Reader<'a>,
}

impl<'a> OperatorReader<'a> {
    /// The next operator.
    #[inline]
    pub fn read(&mut self) -> Result<Operator<'a>> {
        Operator::decode(&mut self.reader)
    }

    /// Reads the next operator if it is a `local.get`, and returns its index; leaves any
    /// other operator unread. `local.get` is the most common instruction in compiled code, so
    /// hot loops take it before the general decoder, without building an `Operator`.
    #[inline(always)]
    pub fn read_local_get(&mut self) -> std::result::Result<Option<u32>, Box<DecodeError>> {
        if self.reader.peek_u8().ok() != Some(0x20) {
            return Ok(None);
        }
        self.reader.u8()?;
        Ok(Some(self.reader.u32()?))
    }

    /// The next operator, with the error boxed (see `Operator::decode_boxed`).
    #[inline(always)]
    pub fn read_boxed(&mut self) -> std::result::Result<Operator<'a>, Box<DecodeError>> {
        Operator::decode_boxed(&mut self.reader)
    }

    /// Offset of the next operator.
    #[inline]
    pub fn offset(&self) -> usize {
        self.reader.offset()
    }

    /// Whether all operators were read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.reader.is_empty()
    }
}

/// A custom section.
#[derive(Debug, Clone)]
pub struct CustomSection<'a> {
    /// The section's name.
    pub name: &'a str,
    /// The section's contents after the name.
    pub data: &'a [u8],
    /// Offset of the contents' first byte.
    pub offset: usize,
}

/// Names from the `name` custom section; malformed name sections are ignored, as the spec allows.
#[derive(Debug, Clone, Default)]
pub struct Names<'a> {
    /// The module's name (subsection 0), if given.
    pub module: Option<&'a str>,
    /// (function index, name), in the order given.
    pub functions: Vec<(u32, &'a str)>,
}

impl<'a> Names<'a> {
    fn parse(data: &'a [u8], offset: usize) -> Result<Names<'a>> {
        let mut names = Names::default();
        let mut r = Reader::new(data, offset);
        while !r.is_empty() {
            let id = r.u8()?;
            let size = r.u32()? as usize;
            let mut sub = r.sub(size)?;
            match id {
                0 => names.module = Some(sub.name()?),
                1 => {
                    for _ in 0..sub.u32()? {
                        let index = sub.u32()?;
                        names.functions.push((index, sub.name()?));
                    }
                }
                _ => {}
            }
        }
        Ok(names)
    }

    /// The name of function `index`, if the section gives one.
    pub fn function(&self, index: u32) -> Option<&'a str> {
        self.functions
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, n)| *n)
    }
}

/// Byte offsets of the sections that validation errors point into.
#[derive(Debug, Clone, Copy, Default)]
pub struct SectionOffsets {
    /// Offset of the start section's function index; 0 without a start section.
    pub start: usize,
    /// Offset of the code section's id byte; 0 without a code section.
    pub code: usize,
    /// Offset of the data section's id byte; 0 without a data section.
    pub data: usize,
}

/// A decoded module. It borrows the input: nothing of the code is copied.
#[derive(Debug, Clone, Default)]
pub struct Module<'a> {
    /// The type section: function, struct and array types, by type index.
    pub types: Vec<CompositeType>,
    /// How each type of `types` was declared: its recursion group and supertype.
    pub type_decls: Vec<TypeDecl>,
    /// The import section, in order.
    pub imports: Vec<Import<'a>>,
    /// The type index of each function defined in the module.
    pub functions: Vec<u32>,
    /// The tables defined in the module (imported ones are in `imports`).
    pub tables: Vec<TableType>,
    /// The initial value of each table of `tables`, when it has one (typed function
    /// references: a table of a non-nullable type needs one); null without.
    pub table_inits: Vec<Option<ConstExpr<'a>>>,
    /// The memories defined in the module (imported ones are in `imports`).
    pub memories: Vec<MemoryType>,
    /// The tags defined in the module, as type indices (imported ones are in `imports`).
    pub tags: Vec<u32>,
    /// The globals defined in the module (imported ones are in `imports`).
    pub globals: Vec<Global<'a>>,
    /// The export section, in order.
    pub exports: Vec<Export<'a>>,
    /// The start function's index, if there is a start section.
    pub start: Option<u32>,
    /// The element segments, by element index.
    pub elements: Vec<Element<'a>>,
    /// The data-count section, if present.
    pub data_count: Option<u32>,
    /// The function bodies, one per entry of `functions`.
    pub code: Vec<FunctionBody<'a>>,
    /// The data segments, by data index.
    pub data: Vec<Data<'a>>,
    /// Every custom section, the `name` section included, in order.
    pub customs: Vec<CustomSection<'a>>,
    /// The `name` section, when present and well-formed.
    pub names: Option<Names<'a>>,
    /// Where some sections start, for error offsets.
    pub offsets: SectionOffsets,
}

/// The id of the exception-handling proposal's tag section.
const TAG_SECTION: u8 = 13;

/// Section ids in the order the binary format requires them (custom sections excepted).
const SECTION_ORDER: [u8; 13] = [1, 2, 3, 4, 5, TAG_SECTION, 6, 7, 8, 9, 12, 10, 11];

fn section_rank(id: u8) -> usize {
    SECTION_ORDER.iter().position(|&s| s == id).unwrap_or(0) + 1
}

fn vec<'a, T>(
    r: &mut Reader<'a>,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = r.u32()?;
    // Every element takes at least one byte: a count beyond the input cannot reserve memory.
    let mut out = Vec::with_capacity((n as usize).min(r.remaining()));
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

impl<'a> Module<'a> {
    /// Decodes a module from its binary form.
    pub fn decode(bytes: &'a [u8]) -> Result<Module<'a>> {
        let mut m = Module::default();
        match m.decode_sections(bytes) {
            Ok(()) => Ok(m),
            // The spec decodes function bodies in stream order: a malformed body reports its
            // error before anything wrong further on.
            Err(e) => Err(m
                .code
                .iter()
                .filter(|body| body.offset < e.offset)
                .find_map(|body| body.check_encoding().err())
                .unwrap_or(e)),
        }
    }

    fn decode_sections(&mut self, bytes: &'a [u8]) -> Result<()> {
        if bytes.len() < 4 {
            return Err(DecodeError::new("unexpected end", bytes.len()));
        }
        if &bytes[..4] != b"\0asm" {
            return Err(DecodeError::new("magic header not detected", 0));
        }
        if bytes.len() < 8 {
            return Err(DecodeError::new("unexpected end", bytes.len()));
        }
        if bytes[4..8] != [1, 0, 0, 0] {
            return Err(DecodeError::new("unknown binary version", 4));
        }
        let m = self;
        let mut r = Reader::new(&bytes[8..], 8);
        let mut last_rank = 0;
        let mut function_count = 0;
        while !r.is_empty() {
            let section_at = r.offset();
            let id = r.u8()?;
            if id > TAG_SECTION {
                return Err(DecodeError::new("malformed section id", section_at));
            }
            let size_at = r.offset();
            let size = r.u32()? as usize;
            if size > r.remaining() {
                return Err(DecodeError::new("length out of bounds", size_at));
            }
            let end = r.offset() + size;
            if id != 0 {
                let rank = section_rank(id);
                if rank <= last_rank {
                    return Err(DecodeError::new(
                        "unexpected content after last section",
                        section_at,
                    ));
                }
                last_rank = rank;
            }
            // Sections are read from the rest of the module, not clipped to their size, and the
            // size is checked afterwards: this gives the spec's errors for content that overruns.
            let mut s = r.clone();
            match id {
                0 => {
                    let mut c = r.clone().sub(size)?;
                    let name = c.name()?;
                    let offset = c.offset();
                    let data = c.bytes(c.remaining())?;
                    if name == "name" {
                        m.names = Names::parse(data, offset).ok();
                    }
                    m.customs.push(CustomSection { name, data, offset });
                    s = c;
                }
                1 => (m.types, m.type_decls) = decode_types(&mut s)?,
                2 => m.imports = vec(&mut s, decode_import)?,
                3 => {
                    m.functions = vec(&mut s, |s| s.u32())?;
                    function_count = m.functions.len();
                }
                4 => (m.tables, m.table_inits) = vec(&mut s, decode_table)?.into_iter().unzip(),
                5 => m.memories = vec(&mut s, decode_memory_type)?,
                TAG_SECTION => m.tags = vec(&mut s, decode_tag)?,
                6 => {
                    m.globals = vec(&mut s, |s| {
                        let ty = GlobalType::decode(s)?;
                        Ok(Global {
                            ty,
                            init: ConstExpr::decode(s)?,
                        })
                    })?
                }
                7 => m.exports = vec(&mut s, decode_export)?,
                8 => {
                    m.offsets.start = s.offset();
                    m.start = Some(s.u32()?);
                }
                9 => m.elements = vec(&mut s, decode_element)?,
                12 => m.data_count = Some(s.u32()?),
                10 => {
                    m.offsets.code = section_at;
                    m.code = vec(&mut s, |s| {
                        let size = s.u32()? as usize;
                        let offset = s.offset();
                        let tail = s.rest();
                        Ok(FunctionBody {
                            bytes: s.bytes(size)?,
                            offset,
                            tail,
                        })
                    })?;
                }
                11 => {
                    m.offsets.data = section_at;
                    m.data = vec(&mut s, decode_data)?;
                }
                _ => unreachable!("section ids above 13 were rejected"),
            }
            if s.offset() != end {
                return Err(DecodeError::new(
                    "section size mismatch",
                    s.offset().min(end),
                ));
            }
            r.bytes(size)?;
        }
        if function_count != m.code.len() {
            return Err(DecodeError::new(
                "function and code section have inconsistent lengths",
                m.offsets.code,
            ));
        }
        if m.data_count.is_some_and(|n| n as usize != m.data.len()) {
            return Err(DecodeError::new(
                "data count and data section have inconsistent lengths",
                m.offsets.data,
            ));
        }
        Ok(())
    }

    /// Number of functions, imported ones first.
    pub fn function_count(&self) -> usize {
        self.imported(ExternKind::Func) + self.functions.len()
    }

    /// Number of imports of this kind.
    pub fn imported(&self, kind: ExternKind) -> usize {
        self.imports
            .iter()
            .filter(|i| i.desc.kind() == kind)
            .count()
    }
}

impl ImportDesc {
    /// The kind of thing imported.
    pub fn kind(&self) -> ExternKind {
        match self {
            ImportDesc::Func(_) => ExternKind::Func,
            ImportDesc::Table(_) => ExternKind::Table,
            ImportDesc::Memory(_) => ExternKind::Memory,
            ImportDesc::Global(_) => ExternKind::Global,
            ImportDesc::Tag(_) => ExternKind::Tag,
        }
    }
}

/// How a type of the type section was declared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TypeDecl {
    /// The index of the first type of its recursion group (`rec`; a type declared alone is a
    /// group of one).
    pub group: u32,
    /// How many types its recursion group has.
    pub group_len: u32,
    /// Whether no type may declare it as its supertype (`sub final`, and a plain type).
    pub is_final: bool,
    /// The declared supertypes (`sub $t`); valid modules declare at most one.
    pub supertypes: Box<[u32]>,
}

/// Reads the type section: recursion groups of subtypes, flattened into the types and how
/// each was declared.
fn decode_types(r: &mut Reader<'_>) -> Result<(Vec<CompositeType>, Vec<TypeDecl>)> {
    let mut types = Vec::new();
    let mut decls = Vec::new();
    let groups = r.u32()?;
    for _ in 0..groups {
        let group = types.len() as u32;
        let len = if r.peek_u8()? == 0x4e {
            r.u8()?;
            r.u32()?
        } else {
            1
        };
        for _ in 0..len {
            let (decl, ty) = decode_sub_type(r)?;
            types.push(ty);
            decls.push(TypeDecl {
                group,
                group_len: len,
                ..decl
            });
        }
        if types.len() > u32::MAX as usize {
            return Err(DecodeError::new("too many types", r.offset()));
        }
    }
    Ok((types, decls))
}

/// Reads a subtype: `sub final? supertypes` and a composite type, or a composite type alone
/// (final, without supertypes).
fn decode_sub_type(r: &mut Reader<'_>) -> Result<(TypeDecl, CompositeType)> {
    let (is_final, supertypes) = match r.peek_u8()? {
        b @ (0x50 | 0x4f) => {
            r.u8()?;
            (b == 0x4f, vec(r, |r| r.u32())?.into_boxed_slice())
        }
        _ => (true, Box::default()),
    };
    let decl = TypeDecl {
        is_final,
        supertypes,
        ..TypeDecl::default()
    };
    Ok((decl, decode_composite_type(r)?))
}

/// Reads a function (`0x60`), struct (`0x5F`) or array (`0x5E`) type.
fn decode_composite_type(r: &mut Reader<'_>) -> Result<CompositeType> {
    let at = r.offset();
    Ok(match r.u8()? {
        0x60 => {
            let params = vec(r, ValType::decode)?.into_boxed_slice();
            let results = vec(r, ValType::decode)?.into_boxed_slice();
            CompositeType::Func(FuncType { params, results })
        }
        0x5f => CompositeType::Struct(vec(r, FieldType::decode)?.into_boxed_slice()),
        0x5e => CompositeType::Array(FieldType::decode(r)?),
        // The reference decoder reads the form as an s7 and finds no type of its value.
        _ => return Err(DecodeError::new("integer representation too long", at)),
    })
}

/// Reads a table of the table section, with its initial value if it has one (typed function
/// references: `0x40 0x00`, then the type and the expression).
fn decode_table<'a>(r: &mut Reader<'a>) -> Result<(TableType, Option<ConstExpr<'a>>)> {
    if r.rest().starts_with(&[0x40, 0x00]) {
        r.u8()?;
        r.u8()?;
        let ty = TableType::decode(r)?;
        return Ok((ty, Some(ConstExpr::decode(r)?)));
    }
    Ok((TableType::decode(r)?, None))
}

fn decode_memory_type(r: &mut Reader<'_>) -> Result<MemoryType> {
    Ok(MemoryType {
        limits: Limits::decode_memory(r)?,
    })
}

fn decode_import<'a>(r: &mut Reader<'a>) -> Result<Import<'a>> {
    let offset = r.offset();
    let module = r.name()?;
    let name = r.name()?;
    let kind_at = r.offset();
    let desc = match r.u8()? {
        0 => ImportDesc::Func(r.u32()?),
        1 => ImportDesc::Table(TableType::decode(r)?),
        2 => ImportDesc::Memory(decode_memory_type(r)?),
        3 => ImportDesc::Global(GlobalType::decode(r)?),
        TAG_KIND => ImportDesc::Tag(decode_tag(r)?),
        _ => return Err(DecodeError::new("malformed import kind", kind_at)),
    };
    Ok(Import {
        module,
        name,
        desc,
        offset,
    })
}

/// The import and export kind of a tag (exception handling).
const TAG_KIND: u8 = 4;

/// Reads a tag type: an attribute byte (0, an exception: the only kind there is) and the index
/// of its function type.
fn decode_tag(r: &mut Reader<'_>) -> Result<u32> {
    let at = r.offset();
    if r.u8()? != 0 {
        return Err(DecodeError::new("malformed tag attribute", at));
    }
    r.u32()
}

fn decode_export<'a>(r: &mut Reader<'a>) -> Result<Export<'a>> {
    let offset = r.offset();
    let name = r.name()?;
    let kind_at = r.offset();
    let kind = match r.u8()? {
        0 => ExternKind::Func,
        1 => ExternKind::Table,
        2 => ExternKind::Memory,
        3 => ExternKind::Global,
        TAG_KIND => ExternKind::Tag,
        _ => return Err(DecodeError::new("malformed export kind", kind_at)),
    };
    Ok(Export {
        name,
        kind,
        index: r.u32()?,
        offset,
    })
}

fn decode_element<'a>(r: &mut Reader<'a>) -> Result<Element<'a>> {
    let offset = r.offset();
    let flags = r.u32()?;
    if flags > 7 {
        return Err(DecodeError::new("malformed elements segment kind", offset));
    }
    let passive_or_declarative = flags & 1 != 0;
    let explicit_table = flags & 2 != 0;
    let uses_expressions = flags & 4 != 0;
    let mode = if passive_or_declarative {
        if explicit_table {
            SegmentMode::Declarative
        } else {
            SegmentMode::Passive
        }
    } else {
        let index = if explicit_table { r.u32()? } else { 0 };
        SegmentMode::Active {
            index,
            offset: ConstExpr::decode(r)?,
        }
    };
    // Flag 4 implies funcref, flag 0 and element kind 0 (function indices) `(ref func)`; the
    // others name a reference type.
    let func_indices = RefType {
        nullable: false,
        heap: HeapType::Func,
    };
    let ty = if flags & 3 == 0 {
        if uses_expressions {
            RefType::FUNCREF
        } else {
            func_indices
        }
    } else if uses_expressions {
        RefType::decode(r)?
    } else {
        let at = r.offset();
        if r.u8()? != 0x00 {
            return Err(DecodeError::new("malformed element kind", at));
        }
        func_indices
    };
    let items = if uses_expressions {
        ElementItems::Expressions(vec(r, ConstExpr::decode)?)
    } else {
        ElementItems::Functions(vec(r, |r| r.u32())?)
    };
    Ok(Element {
        mode,
        ty,
        items,
        offset,
    })
}

fn decode_data<'a>(r: &mut Reader<'a>) -> Result<Data<'a>> {
    let offset = r.offset();
    let mode = match r.u32()? {
        0 => SegmentMode::Active {
            index: 0,
            offset: ConstExpr::decode(r)?,
        },
        1 => SegmentMode::Passive,
        2 => {
            let index = r.u32()?;
            SegmentMode::Active {
                index,
                offset: ConstExpr::decode(r)?,
            }
        }
        _ => return Err(DecodeError::new("malformed data segment kind", offset)),
    };
    Ok(Data {
        mode,
        bytes: r.byte_vec()?,
        offset,
    })
}
