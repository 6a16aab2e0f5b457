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

pub use crate::meter::{CodeMeter, OpMeter};
use crate::numeric::for_each_numeric;
use ssvm_binary::Opcode;

/// A slot index relative to the frame pointer.
pub type Slot = u32;

macro_rules! define_instrs {
    ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
        /// One register-IR instruction.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Instr {
            $(#[doc = concat!("`", stringify!($name), "` (numeric.rs): `dst = op(a[, b])`.")] $name { #[doc = "The slot written."] dst: Slot, #[doc = "The first operand's slot."] a: Slot, #[doc = "The second operand's slot."] b: Slot },)*
            /// Copies `src` to `dst`.
            Copy { #[doc = "The slot written."] dst: Slot, #[doc = "The slot read."] src: Slot },
            /// `dst = if cond != 0 { a } else { b }`.
            Select { #[doc = "The slot written."] dst: Slot, #[doc = "The condition's slot."] cond: Slot, #[doc = "The first operand's slot."] a: Slot, #[doc = "The second operand's slot."] b: Slot },
            /// Jumps to `target`.
            Br { #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps when `cond` is non-zero.
            BrIfNz { #[doc = "The condition's slot."] cond: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps when `cond` is zero.
            BrIfZ { #[doc = "The condition's slot."] cond: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps to `target` if the reference in `cond` is null (`br_on_null`).
            BrIfNull { #[doc = "The reference's slot."] cond: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps to `target` if the reference in `cond` is not null (`br_on_non_null`).
            BrIfNonNull { #[doc = "The reference's slot."] cond: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps when the i32 comparison holds: a compare fused with its `br_if` or `if`.
            BrCmpI32 { #[doc = "The comparison."] cmp: Cmp, #[doc = "The first operand's slot."] a: Slot, #[doc = "The second operand's slot."] b: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps when the i64 comparison holds.
            BrCmpI64 { #[doc = "The comparison."] cmp: Cmp, #[doc = "The first operand's slot."] a: Slot, #[doc = "The second operand's slot."] b: Slot, #[doc = "The instruction jumped to."] target: u32 },
            /// Jumps through `CompiledFunc::br_tables[start..start + len]`; the last entry is the
            /// default.
            BrTable { #[doc = "The slot of the index."] index: Slot, #[doc = "The first entry in `CompiledFunc::br_tables`."] start: u32, #[doc = "The number of entries, the default included."] len: u32 },
            /// Returns; the results are already in slots `0..n`.
            Return,
            /// Charges metering block `block` of the function (metered code only).
            Charge { #[doc = "The metering block."] block: u32 },
            /// Traps: `unreachable`, and the terminator after a function's last instruction.
            Unreachable,
            /// Calls function `func` of the instance; its frame starts at slot `base`.
            Call { #[doc = "The function index in the module."] func: u32, #[doc = "The slot where the callee's frame starts (its arguments, then its results)."] base: Slot },
            /// Calls through table `table` at the index in `index`, checking type `ty`.
            CallIndirect { #[doc = "The type index the callee must have."] ty: u32, #[doc = "The table index."] table: u32, #[doc = "The slot of the index."] index: Slot, #[doc = "The slot where the callee's frame starts (its arguments, then its results)."] base: Slot },
            /// Tail-calls function `func` of the instance: its arguments, at slot `base`, move to
            /// the start of the frame, which the callee's replaces. A host callee is called as by
            /// `Call`, and the instructions after this one return its results.
            ReturnCall { #[doc = "The function index in the module."] func: u32, #[doc = "The slot of the first argument."] base: Slot },
            /// Tail-calls through table `table` at the index in `index`, checking type `ty`.
            ReturnCallIndirect { #[doc = "The type index the callee must have."] ty: u32, #[doc = "The table index."] table: u32, #[doc = "The slot of the index."] index: Slot, #[doc = "The slot of the first argument."] base: Slot },
            /// Calls the function referred to by slot `callee` (`call_ref`; null traps). The
            /// validator checked its type.
            CallRef { #[doc = "The slot of the function reference."] callee: Slot, #[doc = "The slot where the callee's frame starts (its arguments, then its results)."] base: Slot },
            /// Tail-calls the function referred to by slot `callee` (`return_call_ref`).
            ReturnCallRef { #[doc = "The slot of the function reference."] callee: Slot, #[doc = "The slot of the first argument."] base: Slot },
            /// Reads a global.
            GlobalGet { #[doc = "The slot written."] dst: Slot, #[doc = "The global index."] global: u32 },
            /// Writes a global.
            GlobalSet { #[doc = "The slot read."] src: Slot, #[doc = "The global index."] global: u32 },
            /// A load of `kind`; the effective address is `addr + offset`.
            Load { #[doc = "The width and extension."] kind: LoadKind, #[doc = "The slot written."] dst: Slot, #[doc = "The slot of the address."] addr: Slot, #[doc = "The static offset added to the address; with `addr64`, the slot of the constant holding it (a u64)."] offset: u32, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32, #[doc = "The memory is 64-bit (memory64): its own handlers, which read the offset from a slot."] addr64: bool },
            /// A store of `kind`.
            Store { #[doc = "The width and extension."] kind: StoreKind, #[doc = "The slot of the address."] addr: Slot, #[doc = "The slot of the value stored."] value: Slot, #[doc = "The static offset added to the address; with `addr64`, the slot of the constant holding it (a u64)."] offset: u32, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32, #[doc = "The memory is 64-bit (memory64): its own handlers, which read the offset from a slot."] addr64: bool },
            /// `memory.size`.
            MemorySize { #[doc = "The slot written."] dst: Slot, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32 },
            /// `memory.grow`; `dst` gets the old size or -1.
            MemoryGrow { #[doc = "The slot written."] dst: Slot, #[doc = "The slot of the number of pages or elements to add."] delta: Slot, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32 },
            /// Operands in order: destination, value, length.
            MemoryFill { #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the value to fill with."] val: Slot, #[doc = "The slot of the length."] n: Slot, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32 },
            /// `memory.copy` from memory `src_memory` to `dst_memory`.
            MemoryCopy { #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the source index."] s: Slot, #[doc = "The slot of the length."] n: Slot, #[doc = "The destination memory's index in the module."] dst_memory: u32, #[doc = "The source memory's index in the module."] src_memory: u32 },
            /// `memory.init` from a data segment.
            MemoryInit { #[doc = "The data segment index."] data: u32, #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the source index."] s: Slot, #[doc = "The slot of the length."] n: Slot, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32 },
            /// `data.drop`.
            DataDrop { #[doc = "The data segment index."] data: u32 },
            /// `table.get`.
            TableGet { #[doc = "The slot written."] dst: Slot, #[doc = "The table index."] table: u32, #[doc = "The slot of the index."] index: Slot },
            /// `table.set`.
            TableSet { #[doc = "The table index."] table: u32, #[doc = "The slot of the index."] index: Slot, #[doc = "The slot of the value stored."] value: Slot },
            /// `table.size`.
            TableSize { #[doc = "The slot written."] dst: Slot, #[doc = "The table index."] table: u32 },
            /// `table.grow`; `dst` gets the old size or -1.
            TableGrow { #[doc = "The slot written."] dst: Slot, #[doc = "The table index."] table: u32, #[doc = "The slot of the new elements' value."] init: Slot, #[doc = "The slot of the number of pages or elements to add."] delta: Slot },
            /// `table.fill`.
            TableFill { #[doc = "The table index."] table: u32, #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the value to fill with."] val: Slot, #[doc = "The slot of the length."] n: Slot },
            /// `table.copy`.
            TableCopy { #[doc = "The destination table."] dst_table: u32, #[doc = "The source table."] src_table: u32, #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the source index."] s: Slot, #[doc = "The slot of the length."] n: Slot },
            /// `table.init` from an element segment.
            TableInit { #[doc = "The table index."] table: u32, #[doc = "The element segment index."] elem: u32, #[doc = "The slot of the destination index."] d: Slot, #[doc = "The slot of the source index."] s: Slot, #[doc = "The slot of the length."] n: Slot },
            /// `elem.drop`.
            ElemDrop { #[doc = "The element segment index."] elem: u32 },
            /// `ref.is_null`.
            RefIsNull { #[doc = "The slot written."] dst: Slot, #[doc = "The slot read."] src: Slot },
            /// Copies the reference in `src` to `dst`, trapping if it is null (`ref.as_non_null`).
            RefAsNonNull { #[doc = "The slot written."] dst: Slot, #[doc = "The slot read."] src: Slot },
            /// `ref.func`: a reference to a function of the instance.
            RefFunc { #[doc = "The slot written."] dst: Slot, #[doc = "The function index in the module."] func: u32 },
            /// `throw`: an exception of tag `tag` (of the module) whose payload is in the slots
            /// from `base` on; unwinds to its handler (`CompiledFunc::try_regions`).
            Throw { #[doc = "The tag index in the module."] tag: u32, #[doc = "The first slot of the payload."] base: Slot },
            /// `throw_ref`: throws the exception `exn` refers to again (traps on null).
            ThrowRef { #[doc = "The slot of the `exnref`."] exn: Slot },
            /// Copies the v128 in slots `src, src + 1` to `dst, dst + 1`.
            CopyV128 { #[doc = "The first slot written."] dst: Slot, #[doc = "The first slot read."] src: Slot },
            /// `select` of two v128s.
            SelectV128 { #[doc = "The first slot written."] dst: Slot, #[doc = "The condition's slot."] cond: Slot, #[doc = "The first operand's first slot."] a: Slot, #[doc = "The second operand's first slot."] b: Slot },
            /// Reads a v128 global.
            GlobalGetV128 { #[doc = "The first slot written."] dst: Slot, #[doc = "The global index."] global: u32 },
            /// Writes a v128 global.
            GlobalSetV128 { #[doc = "The first slot read."] src: Slot, #[doc = "The global index."] global: u32 },
            /// A SIMD instruction of `simd.rs` (`for_each_simd!`) whose operands are slots: `op`'s
            /// kind there says which of `a`, `b`, `c` it reads (a v128 takes two slots).
            Simd { #[doc = "The instruction."] op: Opcode, #[doc = "The slot written."] dst: Slot, #[doc = "The first operand's slot."] a: Slot, #[doc = "The second operand's slot."] b: Slot, #[doc = "The third operand's slot (`shuffle`: the constant of its lane immediates)."] c: Slot },
            /// A SIMD lane instruction (`extract`, `replace`): `lane` is an immediate.
            SimdLane { #[doc = "The instruction."] op: Opcode, #[doc = "The slot written."] dst: Slot, #[doc = "The v128's slot."] a: Slot, #[doc = "The scalar's slot (`replace`)."] b: Slot, #[doc = "The lane."] lane: u8 },
            /// A SIMD load (`for_each_simd_access!`); the lane loads also read the v128 `vec`.
            SimdLoad { #[doc = "The instruction."] op: Opcode, #[doc = "The slot written."] dst: Slot, #[doc = "The slot of the address."] addr: Slot, #[doc = "The static offset added to the address; with `addr64`, the slot of the constant holding it (a u64)."] offset: u32, #[doc = "The lane loads: the v128 whose lane is replaced."] vec: Slot, #[doc = "The lane loads: the lane."] lane: u8, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32, #[doc = "The memory is 64-bit (memory64): its own handlers, which read the offset from a slot."] addr64: bool },
            /// A SIMD store: the whole v128 or, for the lane stores, one lane.
            SimdStore { #[doc = "The instruction."] op: Opcode, #[doc = "The slot of the address."] addr: Slot, #[doc = "The v128's slot."] value: Slot, #[doc = "The static offset added to the address; with `addr64`, the slot of the constant holding it (a u64)."] offset: u32, #[doc = "The lane stores: the lane."] lane: u8, #[doc = "The memory index in the module (0: the cached memory's own handlers)."] memory: u32, #[doc = "The memory is 64-bit (memory64): its own handlers, which read the offset from a slot."] addr64: bool },
        }
    };
}

for_each_numeric!(define_instrs);

/// An integer comparison of a fused compare-and-branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less, signed.
    LtS,
    /// Less, unsigned.
    LtU,
    /// Greater, signed.
    GtS,
    /// Greater, unsigned.
    GtU,
    /// Less or equal, signed.
    LeS,
    /// Less or equal, unsigned.
    LeU,
    /// Greater or equal, signed.
    GeS,
    /// Greater or equal, unsigned.
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
    /// `i32.load`.
    I32,
    /// `i64.load`.
    I64,
    /// `f32.load`.
    F32,
    /// `f64.load`.
    F64,
    /// `i32.load8_s`.
    I32_8S,
    /// `i32.load8_u`.
    I32_8U,
    /// `i32.load16_s`.
    I32_16S,
    /// `i32.load16_u`.
    I32_16U,
    /// `i64.load8_s`.
    I64_8S,
    /// `i64.load8_u`.
    I64_8U,
    /// `i64.load16_s`.
    I64_16S,
    /// `i64.load16_u`.
    I64_16U,
    /// `i64.load32_s`.
    I64_32S,
    /// `i64.load32_u`.
    I64_32U,
}

/// The kinds of store: how many low bytes of the value are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// One byte.
    B1,
    /// Two bytes.
    B2,
    /// Four bytes.
    B4,
    /// Eight bytes.
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
    /// The `try_table` bodies, in the order they start (an outer one before those inside it):
    /// where exceptions thrown in them are caught. Code without `try_table` has none, and pays
    /// nothing for exception handling.
    pub try_regions: Vec<TryRegion>,
}

/// The body of one `try_table`: the instructions `start..end`, and its catch clauses in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TryRegion {
    /// The first instruction of the body.
    pub start: u32,
    /// One past the body's last instruction.
    pub end: u32,
    /// The catch clauses, tried in order.
    pub catches: Vec<CatchTarget>,
}

/// Where one catch clause sends an exception it matches: like a branch to its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchTarget {
    /// The tag matched (its index in the module), or `None` for `catch_all` and `catch_all_ref`.
    pub tag: Option<u32>,
    /// Whether the `exnref` follows the payload (`catch_ref`, `catch_all_ref`).
    pub with_ref: bool,
    /// The first slot of the label's values: the payload goes there, then the `exnref`.
    pub dst: Slot,
    /// The instruction the branch lands on (the label's, or a `Return` for the function's).
    pub landing: u32,
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
        for r in &self.try_regions {
            writeln!(f, "  try {}..{}: {:?}", r.start, r.end, r.catches)?;
        }
        Ok(())
    }
}
