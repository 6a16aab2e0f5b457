//! Assembly of register IR into ops, the interpreter's code: each op carries its handler and up
//! to four operands, and jumps become offsets relative to the op that jumps.
//!
//! Metered code is assembled in one of two modes (`Metering`): *paid*, where whoever jumps to
//! the start of a metering block pays its charge (a branch holds the price, a call or return
//! reads it from the charge op it lands on, which it knows is there, and so does a conditional
//! branch not taken from the charge op after it), or *traced*, where every
//! charge op runs so that histograms and gas profiles see each block. Unmetered code has no
//! charges, and its branches, calls and returns do nothing for metering at all.

use super::exception::{self, Catch, Region};
use super::handlers as h;
use super::memories;
use super::simd;
use super::state::Vm;
use super::{Exec, Flow};
use crate::compile::ir::{Cmp, CompiledFunc, Instr, LoadKind, StoreKind};
use crate::compile::Source;
use crate::meter::CodeMeter;
use crate::numeric::for_each_numeric;
use std::sync::{Arc, OnceLock};

/// A handler: the op, the frame, the interpreter's state, the store's entities, and the gas left
/// (kept in a register while handlers run; `Meter::gas` holds it whenever they return).
pub(crate) type Handler = unsafe fn(*const Op, *mut u64, &mut Exec, &mut Vm, u64) -> Flow;

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

/// How code is metered, which decides the handlers it is assembled with (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metering {
    Off,
    Paid,
    Traced,
}

impl Metering {
    /// The mode of code compiled with or without a cost table, traced or not.
    pub(crate) fn new(metered: bool, traced: bool) -> Metering {
        match (metered, traced) {
            (false, _) => Metering::Off,
            (true, false) => Metering::Paid,
            (true, true) => Metering::Traced,
        }
    }

    /// How code compiled this way is described in errors.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Metering::Off => "unmetered",
            Metering::Paid => "metered",
            Metering::Traced => "metered with histograms or gas profiles",
        }
    }
}

/// Most zeroed locals a frame template holds; more are zeroed by a fill.
const TEMPLATE_ZEROS: u32 = 256;

/// Frame templates are copied a chunk of slots at a time, so that a call's copy is a short loop
/// rather than a jump on the template's length: a jump table's one indirect branch, shared by
/// every call, went wherever the last callee's length sent it, and mispredicted. Eight slots
/// (a cache line) hold most functions' templates whole, and one chunk is copied without a loop.
pub(crate) const CHUNK: usize = 8;
pub(crate) type TemplateChunk = [u64; CHUNK];

/// A function assembled for the interpreter.
///
/// What a call reads comes first and the struct is aligned to a cache line: the template's
/// first chunk fills the first line and the entry's fields start the second, so a call waits
/// on one miss (and its adjacent line) rather than on a chain of two, the fields and then a
/// separately allocated template (measured in `call_own` on large programs).
#[derive(Debug, Default)]
#[repr(C, align(64))]
pub(crate) struct Code {
    /// What a call writes after the parameters and `zero_fill` (`init_frame`), its first chunk
    /// here and the rest in `more_chunks`: zeroed declared locals (unless they are many), then
    /// the constants, then zeros up to a whole chunk. Every frame has room for one chunk, so
    /// it is written on every call without looking at the template's length.
    pub(crate) first_chunk: TemplateChunk,
    pub(crate) ops: Vec<Op>,
    /// Parameters.
    pub(crate) params: u32,
    /// Declared locals zeroed by the `zero_locals` op at the entry rather than copied from the
    /// template: all of them when there are more than `TEMPLATE_ZEROS`, so a function's
    /// template never grows with what its declarations claim.
    pub(crate) zero_fill: u32,
    /// Slots the frame needs.
    pub(crate) frame_size: u32,
    /// The template's chunks after the first.
    pub(crate) more_chunks: Box<[TemplateChunk]>,
    /// `br_table` targets as offsets from their `br_table` op.
    pub(crate) br_targets: Vec<u32>,
    /// Metered code: its metering blocks, and the position of each op in them. Paid code
    /// drops them once assembled and computes them again on first need (`Code::meter`).
    pub(crate) meter: OnceLock<CodeMeter>,
    /// Paid code whose `meter` was dropped: how to compute it again.
    pub(crate) relower: Option<Relower>,
    /// A number no other assembled function in this process has (histogram counters use it).
    pub(crate) id: u32,
    /// The function's index in its module (imports counted), for backtraces.
    pub(crate) index: u32,
    /// Its `try_table` bodies, in the order they start (`exec/exception.rs`).
    pub(crate) regions: Box<[Region]>,
}

// The layout the doc comment above promises.
const _: () =
    assert!(std::mem::offset_of!(Code, first_chunk) == 0 && std::mem::offset_of!(Code, ops) == 64);

impl Code {
    /// The metering of metered code: computed again, the first time a slow path asks (out of
    /// gas, a trap, per-unit work, a suspension), where paid code dropped it. It is a few bytes
    /// per op that fast paths never read, for code most of which never stops.
    pub(crate) fn meter(&self) -> Option<&CodeMeter> {
        if let Some(meter) = self.meter.get() {
            return Some(meter);
        }
        let again = self.relower.as_ref()?;
        Some(self.meter.get_or_init(|| again.meter(self)))
    }
}

/// How to compute the metering of a paid function again: lowering and assembling it again
/// gives the same ops, of which only the metering is kept.
#[derive(Debug)]
pub(crate) struct Relower {
    source: Arc<Source>,
    /// The function, counted from the module's first own one.
    index: usize,
    interruptible: bool,
}

impl Relower {
    pub(crate) fn new(source: Arc<Source>, index: usize, interruptible: bool) -> Relower {
        Relower {
            source,
            index,
            interruptible,
        }
    }

    /// The metering of `code`, which was assembled from this function.
    pub(crate) fn meter(&self, code: &Code) -> CodeMeter {
        let ir = self
            .source
            .lower(self.index)
            .expect("a function lowered once lowers again");
        let imported = self.source.imported_funcs();
        let mut again = assemble(&ir, Metering::Paid, self.interruptible, imported, code.id);
        assert_eq!(again.ops.len(), code.ops.len(), "lowering is deterministic");
        again.meter.take().expect("paid code is metered")
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
/// and paid code drops a charge of nothing (a block of `end`s and `loop`s under the default
/// table) where nothing jumps to it: only fall-through reaches it, and it would do nothing.
fn width(instr: &Instr, pc: usize, func: &CompiledFunc, landing: &[bool], mode: Metering) -> usize {
    match instr {
        Instr::TableCopy { .. } | Instr::TableInit { .. } => 2,
        // The memory index spills into a second op (for memory 0 too: the bulk instructions
        // are not hot, and one handler serves every memory).
        Instr::MemoryCopy { .. } | Instr::MemoryInit { .. } => 2,
        // A SIMD access on memory 0 has a handler of its own, with no index.
        Instr::SimdLoad { memory, addr64, .. } | Instr::SimdStore { memory, addr64, .. }
            if *memory != 0 || *addr64 =>
        {
            2
        }
        Instr::Charge { block } if mode == Metering::Paid && !landing[pc] => {
            usize::from(block_cost(func, *block) != 0)
        }
        _ => 1,
    }
}

fn block_cost(func: &CompiledFunc, block: u32) -> u64 {
    func.meter.as_ref().map_or(0, |m| m.cost(block))
}

/// Which instructions something other than fall-through reaches: branch targets, the entry,
/// and the instruction after a call (where a return lands).
fn landings(func: &CompiledFunc) -> Vec<bool> {
    let mut landing = vec![false; func.code.len() + 1];
    landing[0] = true;
    for (pc, instr) in func.code.iter().enumerate() {
        match *instr {
            Instr::Br { target }
            | Instr::BrIfNz { target, .. }
            | Instr::BrIfZ { target, .. }
            | Instr::BrIfNull { target, .. }
            | Instr::BrIfNonNull { target, .. }
            | Instr::BrCmpI32 { target, .. }
            | Instr::BrCmpI64 { target, .. } => landing[target as usize] = true,
            Instr::Call { .. } | Instr::CallIndirect { .. } | Instr::CallRef { .. } => {
                landing[pc + 1] = true
            }
            _ => {}
        }
    }
    for &t in &func.br_tables {
        landing[t as usize] = true;
    }
    for c in func.try_regions.iter().flat_map(|r| &r.catches) {
        landing[c.landing as usize] = true;
    }
    landing
}

/// Picks the variant of a branch handler: paid or not, checking for interrupts or not.
macro_rules! variant {
    ($paid:expr, $check:expr, $h:ident) => {
        match ($paid, $check) {
            (false, false) => h::$h::<false, false> as Handler,
            (false, true) => h::$h::<false, true> as Handler,
            (true, false) => h::$h::<true, false> as Handler,
            (true, true) => h::$h::<true, true> as Handler,
        }
    };
}

/// Picks the variant of a conditional branch handler: paid or not at its target, checking for
/// interrupts or not, paying the charge that follows it when not taken or not.
macro_rules! cond_variant {
    ($paid:expr, $check:expr, $fall:expr, $h:ident) => {
        match ($paid, $check, $fall) {
            (false, false, false) => h::$h::<false, false, false> as Handler,
            (false, false, true) => h::$h::<false, false, true> as Handler,
            (false, true, false) => h::$h::<false, true, false> as Handler,
            (false, true, true) => h::$h::<false, true, true> as Handler,
            (true, false, false) => h::$h::<true, false, false> as Handler,
            (true, false, true) => h::$h::<true, false, true> as Handler,
            (true, true, false) => h::$h::<true, true, false> as Handler,
            (true, true, true) => h::$h::<true, true, true> as Handler,
        }
    };
}

/// Picks the variant of a return handler for code metered in `mode`.
macro_rules! by_mode {
    ($mode:expr, $h:ident) => {
        match $mode {
            Metering::Off => h::$h::<{ h::UNMETERED }> as Handler,
            Metering::Paid => h::$h::<{ h::PAID }> as Handler,
            Metering::Traced => h::$h::<{ h::TRACED }> as Handler,
        }
    };
}

/// Picks the variant of a call handler for code metered in `mode`, checking for interrupts or
/// not.
macro_rules! call_variant {
    ($mode:expr, $check:expr, $h:ident) => {
        match ($mode, $check) {
            (Metering::Off, false) => h::$h::<{ h::UNMETERED }, false> as Handler,
            (Metering::Off, true) => h::$h::<{ h::UNMETERED }, true> as Handler,
            (Metering::Paid, false) => h::$h::<{ h::PAID }, false> as Handler,
            (Metering::Paid, true) => h::$h::<{ h::PAID }, true> as Handler,
            (Metering::Traced, false) => h::$h::<{ h::TRACED }, false> as Handler,
            (Metering::Traced, true) => h::$h::<{ h::TRACED }, true> as Handler,
        }
    };
}

/// The handler of a direct call of one of the module's own functions, where code so metered
/// has one: traced code's calls name their callee's store function to the gas profile, which
/// `call_own` does not look up.
fn call_own(mode: Metering, check: bool) -> Option<Handler> {
    Some(match (mode, check) {
        (Metering::Off, false) => h::call_own::<{ h::UNMETERED }, false>,
        (Metering::Off, true) => h::call_own::<{ h::UNMETERED }, true>,
        (Metering::Paid, false) => h::call_own::<{ h::PAID }, false>,
        (Metering::Paid, true) => h::call_own::<{ h::PAID }, true>,
        (Metering::Traced, _) => return None,
    })
}

fn cmp_i32(cmp: Cmp, paid: bool, check: bool, fall: bool) -> Handler {
    match cmp {
        Cmp::Eq => cond_variant!(paid, check, fall, br_i32_eq),
        Cmp::Ne => cond_variant!(paid, check, fall, br_i32_ne),
        Cmp::LtS => cond_variant!(paid, check, fall, br_i32_lt_s),
        Cmp::LtU => cond_variant!(paid, check, fall, br_i32_lt_u),
        Cmp::GtS => cond_variant!(paid, check, fall, br_i32_gt_s),
        Cmp::GtU => cond_variant!(paid, check, fall, br_i32_gt_u),
        Cmp::LeS => cond_variant!(paid, check, fall, br_i32_le_s),
        Cmp::LeU => cond_variant!(paid, check, fall, br_i32_le_u),
        Cmp::GeS => cond_variant!(paid, check, fall, br_i32_ge_s),
        Cmp::GeU => cond_variant!(paid, check, fall, br_i32_ge_u),
    }
}

fn cmp_i64(cmp: Cmp, paid: bool, check: bool, fall: bool) -> Handler {
    match cmp {
        Cmp::Eq => cond_variant!(paid, check, fall, br_i64_eq),
        Cmp::Ne => cond_variant!(paid, check, fall, br_i64_ne),
        Cmp::LtS => cond_variant!(paid, check, fall, br_i64_lt_s),
        Cmp::LtU => cond_variant!(paid, check, fall, br_i64_lt_u),
        Cmp::GtS => cond_variant!(paid, check, fall, br_i64_gt_s),
        Cmp::GtU => cond_variant!(paid, check, fall, br_i64_gt_u),
        Cmp::LeS => cond_variant!(paid, check, fall, br_i64_le_s),
        Cmp::LeU => cond_variant!(paid, check, fall, br_i64_le_u),
        Cmp::GeS => cond_variant!(paid, check, fall, br_i64_ge_s),
        Cmp::GeU => cond_variant!(paid, check, fall, br_i64_ge_u),
    }
}

/// The handler of a load of `kind` in module `$m`: `h` (memory 0), `memories` (the other 32-bit
/// memories) or `memories::wide` (64-bit memories).
macro_rules! load_of {
    ($($m:ident)::+, $kind:expr) => {
        match $kind {
            LoadKind::I32 | LoadKind::F32 | LoadKind::I64_32U => $($m)::+::load_u32,
            LoadKind::I64 | LoadKind::F64 => $($m)::+::load_u64,
            LoadKind::I32_8S => $($m)::+::load_i32_8s,
            LoadKind::I32_8U | LoadKind::I64_8U => $($m)::+::load_u8,
            LoadKind::I32_16S => $($m)::+::load_i32_16s,
            LoadKind::I32_16U | LoadKind::I64_16U => $($m)::+::load_u16,
            LoadKind::I64_8S => $($m)::+::load_i64_8s,
            LoadKind::I64_16S => $($m)::+::load_i64_16s,
            LoadKind::I64_32S => $($m)::+::load_i64_32s,
        }
    };
}

/// The handler of a store of `kind` in module `$m`, as for `load_of!`.
macro_rules! store_of {
    ($($m:ident)::+, $kind:expr) => {
        match $kind {
            StoreKind::B1 => $($m)::+::store_8,
            StoreKind::B2 => $($m)::+::store_16,
            StoreKind::B4 => $($m)::+::store_32,
            StoreKind::B8 => $($m)::+::store_64,
        }
    };
}

/// The handler of a SIMD access to a memory other than a 32-bit memory 0.
fn simd_access_of(code: ssvm_binary::Opcode, addr64: bool) -> Handler {
    if addr64 {
        memories::wide::simd_access_handler_of(code)
    } else {
        memories::simd_access_handler_of(code)
    }
}

fn load(kind: LoadKind) -> Handler {
    load_of!(h, kind)
}

fn store(kind: StoreKind) -> Handler {
    store_of!(h, kind)
}

/// Assembles a function's IR into the interpreter's code; `id` must be unique in the process.
/// Interruptible code (`interruptible`) checks for an interrupt at every back edge and call.
/// `imported` is the number of the module's imported functions: direct calls of the others
/// find their callee in the module's code (`call_own`).
pub(crate) fn assemble(
    func: &CompiledFunc,
    mode: Metering,
    interruptible: bool,
    imported: u32,
    id: u32,
) -> Code {
    let landing = landings(func);
    let declared_locals = func.locals - func.params;
    let zero_fill = if declared_locals > TEMPLATE_ZEROS {
        declared_locals
    } else {
        0
    };
    // A frame too large for its template is zeroed by an op of its own at the entry, after the
    // entry's charge in metered code (which prices the locals), so that only a paid entry does
    // the work: out of gas there stops before it, and resumption charges, then zeroes.
    let fill = zero_fill > 0;
    let charged_entry = matches!(func.code.first(), Some(Instr::Charge { .. }));
    let zero_op = op(h::zero_locals, 0, 0, 0, 0);
    // Op index of every instruction, and one past the end.
    let mut at = Vec::with_capacity(func.code.len() + 1);
    let mut n = 0;
    for (pc, instr) in func.code.iter().enumerate() {
        at.push(n);
        n += width(instr, pc, func, &landing, mode) + usize::from(fill && pc == 0);
    }
    at.push(n);
    if fill && !charged_entry {
        // Unmetered: the fill comes first, and a branch to the first instruction skips it.
        at[0] = 1;
    }
    let rel = |from: usize, target: u32| (at[target as usize] as i64 - at[from] as i64) as u32;
    // Paid code: the price a branch to `target` pays for the charge there, if it fits an operand.
    let paid_price = |target: u32| match func.code.get(target as usize) {
        Some(Instr::Charge { block }) if mode == Metering::Paid => {
            u32::try_from(block_cost(func, *block)).ok()
        }
        _ => None,
    };
    let paid = |target: u32| paid_price(target).is_some();
    // Only a branch back (to a loop) can repeat code without a call.
    let back = |pc: usize, target: u32| interruptible && target as usize <= pc;
    let price = |target: u32| paid_price(target).unwrap_or(0);
    // Paid code: whether the op after the conditional branch at `pc` is the charge of the block
    // it falls into, which the branch pays when not taken.
    let fall = |pc: usize| {
        mode == Metering::Paid
            && matches!(func.code.get(pc + 1),
                Some(next @ Instr::Charge { .. }) if width(next, pc + 1, func, &landing, mode) == 1)
    };
    let mut ops = Vec::with_capacity(n);
    let mut br_targets = Vec::with_capacity(func.br_tables.len());
    let mut positions = Vec::new();
    let meter = func.meter.as_ref();
    for (pc, &instr) in func.code.iter().enumerate() {
        if width(&instr, pc, func, &landing, mode) == 0 {
            continue;
        }
        macro_rules! numeric {
            ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
                match instr {
                    $(Instr::$name { dst, a, b } => op(h::$name, dst, a, b, 0),)*
                    Instr::Copy { dst, src } => op(h::copy, dst, src, 0, 0),
                    Instr::Select { dst, cond, a, b } => op(h::select, dst, cond, a, b),
                    Instr::Br { target } => {
                        op(variant!(paid(target), back(pc, target), br), rel(pc, target), 0, 0, price(target))
                    }
                    Instr::BrIfNz { cond, target } => {
                        op(cond_variant!(paid(target), back(pc, target), fall(pc), br_if_nz), cond, rel(pc, target), 0, price(target))
                    }
                    Instr::BrIfZ { cond, target } => {
                        op(cond_variant!(paid(target), back(pc, target), fall(pc), br_if_z), cond, rel(pc, target), 0, price(target))
                    }
                    Instr::BrIfNull { cond, target } => {
                        op(cond_variant!(paid(target), back(pc, target), fall(pc), br_if_null), cond, rel(pc, target), 0, price(target))
                    }
                    Instr::BrIfNonNull { cond, target } => {
                        op(cond_variant!(paid(target), back(pc, target), fall(pc), br_if_non_null), cond, rel(pc, target), 0, price(target))
                    }
                    Instr::BrCmpI32 { cmp, a, b, target } => {
                        op(cmp_i32(cmp, paid(target), back(pc, target), fall(pc)), a, b, rel(pc, target), price(target))
                    }
                    Instr::BrCmpI64 { cmp, a, b, target } => {
                        op(cmp_i64(cmp, paid(target), back(pc, target), fall(pc)), a, b, rel(pc, target), price(target))
                    }
                    Instr::BrTable { index, start, len } => {
                        let first = br_targets.len() as u32;
                        for &t in &func.br_tables[start as usize..(start + len) as usize] {
                            br_targets.push(rel(pc, t));
                        }
                        op(h::br_table, index, first, len, 0)
                    }
                    Instr::Return => op(by_mode!(mode, ret), 0, 0, 0, 0),
                    Instr::Charge { block } => {
                        let cost = block_cost(func, block);
                        let handler: Handler = if mode == Metering::Traced {
                            crate::meter::charge_traced
                        } else {
                            crate::meter::charge
                        };
                        op(handler, cost as u32, (cost >> 32) as u32, block, 0)
                    }
                    Instr::Unreachable => op(h::unreachable, 0, 0, 0, 0),
                    Instr::Throw { tag, base } => op(exception::throw, tag, base, 0, 0),
                    Instr::ThrowRef { exn } => op(exception::throw_ref, exn, 0, 0, 0),
                    Instr::Call { func, base } => match call_own(mode, interruptible) {
                        Some(handler) if func >= imported => {
                            op(handler, func, base, func - imported, 0)
                        }
                        _ => op(call_variant!(mode, interruptible, call), func, base, 0, 0),
                    },
                    Instr::CallIndirect { ty, table, index, base } => {
                        op(call_variant!(mode, interruptible, call_indirect), ty, table, index, base)
                    }
                    Instr::ReturnCall { func, base } => {
                        op(call_variant!(mode, interruptible, return_call), func, base, 0, 0)
                    }
                    Instr::CallRef { callee, base } => {
                        op(call_variant!(mode, interruptible, call_ref), callee, base, 0, 0)
                    }
                    Instr::ReturnCallRef { callee, base } => {
                        op(call_variant!(mode, interruptible, return_call_ref), callee, base, 0, 0)
                    }
                    Instr::ReturnCallIndirect { ty, table, index, base } => {
                        let handler = call_variant!(mode, interruptible, return_call_indirect);
                        op(handler, ty, table, index, base)
                    }
                    Instr::GlobalGet { dst, global } => op(h::global_get, dst, global, 0, 0),
                    Instr::GlobalSet { src, global } => op(h::global_set, src, global, 0, 0),
                    Instr::Load { kind, dst, addr, offset, memory: 0, addr64: false } => {
                        op(load(kind), dst, addr, offset, 0)
                    }
                    Instr::Store { kind, addr, value, offset, memory: 0, addr64: false } => {
                        op(store(kind), addr, value, offset, 0)
                    }
                    // 64-bit memories' accesses (their offset a slot), the other memories', and
                    // every memory's size, grow and bulk instructions (memories.rs): the memory
                    // index is an operand.
                    Instr::Load { kind, dst, addr, offset, memory, addr64: true } => {
                        op(load_of!(memories::wide, kind), dst, addr, offset, memory)
                    }
                    Instr::Store { kind, addr, value, offset, memory, addr64: true } => {
                        op(store_of!(memories::wide, kind), addr, value, offset, memory)
                    }
                    Instr::Load { kind, dst, addr, offset, memory, addr64: false } => {
                        op(load_of!(memories, kind), dst, addr, offset, memory)
                    }
                    Instr::Store { kind, addr, value, offset, memory, addr64: false } => {
                        op(store_of!(memories, kind), addr, value, offset, memory)
                    }
                    Instr::MemorySize { dst, memory } => op(memories::memory_size, dst, memory, 0, 0),
                    Instr::MemoryGrow { dst, delta, memory } => {
                        op(memories::memory_grow, dst, delta, memory, 0)
                    }
                    Instr::MemoryFill { d, val, n, memory } => {
                        op(memories::memory_fill, d, val, n, memory)
                    }
                    Instr::MemoryCopy { d, s, n, dst_memory, src_memory } => {
                        ops.push(op(memories::memory_copy, d, s, n, dst_memory));
                        op(h::unreachable, src_memory, 0, 0, 0)
                    }
                    Instr::MemoryInit { data, d, s, n, memory } => {
                        ops.push(op(memories::memory_init, data, d, s, n));
                        op(h::unreachable, memory, 0, 0, 0)
                    }
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
                    Instr::RefAsNonNull { dst, src } => op(h::ref_as_non_null, dst, src, 0, 0),
                    Instr::RefFunc { dst, func } => op(h::ref_func, dst, func, 0, 0),
                    Instr::CopyV128 { dst, src } => op(simd::copy_v128, dst, src, 0, 0),
                    Instr::SelectV128 { dst, cond, a, b } => op(simd::select_v128, dst, cond, a, b),
                    Instr::GlobalGetV128 { dst, global } => op(simd::global_get_v128, dst, global, 0, 0),
                    Instr::GlobalSetV128 { src, global } => op(simd::global_set_v128, src, global, 0, 0),
                    Instr::Simd { op: code, dst, a, b, c } => op(simd::handler_of(code), dst, a, b, c),
                    Instr::SimdLane { op: code, dst, a, b, lane } => {
                        op(simd::handler_of(code), dst, a, b, u32::from(lane))
                    }
                    Instr::SimdLoad { op: code, dst, addr, offset, vec, lane, memory: 0, addr64: false } => {
                        op(simd::access_handler_of(code), dst, addr, offset, (vec << 8) | u32::from(lane))
                    }
                    Instr::SimdStore { op: code, addr, value, offset, lane, memory: 0, addr64: false } => {
                        op(simd::access_handler_of(code), value, addr, offset, u32::from(lane))
                    }
                    Instr::SimdLoad { op: code, dst, addr, offset, vec, lane, memory, addr64 } => {
                        let handler = simd_access_of(code, addr64);
                        ops.push(op(handler, dst, addr, offset, (vec << 8) | u32::from(lane)));
                        op(h::unreachable, memory, 0, 0, 0)
                    }
                    Instr::SimdStore { op: code, addr, value, offset, lane, memory, addr64 } => {
                        let handler = simd_access_of(code, addr64);
                        ops.push(op(handler, value, addr, offset, u32::from(lane)));
                        op(h::unreachable, memory, 0, 0, 0)
                    }
                }
            };
        }
        if fill && pc == 0 && !charged_entry {
            ops.push(zero_op);
        }
        let assembled = for_each_numeric!(numeric);
        ops.push(assembled);
        if fill && pc == 0 && charged_entry {
            ops.push(zero_op);
        }
        if let Some(&m) = meter.and_then(|m| m.positions.get(pc)) {
            positions.resize(ops.len(), m);
        }
    }
    let regions = func
        .try_regions
        .iter()
        .map(|r| Region {
            start: at[r.start as usize] as u32,
            end: at[r.end as usize] as u32,
            catches: r
                .catches
                .iter()
                .map(|c| Catch {
                    tag: c.tag,
                    with_ref: c.with_ref,
                    dst: c.dst,
                    landing: at[c.landing as usize] as u32,
                })
                .collect(),
        })
        .collect();
    let mut template = vec![0; (declared_locals - zero_fill) as usize];
    template.extend_from_slice(&func.consts);
    let mut chunks = template
        .chunks(CHUNK)
        .map(|c| std::array::from_fn(|i| c.get(i).copied().unwrap_or(0)));
    let first_chunk = chunks.next().unwrap_or_default();
    let more_chunks: Box<[TemplateChunk]> = chunks.collect();
    // The padding of the last chunk lands on operand-stack slots (written before they are
    // read) or past them: the frame is made long enough to hold it.
    let template_end = func.params + zero_fill + CHUNK as u32 * (1 + more_chunks.len() as u32);
    Code {
        first_chunk,
        ops,
        params: func.params,
        zero_fill,
        frame_size: func.frame_size.max(template_end),
        more_chunks,
        br_targets,
        meter: meter.map_or_else(OnceLock::new, |m| m.with_positions(positions).into()),
        relower: None,
        id,
        index: func.index,
        regions,
    }
}
