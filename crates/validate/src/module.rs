//! Module-level validation: the context of types, functions, tables, memories, globals and
//! segments, the checks on imports, exports, limits, the start function, globals and segments,
//! and constant expressions.

use crate::func::FuncValidator;
use crate::types::Types;
use crate::{invalid, malformed, Error, FunctionSink};
use ssvm_binary::{
    ConstExpr, ElementItems, ExternKind, FuncType, FunctionBody, GlobalType, HeapType, ImportDesc,
    Limits, MemoryType, Module, Operator, RefType, SegmentMode, TableType, ValType,
};
use std::collections::HashSet;

/// Everything a function body may refer to: the spec's validation context C. It owns what it
/// holds, so a body can be validated long after its module was (lazy compilation).
#[derive(Debug)]
pub struct Context {
    pub(crate) types: Types,
    /// The data-count section's count, if it is present.
    data_count: Option<u32>,
    /// The reference type of every element segment.
    elements: Vec<RefType>,
    /// Type index of every function, imported ones first.
    functions: Vec<u32>,
    tables: Vec<TableType>,
    memories: Vec<MemoryType>,
    globals: Vec<GlobalType>,
    imported_globals: usize,
    /// The function type index of every tag, imported ones first.
    tags: Vec<u32>,
    /// Functions that may be named by `ref.func` in a body, as a bitset.
    declared: Vec<u64>,
}

impl Context {
    fn new(module: &Module<'_>) -> Result<Self, Error> {
        let mut ctx = Context {
            types: Types::new(&module.types, &module.type_decls, module.offsets.code)?,
            data_count: module.data_count,
            elements: module.elements.iter().map(|e| e.ty).collect(),
            functions: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            imported_globals: 0,
            tags: Vec::new(),
            declared: Vec::new(),
        };
        for import in &module.imports {
            match import.desc {
                ImportDesc::Func(t) => ctx.functions.push(t),
                ImportDesc::Table(t) => ctx.tables.push(t),
                ImportDesc::Memory(m) => ctx.memories.push(m),
                ImportDesc::Global(g) => ctx.globals.push(g),
                ImportDesc::Tag(t) => ctx.tags.push(t),
            }
        }
        ctx.tags.extend_from_slice(&module.tags);
        ctx.imported_globals = ctx.globals.len();
        ctx.functions.extend_from_slice(&module.functions);
        ctx.tables.extend_from_slice(&module.tables);
        ctx.memories.extend(module.memories.iter().copied());
        ctx.globals.extend(module.globals.iter().map(|g| g.ty));
        ctx.declared = vec![0; ctx.functions.len().div_ceil(64)];
        Ok(ctx)
    }

    /// The function type with index `index` (a struct or array type is none).
    pub(crate) fn func_type(&self, index: u32, at: usize) -> Result<&FuncType, Error> {
        self.types
            .types
            .get(index as usize)
            .ok_or_else(|| invalid(format!("unknown type {index}"), at))?
            .as_func()
            .ok_or_else(|| invalid(format!("non-function type {index}"), at))
    }

    /// The type index of function `index`.
    pub(crate) fn function_type_index(&self, index: u32, at: usize) -> Result<u32, Error> {
        self.functions
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid(format!("unknown function {index}"), at))
    }

    /// Whether value type `a` is a subtype of `b`.
    #[inline]
    pub(crate) fn matches(&self, a: ValType, b: ValType) -> bool {
        self.types.matches(a, b)
    }

    /// Checks that value type `t` names only types of the module.
    pub(crate) fn check_val(&self, t: ValType, at: usize) -> Result<(), Error> {
        self.types.check_val(t, at)
    }

    /// The type of function `index`.
    pub(crate) fn function_type(&self, index: u32, at: usize) -> Result<&FuncType, Error> {
        let t = self.function_type_index(index, at)?;
        self.func_type(t, at)
    }

    pub(crate) fn table(&self, index: u32, at: usize) -> Result<TableType, Error> {
        self.tables
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid(format!("unknown table {index}"), at))
    }

    pub(crate) fn memory(&self, index: u32, at: usize) -> Result<MemoryType, Error> {
        self.memories
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid(format!("unknown memory {index}"), at))
    }

    /// The type of tag `index`: its parameters are the payload (its results are empty).
    pub(crate) fn tag(&self, index: u32, at: usize) -> Result<&FuncType, Error> {
        let t = self
            .tags
            .get(index as usize)
            .ok_or_else(|| invalid(format!("unknown tag {index}"), at))?;
        self.func_type(*t, at)
    }

    /// Checks the type of a tag (imported or defined) at `at`: a function type without results.
    fn tag_type(&self, type_index: u32, at: usize) -> Result<(), Error> {
        if !self.func_type(type_index, at)?.results.is_empty() {
            return Err(invalid("non-empty tag result type", at));
        }
        Ok(())
    }

    pub(crate) fn global(&self, index: u32, at: usize) -> Result<GlobalType, Error> {
        self.globals
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid(format!("unknown global {index}"), at))
    }

    /// Checks a data segment index; using one requires the data-count section.
    pub(crate) fn data(&self, index: u32, at: usize) -> Result<(), Error> {
        let Some(count) = self.data_count else {
            return Err(malformed("data count section required", at));
        };
        if index >= count {
            return Err(invalid(format!("unknown data segment {index}"), at));
        }
        Ok(())
    }

    /// The reference type of element segment `index`.
    pub(crate) fn element(&self, index: u32, at: usize) -> Result<RefType, Error> {
        self.elements
            .get(index as usize)
            .copied()
            .ok_or_else(|| invalid(format!("unknown elem segment {index}"), at))
    }

    /// The type of `ref.null ty`, checking the heap type.
    pub(crate) fn ref_null(&self, ty: HeapType, at: usize) -> Result<ValType, Error> {
        let t = ValType::Ref(RefType::null(ty));
        self.check_val(t, at)?;
        Ok(t)
    }

    /// The type of `ref.func func`: a non-null reference to the function's type.
    pub(crate) fn ref_func(&self, func: u32, at: usize) -> Result<ValType, Error> {
        let t = self.function_type_index(func, at)?;
        self.func_type(t, at)?;
        Ok(ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Concrete(t),
        }))
    }

    /// Whether function `index` is named outside function bodies, so `ref.func` may use it.
    pub(crate) fn is_declared(&self, index: u32) -> bool {
        let i = index as usize;
        self.declared
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn declare(&mut self, index: u32) {
        let i = index as usize;
        if let Some(w) = self.declared.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// Validates a constant expression producing `expected`. Only constants, `ref.null`,
    /// `ref.func`, `global.get` of an immutable global (Wasm 3.0; Wasm 2.0 allowed only
    /// imported ones) and integer `add`, `sub` and `mul` (extended-const) are allowed.
    fn const_expr(&self, expr: &ConstExpr<'_>, expected: ValType) -> Result<(), Error> {
        self.const_expr_in(expr, expected, self.globals.len())
    }

    /// Validates a constant expression producing `expected` in which `global.get` may read the
    /// first `globals` globals (a global's initializer reads the globals before it).
    fn const_expr_in(
        &self,
        expr: &ConstExpr<'_>,
        expected: ValType,
        globals: usize,
    ) -> Result<(), Error> {
        let mut ops = expr.operators();
        let mut stack: Vec<ValType> = Vec::new();
        loop {
            let at = ops.offset();
            let t = match ops.read()? {
                Operator::I32Const { .. } => ValType::I32,
                Operator::I64Const { .. } => ValType::I64,
                Operator::F32Const { .. } => ValType::F32,
                Operator::F64Const { .. } => ValType::F64,
                Operator::V128Const { .. } => ValType::V128,
                Operator::RefNull { ty } => self.ref_null(ty, at)?,
                Operator::RefFunc { func } => self.ref_func(func, at)?,
                Operator::GlobalGet { global } => {
                    if global as usize >= globals {
                        return Err(invalid(format!("unknown global {global}"), at));
                    }
                    let g = self.globals[global as usize];
                    if g.mutable {
                        return Err(invalid("constant expression required", at));
                    }
                    g.content
                }
                Operator::End {} => {
                    if !matches!(*stack, [t] if self.matches(t, expected)) {
                        return Err(invalid("type mismatch", at));
                    }
                    return Ok(());
                }
                // Integer arithmetic (the extended-const proposal): two operands of the type.
                Operator::I32Add {} | Operator::I32Sub {} | Operator::I32Mul {} => {
                    arith_operands(&mut stack, ValType::I32, at)?
                }
                Operator::I64Add {} | Operator::I64Sub {} | Operator::I64Mul {} => {
                    arith_operands(&mut stack, ValType::I64, at)?
                }
                _ => return Err(invalid("constant expression required", at)),
            };
            stack.push(t);
        }
    }
}

/// Pops the two `t` operands of an arithmetic instruction in a constant expression; its result
/// has the same type.
fn arith_operands(stack: &mut Vec<ValType>, t: ValType, at: usize) -> Result<ValType, Error> {
    for _ in 0..2 {
        if stack.pop() != Some(t) {
            return Err(invalid("type mismatch", at));
        }
    }
    Ok(t)
}

/// The largest memory: 2^16 pages of 64 KiB for 32-bit addresses, 2^48 for 64-bit ones.
fn max_pages(limits: Limits) -> (u64, &'static str) {
    if limits.is64 {
        (1 << 48, "memory size must be at most 2^48 pages")
    } else {
        (1 << 16, "memory size must be at most 65536 pages (4GiB)")
    }
}

/// The largest table: every index of its address type (a 64-bit one has no bound).
fn max_elements(limits: Limits) -> (u64, &'static str) {
    if limits.is64 {
        (u64::MAX, "table size must be at most 2^64-1")
    } else {
        (u64::from(u32::MAX), "table size must be at most 2^32-1")
    }
}

fn check_limits(
    limits: Limits,
    bound: fn(Limits) -> (u64, &'static str),
    at: usize,
) -> Result<(), Error> {
    let (cap, message) = bound(limits);
    if limits.min > cap || limits.max.is_some_and(|m| m > cap) {
        return Err(invalid(message, at));
    }
    if limits.max.is_some_and(|max| limits.min > max) {
        return Err(invalid("size minimum must not be greater than maximum", at));
    }
    Ok(())
}

/// Validates a decoded module, handing each function body's operators to `sink`; returns the
/// context its bodies were validated in.
pub(crate) fn validate_module<'a, S: FunctionSink<'a>>(
    module: &Module<'a>,
    sink: &mut S,
) -> Result<Context, Error> {
    let ctx = validate_outside_bodies(module)?;
    validate_bodies(&ctx, module, 0..module.code.len(), sink)?;
    Ok(ctx)
}

/// Validates everything of `module` but its function bodies, giving the context they are
/// validated in.
pub(crate) fn validate_outside_bodies(module: &Module<'_>) -> Result<Context, Error> {
    let mut ctx = Context::new(module)?;

    for import in &module.imports {
        let at = import.offset;
        match import.desc {
            ImportDesc::Func(t) => {
                ctx.func_type(t, at)?;
            }
            ImportDesc::Table(t) => {
                ctx.check_val(t.element.into(), at)?;
                check_limits(t.limits, max_elements, at)?
            }
            ImportDesc::Memory(m) => check_limits(m.limits, max_pages, at)?,
            ImportDesc::Global(g) => ctx.check_val(g.content, at)?,
            ImportDesc::Tag(t) => ctx.tag_type(t, at)?,
        }
    }
    for &t in &module.tags {
        ctx.tag_type(t, module.offsets.code)?;
    }
    for (i, &t) in module.functions.iter().enumerate() {
        let at = module.code.get(i).map_or(module.offsets.code, |b| b.offset);
        ctx.func_type(t, at)?;
    }
    for t in &module.tables {
        ctx.check_val(t.element.into(), module.offsets.code)?;
        check_limits(t.limits, max_elements, module.offsets.code)?;
    }
    for m in &module.memories {
        check_limits(m.limits, max_pages, module.offsets.code)?;
    }

    // Function references outside function bodies declare those functions for `ref.func`.
    let mut declared = Vec::new();
    for g in &module.globals {
        collect_ref_funcs(&g.init, &mut declared)?;
    }
    for init in module.table_inits.iter().flatten() {
        collect_ref_funcs(init, &mut declared)?;
    }
    for e in &module.elements {
        match &e.items {
            ElementItems::Functions(funcs) => declared.extend_from_slice(funcs),
            ElementItems::Expressions(exprs) => {
                for expr in exprs {
                    collect_ref_funcs(expr, &mut declared)?;
                }
            }
        }
    }
    for x in &module.exports {
        if x.kind == ExternKind::Func {
            declared.push(x.index);
        }
    }
    for f in declared {
        ctx.declare(f);
    }

    // A global's initializer may read the globals before it, imported or not.
    for (i, g) in module.globals.iter().enumerate() {
        ctx.check_val(g.ty.content, g.init.offset)?;
        ctx.const_expr_in(&g.init, g.ty.content, ctx.imported_globals + i)?;
    }
    // A table of a non-nullable type needs an initial value, which reads only imported
    // globals: the module's own come after the tables.
    for (t, init) in module.tables.iter().zip(&module.table_inits) {
        match init {
            Some(init) => ctx.const_expr_in(init, t.element.into(), ctx.imported_globals)?,
            None if !t.element.nullable => {
                return Err(invalid("type mismatch", module.offsets.code));
            }
            None => {}
        }
    }

    let mut names = HashSet::new();
    for x in &module.exports {
        let at = x.offset;
        match x.kind {
            ExternKind::Func => {
                ctx.function_type(x.index, at)?;
            }
            ExternKind::Table => {
                ctx.table(x.index, at)?;
            }
            ExternKind::Memory => {
                ctx.memory(x.index, at)?;
            }
            ExternKind::Global => {
                ctx.global(x.index, at)?;
            }
            ExternKind::Tag => {
                ctx.tag(x.index, at)?;
            }
        }
        if !names.insert(x.name) {
            return Err(invalid("duplicate export name", at));
        }
    }

    if let Some(start) = module.start {
        let at = module.offsets.start;
        let ty = ctx.function_type(start, at)?;
        if !ty.params.is_empty() || !ty.results.is_empty() {
            return Err(invalid("start function", at));
        }
    }

    for e in &module.elements {
        let at = e.offset;
        ctx.check_val(e.ty.into(), at)?;
        if let SegmentMode::Active { index, offset } = &e.mode {
            let table = ctx.table(*index, at)?;
            ctx.const_expr(offset, table.limits.address_type())?;
            if !ctx.matches(e.ty.into(), table.element.into()) {
                return Err(invalid("type mismatch", at));
            }
        }
        match &e.items {
            ElementItems::Functions(funcs) => {
                for &f in funcs {
                    let t = ctx.ref_func(f, at)?;
                    if !ctx.matches(t, e.ty.into()) {
                        return Err(invalid("type mismatch", at));
                    }
                }
            }
            ElementItems::Expressions(exprs) => {
                for expr in exprs {
                    ctx.const_expr(expr, e.ty.into())?;
                }
            }
        }
    }

    for d in &module.data {
        if let SegmentMode::Active { index, offset } = &d.mode {
            let memory = ctx.memory(*index, d.offset)?;
            ctx.const_expr(offset, memory.limits.address_type())?;
        }
    }

    Ok(ctx)
}

/// Validates bodies `range` of `module` (counted from its first own function) in order,
/// stopping at the first error.
pub(crate) fn validate_bodies<'a, S: FunctionSink<'a>>(
    ctx: &Context,
    module: &Module<'a>,
    range: std::ops::Range<usize>,
    sink: &mut S,
) -> Result<(), Error> {
    let imported_functions = module.imported(ExternKind::Func) as u32;
    let mut validator = FuncValidator::new(ctx);
    for i in range {
        let body = &module.code[i];
        validate_function(&mut validator, imported_functions + i as u32, body, sink)?;
    }
    Ok(())
}

/// Validates the body of function `index` (imports counted), with `begin` and `end` around it.
pub(crate) fn validate_function<'a, S: FunctionSink<'a>>(
    validator: &mut FuncValidator<'_>,
    index: u32,
    body: &FunctionBody<'a>,
    sink: &mut S,
) -> Result<(), Error> {
    let ty = validator.ctx().function_type(index, body.offset)?;
    sink.begin(index, ty)
        .and_then(|()| validator.validate(ty, body, sink).map_err(|e| *e))
        .and_then(|()| sink.end())
        .map_err(|mut e| {
            e.function = Some(index);
            e
        })
}

/// Adds the functions that `ref.func` names in `expr` to `out`.
fn collect_ref_funcs(expr: &ConstExpr<'_>, out: &mut Vec<u32>) -> Result<(), Error> {
    let mut ops = expr.operators();
    while !ops.is_empty() {
        if let Operator::RefFunc { func } = ops.read()? {
            out.push(func);
        }
    }
    Ok(())
}
