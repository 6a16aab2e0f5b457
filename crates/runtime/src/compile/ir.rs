//! The register IR: what the interpreter executes.
//!
//! Operands name slots of the current frame: parameters and locals first, then one slot per
//! operand-stack depth. `local.get` and constants produce no instruction of their own when their
//! consumer can read them in place; results are written straight to their destination slot, which
//! `local.set` retargets to the local. Calls lay out their arguments where the callee's frame
//! starts, so nothing is copied. Each instruction keeps the byte offset of the Wasm instruction it
//! came from (`CompiledFunc::offsets`), for traces and for metering.
//!
//! The IR knows nothing of the interpreter: `exec::assemble` turns it into the ops the handlers
//! run, and the IR is dropped then unless `Config::keep_ir` asks for it (`compile --dump-ir`).

pub use crate::meter::{CodeMeter, MeterBlock, OpMeter};
use crate::numeric::for_each_numeric;

/// A slot index relative to the frame pointer.
pub type Slot = u32;

macro_rules! define_instrs {
    ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
        /// One register-IR instruction.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Instr {
            $($name { dst: Slot, a: Slot, b: Slot },)*
            /// Copies `src` to `dst`.
            Copy { dst: Slot, src: Slot },
            /// `dst = if cond != 0 { a } else { b }`.
            Select { dst: Slot, cond: Slot, a: Slot, b: Slot },
            /// Jumps to `target`.
            Br { target: u32 },
            /// Jumps when `cond` is non-zero.
            BrIfNz { cond: Slot, target: u32 },
            /// Jumps when `cond` is zero.
            BrIfZ { cond: Slot, target: u32 },
            /// Jumps when the i32 comparison holds: a compare fused with its `br_if` or `if`.
            BrCmpI32 { cmp: Cmp, a: Slot, b: Slot, target: u32 },
            /// Jumps when the i64 comparison holds.
            BrCmpI64 { cmp: Cmp, a: Slot, b: Slot, target: u32 },
            /// Jumps through `CompiledFunc::br_tables[start..start + len]`; the last entry is the
            /// default.
            BrTable { index: Slot, start: u32, len: u32 },
            /// Returns; the results are already in slots `0..n`.
            Return,
            /// Charges metering block `block` of the function (metered code only).
            Charge { block: u32 },
            Unreachable,
            /// Calls function `func` of the instance; its frame starts at slot `base`.
            Call { func: u32, base: Slot },
            /// Calls through table `table` at the index in `index`, checking type `ty`.
            CallIndirect { ty: u32, table: u32, index: Slot, base: Slot },
            GlobalGet { dst: Slot, global: u32 },
            GlobalSet { src: Slot, global: u32 },
            /// A load of `kind`; the effective address is `addr + offset`.
            Load { kind: LoadKind, dst: Slot, addr: Slot, offset: u32 },
            /// A store of `kind`.
            Store { kind: StoreKind, addr: Slot, value: Slot, offset: u32 },
            MemorySize { dst: Slot },
            MemoryGrow { dst: Slot, delta: Slot },
            /// Operands in order: destination, value, length.
            MemoryFill { d: Slot, val: Slot, n: Slot },
            MemoryCopy { d: Slot, s: Slot, n: Slot },
            MemoryInit { data: u32, d: Slot, s: Slot, n: Slot },
            DataDrop { data: u32 },
            TableGet { dst: Slot, table: u32, index: Slot },
            TableSet { table: u32, index: Slot, value: Slot },
            TableSize { dst: Slot, table: u32 },
            TableGrow { dst: Slot, table: u32, init: Slot, delta: Slot },
            TableFill { table: u32, d: Slot, val: Slot, n: Slot },
            TableCopy { dst_table: u32, src_table: u32, d: Slot, s: Slot, n: Slot },
            TableInit { table: u32, elem: u32, d: Slot, s: Slot, n: Slot },
            ElemDrop { elem: u32 },
            RefIsNull { dst: Slot, src: Slot },
            RefFunc { dst: Slot, func: u32 },
        }
    };
}

for_each_numeric!(define_instrs);

/// An integer comparison of a fused compare-and-branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
}

impl Cmp {
    /// The comparison that holds exactly when this one does not.
    pub fn negate(self) -> Cmp {
        match self {
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
            Cmp::LtS => Cmp::GeS,
            Cmp::LtU => Cmp::GeU,
            Cmp::GtS => Cmp::LeS,
            Cmp::GtU => Cmp::LeU,
            Cmp::LeS => Cmp::GtS,
            Cmp::LeU => Cmp::GtU,
            Cmp::GeS => Cmp::LtS,
            Cmp::GeU => Cmp::LtU,
        }
    }

    /// Compares two 64-bit patterns (i32 operands are compared as `i64::from(x as i32)` /
    /// `u64::from(x as u32)` by the caller).
    #[inline(always)]
    pub fn holds(self, a: i64, b: i64, ua: u64, ub: u64) -> bool {
        match self {
            Cmp::Eq => ua == ub,
            Cmp::Ne => ua != ub,
            Cmp::LtS => a < b,
            Cmp::LtU => ua < ub,
            Cmp::GtS => a > b,
            Cmp::GtU => ua > ub,
            Cmp::LeS => a <= b,
            Cmp::LeU => ua <= ub,
            Cmp::GeS => a >= b,
            Cmp::GeU => ua >= ub,
        }
    }
}

/// The kinds of load: result type and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    I32,
    I64,
    F32,
    F64,
    I32_8S,
    I32_8U,
    I32_16S,
    I32_16U,
    I64_8S,
    I64_8U,
    I64_16S,
    I64_16U,
    I64_32S,
    I64_32U,
}

/// The kinds of store: how many low bytes of the value are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    B1,
    B2,
    B4,
    B8,
}

impl LoadKind {
    /// Bytes read.
    pub fn width(self) -> usize {
        match self {
            LoadKind::I32_8S | LoadKind::I32_8U | LoadKind::I64_8S | LoadKind::I64_8U => 1,
            LoadKind::I32_16S | LoadKind::I32_16U | LoadKind::I64_16S | LoadKind::I64_16U => 2,
            LoadKind::I32 | LoadKind::F32 | LoadKind::I64_32S | LoadKind::I64_32U => 4,
            LoadKind::I64 | LoadKind::F64 => 8,
        }
    }
}

impl StoreKind {
    /// Bytes written.
    pub fn width(self) -> usize {
        match self {
            StoreKind::B1 => 1,
            StoreKind::B2 => 2,
            StoreKind::B4 => 4,
            StoreKind::B8 => 8,
        }
    }
}

/// A function lowered to register IR: what the compile stage hands to the assembler.
#[derive(Debug, Clone, Default)]
pub struct CompiledFunc {
    /// The instructions; the last one is a terminator.
    pub code: Vec<Instr>,
    /// Byte offset of the Wasm instruction each IR instruction came from.
    pub offsets: Vec<u32>,
    /// Targets of all `br_table`s.
    pub br_tables: Vec<u32>,
    /// Parameters.
    pub params: u32,
    /// Parameters and declared locals.
    pub locals: u32,
    /// Constants the code reads; a call copies them to the slots after the locals.
    pub consts: Vec<u64>,
    /// Slots the frame needs: locals, constants and the deepest operand stack.
    pub frame_size: u32,
    /// Metered code: the metering blocks and the position of each instruction in them.
    pub meter: Option<CodeMeter>,
    /// The function's index in its module (imports counted), for backtraces.
    pub index: u32,
}

impl std::fmt::Display for CompiledFunc {
    /// One instruction per line: its index, the instruction, and the Wasm offset it came from.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (pc, (instr, offset)) in self.code.iter().zip(&self.offsets).enumerate() {
            write!(f, "  {pc:4}: {instr:?}")?;
            if let Instr::BrTable { start, len, .. } = instr {
                let targets = &self.br_tables[*start as usize..(*start + *len) as usize];
                write!(f, " -> {targets:?}")?;
            }
            writeln!(f, "  ; wasm @0x{offset:x}")?;
        }
        Ok(())
    }
}
