//! A compiled module: decoded, validated and lowered, owning everything instantiation needs.

use super::engine::Engine;
use super::error::Error;
use crate::bytes::{offset_in, ModuleBytes, Segment};
use crate::compile::ir::CompiledFunc;
use crate::compile::{memories64, tag_types, LoadCheck, Lowerer, Source};
use crate::exec::{Metering, ModuleCode};
use ssvm_binary::{
    ConstExpr, ElementItems, ExternKind, FuncType, GlobalType, ImportDesc, MemoryType, Opcode,
    Operator, RefType, SegmentMode, TableType, ValType,
};
use std::sync::Arc;

/// A constant expression, evaluated at instantiation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    /// A number, a v128 or `ref.null`, as its slot bits (`Val::to_bits`).
    Value(u128),
    /// `global.get` of an (imported) global.
    Global(u32),
    /// `ref.func` of a function of the module.
    Func(u32),
    /// Integer arithmetic (extended-const): its operators in order, run on a stack.
    Arith(Box<[ConstOp]>),
}

/// One operator of an arithmetic constant expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    /// Pushes a number or a global's value.
    Push(Leaf),
    /// Pops two operands and pushes their `add`, `sub` or `mul`, as `i32` or `i64` (`wide`).
    Bin { op: ArithOp, wide: bool },
}

/// The arithmetic of extended constant expressions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
}

/// An operand of an arithmetic constant expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Leaf {
    /// A number.
    Value(u64),
    /// `global.get` of an (imported) global.
    Global(u32),
}

impl Const {
    fn from_expr(expr: &ConstExpr<'_>) -> Result<Const, Error> {
        let mut ops = expr.operators();
        let bin = |op, wide| ConstOp::Bin { op, wide };
        let mut arith = Vec::new();
        let first = loop {
            let op = match ops.read()? {
                Operator::I32Const { value } => ConstOp::Push(Leaf::Value(u64::from(value as u32))),
                Operator::I64Const { value } => ConstOp::Push(Leaf::Value(value as u64)),
                Operator::GlobalGet { global } => ConstOp::Push(Leaf::Global(global)),
                Operator::I32Add {} => bin(ArithOp::Add, false),
                Operator::I32Sub {} => bin(ArithOp::Sub, false),
                Operator::I32Mul {} => bin(ArithOp::Mul, false),
                Operator::I64Add {} => bin(ArithOp::Add, true),
                Operator::I64Sub {} => bin(ArithOp::Sub, true),
                Operator::I64Mul {} => bin(ArithOp::Mul, true),
                Operator::End {} => break None,
                other if arith.is_empty() => break Some(other),
                other => return Err(unsupported_const(other.opcode())),
            };
            arith.push(op);
        };
        Ok(match (first, arith.as_slice()) {
            (None, [ConstOp::Push(Leaf::Value(v))]) => Const::Value(u128::from(*v)),
            (None, [ConstOp::Push(Leaf::Global(g))]) => Const::Global(*g),
            (None, _) => Const::Arith(arith.into()),
            (Some(op), _) => match op {
                Operator::F32Const { value } => Const::Value(u128::from(value.0)),
                Operator::F64Const { value } => Const::Value(u128::from(value.0)),
                Operator::V128Const { value } => Const::Value(u128::from_le_bytes(value.0)),
                Operator::RefNull { .. } => Const::Value(0),
                Operator::RefFunc { func } => Const::Func(func),
                other => return Err(unsupported_const(other.opcode())),
            },
        })
    }
}

/// The function types of a module's type section, by type index, for the compiler and the
/// instances. A struct or array type has the empty function type's place: the validator lets
/// code and imports name only function types where one is used, so nothing reads it.
fn func_types(types: &[ssvm_binary::CompositeType]) -> Arc<[FuncType]> {
    types
        .iter()
        .map(|t| t.as_func().cloned().unwrap_or_default())
        .collect()
}

fn unsupported_const(op: Opcode) -> Error {
    Error::Unsupported(format!("constant expression with {op}"))
}

/// An import, owned.
#[derive(Debug, Clone)]
pub struct ImportType {
    /// The module name it is imported from.
    pub module: String,
    /// The item's name in that module.
    pub name: String,
    /// What is imported, with its type.
    pub desc: ImportDesc,
}

/// An export, owned.
#[derive(Debug, Clone)]
pub struct ExportType {
    /// The export's name.
    pub name: String,
    /// What kind of item it is.
    pub kind: ExternKind,
    /// The item's index in its index space (imports counted).
    pub index: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum SegmentPlace {
    Passive,
    Active { index: u32, offset: Const },
    Declarative,
}

#[derive(Debug, Clone)]
pub(crate) struct ElementSegment {
    pub(crate) place: SegmentPlace,
    pub(crate) ty: RefType,
    pub(crate) items: Vec<Const>,
}

#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub(crate) place: SegmentPlace,
    pub(crate) bytes: Segment,
}

#[derive(Debug)]
pub(crate) struct ModuleInner {
    /// The function type of each type index (see [`func_types`]).
    pub(crate) types: Arc<[FuncType]>,
    /// The canonical id of each type (`crate::types`).
    pub(crate) type_ids: Arc<[u32]>,
    pub(crate) imports: Vec<ImportType>,
    /// Type index of every function, imported ones first.
    pub(crate) functions: Arc<[u32]>,
    pub(crate) tables: Vec<TableType>,
    /// The initial value of each table the module defines (null without one).
    pub(crate) table_inits: Vec<Option<Const>>,
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) globals: Vec<(GlobalType, Const)>,
    /// The type index of every tag, imported ones first.
    pub(crate) tags: Arc<[u32]>,
    pub(crate) exports: Vec<ExportType>,
    pub(crate) start: Option<u32>,
    pub(crate) elements: Vec<ElementSegment>,
    pub(crate) data: Vec<DataSegment>,
    /// The code of the module's own functions, assembled as they are first called; it says how
    /// it is metered (a store runs only modules metered as its engine says).
    pub(crate) code: Arc<ModuleCode>,
    /// Their register IR, when `Config::keep_ir` asked for it.
    pub(crate) ir: Vec<CompiledFunc>,
    /// Function names from the `name` section.
    pub(crate) names: Vec<(u32, String)>,
}

/// Bodies of less code than this are validated on one thread: starting threads would cost
/// more than they save.
const PARALLEL_CODE_BYTES: usize = 1 << 20;

/// How many threads validate the bodies of `module` at load.
fn validation_threads(config: &super::engine::Config, module: &ssvm_binary::Module<'_>) -> usize {
    let code: usize = module.code.iter().map(|b| b.bytes.len()).sum();
    if !config.parallel_compilation || code < PARALLEL_CODE_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A validated and compiled module, ready to be instantiated any number of times.
#[derive(Debug, Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl Module {
    /// Decodes, validates and compiles a module from its binary form. The module keeps a copy
    /// of the bytes it reads after load (the bodies and the data segments).
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        Module::load(engine, bytes, |needed| ModuleBytes::copied(bytes, needed))
    }

    /// As [`Module::new`], but when most of `bytes` is read after load (the bodies and the data
    /// segments: all but custom sections, typically), the module keeps `bytes` itself rather
    /// than a copy, so that a module read from a file is held in memory once. Otherwise (large
    /// custom sections, such as debug information) it copies the part it needs, so the rest can
    /// be freed.
    pub fn from_shared<B>(engine: &Engine, bytes: Arc<B>) -> Result<Module, Error>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
    {
        let kept = bytes.clone();
        Module::load(engine, (*bytes).as_ref(), move |needed| {
            let whole = (*kept).as_ref().len();
            if needed.len() >= whole - whole / 4 {
                ModuleBytes::shared(kept)
            } else {
                ModuleBytes::copied((*kept).as_ref(), needed)
            }
        })
    }

    /// Loads the module `bytes`; `keep` gives what it keeps of them, at least the module
    /// offsets it is given.
    fn load(
        engine: &Engine,
        bytes: &[u8],
        keep: impl FnOnce(std::ops::Range<usize>) -> ModuleBytes,
    ) -> Result<Module, Error> {
        let m = ssvm_binary::Module::decode(bytes).map_err(ssvm_validate::Error::from)?;
        let mut functions: Vec<u32> = m
            .imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Func(t) => Some(t),
                _ => None,
            })
            .collect();
        functions.extend_from_slice(&m.functions);
        let functions: Arc<[u32]> = functions.into();
        let types = func_types(&m.types);
        let prices: Option<Box<[u64]>> = engine
            .config
            .cost_table
            .as_ref()
            .map(|t| t.compile_prices());
        let metering = engine.metering();
        let traced = metering == Metering::Traced;
        let eager = engine.config.keep_ir || !engine.config.lazy_compilation;
        // Validate every body; eagerly, lower each in the same pass. Lazily, the bodies that
        // might not lower are lowered right after, so that a module the interpreter cannot run
        // is refused at load all the same.
        // Which globals are v128s (imported ones first): the lowering gives them two slots.
        let v128_globals: Arc<[bool]> = m
            .imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Global(g) => Some(g.content),
                _ => None,
            })
            .chain(m.globals.iter().map(|g| g.ty.content))
            .map(|t| t == ValType::V128)
            .collect();
        let v128_globals: Arc<[bool]> = if v128_globals.contains(&true) {
            v128_globals
        } else {
            Arc::from(&[][..])
        };
        let tags = tag_types(&m);
        let memories64 = memories64(&m);
        let mut lowerer = Lowerer::new(&types, &functions, prices.as_deref(), traced);
        lowerer.v128_globals = &v128_globals;
        lowerer.tags = &tags;
        lowerer.memories64 = &memories64;
        let imported = functions.len() - m.code.len();
        let lowered = if eager {
            ssvm_validate::validate_module_with(&m, &mut lowerer)?;
            (imported as u32..functions.len() as u32).collect()
        } else {
            let threads = validation_threads(&engine.config, &m);
            let (ctx, checks) = if threads > 1 {
                ssvm_validate::validate_module_in_parallel(&m, threads, || LoadCheck::new(&types))?
            } else {
                let mut check = LoadCheck::new(&types);
                let ctx = ssvm_validate::validate_module_with(&m, &mut check)?;
                (ctx, vec![check])
            };
            let eager: Vec<u32> = checks.into_iter().flat_map(|c| c.eager).collect();
            for &index in &eager {
                let body = &m.code[index as usize - imported];
                ssvm_validate::validate_function_with(&ctx, index, body, &mut lowerer)?;
            }
            eager
        };
        if let Some(e) = lowerer.unsupported.take() {
            return Err(Error::Unsupported(e.to_string()));
        }
        // What is read after load: the bodies, and the data segments (after them).
        let data_ranges: Vec<std::ops::Range<usize>> = m
            .data
            .iter()
            .map(|d| {
                let at = offset_in(bytes, d.bytes);
                at..at + d.bytes.len()
            })
            .collect();
        let needed = m
            .code
            .iter()
            .map(|b| b.offset..b.end())
            .chain(data_ranges.iter().cloned())
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
            .unwrap_or(0..0);
        let kept = keep(needed);
        let source = Source::new(
            kept.clone(),
            &m,
            types.clone(),
            functions.clone(),
            prices.clone(),
            traced,
            v128_globals.clone(),
        );
        let code = ModuleCode::new(source, metering, engine.config.interruptible);
        for (&index, ir) in lowered.iter().zip(&lowerer.compiled) {
            code.assemble_lowered(index as usize - imported, ir);
        }
        let ir = if engine.config.keep_ir {
            lowerer.compiled
        } else {
            Vec::new()
        };

        let elements = m
            .elements
            .iter()
            .map(|e| {
                let items = match &e.items {
                    ElementItems::Functions(funcs) => {
                        funcs.iter().map(|&f| Const::Func(f)).collect()
                    }
                    ElementItems::Expressions(exprs) => exprs
                        .iter()
                        .map(Const::from_expr)
                        .collect::<Result<_, _>>()?,
                };
                Ok(ElementSegment {
                    place: place(&e.mode)?,
                    ty: e.ty,
                    items,
                })
            })
            .collect::<Result<_, Error>>()?;
        let data = m
            .data
            .iter()
            .zip(data_ranges)
            .map(|(d, range)| {
                Ok(DataSegment {
                    place: place(&d.mode)?,
                    bytes: Segment::new(kept.clone(), range),
                })
            })
            .collect::<Result<_, Error>>()?;
        let globals = m
            .globals
            .iter()
            .map(|g| Ok((g.ty, Const::from_expr(&g.init)?)))
            .collect::<Result<_, Error>>()?;
        let table_inits = m
            .table_inits
            .iter()
            .map(|init| init.as_ref().map(Const::from_expr).transpose())
            .collect::<Result<_, Error>>()?;
        let mut tables: Vec<TableType> = Vec::new();
        let mut memories: Vec<MemoryType> = Vec::new();
        for i in &m.imports {
            match i.desc {
                ImportDesc::Table(t) => tables.push(t),
                ImportDesc::Memory(t) => memories.push(t),
                _ => {}
            }
        }
        tables.extend_from_slice(&m.tables);
        memories.extend_from_slice(&m.memories);
        let inner = ModuleInner {
            type_ids: crate::types::canonical_ids(&m.types, &m.type_decls).into(),
            types,
            imports: m
                .imports
                .iter()
                .map(|i| ImportType {
                    module: i.module.to_string(),
                    name: i.name.to_string(),
                    desc: i.desc,
                })
                .collect(),
            functions,
            tables,
            table_inits,
            memories,
            globals,
            tags,
            exports: m
                .exports
                .iter()
                .map(|x| ExportType {
                    name: x.name.to_string(),
                    kind: x.kind,
                    index: x.index,
                })
                .collect(),
            start: m.start,
            elements,
            data,
            code: Arc::new(code),
            ir,
            names: m
                .names
                .as_ref()
                .map(|n| {
                    n.functions
                        .iter()
                        .map(|&(i, s)| (i, s.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(Module {
            inner: Arc::new(inner),
        })
    }

    /// The module's imports.
    pub fn imports(&self) -> &[ImportType] {
        &self.inner.imports
    }

    /// The module's exports.
    pub fn exports(&self) -> &[ExportType] {
        &self.inner.exports
    }

    /// Number of functions, imported ones included.
    pub fn function_count(&self) -> u32 {
        self.inner.functions.len() as u32
    }

    /// The type of memory `index` (imports counted).
    pub fn memory_type(&self, index: u32) -> Option<MemoryType> {
        self.inner.memories.get(index as usize).copied()
    }

    /// The type of function `index` (imports counted).
    pub fn function_type(&self, index: u32) -> Option<&FuncType> {
        let t = *self.inner.functions.get(index as usize)?;
        self.inner.types.get(t as usize)
    }

    /// The register IR of function `index` (imports counted): `None` for imported functions,
    /// and unless the engine's `Config::keep_ir` kept it.
    pub fn compiled_function(&self, index: u32) -> Option<&CompiledFunc> {
        let imported = self.inner.functions.len() - self.inner.code.len();
        let i = (index as usize).checked_sub(imported)?;
        self.inner.ir.get(i)
    }

    /// The function's name from the `name` section, or `func[N]`.
    pub fn function_name(&self, index: u32) -> String {
        self.inner.function_name(index)
    }
}

impl ModuleInner {
    /// Function `index`'s name from the `name` section, or `func[N]`.
    pub(crate) fn function_name(&self, index: u32) -> String {
        self.names
            .iter()
            .find(|(i, _)| *i == index)
            .map_or_else(|| format!("func[{index}]"), |(_, n)| n.clone())
    }
}

fn place(mode: &SegmentMode<'_>) -> Result<SegmentPlace, Error> {
    Ok(match mode {
        SegmentMode::Passive => SegmentPlace::Passive,
        SegmentMode::Declarative => SegmentPlace::Declarative,
        SegmentMode::Active { index, offset } => SegmentPlace::Active {
            index: *index,
            offset: Const::from_expr(offset)?,
        },
    })
}
