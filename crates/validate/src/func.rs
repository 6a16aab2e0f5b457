//! Validation of one function body: the operand and control stacks of the spec's validation
//! algorithm, with the polymorphic stack after unconditional branches.

use crate::module::Context;
use crate::{invalid, malformed, Error, FunctionSink};
use ssvm_binary::{
    BlockType, FuncType, FunctionBody, HeapType, MemArg, Operator, OperatorReader, RefType, ValType,
};
use std::collections::HashSet;

/// An operand type; `None` is the unknown type popped from a polymorphic (unreachable) stack.
type Operand = Option<ValType>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Block,
    Loop,
    If,
    Else,
    Function,
}

/// A list of value types: a function type's, or a block's single result.
#[derive(Debug, Clone, Copy)]
enum Types<'m> {
    Slice(&'m [ValType]),
    One(ValType),
}

impl Types<'_> {
    #[inline]
    fn get(&self) -> &[ValType] {
        match self {
            Types::Slice(s) => s,
            Types::One(t) => std::slice::from_ref(t),
        }
    }
}

/// One entry of the control stack.
#[derive(Debug)]
struct Frame<'m> {
    kind: FrameKind,
    params: Types<'m>,
    results: Types<'m>,
    /// Operand stack height when the frame was entered (after its parameters were popped).
    height: usize,
    /// How many locals had been set for the first time when the frame was entered: those set
    /// inside it are unset again at its end.
    inits: usize,
    /// Whether the rest of the frame is unreachable (the operand stack is polymorphic).
    unreachable: bool,
}

impl<'m> Frame<'m> {
    /// The types a branch to this frame's label carries.
    fn label_types(&self) -> Types<'m> {
        if self.kind == FrameKind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// The locals of a function: the first ones in a flat list for a quick lookup, all of them as
/// runs of equal types so that a huge declared count costs no memory.
struct Locals {
    /// The types of the first locals, at most `FLAT_LOCALS` of them.
    flat: Vec<ValType>,
    /// (first index after the run, type), ascending.
    runs: Vec<(u64, ValType)>,
}

/// How many locals are kept in the flat list.
const FLAT_LOCALS: usize = 1024;

impl Locals {
    fn clear(&mut self) {
        self.flat.clear();
        self.runs.clear();
    }

    /// Appends `count` locals of type `t`; `end` is the total count after them.
    fn push(&mut self, count: u32, t: ValType, end: u64) {
        let flat = (count as usize).min(FLAT_LOCALS - self.flat.len());
        self.flat.extend(std::iter::repeat_n(t, flat));
        self.runs.push((end, t));
    }

    #[inline]
    fn get(&self, index: u32) -> Option<ValType> {
        if let Some(&t) = self.flat.get(index as usize) {
            return Some(t);
        }
        let i = self
            .runs
            .partition_point(|&(end, _)| end <= u64::from(index));
        self.runs.get(i).map(|&(_, t)| t)
    }
}

/// Validates function bodies of one module; its stacks are reused from function to function.
pub(crate) struct FuncValidator<'c> {
    ctx: &'c Context,
    locals: Locals,
    operands: Vec<Operand>,
    frames: Vec<Frame<'c>>,
    /// The innermost frame's `height`, kept at hand for the hot pop path.
    height: usize,
    /// How many parameters the function has: they are set from the start.
    params: u32,
    /// The locals of non-defaultable types (non-null references) set so far, and the same
    /// in the order they were first set, for unsetting them at the end of their block.
    set: HashSet<u32>,
    set_order: Vec<u32>,
}

/// Errors are boxed inside the validator: a result of one pointer travels in a register, where
/// the whole error would go through memory on every check of every instruction.
type Res<T> = Result<T, Box<Error>>;

fn mismatch(at: usize) -> Box<Error> {
    Box::new(invalid("type mismatch", at))
}

impl<'c> FuncValidator<'c> {
    pub(crate) fn new(ctx: &'c Context) -> Self {
        FuncValidator {
            ctx,
            locals: Locals {
                flat: Vec::new(),
                runs: Vec::new(),
            },
            operands: Vec::new(),
            frames: Vec::new(),
            height: 0,
            params: 0,
            set: HashSet::new(),
            set_order: Vec::new(),
        }
    }

    /// The context bodies are validated in.
    pub(crate) fn ctx(&self) -> &'c Context {
        self.ctx
    }

    /// Validates the body of a function of type `ty`, handing each operator to `sink`.
    pub(crate) fn validate<'a, S: FunctionSink<'a>>(
        &mut self,
        ty: &'c FuncType,
        body: &FunctionBody<'a>,
        sink: &mut S,
    ) -> Res<()> {
        let locals = &mut self.locals;
        locals.clear();
        let mut count = 0u64;
        for &p in ty.params.iter() {
            count += 1;
            locals.push(1, p, count);
        }
        let mut sink_error = None;
        let ctx = self.ctx;
        let ops = body
            .read_locals(|n, t| {
                if let Err(e) = ctx.check_val(t, body.offset) {
                    sink_error.get_or_insert(e);
                }
                if n > 0 {
                    count += u64::from(n);
                    locals.push(n, t, count);
                    if let Err(e) = sink.locals(n, t) {
                        sink_error.get_or_insert(e);
                    }
                }
                Ok(())
            })
            .map_err(|e| Box::new(Error::from(e)))?;
        if let Some(e) = sink_error {
            return Err(Box::new(e));
        }
        self.operands.clear();
        self.frames.clear();
        self.params = ty.params.len() as u32;
        self.set.clear();
        self.set_order.clear();
        self.run(ty, ops, body.end(), sink)
    }

    #[inline]
    fn push(&mut self, t: ValType) {
        self.operands.push(Some(t));
    }

    #[inline]
    fn push_all(&mut self, types: &[ValType]) {
        // Most instructions push one value or none: no iterator for them.
        match types {
            [] => {}
            [t] => self.operands.push(Some(*t)),
            _ => self.operands.extend(types.iter().map(|&t| Some(t))),
        }
    }

    fn pop(&mut self, at: usize) -> Res<Operand> {
        let frame = self
            .frames
            .last()
            .expect("a frame is open while operators are read");
        if self.operands.len() == frame.height {
            return if frame.unreachable {
                Ok(None)
            } else {
                Err(mismatch(at))
            };
        }
        Ok(self.operands.pop().flatten())
    }

    #[inline]
    fn pop_expect(&mut self, expected: ValType, at: usize) -> Res<Operand> {
        if self.operands.len() > self.height && self.operands.last() == Some(&Some(expected)) {
            self.operands.pop();
            return Ok(Some(expected));
        }
        self.pop_expect_slow(expected, at)
    }

    fn pop_expect_slow(&mut self, expected: ValType, at: usize) -> Res<Operand> {
        let actual = self.pop(at)?;
        match actual {
            Some(t) if !self.ctx.matches(t, expected) => Err(mismatch(at)),
            _ => Ok(actual),
        }
    }

    #[inline]
    fn pop_all(&mut self, types: &[ValType], at: usize) -> Res<()> {
        // Most instructions pop one or two values: no loop for them.
        match *types {
            [] => {}
            [a] => {
                self.pop_expect(a, at)?;
            }
            [a, b] => {
                self.pop_expect(b, at)?;
                self.pop_expect(a, at)?;
            }
            _ => {
                for &t in types.iter().rev() {
                    self.pop_expect(t, at)?;
                }
            }
        }
        Ok(())
    }

    /// Checks that the top of the stack holds `types`, without popping.
    fn peek_all(&self, types: &[ValType], at: usize) -> Res<()> {
        let frame = self.frames.last().expect("a frame is open");
        let available = self.operands.len() - frame.height;
        for (i, &t) in types.iter().rev().enumerate() {
            if i >= available {
                if frame.unreachable {
                    return Ok(());
                }
                return Err(mismatch(at));
            }
            if let Some(actual) = self.operands[self.operands.len() - 1 - i] {
                if !self.ctx.matches(actual, t) {
                    return Err(mismatch(at));
                }
            }
        }
        Ok(())
    }

    /// `instruction requires [T*] but stack has [U*]`: what an instruction popping `types`
    /// finds, the top operands of the current frame (at most as many as it pops).
    fn stack_words(&self, types: &[ValType]) -> String {
        let list = |ts: &mut dyn Iterator<Item = String>| ts.collect::<Vec<_>>().join(" ");
        let available = &self.operands[self.height..];
        let top = &available[available.len().saturating_sub(types.len())..];
        format!(
            "instruction requires [{}] but stack has [{}]",
            list(&mut types.iter().map(ToString::to_string)),
            list(&mut top.iter().map(|t| t.map_or("_".into(), |t| t.to_string())))
        )
    }

    fn push_frame(&mut self, kind: FrameKind, params: Types<'c>, results: Types<'c>) {
        self.height = self.operands.len();
        self.frames.push(Frame {
            kind,
            params,
            results,
            height: self.height,
            inits: self.set_order.len(),
            unreachable: false,
        });
        self.push_all(params.get());
    }

    fn pop_frame(&mut self, at: usize) -> Res<Frame<'c>> {
        let results = self.frames.last().expect("a frame is open").results;
        self.pop_all(results.get(), at)?;
        let frame = self.frames.pop().expect("a frame is open");
        self.height = self.frames.last().map_or(0, |f| f.height);
        if self.operands.len() != frame.height {
            return Err(mismatch(at));
        }
        // A local first set inside the block is unset after it: the block may have been left
        // before the set.
        for local in self.set_order.drain(frame.inits..) {
            self.set.remove(&local);
        }
        Ok(frame)
    }

    /// Whether every type of `a` matches the type at its position in `b`.
    fn all_match(&self, a: &[ValType], b: &[ValType]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| self.ctx.matches(x, y))
    }

    /// A tail call of a function of type `ty`: it takes its arguments and leaves this function,
    /// so its results must be this function's (the tail-call proposal).
    fn tail_call(&mut self, ty: &FuncType, at: usize) -> Res<()> {
        if !self.all_match(&ty.results, self.frames[0].results.get()) {
            return Err(mismatch(at));
        }
        self.pop_all(&ty.params, at)?;
        self.set_unreachable();
        Ok(())
    }

    fn set_unreachable(&mut self) {
        let frame = self.frames.last_mut().expect("a frame is open");
        self.operands.truncate(frame.height);
        frame.unreachable = true;
    }

    /// The types carried by a branch to label `depth`.
    fn label(&self, depth: u32, at: usize) -> Res<Types<'c>> {
        let n = self.frames.len();
        if (depth as usize) < n {
            Ok(self.frames[n - 1 - depth as usize].label_types())
        } else {
            Err(Box::new(invalid("unknown label", at)))
        }
    }

    fn block_type(&self, bt: BlockType, at: usize) -> Res<(Types<'c>, Types<'c>)> {
        match bt {
            BlockType::Empty => Ok((Types::Slice(&[]), Types::Slice(&[]))),
            BlockType::Value(t) => {
                self.ctx.check_val(t, at)?;
                Ok((Types::Slice(&[]), Types::One(t)))
            }
            BlockType::Func(index) => {
                let ty = self.ctx.func_type(index, at)?;
                Ok((Types::Slice(&ty.params), Types::Slice(&ty.results)))
            }
        }
    }

    #[inline]
    fn local(&self, index: u32, at: usize) -> Res<ValType> {
        self.locals
            .get(index)
            .ok_or_else(|| Box::new(invalid(format!("unknown local {index}"), at)))
    }

    /// The type of local `index` for `local.get`: a local without a default value must have
    /// been set before, on every path to here.
    #[inline]
    fn local_read(&self, index: u32, at: usize) -> Res<ValType> {
        let t = self.local(index, at)?;
        if !t.is_defaultable() && index >= self.params && !self.set.contains(&index) {
            return Err(Box::new(invalid("uninitialized local", at)));
        }
        Ok(t)
    }

    /// The type of local `index` for `local.set` and `local.tee`, which set it.
    #[inline]
    fn local_write(&mut self, index: u32, at: usize) -> Res<ValType> {
        let t = self.local(index, at)?;
        if !t.is_defaultable() && self.set.insert(index) {
            self.set_order.push(index);
        }
        Ok(t)
    }

    /// Pops a reference operand: its type, `None` when unknown (unreachable code).
    fn pop_ref(&mut self, at: usize) -> Res<Option<RefType>> {
        match self.pop(at)? {
            None => Ok(None),
            Some(ValType::Ref(r)) => Ok(Some(r)),
            Some(_) => Err(mismatch(at)),
        }
    }

    /// The non-null type of a popped reference (unknown stays unknown).
    fn non_null(r: Option<RefType>) -> Operand {
        r.map(|r| {
            ValType::Ref(RefType {
                nullable: false,
                ..r
            })
        })
    }

    /// `call_ref $t` and `return_call_ref $t`: pops the reference, of type `(ref null $t)`,
    /// and gives the function type.
    fn pop_func_ref(&mut self, type_index: u32, at: usize) -> Res<&'c FuncType> {
        let ty = self.ctx.func_type(type_index, at)?;
        let t = ValType::Ref(RefType::null(HeapType::Concrete(type_index)));
        self.pop_expect(t, at)?;
        Ok(ty)
    }

    fn run<'a, S: FunctionSink<'a>>(
        &mut self,
        ty: &'c FuncType,
        mut ops: OperatorReader<'a>,
        end: usize,
        sink: &mut S,
    ) -> Res<()> {
        // The parameters live in locals, not on the operand stack.
        self.push_frame(
            FrameKind::Function,
            Types::Slice(&[]),
            Types::Slice(&ty.results),
        );
        loop {
            let at = ops.offset();
            if let Some(local) = ops.read_local_get().map_err(|e| Error::from(*e))? {
                let t = self.local_read(local, at)?;
                self.push(t);
                sink.operator(&Operator::LocalGet { local }, at)?;
                continue;
            }
            // A match, not `?`: the `?` moved the operator through a differently laid out
            // value, in stores the next loads could not forward from (a stall per operator).
            let op = match ops.read_boxed() {
                Ok(op) => op,
                Err(e) => return Err(Box::new(Error::from(*e))),
            };
            self.operator(&op, at)?;
            sink.operator(&op, at)?;
            if self.frames.is_empty() {
                if ops.offset() != end {
                    return Err(Box::new(malformed("section size mismatch", ops.offset())));
                }
                return Ok(());
            }
        }
    }

    // Inlined into the one loop that calls it: its prologue and epilogue cost as much as the
    // checks of most operators.
    #[inline(always)]
    fn operator(&mut self, op: &Operator<'_>, at: usize) -> Res<()> {
        use Operator as O;
        match *op {
            O::Unreachable {} => self.set_unreachable(),
            O::Block { ty } | O::Loop { ty } => {
                let (params, results) = self.block_type(ty, at)?;
                self.pop_all(params.get(), at)?;
                let kind = if matches!(*op, O::Loop { .. }) {
                    FrameKind::Loop
                } else {
                    FrameKind::Block
                };
                self.push_frame(kind, params, results);
            }
            O::TryTable { catches } => {
                let (params, results) = self.block_type(catches.ty, at)?;
                // The clauses' labels are the enclosing block's: checked before the frame is
                // pushed, each like a `br` carrying what the clause passes.
                for c in catches.catches() {
                    let label = self.label(c.label, at)?;
                    let payload: &[ValType] = if c.kind.has_tag() {
                        &self.ctx.tag(c.tag, at)?.params
                    } else {
                        &[]
                    };
                    // The exception a clause passes is never null: `(ref exn)`.
                    let exn = c.kind.passes_ref().then_some(&ValType::Ref(RefType {
                        nullable: false,
                        heap: HeapType::Exn,
                    }));
                    let passes = payload.iter().chain(exn);
                    let label = label.get();
                    if passes.clone().count() != label.len()
                        || !passes.zip(label).all(|(&p, &l)| self.ctx.matches(p, l))
                    {
                        return Err(mismatch(at));
                    }
                }
                self.pop_all(params.get(), at)?;
                self.push_frame(FrameKind::Block, params, results);
            }
            O::Throw { tag } => {
                let ty = self.ctx.tag(tag, at)?;
                // The words of the reference interpreter, which the proposal's tests check.
                let detail = self.stack_words(&ty.params);
                if self.pop_all(&ty.params, at).is_err() {
                    return Err(Box::new(invalid(format!("type mismatch: {detail}"), at)));
                }
                self.set_unreachable();
            }
            O::ThrowRef {} => {
                self.pop_expect(ValType::EXNREF, at)?;
                self.set_unreachable();
            }
            O::If { ty } => {
                let (params, results) = self.block_type(ty, at)?;
                self.pop_expect(ValType::I32, at)?;
                self.pop_all(params.get(), at)?;
                self.push_frame(FrameKind::If, params, results);
            }
            O::Else {} => {
                if self.frames.last().map(|f| f.kind) != Some(FrameKind::If) {
                    // The binary format only allows `else` inside an `if`.
                    return Err(Box::new(malformed("END opcode expected", at)));
                }
                let frame = self.pop_frame(at)?;
                self.push_frame(FrameKind::Else, frame.params, frame.results);
            }
            O::End {} => {
                let frame = self.pop_frame(at)?;
                if frame.kind == FrameKind::If
                    && !self.all_match(frame.params.get(), frame.results.get())
                {
                    // An `if` without `else` passes its parameters through the missing arm.
                    return Err(mismatch(at));
                }
                self.push_all(frame.results.get());
            }
            O::Br { depth } => {
                let types = self.label(depth, at)?;
                self.pop_all(types.get(), at)?;
                self.set_unreachable();
            }
            O::BrIf { depth } => {
                self.pop_expect(ValType::I32, at)?;
                let types = self.label(depth, at)?;
                self.pop_all(types.get(), at)?;
                self.push_all(types.get());
            }
            O::BrOnNull { depth } => {
                let r = self.pop_ref(at)?;
                let types = self.label(depth, at)?;
                self.pop_all(types.get(), at)?;
                self.push_all(types.get());
                self.operands.push(Self::non_null(r));
            }
            O::BrOnNonNull { depth } => {
                let r = self.pop_ref(at)?;
                let label = self.label(depth, at)?;
                // The branch carries the reference, non-null, as the label's last value.
                let Some((&last, rest)) = label.get().split_last() else {
                    return Err(mismatch(at));
                };
                if !last.is_ref() || Self::non_null(r).is_some_and(|t| !self.ctx.matches(t, last)) {
                    return Err(mismatch(at));
                }
                self.pop_all(rest, at)?;
                self.push_all(rest);
            }
            O::BrTable { targets } => {
                self.pop_expect(ValType::I32, at)?;
                let default = self.label(targets.default, at)?;
                for depth in targets.targets() {
                    let types = self.label(depth, at)?;
                    if types.get().len() != default.get().len() {
                        return Err(mismatch(at));
                    }
                    self.peek_all(types.get(), at)?;
                }
                self.pop_all(default.get(), at)?;
                self.set_unreachable();
            }
            O::Return {} => {
                let results = self.frames[0].results;
                self.pop_all(results.get(), at)?;
                self.set_unreachable();
            }
            O::Call { func } => {
                let ty = self.ctx.function_type(func, at)?;
                self.pop_all(&ty.params, at)?;
                self.push_all(&ty.results);
            }
            O::CallRef { type_index } => {
                let ty = self.pop_func_ref(type_index, at)?;
                self.pop_all(&ty.params, at)?;
                self.push_all(&ty.results);
            }
            O::ReturnCallRef { type_index } => {
                let ty = self.pop_func_ref(type_index, at)?;
                self.tail_call(ty, at)?;
            }
            O::CallIndirect { type_index, table } => {
                let t = self.ctx.table(table, at)?;
                if !self.ctx.matches(t.element.into(), ValType::FUNCREF) {
                    return Err(mismatch(at));
                }
                let ty = self.ctx.func_type(type_index, at)?;
                self.pop_expect(t.limits.address_type(), at)?;
                self.pop_all(&ty.params, at)?;
                self.push_all(&ty.results);
            }
            O::ReturnCall { func } => {
                let ty = self.ctx.function_type(func, at)?;
                self.tail_call(ty, at)?;
            }
            O::ReturnCallIndirect { type_index, table } => {
                let t = self.ctx.table(table, at)?;
                if !self.ctx.matches(t.element.into(), ValType::FUNCREF) {
                    return Err(mismatch(at));
                }
                let ty = self.ctx.func_type(type_index, at)?;
                self.pop_expect(t.limits.address_type(), at)?;
                self.tail_call(ty, at)?;
            }
            O::Drop {} => {
                self.pop(at)?;
            }
            O::Select {} => {
                self.pop_expect(ValType::I32, at)?;
                let a = self.pop(at)?;
                let b = self.pop(at)?;
                if a.is_some_and(ValType::is_ref) || b.is_some_and(ValType::is_ref) {
                    return Err(mismatch(at));
                }
                match (a, b) {
                    (Some(x), Some(y)) if x != y => return Err(mismatch(at)),
                    _ => self.operands.push(a.or(b)),
                }
            }
            O::SelectTyped { ty } => {
                let Some(t) = ty.ty else {
                    return Err(Box::new(invalid("invalid result arity", at)));
                };
                self.ctx.check_val(t, at)?;
                self.pop_expect(ValType::I32, at)?;
                self.pop_expect(t, at)?;
                self.pop_expect(t, at)?;
                self.push(t);
            }
            O::LocalGet { local } => {
                let t = self.local_read(local, at)?;
                self.push(t);
            }
            O::LocalSet { local } => {
                let t = self.local_write(local, at)?;
                self.pop_expect(t, at)?;
            }
            O::LocalTee { local } => {
                let t = self.local_write(local, at)?;
                self.pop_expect(t, at)?;
                self.push(t);
            }
            O::GlobalGet { global } => {
                let t = self.ctx.global(global, at)?.content;
                self.push(t);
            }
            O::GlobalSet { global } => {
                let g = self.ctx.global(global, at)?;
                if !g.mutable {
                    return Err(Box::new(invalid("global is immutable", at)));
                }
                self.pop_expect(g.content, at)?;
            }
            O::TableGet { table } => {
                let (t, at_ty) = self.table_types(table, at)?;
                self.pop_expect(at_ty, at)?;
                self.push(t);
            }
            O::TableSet { table } => {
                let (t, at_ty) = self.table_types(table, at)?;
                self.pop_expect(t, at)?;
                self.pop_expect(at_ty, at)?;
            }
            O::TableGrow { table } => {
                let (t, at_ty) = self.table_types(table, at)?;
                self.pop_expect(at_ty, at)?;
                self.pop_expect(t, at)?;
                self.push(at_ty);
            }
            O::TableFill { table } => {
                let (t, at_ty) = self.table_types(table, at)?;
                self.pop_expect(at_ty, at)?;
                self.pop_expect(t, at)?;
                self.pop_expect(at_ty, at)?;
            }
            O::TableSize { table } => {
                let (_, at_ty) = self.table_types(table, at)?;
                self.push(at_ty);
            }
            O::TableCopy { dst, src } => {
                let (d, d_at) = self.table_types(dst, at)?;
                let (s, s_at) = self.table_types(src, at)?;
                if !self.ctx.matches(s, d) {
                    return Err(mismatch(at));
                }
                self.pop_expect(narrower(d_at, s_at), at)?;
                self.pop_expect(s_at, at)?;
                self.pop_expect(d_at, at)?;
            }
            O::TableInit { elem, table } => {
                let (t, at_ty) = self.table_types(table, at)?;
                if !self.ctx.matches(self.ctx.element(elem, at)?.into(), t) {
                    return Err(mismatch(at));
                }
                self.pop_all(&[at_ty, ValType::I32, ValType::I32], at)?;
            }
            O::MemorySize { mem } => {
                let a = self.memory_address(mem.0, at)?;
                self.push(a);
            }
            O::MemoryGrow { mem } => {
                let a = self.memory_address(mem.0, at)?;
                self.pop_expect(a, at)?;
                self.push(a);
            }
            O::MemoryFill { mem } => {
                let a = self.memory_address(mem.0, at)?;
                self.pop_all(&[a, ValType::I32, a], at)?;
            }
            O::MemoryCopy { dst, src } => {
                let d = self.memory_address(dst.0, at)?;
                let s = self.memory_address(src.0, at)?;
                self.pop_all(&[d, s, narrower(d, s)], at)?;
            }
            O::MemoryInit { data, mem } => {
                let a = self.memory_address(mem.0, at)?;
                self.ctx.data(data, at)?;
                self.pop_all(&[a, ValType::I32, ValType::I32], at)?;
            }
            O::RefNull { ty } => {
                let t = self.ctx.ref_null(ty, at)?;
                self.push(t);
            }
            O::RefIsNull {} => {
                self.pop_ref(at)?;
                self.push(ValType::I32);
            }
            O::RefAsNonNull {} => {
                let r = self.pop_ref(at)?;
                self.operands.push(Self::non_null(r));
            }
            O::RefFunc { func } => {
                let t = self.ctx.ref_func(func, at)?;
                if !self.ctx.is_declared(func) {
                    return Err(Box::new(invalid("undeclared function reference", at)));
                }
                self.push(t);
            }
            _ => self.fixed(op, at)?,
        }
        Ok(())
    }

    /// Instructions with a fixed stack effect: check their immediates, then apply the effect.
    fn fixed(&mut self, op: &Operator<'_>, at: usize) -> Res<()> {
        use Operator as O;
        let info = op.opcode().info();
        match *op {
            O::DataDrop { data } => self.ctx.data(data, at)?,
            O::ElemDrop { elem } => {
                self.ctx.element(elem, at)?;
            }
            O::I8x16Shuffle { lanes } => {
                if lanes.0.iter().any(|&l| l >= 32) {
                    return Err(Box::new(invalid("invalid lane index", at)));
                }
            }
            _ => {
                // Most instructions have neither immediate: ask the table before the operator.
                if let Some(lanes) = info.lanes {
                    if op.lane().is_some_and(|lane| lane >= lanes) {
                        return Err(Box::new(invalid("invalid lane index", at)));
                    }
                }
                if let (Some(max_align), Some(m)) = (info.max_align, op.memarg()) {
                    return self.access(m, max_align, info, at);
                }
            }
        }
        let Some(sig) = &info.signature else {
            unreachable!("{} is typed case by case but has no case", info.name);
        };
        self.pop_all(sig.params, at)?;
        self.push_all(sig.results);
        Ok(())
    }

    /// A load or store: its memarg checked against the memory, its address (the first
    /// parameter of the table's signature, an `i32`) of the memory's address type.
    fn access(
        &mut self,
        m: MemArg,
        max_align: u32,
        info: &ssvm_binary::OpcodeInfo,
        at: usize,
    ) -> Res<()> {
        let address = self.memory_address(m.memory, at)?;
        if m.align > max_align {
            return Err(Box::new(invalid(
                "alignment must not be larger than natural",
                at,
            )));
        }
        if address == ValType::I32 && m.offset > u64::from(u32::MAX) {
            return Err(Box::new(invalid("offset out of range", at)));
        }
        let Some(sig) = &info.signature else {
            unreachable!("{} is typed case by case but has no case", info.name);
        };
        let (_, rest) = sig.params.split_first().expect("an access has an address");
        self.pop_all(rest, at)?;
        self.pop_expect(address, at)?;
        self.push_all(sig.results);
        Ok(())
    }

    /// The address type of memory `index`.
    fn memory_address(&self, index: u32, at: usize) -> Res<ValType> {
        Ok(self.ctx.memory(index, at)?.limits.address_type())
    }

    /// The element type and the index type of table `index`.
    fn table_types(&self, index: u32, at: usize) -> Res<(ValType, ValType)> {
        let t = self.ctx.table(index, at)?;
        Ok((t.element.into(), t.limits.address_type()))
    }
}

/// The type of a length between two address spaces (`memory.copy`, `table.copy`): `i32` unless
/// both are 64-bit, so that it fits both.
fn narrower(a: ValType, b: ValType) -> ValType {
    if a == ValType::I64 && b == ValType::I64 {
        ValType::I64
    } else {
        ValType::I32
    }
}
