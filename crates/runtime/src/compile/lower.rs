//! Lowering of validated function bodies to register IR, in the same pass as validation: the
//! validator hands every operator to `Lowerer` (a `FunctionSink`) right after checking it, so the
//! lowering can rely on the code being well typed.

use crate::compile::ir::{
    CatchTarget, Cmp, CompiledFunc, Instr, LoadKind, Slot, StoreKind, TryRegion,
};
use crate::meter::Blocks;
use crate::numeric::for_each_numeric;
use ssvm_binary::{BlockType, FuncType, MemArg, Opcode, Operator, ValType};
use ssvm_validate::{Error, FunctionSink};

#[path = "lower_simd.rs"]
mod simd;

/// Where an operand-stack value is, before it is needed in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// In a slot: a temporary at its canonical position, written by an instruction.
    Slot(Slot),
    /// Still in a local (`local.get` emitted nothing).
    Local(Slot),
    /// A constant not written anywhere yet.
    Const(u64),
    /// A v128 constant not written anywhere yet.
    ConstV128(u128),
}

/// An operand-stack entry: the operand, and the slots its depth has (docs/ir.md: a v128 takes
/// two consecutive slots, so positions follow the widths of the values below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    operand: Operand,
    /// Its first slot, counted from the operand stack's first slot.
    at: u32,
    /// A v128 (two slots).
    wide: bool,
}

impl Entry {
    /// The position after this entry's slots.
    fn end(&self) -> u32 {
        self.at + 1 + u32::from(self.wide)
    }
}

/// What a conditional branch tests of its slot: an `i32` (`br_if`) or a reference
/// (`br_on_null`, `br_on_non_null`, which compare all 64 bits: a reference may be 2^32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    NonZero,
    Zero,
    Null,
    NonNull,
}

impl Test {
    fn negate(self) -> Test {
        match self {
            Test::NonZero => Test::Zero,
            Test::Zero => Test::NonZero,
            Test::Null => Test::NonNull,
            Test::NonNull => Test::Null,
        }
    }
}

/// Declared locals (or one parameter) of one type: where local `first` starts.
#[derive(Debug, Clone, Copy)]
struct LocalRun {
    first: u32,
    slot: u32,
    wide: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
    Function,
}

/// A jump whose target is not known yet: the `target` of the instruction at this index.
#[derive(Debug, Clone, Copy)]
struct Patch(usize);

#[derive(Debug)]
struct Control {
    kind: Kind,
    params: u32,
    results: u32,
    /// Operand-stack depth at entry, below the parameters.
    height: u32,
    /// For loops: where the body starts.
    loop_start: u32,
    /// The block type (the values' widths; `Empty` for the function's frame).
    bt: BlockType,
    /// Forward jumps to this block's end.
    patches: Vec<Patch>,
    /// For `if`: the jump to the `else` arm (or the end).
    else_patch: Option<usize>,
    /// Whether the code reached the current position: false after `br`, `return`, ...
    reachable: bool,
    /// Whether the whole frame lies in unreachable code (nothing of it is lowered).
    dead: bool,
    /// For a `try_table`: its region in `CompiledFunc::try_regions`, whose end is its `end`.
    try_region: Option<usize>,
    /// Catch clauses that branch to this block's end, as (region, clause): their landing is
    /// where the block ends.
    catch_landings: Vec<(usize, usize)>,
}

/// Lowers every function body of a module.
pub(crate) struct Lowerer<'t> {
    types: &'t [FuncType],
    /// Type index of every function, imported ones first.
    functions: &'t [u32],
    /// The lowered functions, in order of definition.
    pub(crate) compiled: Vec<CompiledFunc>,
    func: CompiledFunc,
    stack: Vec<Entry>,
    /// Which globals (imported ones first) are v128s; empty when none is.
    pub(crate) v128_globals: &'t [bool],
    /// The type index of every tag, imported ones first.
    pub(crate) tags: &'t [u32],
    /// Which memories (imported ones first) are 64-bit; empty when none is.
    pub(crate) memories64: &'t [bool],
    /// Catch clauses that branch to the function's label, as (region, clause): they land on a
    /// `Return` after the body.
    return_landings: Vec<(usize, usize)>,
    /// The body's parameters and locals by type, when one of them is a v128; empty when none
    /// is, and then local `i` is slot `i`.
    local_runs: Vec<LocalRun>,
    /// Parameters and locals declared so far.
    locals_declared: u32,
    /// The function's parameters, counted as values (a v128 is one).
    param_count: u32,
    controls: Vec<Control>,
    max_depth: u32,
    /// The last instruction's index and result slot, while no label came after it: it may be
    /// retargeted by `local.set`.
    last_result: Option<(usize, Slot)>,
    /// Offset of the Wasm operator being lowered.
    offset: u32,
    /// The first thing met that the interpreter cannot run. Lowering stops there, but validation
    /// goes on, so that an invalid module is reported as invalid.
    pub(crate) unsupported: Option<Error>,
    /// With metering: where the metering blocks start and end.
    meter: Option<Blocks<'t>>,
}

fn arity(types: &[FuncType], bt: BlockType) -> (u32, u32) {
    match bt {
        BlockType::Empty => (0, 0),
        BlockType::Value(_) => (0, 1),
        BlockType::Func(i) => {
            let t = &types[i as usize];
            (t.params.len() as u32, t.results.len() as u32)
        }
    }
}

impl<'t> Lowerer<'t> {
    /// A lowerer; with `prices` (per opcode), the code is metered.
    pub(crate) fn new(
        types: &'t [FuncType],
        functions: &'t [u32],
        prices: Option<&'t [u64]>,
        traced: bool,
    ) -> Self {
        Lowerer {
            meter: prices.map(|p| Blocks::new(p, traced)),
            types,
            functions,
            compiled: Vec::new(),
            func: CompiledFunc::default(),
            stack: Vec::new(),
            v128_globals: &[],
            tags: &[],
            memories64: &[],
            return_landings: Vec::new(),
            local_runs: Vec::new(),
            locals_declared: 0,
            param_count: 0,
            controls: Vec::new(),
            max_depth: 0,
            last_result: None,
            offset: 0,
            unsupported: None,
        }
    }

    fn pc(&self) -> u32 {
        self.func.code.len() as u32
    }

    fn emit(&mut self, instr: Instr) -> usize {
        self.func.code.push(instr);
        self.func.offsets.push(self.offset);
        if let Some(meter) = &mut self.meter {
            meter.emitted();
        }
        self.last_result = None;
        self.func.code.len() - 1
    }

    /// With metering: the instruction at `at` now also completes the current Wasm instruction.
    fn extend_meter(&mut self, at: usize) {
        if let Some(meter) = &mut self.meter {
            meter.extend(at);
        }
    }

    /// Whether the instruction at `at` may absorb a later Wasm instruction (`local.set`
    /// retargeting it). Always: a stop between the two runs the instruction (its early write to
    /// the local is seen by no one before the `local.set` would have made it) and resumes after
    /// it, charging the `local.set` then (metering.md).
    fn may_absorb(&self, _at: usize) -> bool {
        true
    }

    /// Emits an instruction that writes `dst`, which `local.set` may later retarget.
    fn emit_result(&mut self, instr: Instr, dst: Slot) {
        let at = self.emit(instr);
        self.last_result = Some((at, dst));
    }

    /// The operand-stack position of depth `depth` (the top of the stack at most): where its
    /// entry's slots start.
    fn position(&self, depth: u32) -> u32 {
        match self.stack.get(depth as usize) {
            Some(e) => e.at,
            None => self.stack.last().map_or(0, Entry::end),
        }
    }

    /// The slot holding constant `value` (constants live in the frame, after the locals).
    fn const_slot(&mut self, value: u64) -> Slot {
        let k = match self.func.consts.iter().position(|&c| c == value) {
            Some(k) => k,
            None => {
                self.func.consts.push(value);
                self.func.consts.len() - 1
            }
        };
        CONST | k as u32
    }

    /// The first of the two consecutive slots holding v128 constant `value`, low half first.
    fn const_slot_v128(&mut self, value: u128) -> Slot {
        let halves = [value as u64, (value >> 64) as u64];
        let k = match self.func.consts.windows(2).position(|w| w == halves) {
            Some(k) => k,
            None => {
                self.func.consts.extend_from_slice(&halves);
                self.func.consts.len() - 2
            }
        };
        CONST | k as u32
    }

    fn depth(&self) -> u32 {
        self.stack.len() as u32
    }

    /// Pushes `operand` (a v128 if `wide`).
    fn push_wide(&mut self, operand: Operand, wide: bool) {
        let at = self.position(self.depth());
        let entry = Entry { operand, at, wide };
        self.max_depth = self.max_depth.max(entry.end());
        self.stack.push(entry);
    }

    /// Pushes a value written to its stack slot, a v128 if `wide`; gives the slot.
    fn push_slot_wide(&mut self, wide: bool) -> Slot {
        let slot = TEMP | self.position(self.depth());
        self.push_wide(Operand::Slot(slot), wide);
        slot
    }

    fn push_slot(&mut self) -> Slot {
        self.push_slot_wide(false)
    }

    fn push(&mut self, operand: Operand) {
        self.push_wide(operand, false);
    }

    /// Pushes a value of each type of `tys`.
    fn push_slots(&mut self, tys: &[ValType]) {
        for &t in tys {
            self.push_slot_wide(t == ValType::V128);
        }
    }

    /// Pushes the values of block type `bt`: its parameters or its results.
    fn push_block_values(&mut self, bt: BlockType, params: bool) {
        let types = self.types;
        match bt {
            BlockType::Empty => {}
            BlockType::Value(t) if !params => self.push_slots(&[t]),
            BlockType::Value(_) => {}
            BlockType::Func(i) if params => self.push_slots(&types[i as usize].params),
            BlockType::Func(i) => self.push_slots(&types[i as usize].results),
        }
    }

    /// Copies `src` to `dst`: one slot, or two for a v128.
    fn copy(&mut self, dst: Slot, src: Slot, wide: bool) -> usize {
        if wide {
            self.emit(Instr::CopyV128 { dst, src })
        } else {
            self.emit(Instr::Copy { dst, src })
        }
    }

    /// Writes the operand at stack position `i` to its canonical slot, if it is not there.
    fn materialize(&mut self, i: usize) {
        let Entry { operand, at, wide } = self.stack[i];
        let slot = TEMP | at;
        match operand {
            Operand::Slot(_) => {}
            Operand::Local(local) => {
                self.copy(slot, local, wide);
            }
            Operand::Const(value) => {
                let src = self.const_slot(value);
                self.emit(Instr::Copy { dst: slot, src });
            }
            Operand::ConstV128(value) => {
                let src = self.const_slot_v128(value);
                self.emit(Instr::CopyV128 { dst: slot, src });
            }
        }
        self.stack[i].operand = Operand::Slot(slot);
    }

    /// Puts every operand in its canonical slot: the state at every control-flow edge.
    fn materialize_all(&mut self) {
        for i in 0..self.stack.len() {
            self.materialize(i);
        }
    }

    /// Pops an operand, giving the slot it can be read from and whether it is a v128.
    fn pop_entry(&mut self) -> (Slot, bool) {
        let e = self.stack.pop().expect("validated code never underflows");
        let slot = match e.operand {
            Operand::Slot(s) | Operand::Local(s) => s,
            Operand::Const(value) => self.const_slot(value),
            Operand::ConstV128(value) => self.const_slot_v128(value),
        };
        (slot, e.wide)
    }

    /// Pops an operand, giving the slot it can be read from.
    fn pop_slot(&mut self) -> Slot {
        self.pop_entry().0
    }

    fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Instr) {
        let a = self.pop_slot();
        let dst = self.push_slot();
        self.emit_result(make(dst, a), dst);
    }

    fn binary(&mut self, make: impl FnOnce(Slot, Slot, Slot) -> Instr) {
        let b = self.pop_slot();
        let a = self.pop_slot();
        let dst = self.push_slot();
        self.emit_result(make(dst, a, b), dst);
    }

    /// The slot of local `local` and whether it is a v128.
    fn local(&self, local: u32) -> (Slot, bool) {
        if self.local_runs.is_empty() {
            return (local, false);
        }
        let i = self.local_runs.partition_point(|r| r.first <= local) - 1;
        let r = self.local_runs[i];
        let width = 1 + u32::from(r.wide);
        (
            r.slot
                .saturating_add((local - r.first).saturating_mul(width)),
            r.wide,
        )
    }

    /// Notes `count` locals of type `ty` after those already declared.
    fn declare_locals(&mut self, count: u32, ty: ValType) {
        let wide = ty == ValType::V128;
        let first = self.locals_declared;
        if wide && self.local_runs.is_empty() {
            // Until now local `i` was slot `i`: one run says so.
            self.local_runs.push(LocalRun {
                first: 0,
                slot: 0,
                wide: false,
            });
        }
        if !self.local_runs.is_empty() && count > 0 {
            self.local_runs.push(LocalRun {
                first,
                slot: self.func.locals,
                wide,
            });
        }
        self.locals_declared = first.saturating_add(count);
        let width = 1 + u32::from(wide);
        self.func.locals = self.func.locals.saturating_add(count.saturating_mul(width));
    }

    /// Emits a jump to `target` taken when `cond` is non-zero (`when_nonzero`) or zero. When the
    /// instruction just emitted computed `cond` by a comparison, the two fuse into one.
    fn cond_branch(&mut self, cond: Slot, when_nonzero: bool, target: u32) -> usize {
        if let Some((at, dst)) = self.last_result {
            if dst == cond && cond & TEMP != 0 && at + 1 == self.func.code.len() {
                if let Some(fused) = fuse(self.func.code[at], when_nonzero, target) {
                    self.func.code[at] = fused;
                    self.extend_meter(at);
                    self.last_result = None;
                    return at;
                }
            }
        }
        if when_nonzero {
            self.emit(Instr::BrIfNz { cond, target })
        } else {
            self.emit(Instr::BrIfZ { cond, target })
        }
    }

    /// A branch to label `depth` taken when `test` holds of slot `cond`: one jump when the
    /// label's values are already where it takes them, else a jump around a branch that moves
    /// them.
    fn branch_if(&mut self, depth: u32, cond: Slot, test: Test) {
        let target = self.label(depth);
        let c = &self.controls[target];
        let n = if c.kind == Kind::Loop {
            c.params
        } else {
            c.results
        };
        let in_place = c.kind != Kind::Function && c.height == self.depth() - n;
        if in_place {
            if c.kind == Kind::Loop {
                let start = c.loop_start;
                self.test_branch(cond, test, start);
            } else {
                let at = self.test_branch(cond, test, 0);
                self.controls[target].patches.push(Patch(at));
            }
        } else {
            let skip = self.test_branch(cond, test.negate(), 0);
            self.branch(depth);
            self.resolve(&[Patch(skip)]);
        }
    }

    /// Emits a jump to `target` taken when `test` holds of slot `cond`.
    fn test_branch(&mut self, cond: Slot, test: Test, target: u32) -> usize {
        match test {
            Test::NonZero => self.cond_branch(cond, true, target),
            Test::Zero => self.cond_branch(cond, false, target),
            Test::Null => self.emit(Instr::BrIfNull { cond, target }),
            Test::NonNull => self.emit(Instr::BrIfNonNull { cond, target }),
        }
    }

    /// Before local `local` is overwritten, operands still reading it must get their own copy.
    fn preserve_local(&mut self, local: Slot) {
        for i in 0..self.stack.len() {
            if self.stack[i].operand == Operand::Local(local) {
                self.materialize(i);
            }
        }
    }

    fn set_local(&mut self, local: Slot) {
        self.preserve_local(local);
        let Entry { operand, wide, .. } = self.stack.pop().expect("validated");
        match operand {
            Operand::Slot(s) => match self.last_result {
                Some((at, dst))
                    if dst == s && at + 1 == self.func.code.len() && self.may_absorb(at) =>
                {
                    retarget(&mut self.func.code[at], local);
                    self.extend_meter(at);
                    self.last_result = None;
                }
                _ => {
                    self.copy(local, s, wide);
                }
            },
            Operand::Local(src) => {
                if src != local {
                    self.copy(local, src, wide);
                }
            }
            Operand::Const(value) => {
                let src = self.const_slot(value);
                self.emit(Instr::Copy { dst: local, src });
            }
            Operand::ConstV128(value) => {
                let src = self.const_slot_v128(value);
                self.emit(Instr::CopyV128 { dst: local, src });
            }
        }
    }

    /// The control frame `depth` labels out.
    fn label(&self, depth: u32) -> usize {
        self.controls.len() - 1 - depth as usize
    }

    /// Copies the top `n` operands to the slots of label `target`'s values, if they are not
    /// there already. The operands must be materialized.
    fn copy_to_label(&mut self, target: usize) -> u32 {
        let c = &self.controls[target];
        let n = if c.kind == Kind::Loop {
            c.params
        } else {
            c.results
        };
        // The values' slots follow their widths from the label's position (the function's
        // results from slot 0); the stack holds values of the label's types.
        let dst = if c.kind == Kind::Function {
            0
        } else {
            TEMP | self.position(c.height)
        };
        self.copy_top(n, dst);
        n
    }

    /// Copies the top `n` operands (materialized) to consecutive slots from `dst` on, each
    /// where it is not already.
    fn copy_top(&mut self, n: u32, mut dst: Slot) {
        let src_depth = (self.depth() - n) as usize;
        // A function's one result, just computed into a temporary by the last instruction
        // emitted: that instruction writes slot 0 instead, and the return copies nothing.
        // Nothing runs between it and the return, so no one reads slot 0's old value after it.
        if n == 1 && dst == 0 {
            let e = self.stack[src_depth];
            if let (Some((at, produced)), false) = (self.last_result, e.wide) {
                if produced == TEMP | e.at && at + 1 == self.func.code.len() {
                    retarget(&mut self.func.code[at], 0);
                    self.last_result = None;
                    return;
                }
            }
        }
        for i in 0..n as usize {
            let e = self.stack[src_depth + i];
            let src = TEMP | e.at;
            if src != dst {
                self.copy(dst, src, e.wide);
            }
            dst += 1 + u32::from(e.wide);
        }
    }

    /// Emits the jump to label `target` (values already copied).
    fn jump(&mut self, target: usize) {
        let c = &self.controls[target];
        match c.kind {
            Kind::Function => {
                self.emit(Instr::Return);
            }
            Kind::Loop => {
                let start = c.loop_start;
                self.emit(Instr::Br { target: start });
            }
            _ => {
                let at = self.emit(Instr::Br { target: 0 });
                self.controls[target].patches.push(Patch(at));
            }
        }
    }

    fn branch(&mut self, depth: u32) {
        let target = self.label(depth);
        self.copy_to_label(target);
        self.jump(target);
    }

    fn set_unreachable(&mut self) {
        let c = self.controls.last_mut().expect("a frame is open");
        c.reachable = false;
        let height = c.height as usize;
        self.stack.truncate(height);
    }

    fn push_control(&mut self, kind: Kind, bt: BlockType) {
        let (params, results) = arity(self.types, bt);
        self.materialize_all();
        let height = self.depth() - params;
        let loop_start = self.pc();
        self.last_result = None;
        self.controls.push(Control {
            kind,
            params,
            results,
            height,
            loop_start,
            bt,
            patches: Vec::new(),
            else_patch: None,
            reachable: true,
            dead: false,
            try_region: None,
            catch_landings: Vec::new(),
        });
    }

    /// Points every pending jump of `c` at the current position.
    fn resolve(&mut self, patches: &[Patch]) {
        let here = self.pc();
        for &Patch(at) in patches {
            set_target(&mut self.func.code[at], here);
        }
        self.last_result = None;
    }

    /// Ends the current frame with its results on the stack.
    fn end_frame(&mut self) {
        let reachable = self.controls.last().is_some_and(|c| c.reachable);
        if reachable {
            self.materialize_all();
        }
        let c = self.controls.pop().expect("validated");
        if c.dead {
            return;
        }
        if c.kind == Kind::Function {
            if reachable {
                self.copy_results_and_return(c.results);
            }
            return;
        }
        if let Some(at) = c.else_patch {
            // An `if` without `else`: a false condition jumps to the end.
            self.resolve(&[Patch(at)]);
        }
        if let Some(region) = c.try_region {
            self.func.try_regions[region].end = self.pc();
        }
        let here = self.pc();
        for &(region, clause) in &c.catch_landings {
            self.func.try_regions[region].catches[clause].landing = here;
        }
        self.resolve(&c.patches);
        self.stack.truncate(c.height as usize);
        self.push_block_values(c.bt, false);
    }

    /// `try_table`: a block whose body is a try region. Each catch clause is a branch to a label
    /// of the enclosing blocks, recorded for the unwinder: the label's slots, and where it lands.
    fn try_table(&mut self, catches: &ssvm_binary::TryTable<'_>) {
        let region = self.func.try_regions.len();
        let mut targets = Vec::with_capacity(catches.len() as usize);
        for (clause, c) in catches.catches().enumerate() {
            let target = self.label(c.label);
            let label = &self.controls[target];
            let (dst, landing) = match label.kind {
                Kind::Function => {
                    self.return_landings.push((region, clause));
                    (0, 0)
                }
                Kind::Loop => (TEMP | self.position(label.height), label.loop_start),
                _ => {
                    let dst = TEMP | self.position(label.height);
                    self.controls[target].catch_landings.push((region, clause));
                    (dst, 0)
                }
            };
            targets.push(CatchTarget {
                tag: c.kind.has_tag().then_some(c.tag),
                with_ref: c.kind.passes_ref(),
                dst,
                landing,
            });
        }
        self.push_control(Kind::Block, catches.ty);
        let start = self.pc();
        self.func.try_regions.push(TryRegion {
            start,
            end: start,
            catches: targets,
        });
        self.controls.last_mut().expect("pushed").try_region = Some(region);
    }

    /// `throw`: the payload is the top of the stack, in consecutive slots.
    fn throw(&mut self, tag: u32) {
        self.materialize_all();
        let ty = &self.types[self.tags[tag as usize] as usize];
        let n = ty.params.len() as u32;
        let base_depth = self.depth() - n;
        let base = TEMP | self.position(base_depth);
        self.emit(Instr::Throw { tag, base });
        self.set_unreachable();
    }

    fn copy_results_and_return(&mut self, n: u32) {
        self.copy_top(n, 0);
        self.emit(Instr::Return);
    }

    fn call(&mut self, ty: &FuncType, make: impl FnOnce(Slot) -> Instr) {
        self.materialize_all();
        let n = ty.params.len() as u32;
        let base_depth = self.depth() - n;
        let base = TEMP | self.position(base_depth);
        self.stack.truncate(base_depth as usize);
        // The callee's results come back in its first slots, which are ours from `base` on.
        self.emit(make(base));
        self.push_slots(&ty.results);
    }

    /// A tail call: the callee's frame replaces this one. The instructions after it run only
    /// when the callee is a host function, which returns to them: they return its results.
    fn tail_call(&mut self, ty: &FuncType, make: impl FnOnce(Slot) -> Instr) {
        self.call(ty, make);
        self.copy_results_and_return(ty.results.len() as u32);
        self.set_unreachable();
    }

    fn load(&mut self, kind: LoadKind, memarg: MemArg) {
        let (offset, addr64) = self.offset(memarg);
        self.unary(|dst, addr| Instr::Load {
            kind,
            dst,
            addr,
            offset,
            memory: memarg.memory,
            addr64,
        });
    }

    fn store(&mut self, kind: StoreKind, memarg: MemArg) {
        let (offset, addr64) = self.offset(memarg);
        let value = self.pop_slot();
        let addr = self.pop_slot();
        self.emit(Instr::Store {
            kind,
            addr,
            value,
            offset,
            memory: memarg.memory,
            addr64,
        });
    }

    /// The `offset` operand of an access and whether its memory is 64-bit. A 32-bit memory's
    /// offset fits the operand (the validator checked); a 64-bit memory's may not, so it goes to
    /// the constant pool and the operand is its slot.
    pub(super) fn offset(&mut self, memarg: MemArg) -> (u32, bool) {
        if self.memories64.get(memarg.memory as usize) == Some(&true) {
            (self.const_slot(memarg.offset), true)
        } else {
            (memarg.offset as u32, false)
        }
    }

    /// Pops three operands (in push order).
    fn pop3(&mut self) -> (Slot, Slot, Slot) {
        let c = self.pop_slot();
        let b = self.pop_slot();
        let a = self.pop_slot();
        (a, b, c)
    }
}

/// What a scalar memory access does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Load(LoadKind),
    Store(StoreKind),
}

/// The one place that maps load and store opcodes to the IR's access kinds (a test checks
/// their widths against the opcode table's natural alignment).
pub(crate) fn access(op: Opcode) -> Option<Access> {
    use Access::{Load, Store};
    Some(match op {
        Opcode::I32Load => Load(LoadKind::I32),
        Opcode::I64Load => Load(LoadKind::I64),
        Opcode::F32Load => Load(LoadKind::F32),
        Opcode::F64Load => Load(LoadKind::F64),
        Opcode::I32Load8S => Load(LoadKind::I32_8S),
        Opcode::I32Load8U => Load(LoadKind::I32_8U),
        Opcode::I32Load16S => Load(LoadKind::I32_16S),
        Opcode::I32Load16U => Load(LoadKind::I32_16U),
        Opcode::I64Load8S => Load(LoadKind::I64_8S),
        Opcode::I64Load8U => Load(LoadKind::I64_8U),
        Opcode::I64Load16S => Load(LoadKind::I64_16S),
        Opcode::I64Load16U => Load(LoadKind::I64_16U),
        Opcode::I64Load32S => Load(LoadKind::I64_32S),
        Opcode::I64Load32U => Load(LoadKind::I64_32U),
        Opcode::I32Store | Opcode::F32Store | Opcode::I64Store32 => Store(StoreKind::B4),
        Opcode::I64Store | Opcode::F64Store => Store(StoreKind::B8),
        Opcode::I32Store8 | Opcode::I64Store8 => Store(StoreKind::B1),
        Opcode::I32Store16 | Opcode::I64Store16 => Store(StoreKind::B2),
        _ => return None,
    })
}

/// The pattern of every numeric operator (`for_each_numeric!`).
macro_rules! numeric_pattern {
    ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
        $(Operator::$name {})|*
    };
}

/// The pattern of every SIMD operator (prefix 0xFD) of the opcode table: the table's rows are
/// walked one at a time, keeping those rows.
macro_rules! simd_pattern {
    (@walk [$($kept:tt)*] 0xFD $code:tt $name:ident $imm:tt $text:literal $sig:tt $align:tt $lanes:tt; $($rest:tt)*) => {
        simd_pattern!(@walk [$($kept)* | Operator::$name { .. }] $($rest)*)
    };
    (@walk [$($kept:tt)*] $prefix:tt $code:tt $name:ident $imm:tt $text:literal $sig:tt $align:tt $lanes:tt; $($rest:tt)*) => {
        simd_pattern!(@walk [$($kept)*] $($rest)*)
    };
    (@walk [| $($kept:tt)*]) => { $($kept)* };
    ($($row:tt)*) => { simd_pattern!(@walk [] $($row)*) };
}

/// Provisional slots of constants (`CONST | k`) and operand-stack depths (`TEMP | depth`),
/// placed after the locals once the function's constants and depth are known.
const CONST: Slot = 1 << 31;
const TEMP: Slot = 1 << 30;

/// The largest frame the interpreter runs; it keeps provisional slot numbers below `TEMP`.
pub(crate) const MAX_FRAME_SLOTS: u32 = 1 << 24;

/// Calls `f` on every slot operand of `instr`.
fn for_each_slot(instr: &mut Instr, mut f: impl FnMut(&mut Slot)) {
    macro_rules! visit {
        ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
            match instr {
                $(Instr::$name { dst, a, b } => {
                    f(dst);
                    f(a);
                    f(b);
                })*
                Instr::Copy { dst, src }
                | Instr::RefIsNull { dst, src }
                | Instr::RefAsNonNull { dst, src }
                | Instr::CopyV128 { dst, src } => {
                    f(dst);
                    f(src);
                }
                Instr::Select { dst, cond, a, b } | Instr::SelectV128 { dst, cond, a, b } => {
                    f(dst);
                    f(cond);
                    f(a);
                    f(b);
                }
                Instr::Simd { dst, a, b, c, .. } => {
                    f(dst);
                    f(a);
                    f(b);
                    f(c);
                }
                Instr::SimdLane { dst, a, b, .. } => {
                    f(dst);
                    f(a);
                    f(b);
                }
                Instr::SimdLoad { dst, addr, vec, offset, addr64, .. } => {
                    f(dst);
                    f(addr);
                    f(vec);
                    if *addr64 {
                        f(offset);
                    }
                }
                Instr::SimdStore { addr, value, offset, addr64, .. } => {
                    f(addr);
                    f(value);
                    if *addr64 {
                        f(offset);
                    }
                }
                Instr::BrIfNz { cond, .. }
                | Instr::BrIfZ { cond, .. }
                | Instr::BrIfNull { cond, .. }
                | Instr::BrIfNonNull { cond, .. } => f(cond),
                Instr::BrCmpI32 { a, b, .. } | Instr::BrCmpI64 { a, b, .. } => {
                    f(a);
                    f(b);
                }
                Instr::BrTable { index, .. } => f(index),
                Instr::Throw { base, .. } => f(base),
                Instr::ThrowRef { exn } => f(exn),
                Instr::Call { base, .. } | Instr::ReturnCall { base, .. } => f(base),
                Instr::CallIndirect { index, base, .. }
                | Instr::ReturnCallIndirect { index, base, .. }
                | Instr::CallRef { callee: index, base }
                | Instr::ReturnCallRef { callee: index, base } => {
                    f(index);
                    f(base);
                }
                Instr::GlobalGet { dst, .. }
                | Instr::GlobalGetV128 { dst, .. }
                | Instr::MemorySize { dst, .. }
                | Instr::TableSize { dst, .. }
                | Instr::RefFunc { dst, .. } => f(dst),
                Instr::GlobalSet { src, .. } | Instr::GlobalSetV128 { src, .. } => f(src),
                Instr::Load { dst, addr, offset, addr64, .. } => {
                    f(dst);
                    f(addr);
                    if *addr64 {
                        f(offset);
                    }
                }
                Instr::Store { addr, value, offset, addr64, .. } => {
                    f(addr);
                    f(value);
                    if *addr64 {
                        f(offset);
                    }
                }
                Instr::MemoryGrow { dst, delta, .. } => {
                    f(dst);
                    f(delta);
                }
                Instr::MemoryFill { d, val: s, n, .. }
                | Instr::MemoryCopy { d, s, n, .. }
                | Instr::MemoryInit { d, s, n, .. }
                | Instr::TableFill { d, val: s, n, .. }
                | Instr::TableCopy { d, s, n, .. }
                | Instr::TableInit { d, s, n, .. } => {
                    f(d);
                    f(s);
                    f(n);
                }
                Instr::TableGet { dst, index, .. } => {
                    f(dst);
                    f(index);
                }
                Instr::TableSet { index, value, .. } => {
                    f(index);
                    f(value);
                }
                Instr::TableGrow { dst, init, delta, .. } => {
                    f(dst);
                    f(init);
                    f(delta);
                }
                Instr::Br { .. }
                | Instr::Charge { .. }
                | Instr::Return
                | Instr::Unreachable
                | Instr::DataDrop { .. }
                | Instr::ElemDrop { .. } => {}
            }
        };
    }
    for_each_numeric!(visit)
}

fn retarget(instr: &mut Instr, slot: Slot) {
    macro_rules! numeric_dst {
        ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
            match instr {
                $(Instr::$name { dst, .. })|* => *dst = slot,
                Instr::Copy { dst, .. }
                | Instr::Select { dst, .. }
                | Instr::GlobalGet { dst, .. }
                | Instr::Load { dst, .. }
                | Instr::MemorySize { dst, .. }
                | Instr::MemoryGrow { dst, .. }
                | Instr::TableGet { dst, .. }
                | Instr::TableSize { dst, .. }
                | Instr::TableGrow { dst, .. }
                | Instr::RefIsNull { dst, .. }
                | Instr::RefAsNonNull { dst, .. }
                | Instr::RefFunc { dst, .. }
                | Instr::CopyV128 { dst, .. }
                | Instr::SelectV128 { dst, .. }
                | Instr::GlobalGetV128 { dst, .. }
                | Instr::Simd { dst, .. }
                | Instr::SimdLane { dst, .. }
                | Instr::SimdLoad { dst, .. } => *dst = slot,
                other => unreachable!("{other:?} has no result to retarget"),
            }
        };
    }
    for_each_numeric!(numeric_dst)
}

/// The compare-and-branch that jumps to `target` when comparison `instr` gives non-zero
/// (`when_nonzero`) or zero, if `instr` is a comparison that fuses.
fn fuse(instr: Instr, when_nonzero: bool, target: u32) -> Option<Instr> {
    let pick = |cmp: Cmp| if when_nonzero { cmp } else { cmp.negate() };
    Some(match instr {
        Instr::I32Eqz { a, .. } if when_nonzero => Instr::BrIfZ { cond: a, target },
        Instr::I32Eqz { a, .. } => Instr::BrIfNz { cond: a, target },
        Instr::I32Eq { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::Eq),
            a,
            b,
            target,
        },
        Instr::I32Ne { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::Ne),
            a,
            b,
            target,
        },
        Instr::I32LtS { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::LtS),
            a,
            b,
            target,
        },
        Instr::I32LtU { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::LtU),
            a,
            b,
            target,
        },
        Instr::I32GtS { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::GtS),
            a,
            b,
            target,
        },
        Instr::I32GtU { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::GtU),
            a,
            b,
            target,
        },
        Instr::I32LeS { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::LeS),
            a,
            b,
            target,
        },
        Instr::I32LeU { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::LeU),
            a,
            b,
            target,
        },
        Instr::I32GeS { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::GeS),
            a,
            b,
            target,
        },
        Instr::I32GeU { a, b, .. } => Instr::BrCmpI32 {
            cmp: pick(Cmp::GeU),
            a,
            b,
            target,
        },
        Instr::I64Eq { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::Eq),
            a,
            b,
            target,
        },
        Instr::I64Ne { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::Ne),
            a,
            b,
            target,
        },
        Instr::I64LtS { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::LtS),
            a,
            b,
            target,
        },
        Instr::I64LtU { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::LtU),
            a,
            b,
            target,
        },
        Instr::I64GtS { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::GtS),
            a,
            b,
            target,
        },
        Instr::I64GtU { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::GtU),
            a,
            b,
            target,
        },
        Instr::I64LeS { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::LeS),
            a,
            b,
            target,
        },
        Instr::I64LeU { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::LeU),
            a,
            b,
            target,
        },
        Instr::I64GeS { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::GeS),
            a,
            b,
            target,
        },
        Instr::I64GeU { a, b, .. } => Instr::BrCmpI64 {
            cmp: pick(Cmp::GeU),
            a,
            b,
            target,
        },
        _ => return None,
    })
}

fn set_target(instr: &mut Instr, here: u32) {
    match instr {
        Instr::Br { target }
        | Instr::BrIfNz { target, .. }
        | Instr::BrIfZ { target, .. }
        | Instr::BrIfNull { target, .. }
        | Instr::BrIfNonNull { target, .. }
        | Instr::BrCmpI32 { target, .. }
        | Instr::BrCmpI64 { target, .. } => *target = here,
        other => unreachable!("{other:?} is not a jump"),
    }
}

impl<'a> FunctionSink<'a> for Lowerer<'_> {
    fn begin(&mut self, index: u32, ty: &FuncType) -> Result<(), Error> {
        self.func = CompiledFunc {
            index,
            ..CompiledFunc::default()
        };
        self.local_runs.clear();
        self.locals_declared = 0;
        for &t in &ty.params {
            self.declare_locals(1, t);
        }
        self.func.params = self.func.locals;
        self.param_count = self.locals_declared;
        self.stack.clear();
        self.controls.clear();
        self.max_depth = 0;
        self.last_result = None;
        self.controls.push(Control {
            kind: Kind::Function,
            params: 0,
            results: ty.results.len() as u32,
            height: 0,
            loop_start: 0,
            bt: BlockType::Empty,
            patches: Vec::new(),
            else_patch: None,
            reachable: true,
            dead: false,
            try_region: None,
            catch_landings: Vec::new(),
        });
        Ok(())
    }

    fn locals(&mut self, count: u32, ty: ValType) -> Result<(), Error> {
        self.declare_locals(count, ty);
        Ok(())
    }

    fn operator(&mut self, op: &Operator<'a>, offset: usize) -> Result<(), Error> {
        self.offset = offset as u32;
        if self.unsupported.is_some() {
            return Ok(());
        }
        use Operator as O;
        // In unreachable code only the block structure matters.
        if !self.controls.last().is_some_and(|c| c.reachable) {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } | O::TryTable { .. } => {
                    let height = self.depth();
                    self.controls.push(Control {
                        kind: Kind::Block,
                        params: 0,
                        results: 0,
                        height,
                        loop_start: 0,
                        bt: BlockType::Empty,
                        patches: Vec::new(),
                        else_patch: None,
                        reachable: false,
                        dead: true,
                        try_region: None,
                        catch_landings: Vec::new(),
                    });
                    return Ok(());
                }
                O::End {} => {}
                O::Else {} if !self.controls.last().is_some_and(|c| c.dead) => {}
                _ => return Ok(()),
            }
        }
        if self.meter.is_some() {
            // Control reaches this operator: it is charged, in the current metering block. An
            // `end` whose label no branch targets (a loop's, or a block's that nothing leaves
            // early) is reached only by falling through: the block may go on past it.
            let label_joins = matches!(op, O::End {})
                && self.controls.last().is_some_and(|c| match c.kind {
                    Kind::Loop => false,
                    Kind::Block => !c.patches.is_empty() || !c.catch_landings.is_empty(),
                    Kind::If | Kind::Else | Kind::Function => true,
                });
            let meter = self.meter.as_mut().expect("checked above");
            // Priced per declared local, as Wasm counts them (a v128 is one local).
            let declared = self.locals_declared - self.param_count;
            if let Some(block) = meter.open(declared) {
                self.emit(Instr::Charge { block });
            }
            let meter = self.meter.as_mut().expect("checked above");
            meter.charge(op, label_joins);
            self.lower(op)?;
            self.meter.as_mut().expect("checked above").lowered();
            return Ok(());
        }
        self.lower(op)
    }

    fn end(&mut self) -> Result<(), Error> {
        self.finish()
    }
}

impl Lowerer<'_> {
    /// Lowers one numeric operator (its kind decides the shape).
    fn lower_numeric(&mut self, op: &Operator<'_>) {
        use Operator as O;
        macro_rules! numeric {
            ($($kind:ident $name:ident ($($in:ident)* -> $out:ident) |$($arg:ident),*| $body:expr;)*) => {
                match op {
                    $(O::$name {} => numeric!(@emit $kind $name),)*
                    other => unreachable!("{} is not numeric", other.opcode()),
                }
            };
            (@emit un $name:ident) => { self.unary(|dst, a| Instr::$name { dst, a, b: 0 }) };
            (@emit un_trap $name:ident) => { self.unary(|dst, a| Instr::$name { dst, a, b: 0 }) };
            (@emit bin $name:ident) => { self.binary(|dst, a, b| Instr::$name { dst, a, b }) };
            (@emit bin_trap $name:ident) => { self.binary(|dst, a, b| Instr::$name { dst, a, b }) };
        }
        for_each_numeric!(numeric)
    }

    /// Lowers one reachable operator. The match names every operator of the opcode table, so a
    /// new row does not compile until it is lowered (or said to be unsupported).
    fn lower(&mut self, op: &Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        match *op {
            O::Unreachable {} => {
                self.emit(Instr::Unreachable);
                self.set_unreachable();
            }
            O::Nop {} => {}
            O::Block { ty } => self.push_control(Kind::Block, ty),
            O::TryTable { catches } => self.try_table(&catches),
            O::Throw { tag } => self.throw(tag),
            O::ThrowRef {} => {
                let exn = self.pop_slot();
                self.emit(Instr::ThrowRef { exn });
                self.set_unreachable();
            }
            O::Loop { ty } => self.push_control(Kind::Loop, ty),
            O::If { ty } => {
                let cond = self.pop_slot();
                self.materialize_all();
                let at = self.cond_branch(cond, false, 0);
                self.push_control(Kind::If, ty);
                self.controls.last_mut().expect("pushed").else_patch = Some(at);
            }
            O::Else {} => {
                let c = self.controls.last().expect("validated");
                if c.reachable {
                    self.materialize_all();
                    let at = self.emit(Instr::Br { target: 0 });
                    self.controls
                        .last_mut()
                        .expect("open")
                        .patches
                        .push(Patch(at));
                }
                let c = self.controls.last_mut().expect("open");
                let else_patch = c.else_patch.take();
                c.kind = Kind::Else;
                c.reachable = true;
                let (height, bt) = (c.height, c.bt);
                if let Some(at) = else_patch {
                    self.resolve(&[Patch(at)]);
                }
                self.stack.truncate(height as usize);
                self.push_block_values(bt, true);
            }
            O::End {} => self.end_frame(),
            O::Br { depth } => {
                self.materialize_all();
                self.branch(depth);
                self.set_unreachable();
            }
            O::BrIf { depth } => {
                let cond = self.pop_slot();
                self.materialize_all();
                self.branch_if(depth, cond, Test::NonZero);
            }
            O::BrOnNull { depth } => {
                // The branch carries the values under the reference, which stays when it is
                // not null: every operand is in its slot, so the entry can be put back as is.
                self.materialize_all();
                let r = self.stack.pop().expect("validated code never underflows");
                let Operand::Slot(cond) = r.operand else {
                    unreachable!("materialized")
                };
                self.branch_if(depth, cond, Test::Null);
                self.stack.push(r);
            }
            O::BrOnNonNull { depth } => {
                // The reference is the last value the branch carries; not taken, it is dropped.
                self.materialize_all();
                let top = self.stack.last().expect("validated code never underflows");
                let cond = TEMP | top.at;
                self.branch_if(depth, cond, Test::NonNull);
                self.stack.pop();
            }
            O::BrTable { targets } => {
                let index = self.pop_slot();
                self.materialize_all();
                let start = self.func.br_tables.len();
                let depths: Vec<u32> = targets.targets().chain([targets.default]).collect();
                self.func.br_tables.resize(start + depths.len(), 0);
                self.emit(Instr::BrTable {
                    index,
                    start: start as u32,
                    len: depths.len() as u32,
                });
                // Each entry jumps to a stub that moves the values, then to the label.
                for (i, depth) in depths.into_iter().enumerate() {
                    self.func.br_tables[start + i] = self.pc();
                    self.branch(depth);
                }
                self.set_unreachable();
            }
            O::Return {} => {
                self.materialize_all();
                self.branch(self.controls.len() as u32 - 1);
                self.set_unreachable();
            }
            O::Call { func } => {
                let ty = &self.types[self.functions[func as usize] as usize];
                self.call(ty, |base| Instr::Call { func, base });
            }
            O::CallIndirect { type_index, table } => {
                // The index is read before the callee's frame (which may cover its slot) is set up.
                let index = self.pop_slot();
                let ty = &self.types[type_index as usize];
                self.call(ty, |base| Instr::CallIndirect {
                    ty: type_index,
                    table,
                    index,
                    base,
                });
            }
            O::CallRef { type_index } => {
                // As for `call_indirect`: the reference is read before the callee's frame is set.
                let callee = self.pop_slot();
                let ty = &self.types[type_index as usize];
                self.call(ty, |base| Instr::CallRef { callee, base });
            }
            O::ReturnCallRef { type_index } => {
                let callee = self.pop_slot();
                let ty = &self.types[type_index as usize];
                self.tail_call(ty, |base| Instr::ReturnCallRef { callee, base });
            }
            O::ReturnCall { func } => {
                let ty = &self.types[self.functions[func as usize] as usize];
                self.tail_call(ty, |base| Instr::ReturnCall { func, base });
            }
            O::ReturnCallIndirect { type_index, table } => {
                let index = self.pop_slot();
                let ty = &self.types[type_index as usize];
                self.tail_call(ty, |base| Instr::ReturnCallIndirect {
                    ty: type_index,
                    table,
                    index,
                    base,
                });
            }
            O::Drop {} => {
                self.stack.pop();
            }
            O::Select {} | O::SelectTyped { .. } => {
                let cond = self.pop_slot();
                let (b, wide) = self.pop_entry();
                let a = self.pop_slot();
                let dst = self.push_slot_wide(wide);
                let select = if wide {
                    Instr::SelectV128 { dst, cond, a, b }
                } else {
                    Instr::Select { dst, cond, a, b }
                };
                self.emit_result(select, dst);
            }
            O::LocalGet { local } => {
                let (slot, wide) = self.local(local);
                self.push_wide(Operand::Local(slot), wide);
            }
            O::LocalSet { local } => self.set_local(self.local(local).0),
            O::LocalTee { local } => {
                let (slot, wide) = self.local(local);
                self.set_local(slot);
                self.push_wide(Operand::Local(slot), wide);
            }
            O::GlobalGet { global } => {
                if self.v128_globals.get(global as usize) == Some(&true) {
                    let dst = self.push_slot_wide(true);
                    self.emit_result(Instr::GlobalGetV128 { dst, global }, dst);
                } else {
                    let dst = self.push_slot();
                    self.emit_result(Instr::GlobalGet { dst, global }, dst);
                }
            }
            O::GlobalSet { global } => {
                let src = self.pop_slot();
                if self.v128_globals.get(global as usize) == Some(&true) {
                    self.emit(Instr::GlobalSetV128 { src, global });
                } else {
                    self.emit(Instr::GlobalSet { src, global });
                }
            }
            O::TableGet { table } => self.unary(|dst, index| Instr::TableGet { dst, table, index }),
            O::TableSet { table } => {
                let value = self.pop_slot();
                let index = self.pop_slot();
                self.emit(Instr::TableSet {
                    table,
                    index,
                    value,
                });
            }
            O::I32Load { memarg }
            | O::I64Load { memarg }
            | O::F32Load { memarg }
            | O::F64Load { memarg }
            | O::I32Load8S { memarg }
            | O::I32Load8U { memarg }
            | O::I32Load16S { memarg }
            | O::I32Load16U { memarg }
            | O::I64Load8S { memarg }
            | O::I64Load8U { memarg }
            | O::I64Load16S { memarg }
            | O::I64Load16U { memarg }
            | O::I64Load32S { memarg }
            | O::I64Load32U { memarg }
            | O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg }
            | O::I32Store8 { memarg }
            | O::I32Store16 { memarg }
            | O::I64Store8 { memarg }
            | O::I64Store16 { memarg }
            | O::I64Store32 { memarg } => match access(op.opcode()) {
                Some(Access::Load(kind)) => self.load(kind, memarg),
                Some(Access::Store(kind)) => self.store(kind, memarg),
                None => unreachable!("{} is a memory access", op.opcode()),
            },
            O::MemorySize { mem } => {
                let dst = self.push_slot();
                self.emit_result(Instr::MemorySize { dst, memory: mem.0 }, dst);
            }
            O::MemoryGrow { mem } => self.unary(|dst, delta| Instr::MemoryGrow {
                dst,
                delta,
                memory: mem.0,
            }),
            O::I32Const { value } => self.push(Operand::Const(u64::from(value as u32))),
            O::I64Const { value } => self.push(Operand::Const(value as u64)),
            O::F32Const { value } => self.push(Operand::Const(u64::from(value.0))),
            O::F64Const { value } => self.push(Operand::Const(value.0)),
            O::RefNull { .. } => self.push(Operand::Const(0)),
            O::RefIsNull {} => self.unary(|dst, src| Instr::RefIsNull { dst, src }),
            O::RefAsNonNull {} => self.unary(|dst, src| Instr::RefAsNonNull { dst, src }),
            O::RefFunc { func } => {
                let dst = self.push_slot();
                self.emit_result(Instr::RefFunc { dst, func }, dst);
            }
            O::MemoryInit { data, mem } => {
                let (d, s, n) = self.pop3();
                let memory = mem.0;
                self.emit(Instr::MemoryInit {
                    data,
                    d,
                    s,
                    n,
                    memory,
                });
            }
            O::DataDrop { data } => {
                self.emit(Instr::DataDrop { data });
            }
            O::MemoryCopy { dst, src } => {
                let (d, s, n) = self.pop3();
                let (dst_memory, src_memory) = (dst.0, src.0);
                self.emit(Instr::MemoryCopy {
                    d,
                    s,
                    n,
                    dst_memory,
                    src_memory,
                });
            }
            O::MemoryFill { mem } => {
                let (d, val, n) = self.pop3();
                self.emit(Instr::MemoryFill {
                    d,
                    val,
                    n,
                    memory: mem.0,
                });
            }
            O::TableInit { elem, table } => {
                let (d, s, n) = self.pop3();
                self.emit(Instr::TableInit {
                    table,
                    elem,
                    d,
                    s,
                    n,
                });
            }
            O::ElemDrop { elem } => {
                self.emit(Instr::ElemDrop { elem });
            }
            O::TableCopy { dst, src } => {
                let (d, s, n) = self.pop3();
                self.emit(Instr::TableCopy {
                    dst_table: dst,
                    src_table: src,
                    d,
                    s,
                    n,
                });
            }
            O::TableGrow { table } => {
                let delta = self.pop_slot();
                let init = self.pop_slot();
                let dst = self.push_slot();
                self.emit_result(
                    Instr::TableGrow {
                        dst,
                        table,
                        init,
                        delta,
                    },
                    dst,
                );
            }
            O::TableSize { table } => {
                let dst = self.push_slot();
                self.emit_result(Instr::TableSize { dst, table }, dst);
            }
            O::TableFill { table } => {
                let (d, val, n) = self.pop3();
                self.emit(Instr::TableFill { table, d, val, n });
            }
            for_each_numeric!(numeric_pattern) => self.lower_numeric(op),
            ssvm_binary::for_each_operator!(simd_pattern) => self.lower_simd(op),
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        let f = &mut self.func;
        let frame_size = u64::from(f.locals) + f.consts.len() as u64 + u64::from(self.max_depth);
        if frame_size > u64::from(MAX_FRAME_SLOTS) {
            return Err(Error {
                kind: ssvm_validate::ErrorKind::Invalid,
                message: format!(
                    "function frame of {frame_size} slots exceeds the interpreter's limit of \
                     {MAX_FRAME_SLOTS}"
                ),
                offset: self.offset as usize,
                function: None,
            });
        }
        // Final layout: parameters and locals, then constants, then the operand stack.
        let (locals, temps) = (f.locals, f.locals + f.consts.len() as u32);
        let place = |s: &mut Slot| {
            if *s & CONST != 0 {
                *s = locals + (*s & !CONST);
            } else if *s & TEMP != 0 {
                *s = temps + (*s & !TEMP);
            }
        };
        for instr in &mut f.code {
            for_each_slot(instr, place);
        }
        for c in f.try_regions.iter_mut().flat_map(|r| &mut r.catches) {
            place(&mut c.dst);
        }
        f.frame_size = frame_size as u32;
        // Catch clauses that branch to the function's label land on a return of their values.
        if !self.return_landings.is_empty() {
            let here = f.code.len() as u32;
            for &(region, clause) in &self.return_landings {
                f.try_regions[region].catches[clause].landing = here;
            }
            self.return_landings.clear();
            f.code.push(Instr::Return);
            f.offsets.push(self.offset);
            if let Some(meter) = self.meter.as_mut() {
                meter.emitted();
            }
        }
        // A terminator at the very end: no jump target or fall-through can leave the code.
        f.code.push(Instr::Unreachable);
        f.offsets.push(self.offset);
        f.meter = self.meter.as_mut().map(Blocks::finish);
        self.compiled.push(std::mem::take(&mut self.func));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_widths_are_the_tables_natural_alignment() {
        for &op in Opcode::ALL {
            let simd = op.encoding().0 == 0xFD;
            match (access(op), op.max_align()) {
                (Some(a), Some(align)) => {
                    let width = match a {
                        Access::Load(k) => k.width(),
                        Access::Store(k) => k.width(),
                    };
                    assert_eq!(width, 1 << align, "{op}");
                }
                (None, Some(_)) => assert!(simd, "{op} is a scalar access without a kind"),
                (Some(_), None) => panic!("{op} has a kind but is no memory access"),
                (None, None) => {}
            }
        }
    }
}
