//! Assembly of register IR into ops: each op carries its handler and up to four operands, and
//! jumps become offsets relative to the op that jumps.

use super::handlers as h;
use super::{Exec, Flow};
use crate::ir::{Cmp, CompiledFunc, Instr, LoadKind, StoreKind};
use crate::numeric::for_each_numeric;
use crate::store::StoreInner;

/// A handler: does one op's work and continues with the next (see the module documentation).
/// A handler: the op, the frame, the interpreter's state, the store, and the gas left (kept in a
/// register while handlers run; `Exec::gas` holds it whenever they return).
pub(crate) type Handler = unsafe fn(*const Op, *mut u64, &mut Exec, &mut StoreInner, u64) -> Flow;

/// One assembled instruction.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    pub(crate) handler: Handler,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) c: u32,
    pub(crate) d: u32,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Op({}, {}, {}, {})", self.a, self.b, self.c, self.d)
    }
}

fn op(handler: Handler, a: u32, b: u32, c: u32, d: u32) -> Op {
    Op {
        handler,
        a,
        b,
        c,
        d,
    }
}

/// How many ops `instr` takes: instructions with five operands spill the last into a second op,
/// and a charge of nothing (a block of `end`s and `loop`s under the default table) is dropped
/// unless charges are traced (histograms must still count those instructions).
fn width(instr: &Instr, func: &CompiledFunc) -> usize {
    match instr {
        Instr::TableCopy { .. } | Instr::TableInit { .. } => 2,
        Instr::Charge { block } if func.meter_blocks[*block as usize].cost == 0 && !func.traced => {
            0
        }
        _ => 1,
    }
}

fn cmp_i32(cmp: Cmp) -> super::assemble::Handler {
    match cmp {
        Cmp::Eq => h::br_i32_eq,
        Cmp::Ne => h::br_i32_ne,
        Cmp::LtS => h::br_i32_lt_s,
        Cmp::LtU => h::br_i32_lt_u,
        Cmp::GtS => h::br_i32_gt_s,
        Cmp::GtU => h::br_i32_gt_u,
        Cmp::LeS => h::br_i32_le_s,
        Cmp::LeU => h::br_i32_le_u,
        Cmp::GeS => h::br_i32_ge_s,
        Cmp::GeU => h::br_i32_ge_u,
    }
}

fn cmp_i64(cmp: Cmp) -> Handler {
    match cmp {
        Cmp::Eq => h::br_i64_eq,
        Cmp::Ne => h::br_i64_ne,
        Cmp::LtS => h::br_i64_lt_s,
        Cmp::LtU => h::br_i64_lt_u,
        Cmp::GtS => h::br_i64_gt_s,
        Cmp::GtU => h::br_i64_gt_u,
        Cmp::LeS => h::br_i64_le_s,
        Cmp::LeU => h::br_i64_le_u,
        Cmp::GeS => h::br_i64_ge_s,
        Cmp::GeU => h::br_i64_ge_u,
    }
}

fn load(kind: LoadKind) -> Handler {
    match kind {
        LoadKind::I32 | LoadKind::F32 | LoadKind::I64_32U => h::load_u32,
        LoadKind::I64 | LoadKind::F64 => h::load_u64,
        LoadKind::I32_8S => h::load_i32_8s,
        LoadKind::I32_8U | LoadKind::I64_8U => h::load_u8,
        LoadKind::I32_16S => h::load_i32_16s,
        LoadKind::I32_16U | LoadKind::I64_16U => h::load_u16,
        LoadKind::I64_8S => h::load_i64_8s,
        LoadKind::I64_16S => h::load_i64_16s,
        LoadKind::I64_32S => h::load_i64_32s,
    }
}

fn store(kind: StoreKind) -> Handler {
    match kind {
        StoreKind::B1 => h::store_8,
        StoreKind::B2 => h::store_16,
        StoreKind::B4 => h::store_32,
        StoreKind::B8 => h::store_64,
    }
}

/// Assembles `func.code` into `func.ops` (and `func.br_targets`).
pub(crate) fn assemble(func: &mut CompiledFunc) {
    // Op index of every instruction, and one past the end.
    let mut at = Vec::with_capacity(func.code.len() + 1);
    let mut n = 0;
    for instr in &func.code {
        at.push(n);
        n += width(instr, func);
    }
    at.push(n);
    let rel = |from: usize, target: u32| (at[target as usize] as i64 - at[from] as i64) as u32;
    let mut ops = Vec::with_capacity(n);
    let mut br_targets = Vec::with_capacity(func.br_tables.len());
    let mut op_meter = Vec::new();
    for (pc, &instr) in func.code.iter().enumerate() {
        if width(&instr, func) == 0 {
            continue;
        }
        macro_rules! numeric {
            ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
                match instr {
                    $(Instr::$name { dst, a, b } => op(h::$name, dst, a, b, 0),)*
                    Instr::Copy { dst, src } => op(h::copy, dst, src, 0, 0),
                    Instr::Select { dst, cond, a, b } => op(h::select, dst, cond, a, b),
                    Instr::Br { target } => op(h::br, rel(pc, target), 0, 0, 0),
                    Instr::BrIfNz { cond, target } => op(h::br_if_nz, cond, rel(pc, target), 0, 0),
                    Instr::BrIfZ { cond, target } => op(h::br_if_z, cond, rel(pc, target), 0, 0),
                    Instr::BrCmpI32 { cmp, a, b, target } => op(cmp_i32(cmp), a, b, rel(pc, target), 0),
                    Instr::BrCmpI64 { cmp, a, b, target } => op(cmp_i64(cmp), a, b, rel(pc, target), 0),
                    Instr::BrTable { index, start, len } => {
                        let first = br_targets.len() as u32;
                        for &t in &func.br_tables[start as usize..(start + len) as usize] {
                            br_targets.push(rel(pc, t));
                        }
                        op(h::br_table, index, first, len, 0)
                    }
                    Instr::Return => op(h::ret, 0, 0, 0, 0),
                    Instr::Charge { block } => {
                        let cost = func.meter_blocks[block as usize].cost;
                        let handler: Handler = if func.traced { h::charge_traced } else { h::charge };
                        op(handler, cost as u32, (cost >> 32) as u32, block, 0)
                    }
                    Instr::Unreachable => op(h::unreachable, 0, 0, 0, 0),
                    Instr::Call { func, base } => op(h::call, func, base, 0, 0),
                    Instr::CallIndirect { ty, table, index, base } => {
                        op(h::call_indirect, ty, table, index, base)
                    }
                    Instr::GlobalGet { dst, global } => op(h::global_get, dst, global, 0, 0),
                    Instr::GlobalSet { src, global } => op(h::global_set, src, global, 0, 0),
                    Instr::Load { kind, dst, addr, offset } => op(load(kind), dst, addr, offset, 0),
                    Instr::Store { kind, addr, value, offset } => {
                        op(store(kind), addr, value, offset, 0)
                    }
                    Instr::MemorySize { dst } => op(h::memory_size, dst, 0, 0, 0),
                    Instr::MemoryGrow { dst, delta } => op(h::memory_grow, dst, delta, 0, 0),
                    Instr::MemoryFill { d, val, n } => op(h::memory_fill, d, val, n, 0),
                    Instr::MemoryCopy { d, s, n } => op(h::memory_copy, d, s, n, 0),
                    Instr::MemoryInit { data, d, s, n } => op(h::memory_init, data, d, s, n),
                    Instr::DataDrop { data } => op(h::data_drop, data, 0, 0, 0),
                    Instr::TableGet { dst, table, index } => op(h::table_get, dst, table, index, 0),
                    Instr::TableSet { table, index, value } => op(h::table_set, table, index, value, 0),
                    Instr::TableSize { dst, table } => op(h::table_size, dst, table, 0, 0),
                    Instr::TableGrow { dst, table, init, delta } => {
                        op(h::table_grow, dst, table, init, delta)
                    }
                    Instr::TableFill { table, d, val, n } => op(h::table_fill, table, d, val, n),
                    Instr::TableCopy { dst_table, src_table, d, s, n } => {
                        ops.push(op(h::table_copy, dst_table, src_table, d, s));
                        op(h::unreachable, n, 0, 0, 0)
                    }
                    Instr::TableInit { table, elem, d, s, n } => {
                        ops.push(op(h::table_init, table, elem, d, s));
                        op(h::unreachable, n, 0, 0, 0)
                    }
                    Instr::ElemDrop { elem } => op(h::elem_drop, elem, 0, 0, 0),
                    Instr::RefIsNull { dst, src } => op(h::ref_is_null, dst, src, 0, 0),
                    Instr::RefFunc { dst, func } => op(h::ref_func, dst, func, 0, 0),
                }
            };
        }
        let assembled = for_each_numeric!(numeric);
        ops.push(assembled);
        if let Some(&m) = func.meter.get(pc) {
            op_meter.resize(ops.len(), m);
        }
    }
    if !func.traced {
        pay_charges_in_branches(&mut ops);
    }
    func.op_meter = op_meter;
    func.ops = ops;
    func.br_targets = br_targets;
}

/// Metered code: a branch whose target is a charge (that fits in an operand) becomes its paid
/// variant, which holds the price and pays it without reading the target first.
fn pay_charges_in_branches(ops: &mut [Op]) {
    for i in 0..ops.len() {
        let o = ops[i];
        let (paid, rel): (Handler, u32) = if std::ptr::fn_addr_eq(o.handler, h::br as Handler) {
            (h::br_paid, o.a)
        } else if std::ptr::fn_addr_eq(o.handler, h::br_if_nz as Handler) {
            (h::br_if_nz_paid, o.b)
        } else if std::ptr::fn_addr_eq(o.handler, h::br_if_z as Handler) {
            (h::br_if_z_paid, o.b)
        } else if let Some(&(_, paid)) = h::PAID_CMP_BRANCHES
            .iter()
            .find(|(plain, _)| std::ptr::fn_addr_eq(o.handler, *plain))
        {
            (paid, o.c)
        } else {
            continue;
        };
        let target = ops[(i as isize + rel as i32 as isize) as usize];
        if std::ptr::fn_addr_eq(target.handler, h::charge as Handler) && target.b == 0 {
            ops[i].handler = paid;
            ops[i].d = target.a;
        }
    }
}
