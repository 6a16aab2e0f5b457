//! The rewrite: a charge before every instruction of every function body.

use crate::names::spec_name;
use crate::{
    PerUnitRates, Prices, UnitRate, COUNT_PREFIX, GAS_EXPORT, LIMIT_EXPORT, OUT_OF_GAS_EXPORT,
};
use std::collections::{HashMap, HashSet};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection,
    GlobalType, Instruction, RawSection, ValType,
};
use wasmparser::{
    ElementItems, ExportSectionReader, ExternalKind, FunctionBody, GlobalSectionReader, Operator,
    Parser, Payload, TypeRef, Validator, WasmFeatures,
};

/// Section ids that come after the global section, and after the export section.
const AFTER_GLOBALS: &[u8] = &[7, 8, 9, 12, 10, 11];
const AFTER_EXPORTS: &[u8] = &[8, 9, 12, 10, 11];

/// What the oracle accepts: Wasm 2.0, tail calls, relaxed SIMD, multi-memory, memory64,
/// exception handling and extended constant expressions (which are never charged, and which the
/// rewrite copies unchanged). A charge placed before each instruction meters exceptions too: a `throw`
/// leaves the charges after it behind in every frame it unwinds, and a handler's label is
/// reached like a branch's.
const FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::RELAXED_SIMD)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::EXCEPTIONS)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::FUNCTION_REFERENCES)
    // wasmparser has the bottom heap types (`nofunc`) only with GC; GC's own instructions are
    // refused by name (`spec_name`).
    .union(WasmFeatures::GC);

/// Rewrites `wasm` so that it counts its own gas under `prices`.
///
/// The result exports, besides everything the module exported:
/// - [`GAS_EXPORT`](crate::GAS_EXPORT): a mutable `i64` global, the gas used (unsigned; without a
///   limit it wraps around at 2^64);
/// - [`OUT_OF_GAS_EXPORT`](crate::OUT_OF_GAS_EXPORT): a mutable `i32` global set to 1 just before
///   the module executes `unreachable` for lack of gas;
/// - [`COUNT_PREFIX`](crate::COUNT_PREFIX)` + name`: a mutable `i64` global per spec text name of
///   an instruction that occurs in a function body, counting its executions;
/// - with `limit`, [`LIMIT_EXPORT`](crate::LIMIT_EXPORT): a mutable `i64` global holding the limit,
///   initially `limit`, which the embedder may change between calls.
///
/// Function, global, table and memory indices of the module are unchanged; the new globals come
/// after the module's own, and functions that use per-unit instructions get scratch locals
/// after their own: two `i32`s when one of them counts its units with an `i32` operand, two
/// `i64`s when one counts with an `i64` (on a 64-bit memory or table). Counting starts at instantiation: a start function is charged
/// like any other code (see [`run`](crate::run), which resets the counters afterwards).
///
/// Refused with an error: modules not valid in Wasm 2.0 (with tail calls, relaxed SIMD,
/// multi-memory, memory64, exceptions, extended-const and typed function references); those
/// that export a name starting with `__oracle_`; modules with `call_indirect` or
/// `return_call_indirect` (or `call_ref`, `return_call_ref`) in which an imported function with a
/// non-zero host price might be in a
/// table (it is referenced by an element segment, `ref.func` or an export, or the module imports
/// a table), because which host function an indirect call reaches is not known statically; and
/// per-unit rates with `per` 0 or with `gas × per + per` beyond `i64::MAX`.
pub fn instrument(wasm: &[u8], prices: &Prices, limit: Option<u64>) -> Result<Vec<u8>, String> {
    check_rates(&prices.per_unit)?;
    Validator::new_with_features(FEATURES)
        .validate_all(wasm)
        .map_err(|e| {
            format!(
                "invalid module (Wasm 2.0 with tail calls, relaxed SIMD, multi-memory, memory64, \
                 exceptions, extended-const and typed function references): {e}"
            )
        })?;
    let parsed = Parsed::new(wasm)?;
    let mut names = Names::default();
    let bodies = parsed
        .bodies
        .iter()
        .map(|b| Body::read(b, &mut names))
        .collect::<Result<Vec<_>, String>>()?;
    parsed.check_host_reachability(prices, &names)?;

    let base = parsed.imported_globals + parsed.defined_globals;
    let layout = Layout {
        gas: base,
        out_of_gas: base + 1,
        limit: limit.map(|_| base + 2),
        first_count: base + if limit.is_some() { 3 } else { 2 },
    };
    let name_prices: Vec<u64> = names.iter().map(|n| (prices.instr)(n)).collect();
    let host_prices: Vec<u64> = parsed
        .imports
        .iter()
        .map(|(m, n)| (prices.host)(m, n))
        .collect();

    let emitter = Emitter {
        layout: &layout,
        name_prices: &name_prices,
        host_prices: &host_prices,
        rates: &prices.per_unit,
        memory64: &parsed.memory64,
        table64: &parsed.table64,
    };
    let mut code = CodeSection::new();
    for (i, body) in bodies.iter().enumerate() {
        let params = parsed.param_counts[parsed.func_types[i] as usize];
        code.function(&emitter.function(body, params)?);
    }

    let mut module = wasm_encoder::Module::new();
    let (mut globals_done, mut exports_done) = (false, false);
    for section in &parsed.sections {
        let id = section.id();
        if !globals_done && AFTER_GLOBALS.contains(&id) {
            module.section(&new_globals(None, &layout, &names, limit)?);
            globals_done = true;
        }
        if !exports_done && AFTER_EXPORTS.contains(&id) {
            module.section(&new_exports(None, &layout, &names)?);
            exports_done = true;
        }
        match section {
            Section::Raw(id, data) => {
                module.section(&RawSection { id: *id, data });
            }
            Section::Globals(reader) => {
                module.section(&new_globals(Some(reader.clone()), &layout, &names, limit)?);
                globals_done = true;
            }
            Section::Exports(reader) => {
                module.section(&new_exports(Some(reader.clone()), &layout, &names)?);
                exports_done = true;
            }
            Section::Code => {
                module.section(&code);
            }
        }
    }
    if !globals_done {
        module.section(&new_globals(None, &layout, &names, limit)?);
    }
    if !exports_done {
        module.section(&new_exports(None, &layout, &names)?);
    }
    let out = module.finish();
    Validator::new_with_features(FEATURES)
        .validate_all(&out)
        .map_err(|e| format!("internal error: the instrumented module is invalid: {e}"))?;
    Ok(out)
}

/// Indices of the globals the instrumentation adds.
struct Layout {
    gas: u32,
    out_of_gas: u32,
    limit: Option<u32>,
    /// The counter of the name with id `k` is global `first_count + k`.
    first_count: u32,
}

/// A section of the input, in order.
enum Section<'a> {
    Raw(u8, &'a [u8]),
    Globals(GlobalSectionReader<'a>),
    Exports(ExportSectionReader<'a>),
    Code,
}

impl Section<'_> {
    fn id(&self) -> u8 {
        match self {
            Section::Raw(id, _) => *id,
            Section::Globals(_) => 6,
            Section::Exports(_) => 7,
            Section::Code => 10,
        }
    }
}

/// What the rewrite needs to know about the input module.
struct Parsed<'a> {
    sections: Vec<Section<'a>>,
    /// Number of parameters of every type.
    param_counts: Vec<u32>,
    /// Type index of every function defined by the module.
    func_types: Vec<u32>,
    /// `(module, name)` of every imported function, in index order.
    imports: Vec<(&'a str, &'a str)>,
    imported_globals: u32,
    defined_globals: u32,
    imports_table: bool,
    /// Whether each memory, imported ones first, is 64-bit (its addresses are `i64`s).
    memory64: Vec<bool>,
    /// Whether each table, imported ones first, is 64-bit (its indices are `i64`s).
    table64: Vec<bool>,
    /// Functions referenced outside `call`: element segments, `ref.func` in constant
    /// expressions, exports (`ref.func` in bodies is collected in `Names`).
    referenced: HashSet<u32>,
    bodies: Vec<FunctionBody<'a>>,
}

/// Spec text names met in bodies, in order of first occurrence, and what else the bodies use.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    ids: HashMap<String, u32>,
    /// Functions named by `ref.func` in bodies.
    ref_funcs: HashSet<u32>,
    call_indirect: bool,
}

impl Names {
    fn intern(&mut self, name: String) -> u32 {
        if let Some(&id) = self.ids.get(&name) {
            return id;
        }
        let id = self.list.len() as u32;
        self.ids.insert(name.clone(), id);
        self.list.push(name);
        id
    }
}

impl std::ops::Deref for Names {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.list
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl<'a> Parsed<'a> {
    fn new(wasm: &'a [u8]) -> Result<Parsed<'a>, String> {
        let mut p = Parsed {
            sections: Vec::new(),
            param_counts: Vec::new(),
            func_types: Vec::new(),
            imports: Vec::new(),
            imported_globals: 0,
            defined_globals: 0,
            imports_table: false,
            memory64: Vec::new(),
            table64: Vec::new(),
            referenced: HashSet::new(),
            bodies: Vec::new(),
        };
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(err)?;
            match &payload {
                Payload::TypeSection(r) => {
                    for ty in r.clone().into_iter_err_on_gc_types() {
                        p.param_counts.push(ty.map_err(err)?.params().len() as u32);
                    }
                }
                Payload::ImportSection(r) => {
                    for import in r.clone().into_imports() {
                        let import = import.map_err(err)?;
                        match import.ty {
                            TypeRef::Func(_) => p.imports.push((import.module, import.name)),
                            TypeRef::Global(_) => p.imported_globals += 1,
                            TypeRef::Table(t) => {
                                p.imports_table = true;
                                p.table64.push(t.table64);
                            }
                            TypeRef::Memory(m) => p.memory64.push(m.memory64),
                            _ => {}
                        }
                    }
                }
                Payload::TableSection(r) => {
                    for table in r.clone() {
                        p.table64.push(table.map_err(err)?.ty.table64);
                    }
                }
                Payload::MemorySection(r) => {
                    for memory in r.clone() {
                        p.memory64.push(memory.map_err(err)?.memory64);
                    }
                }
                Payload::FunctionSection(r) => {
                    for ty in r.clone() {
                        p.func_types.push(ty.map_err(err)?);
                    }
                }
                Payload::GlobalSection(r) => {
                    for global in r.clone() {
                        let global = global.map_err(err)?;
                        p.note_const_expr(&global.init_expr)?;
                        p.defined_globals += 1;
                    }
                    p.sections.push(Section::Globals(r.clone()));
                    continue;
                }
                Payload::ExportSection(r) => {
                    for export in r.clone() {
                        let export = export.map_err(err)?;
                        if export.name.starts_with("__oracle_") {
                            return Err(format!(
                                "the module already exports `{}`, a name the oracle reserves",
                                export.name
                            ));
                        }
                        if export.kind == ExternalKind::Func {
                            p.referenced.insert(export.index);
                        }
                    }
                    p.sections.push(Section::Exports(r.clone()));
                    continue;
                }
                Payload::ElementSection(r) => {
                    for element in r.clone() {
                        match element.map_err(err)?.items {
                            ElementItems::Functions(funcs) => {
                                for f in funcs {
                                    p.referenced.insert(f.map_err(err)?);
                                }
                            }
                            ElementItems::Expressions(_, exprs) => {
                                for expr in exprs {
                                    p.note_const_expr(&expr.map_err(err)?)?;
                                }
                            }
                        }
                    }
                }
                Payload::CodeSectionStart { .. } => {
                    p.sections.push(Section::Code);
                    continue;
                }
                Payload::CodeSectionEntry(body) => {
                    p.bodies.push(body.clone());
                    continue;
                }
                _ => {}
            }
            if let Some((id, range)) = payload.as_section() {
                let data = &wasm[range.start as usize..range.end as usize];
                p.sections.push(Section::Raw(id, data));
            }
        }
        Ok(p)
    }

    fn note_const_expr(&mut self, expr: &wasmparser::ConstExpr<'_>) -> Result<(), String> {
        let mut ops = expr.get_operators_reader();
        while !ops.eof() {
            if let Operator::RefFunc { function_index } = ops.read().map_err(err)? {
                self.referenced.insert(function_index);
            }
        }
        Ok(())
    }

    /// Refuses the module when a `call_indirect` might reach a priced host import.
    fn check_host_reachability(&self, prices: &Prices, names: &Names) -> Result<(), String> {
        if !names.call_indirect {
            return Ok(());
        }
        for (i, &(module, name)) in self.imports.iter().enumerate() {
            if (prices.host)(module, name) == 0 {
                continue;
            }
            let i = i as u32;
            let why = if self.imports_table {
                "the module imports a table"
            } else if self.referenced.contains(&i) || names.ref_funcs.contains(&i) {
                "the function is referenced (element segment, ref.func or export)"
            } else {
                continue;
            };
            return Err(format!(
                "unsupported: call_indirect may reach the imported function `{module}::{name}`, \
                 whose host price is not zero ({why}); the oracle cannot price indirect host calls"
            ));
        }
        Ok(())
    }
}

/// A function body, read.
struct Body<'a> {
    locals: Vec<(u32, wasmparser::ValType)>,
    /// Every operator with the id of its spec text name.
    ops: Vec<(Operator<'a>, u32)>,
}

impl<'a> Body<'a> {
    fn read(body: &FunctionBody<'a>, names: &mut Names) -> Result<Body<'a>, String> {
        let mut locals = Vec::new();
        for l in body.get_locals_reader().map_err(err)? {
            locals.push(l.map_err(err)?);
        }
        let mut ops = Vec::new();
        let mut reader = body.get_operators_reader().map_err(err)?;
        while !reader.eof() {
            let op = reader.read().map_err(err)?;
            match op {
                Operator::RefFunc { function_index } => {
                    names.ref_funcs.insert(function_index);
                }
                // A function reference may be to a host function as a table entry may.
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => names.call_indirect = true,
                _ => {}
            }
            let id = names.intern(spec_name(&op)?);
            ops.push((op, id));
        }
        Ok(Body { locals, ops })
    }
}

/// How an instruction with per-unit work is charged for it.
#[derive(Clone, Copy)]
struct Unit {
    /// Its price for units, not zero.
    rate: UnitRate,
    /// A grow: charged only when its result is not -1.
    grow: bool,
    /// The operand counting the units (and a grow's result) is an `i64`, not an `i32`.
    wide: bool,
}

/// Writes instrumented function bodies.
struct Emitter<'x> {
    layout: &'x Layout,
    name_prices: &'x [u64],
    host_prices: &'x [u64],
    rates: &'x PerUnitRates,
    /// Whether each memory is 64-bit.
    memory64: &'x [bool],
    /// Whether each table is 64-bit.
    table64: &'x [bool],
}

impl Emitter<'_> {
    /// How `op`'s per-unit work is charged, when it has some at a rate that is not zero.
    ///
    /// The units are counted by an operand of the memory's or table's address type: the length
    /// of `memory.fill` and `table.fill`, the delta of the grows; `memory.copy` and `table.copy`
    /// count with the smaller address type of their two memories or tables (an `i64` only
    /// between two 64-bit ones), and `memory.init` and `table.init` always with an `i32` (a
    /// segment's length).
    fn per_unit(&self, op: &Operator<'_>) -> Option<Unit> {
        let r = self.rates;
        let memory = |m: &u32| self.memory64.get(*m as usize) == Some(&true);
        let table = |t: &u32| self.table64.get(*t as usize) == Some(&true);
        let (rate, grow, wide) = match op {
            Operator::MemoryGrow { mem } => (r.memory_grow, true, memory(mem)),
            Operator::MemoryFill { mem } => (r.memory_fill, false, memory(mem)),
            Operator::MemoryCopy { dst_mem, src_mem } => {
                (r.memory_copy, false, memory(dst_mem) && memory(src_mem))
            }
            Operator::MemoryInit { .. } => (r.memory_init, false, false),
            Operator::TableGrow { table: t } => (r.table_grow, true, table(t)),
            Operator::TableFill { table: t } => (r.table_fill, false, table(t)),
            Operator::TableCopy {
                dst_table,
                src_table,
            } => (r.table_copy, false, table(dst_table) && table(src_table)),
            Operator::TableInit { .. } => (r.table_init, false, false),
            _ => return None,
        };
        (rate.gas > 0).then_some(Unit { rate, grow, wide })
    }

    fn function(&self, body: &Body<'_>, params: u32) -> Result<Function, String> {
        let mut locals = Vec::with_capacity(body.locals.len() + 1);
        let mut declared = 0u32;
        for &(n, ty) in &body.locals {
            locals.push((n, RoundtripReencoder.val_type(ty).map_err(err)?));
            declared += n;
        }
        let units: Vec<Option<Unit>> = body.ops.iter().map(|(op, _)| self.per_unit(op)).collect();
        let narrow = units.iter().flatten().any(|u| !u.wide);
        let wide = units.iter().flatten().any(|u| u.wide);
        // Scratch locals, each pair `n` (the operand that counts units) and `r` (a grow's
        // result): `i32`s first when any count is an `i32`, then `i64`s when any is an `i64`.
        let n32 = params + declared;
        let n64 = n32 + if narrow { 2 } else { 0 };
        if narrow {
            locals.push((2, ValType::I32));
        }
        if wide {
            locals.push((2, ValType::I64));
        }
        let mut f = Function::new(locals);
        self.charge_entry(&mut f, declared);
        for ((op, id), unit) in body.ops.iter().zip(units) {
            let mut base = self.name_prices[*id as usize];
            if let Operator::Call { function_index } | Operator::ReturnCall { function_index } = op
            {
                if let Some(&host) = self.host_prices.get(*function_index as usize) {
                    base = if self.layout.limit.is_some() {
                        base.saturating_add(host)
                    } else {
                        base.wrapping_add(host)
                    };
                }
            }
            let n = match unit {
                Some(Unit { wide: true, .. }) => n64,
                _ => n32,
            };
            if unit.is_some() {
                f.instruction(&Instruction::LocalTee(n));
            }
            if let Some(limit) = self.layout.limit {
                if base > 0 {
                    self.check_base(&mut f, limit, base);
                }
                if let Some(unit) = unit {
                    self.check_units(&mut f, limit, base, unit, n);
                }
            }
            if base > 0 {
                self.add_gas(&mut f, |f| {
                    f.instruction(&Instruction::I64Const(base as i64));
                });
            }
            let counter = self.layout.first_count + id;
            f.instruction(&Instruction::GlobalGet(counter));
            f.instruction(&Instruction::I64Const(1));
            f.instruction(&Instruction::I64Add);
            f.instruction(&Instruction::GlobalSet(counter));

            f.instruction(&RoundtripReencoder.instruction(op.clone()).map_err(err)?);

            if let Some(unit) = unit {
                if unit.grow {
                    // A grow's result, of its address type, is -1 when it failed.
                    let r = n + 1;
                    f.instruction(&Instruction::LocalTee(r));
                    f.instruction(&Instruction::LocalGet(r));
                    if unit.wide {
                        f.instruction(&Instruction::I64Const(-1));
                        f.instruction(&Instruction::I64Ne);
                    } else {
                        f.instruction(&Instruction::I32Const(-1));
                        f.instruction(&Instruction::I32Ne);
                    }
                    f.instruction(&Instruction::If(BlockType::Empty));
                }
                // With a limit, the check before has made sure that this price fits.
                self.add_gas(&mut f, |f| {
                    whole_groups(f, unit, n);
                    f.instruction(&Instruction::I64Const(unit.rate.gas as i64));
                    f.instruction(&Instruction::I64Mul);
                    rest_price(f, unit, n);
                    f.instruction(&Instruction::I64Add);
                });
                if unit.grow {
                    f.instruction(&Instruction::End);
                }
            }
        }
        Ok(f)
    }

    /// Entering the function: its `declared` locals at the per-local rate, before anything.
    fn charge_entry(&self, f: &mut Function, declared: u32) {
        let price = self.rates.local.price(u64::from(declared));
        let price = if self.layout.limit.is_some() {
            u64::try_from(price).unwrap_or(u64::MAX)
        } else {
            price as u64
        };
        if price == 0 {
            return;
        }
        if let Some(limit) = self.layout.limit {
            self.check_base(f, limit, price);
        }
        self.add_gas(f, |f| {
            f.instruction(&Instruction::I64Const(price as i64));
        });
    }

    /// `gas += <amount pushed by push>`.
    fn add_gas(&self, f: &mut Function, push: impl FnOnce(&mut Function)) {
        f.instruction(&Instruction::GlobalGet(self.layout.gas));
        push(f);
        f.instruction(&Instruction::I64Add);
        f.instruction(&Instruction::GlobalSet(self.layout.gas));
    }

    /// Out of gas when `base > limit - gas` (the total never exceeds the limit, so the
    /// subtraction does not wrap).
    fn check_base(&self, f: &mut Function, limit: u32, base: u64) {
        f.instruction(&Instruction::I64Const(base as i64));
        f.instruction(&Instruction::GlobalGet(limit));
        f.instruction(&Instruction::GlobalGet(self.layout.gas));
        f.instruction(&Instruction::I64Sub);
        f.instruction(&Instruction::I64GtU);
        self.stop_if(f);
    }

    /// After the base check passed: out of gas when the price of the `n` units exceeds
    /// `avail = limit - gas - base`. With `q = n / per`, the price is `q × gas + t`, where `t`,
    /// the price of the `n % per` units left over, is below `gas × per` and fits; so it is out of
    /// gas when `t > avail` or `q > (avail - t) / gas`, which never overflows, for any unsigned
    /// 64-bit `n` (compared unsigned, so a 64-bit count of 2^63 or more is a count, not a
    /// negative number).
    fn check_units(&self, f: &mut Function, limit: u32, base: u64, unit: Unit, n: u32) {
        let avail = |f: &mut Function| {
            f.instruction(&Instruction::GlobalGet(limit));
            f.instruction(&Instruction::GlobalGet(self.layout.gas));
            f.instruction(&Instruction::I64Sub);
            if base > 0 {
                f.instruction(&Instruction::I64Const(base as i64));
                f.instruction(&Instruction::I64Sub);
            }
        };
        rest_price(f, unit, n);
        avail(f);
        f.instruction(&Instruction::I64GtU);
        self.stop_if(f);
        whole_groups(f, unit, n);
        avail(f);
        rest_price(f, unit, n);
        f.instruction(&Instruction::I64Sub);
        f.instruction(&Instruction::I64Const(unit.rate.gas as i64));
        f.instruction(&Instruction::I64DivU);
        f.instruction(&Instruction::I64GtU);
        self.stop_if(f);
    }

    /// With the condition on the stack: if it holds, flag out of gas and trap.
    fn stop_if(&self, f: &mut Function) {
        f.instruction(&Instruction::If(BlockType::Empty));
        f.instruction(&Instruction::I32Const(1));
        f.instruction(&Instruction::GlobalSet(self.layout.out_of_gas));
        f.instruction(&Instruction::Unreachable);
        f.instruction(&Instruction::End);
    }
}

/// Pushes the units counted in local `n` as an unsigned `i64`.
fn units_as_i64(f: &mut Function, unit: Unit, n: u32) {
    f.instruction(&Instruction::LocalGet(n));
    if !unit.wide {
        f.instruction(&Instruction::I64ExtendI32U);
    }
}

/// Pushes `n / per`: the whole groups of `per` units in local `n`.
fn whole_groups(f: &mut Function, unit: Unit, n: u32) {
    units_as_i64(f, unit, n);
    f.instruction(&Instruction::I64Const(unit.rate.per as i64));
    f.instruction(&Instruction::I64DivU);
}

/// Pushes ceil((n % per) × gas / per): the price of the units left over from whole groups,
/// which `check_rates` makes sure is computed without overflow.
fn rest_price(f: &mut Function, unit: Unit, n: u32) {
    let UnitRate { gas, per } = unit.rate;
    units_as_i64(f, unit, n);
    f.instruction(&Instruction::I64Const(per as i64));
    f.instruction(&Instruction::I64RemU);
    f.instruction(&Instruction::I64Const(gas as i64));
    f.instruction(&Instruction::I64Mul);
    f.instruction(&Instruction::I64Const((per - 1) as i64));
    f.instruction(&Instruction::I64Add);
    f.instruction(&Instruction::I64Const(per as i64));
    f.instruction(&Instruction::I64DivU);
}

/// Refuses rates the instrumented code cannot compute: `per` 0, or `gas × per + per` beyond
/// `i64::MAX` (the left-over units' product, rounded up, must fit).
fn check_rates(r: &PerUnitRates) -> Result<(), String> {
    let rates = [
        ("memory.grow", r.memory_grow),
        ("memory.fill", r.memory_fill),
        ("memory.copy", r.memory_copy),
        ("memory.init", r.memory_init),
        ("table.grow", r.table_grow),
        ("table.fill", r.table_fill),
        ("table.copy", r.table_copy),
        ("table.init", r.table_init),
        ("local", r.local),
    ];
    for (name, UnitRate { gas, per }) in rates {
        let fits = gas
            .checked_mul(per)
            .and_then(|x| x.checked_add(per))
            .is_some_and(|x| x <= i64::MAX as u64);
        if per == 0 || !fits {
            return Err(format!(
                "the oracle cannot compute the rate of {name}: {gas} gas per {per} units"
            ));
        }
    }
    Ok(())
}

fn new_globals(
    existing: Option<GlobalSectionReader<'_>>,
    layout: &Layout,
    names: &[String],
    limit: Option<u64>,
) -> Result<GlobalSection, String> {
    let mut globals = GlobalSection::new();
    if let Some(reader) = existing {
        RoundtripReencoder
            .parse_global_section(&mut globals, reader)
            .map_err(err)?;
    }
    let i64_ty = GlobalType {
        val_type: ValType::I64,
        mutable: true,
        shared: false,
    };
    let i32_ty = GlobalType {
        val_type: ValType::I32,
        ..i64_ty
    };
    globals.global(i64_ty, &ConstExpr::i64_const(0));
    globals.global(i32_ty, &ConstExpr::i32_const(0));
    if let Some(limit) = limit {
        globals.global(i64_ty, &ConstExpr::i64_const(limit as i64));
    }
    debug_assert_eq!(
        layout.first_count - layout.gas,
        2 + u32::from(limit.is_some())
    );
    for _ in names {
        globals.global(i64_ty, &ConstExpr::i64_const(0));
    }
    Ok(globals)
}

fn new_exports(
    existing: Option<ExportSectionReader<'_>>,
    layout: &Layout,
    names: &[String],
) -> Result<ExportSection, String> {
    let mut exports = ExportSection::new();
    if let Some(reader) = existing {
        RoundtripReencoder
            .parse_export_section(&mut exports, reader)
            .map_err(err)?;
    }
    exports.export(GAS_EXPORT, ExportKind::Global, layout.gas);
    exports.export(OUT_OF_GAS_EXPORT, ExportKind::Global, layout.out_of_gas);
    if let Some(limit) = layout.limit {
        exports.export(LIMIT_EXPORT, ExportKind::Global, limit);
    }
    for (k, name) in names.iter().enumerate() {
        exports.export(
            &format!("{COUNT_PREFIX}{name}"),
            ExportKind::Global,
            layout.first_count + k as u32,
        );
    }
    Ok(exports)
}
