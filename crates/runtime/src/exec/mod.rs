//! The interpreter: runs a function's assembled ops on a value stack of 64-bit slots, with its
//! own call stack (Wasm calls never recurse on the host stack).
//!
//! **Threaded dispatch.** Every op carries its handler; a handler does its work and calls the
//! next op's handler itself, with the hot state (op pointer, frame pointer) in arguments so that
//! it stays in registers. Optimised builds rely on LLVM turning those calls into jumps (sibling
//! calls: every handler has the same signature and ends in the call); `tests/threaded.rs` runs a
//! long loop on a thread with a small stack, so a handler that stops tail-calling fails CI. Builds
//! with debug assertions use the portable loop instead: handlers return to a driver loop.
//!
//! Handlers never see the store's type parameter: a call to a host function returns to the
//! driver (`run`), which calls it with the whole store and resumes.

mod assemble;
mod handlers;

pub(crate) use assemble::{assemble, Op};

use crate::cost::PerUnit;
use crate::ir::{CompiledFunc, OpMeter};
use crate::store::{Caller, FuncKind, Store, StoreInner};
use crate::trap::Trap;
use crate::value::Val;
use std::sync::Arc;

/// How a handler left the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// The outermost function returned.
    Done,
    /// Execution trapped; the trap is in `Exec::trap`.
    Trap,
    /// A host function is to be called (`Exec::host`), then execution resumes at `Exec::ip`.
    Host,
    /// Portable loop only: continue at `Exec::ip`, `Exec::sp`.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    Continue,
    /// Gas ran out; `Exec::pending` says where to resume.
    OutOfGas,
}

/// Where a call stopped by out of gas resumes: in metering block `block` of `func`, before its
/// Wasm instruction `p`, at op `op` (the first op not run).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    func: *const CompiledFunc,
    block: u32,
    p: u32,
    op: usize,
}

/// A metering block run only in part because gas would not cover it: its ops up to the
/// affordable prefix are copied to `Exec::partial`, followed by a stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Partial {
    /// Wasm instructions of the block charged so far.
    charged_to: u32,
    /// Index in the function's ops of the first op copied.
    first: usize,
}

/// Gas by call path: a tree of (caller path, function) nodes.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    /// (parent node or `u32::MAX`, store function) of each node.
    pub(crate) nodes: Vec<(u32, u32)>,
    index: std::collections::HashMap<(u32, u32), u32>,
    /// Gas spent in each node's own function.
    pub(crate) gas: Vec<u64>,
}

impl Profile {
    /// The node for calling store function `func` from node `parent`.
    pub(crate) fn child(&mut self, parent: u32, func: u32) -> u32 {
        if let Some(&n) = self.index.get(&(parent, func)) {
            return n;
        }
        let n = self.nodes.len() as u32;
        self.nodes.push((parent, func));
        self.gas.push(0);
        self.index.insert((parent, func), n);
        n
    }
}

/// A suspended caller.
pub(crate) struct Frame {
    /// Kept alive by the store's function entities, which outlive the call.
    func: *const CompiledFunc,
    /// Where to continue in the caller.
    ip: *const Op,
    fp: usize,
    instance: u32,
    /// Gas profile node of the caller.
    node: u32,
}

/// The interpreter's state besides the op and frame pointers.
pub(crate) struct Exec {
    pub(crate) stack: Vec<u64>,
    pub(crate) frames: Vec<Frame>,
    /// The running function.
    pub(crate) func: *const CompiledFunc,
    /// Absolute slot index of the current frame.
    pub(crate) fp: usize,
    pub(crate) instance: u32,
    /// Store index of the current instance's memory 0, or `usize::MAX`.
    pub(crate) memory: usize,
    /// Base address and length of that memory, refreshed whenever it may have moved: on a
    /// change of instance, after `memory.grow` and after host calls.
    pub(crate) mem_base: *mut u8,
    pub(crate) mem_len: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_slots: usize,
    pub(crate) trap: Option<Trap>,
    /// A pending host call: store function, host function, absolute slot of its arguments.
    pub(crate) host: (u32, u32, usize),
    /// Where to resume (after a host call, or in the portable loop).
    pub(crate) ip: *const Op,
    pub(crate) sp: *mut u64,
    /// Gas left (metered code charges it; unmetered code has no charges).
    pub(crate) gas: u64,
    /// Prices of per-unit work.
    pub(crate) per_unit: PerUnit,
    pub(crate) partial: Vec<Op>,
    pub(crate) partial_meta: Vec<OpMeter>,
    pub(crate) in_partial: Option<Partial>,
    pub(crate) pending: Option<Pending>,
    /// Histogram: whether it is kept; whole-block executions by `CompiledFunc::id` and block;
    /// and the instructions counted (or given back) one by one.
    pub(crate) counting: bool,
    pub(crate) counts: Vec<Vec<u64>>,
    pub(crate) counts_extra: Vec<(ssvm_binary::Opcode, i64)>,
    /// Gas profile: whether it is kept, the running function's node, and the tree.
    pub(crate) profiling: bool,
    pub(crate) node: u32,
    pub(crate) profile: Profile,
}

impl Exec {
    /// The running function and its callers, innermost first: (instance, function index).
    fn backtrace(&self) -> Vec<(u32, u32)> {
        // SAFETY: the running function and every suspended caller are kept alive by the store.
        let index = |f: *const CompiledFunc| unsafe { (*f).index };
        std::iter::once((self.instance, index(self.func)))
            .chain(
                self.frames
                    .iter()
                    .rev()
                    .map(|f| (f.instance, index(f.func))),
            )
            .collect()
    }

    /// Switches to `instance`, refreshing the cached memory index.
    #[inline(always)]
    pub(crate) fn set_instance(&mut self, store: &mut StoreInner, instance: u32) {
        if instance != self.instance {
            self.instance = instance;
            self.memory = memory_of(store, instance);
            self.refresh_memory(store);
        }
    }

    /// Reloads the cached base and length of the current memory.
    pub(crate) fn refresh_memory(&mut self, store: &mut StoreInner) {
        match store.memories.get_mut(self.memory) {
            Some(m) => {
                self.mem_base = m.data.as_mut_ptr();
                self.mem_len = m.data.len();
            }
            None => {
                self.mem_base = std::ptr::null_mut();
                self.mem_len = 0;
            }
        }
    }

    /// The frame pointer of absolute slot `fp`.
    #[inline(always)]
    pub(crate) fn frame(&mut self, fp: usize) -> *mut u64 {
        // SAFETY: `enter` made the stack at least `fp + frame_size` long.
        unsafe { self.stack.as_mut_ptr().add(fp) }
    }
}

impl Exec {
    /// The metering position of op `ip` and how far its block has been charged, if the running
    /// code is metered.
    fn position(&self, ip: *const Op) -> Option<(OpMeter, u32, usize)> {
        // SAFETY: `func` is the running function (see `run`).
        let f = unsafe { &*self.func };
        if f.op_meter.is_empty() {
            return None;
        }
        match self.in_partial {
            Some(part) => {
                // SAFETY: in partial mode, `ip` points into `partial`.
                let i = unsafe { ip.offset_from(self.partial.as_ptr()) } as usize;
                Some((self.partial_meta[i], part.charged_to, part.first + i))
            }
            None => {
                // SAFETY: otherwise `ip` points into the function's ops.
                let i = unsafe { ip.offset_from(f.ops.as_ptr()) } as usize;
                let m = *f.op_meter.get(i)?;
                let block = f.meter_blocks.get(m.block as usize)?;
                Some((m, block.opcodes.len() as u32, i))
            }
        }
    }

    /// The gas charged ahead for op `ip`'s block after its instruction.
    pub(crate) fn price_after(&self, ip: *const Op) -> u64 {
        let Some((m, charged_to, _)) = self.position(ip) else {
            return 0;
        };
        // SAFETY: as in `position`.
        let block = unsafe { &(&(*self.func).meter_blocks)[m.block as usize] };
        block.prefix[charged_to as usize] - block.prefix[m.emit_end as usize]
    }

    /// For op `ip` (`width` ops wide): its block, the block's next Wasm instruction, and the
    /// next op in the function's code.
    pub(crate) fn after(&self, ip: *const Op, width: usize) -> (u32, u32, *const Op) {
        let (m, _, i) = self
            .position(ip)
            .expect("only metered code pays per-unit work late");
        // SAFETY: as in `position`; `i + width` is the op after it in the same function.
        let next = unsafe { (*self.func).ops.as_ptr().add(i + width) };
        (m.block, m.emit_end, next)
    }

    /// Gives back what was charged for op `ip`'s block after its instruction (`own` = 1: from
    /// its instruction on), when execution stops there.
    pub(crate) fn refund_after(&mut self, ip: *const Op, own: u32) {
        let Some((m, charged_to, _)) = self.position(ip) else {
            return;
        };
        let done = m.emit_end.saturating_sub(own);
        // SAFETY: as in `position`.
        let block = unsafe { &(&(*self.func).meter_blocks)[m.block as usize] };
        let refund = block.prefix[charged_to as usize] - block.prefix[done as usize];
        self.gas += refund;
        self.attribute(refund, -1);
        self.count_range(m.block, done, charged_to, -1);
    }

    /// Charges per-unit work done (already checked to be affordable).
    #[inline(always)]
    pub(crate) fn spend(&mut self, price: u64) {
        self.gas -= price;
        if self.profiling {
            self.attribute(price, 1);
        }
    }

    /// Gas profile: adds (`sign` 1) or takes back (-1) `gas` spent in the running function.
    pub(crate) fn attribute(&mut self, gas: u64, sign: i64) {
        if !self.profiling {
            return;
        }
        let g = &mut self.profile.gas[self.node as usize];
        *g = if sign > 0 {
            *g + gas
        } else {
            g.saturating_sub(gas)
        };
    }

    /// Histogram: one more execution of metering block `block` of the running function.
    #[inline(always)]
    pub(crate) fn count_block(&mut self, block: u32) {
        // SAFETY: `func` is the running function.
        let id = unsafe { (*self.func).id } as usize;
        match self
            .counts
            .get_mut(id)
            .and_then(|c| c.get_mut(block as usize))
        {
            Some(c) => *c += 1,
            None => self.count_block_slow(id, block as usize),
        }
    }

    #[cold]
    fn count_block_slow(&mut self, id: usize, block: usize) {
        if self.counts.len() <= id {
            self.counts.resize_with(id + 1, Vec::new);
        }
        // SAFETY: `func` is the running function.
        let blocks = unsafe { (*self.func).meter_blocks.len() };
        let c = &mut self.counts[id];
        c.resize(c.len().max(blocks).max(block + 1), 0);
        c[block] += 1;
    }

    /// Histogram: instructions `from..to` of metering block `block` of the running function
    /// ran (`sign` 1) or were given back (`sign` -1) outside a whole-block count.
    pub(crate) fn count_range(&mut self, block: u32, from: u32, to: u32, sign: i64) {
        if !self.counting || from >= to {
            return;
        }
        // SAFETY: `func` is the running function.
        let b = unsafe { &(&(*self.func).meter_blocks)[block as usize] };
        for &op in &b.opcodes[from as usize..to as usize] {
            self.counts_extra.push((op, sign));
        }
    }

    /// Records that execution stops before op `ip`'s instruction, to resume there.
    pub(crate) fn suspend_before(&mut self, ip: *const Op) {
        let Some((m, _, mut i)) = self.position(ip) else {
            return;
        };
        // SAFETY: as in `position`.
        let f = unsafe { &*self.func };
        // Resume at the first op of that instruction (copies lowered with it run again).
        while i > 0 && f.op_meter[i - 1] == m {
            i -= 1;
        }
        self.in_partial = None;
        self.pending = Some(Pending {
            func: self.func,
            block: m.block,
            p: m.emit_end - 1,
            op: i,
        });
    }
}

/// Runs metering block `block` of the current function from its Wasm instruction `p0` (op
/// `first`) when gas may not cover the rest of it: charges the longest prefix gas covers and, if
/// that is not all, runs just the ops of that prefix and stops.
pub(crate) fn run_partial(
    sp: *mut u64,
    exec: &mut Exec,
    store: &mut StoreInner,
    block: u32,
    p0: u32,
    first: *const Op,
) -> Flow {
    // SAFETY: `func` is the running function and `first` one of its ops.
    let f = unsafe { &*exec.func };
    let first_index = unsafe { first.offset_from(f.ops.as_ptr()) } as usize;
    let mb = &f.meter_blocks[block as usize];
    let n = mb.opcodes.len() as u32;
    let base = mb.prefix[p0 as usize];
    exec.in_partial = None;
    let mut p = p0;
    while p < n && mb.prefix[p as usize + 1] - base <= exec.gas {
        p += 1;
    }
    let charged = mb.prefix[p as usize] - base;
    exec.gas -= charged;
    exec.attribute(charged, 1);
    exec.count_range(block, p0, p, 1);
    if p == n {
        // SAFETY: `first` is an op of the running function.
        return unsafe { ((*first).handler)(first, sp, exec, store, exec.gas) };
    }
    exec.partial.clear();
    exec.partial_meta.clear();
    let mut i = first_index;
    while let Some(&m) = f.op_meter.get(i) {
        // An op runs if its instructions are paid for, or if the instruction it was lowered
        // from is and only a folded `local.set` is not (never a block's closing branch).
        let paid = m.wasm_end <= p || (m.emit_end <= p && m.wasm_end < n);
        if m.block != block || !paid {
            break;
        }
        exec.partial.push(f.ops[i]);
        exec.partial_meta.push(m);
        i += 1;
    }
    exec.partial.push(Op {
        handler: handlers::stop,
        a: 0,
        b: 0,
        c: 0,
        d: 0,
    });
    exec.partial_meta.push(OpMeter {
        block,
        wasm_end: p,
        emit_end: p,
    });
    exec.pending = Some(Pending {
        func: exec.func,
        block,
        p,
        op: i,
    });
    exec.in_partial = Some(Partial {
        charged_to: p,
        first: first_index,
    });
    let ip = exec.partial.as_ptr();
    // SAFETY: `partial` holds ops of the running function and ends with a stop; it is not
    // touched until that stop (or a trap) returns.
    unsafe { ((*ip).handler)(ip, sp, exec, store, exec.gas) }
}

fn memory_of(store: &StoreInner, instance: u32) -> usize {
    store.instances[instance as usize]
        .memories
        .first()
        .map_or(usize::MAX, |&m| m as usize)
}

/// Why a call did not return.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stop {
    Trap(Trap),
    /// Gas ran out; the call is suspended in the store and may be resumed.
    OutOfGas,
}

impl From<Trap> for Stop {
    fn from(t: Trap) -> Stop {
        Stop::Trap(t)
    }
}

/// A call stopped by out of gas, kept by the store until it is resumed.
pub(crate) struct Suspended {
    exec: Exec,
    results: Box<[ssvm_binary::ValType]>,
}

// SAFETY: the raw pointers in a suspended `Exec` point into the store that owns it (its stack,
// its memories, and compiled code kept alive by its function entities), so they move with it.
unsafe impl Send for Suspended {}
unsafe impl Sync for Suspended {}

/// Calls store function `func` with `args`, writing `results`.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Stop> {
    let entity = &store.funcs[func as usize];
    let result_types = entity.ty.results.clone();
    let (code, instance) = match &entity.kind {
        FuncKind::Host(h) => {
            let f = store.host_funcs[*h as usize].clone();
            return Ok(f(
                Caller {
                    store,
                    instance: None,
                },
                args,
                results,
            )?);
        }
        FuncKind::Wasm { instance, code, .. } => (Arc::as_ptr(code), *instance),
    };
    // A host function called from Wasm may call back into Wasm: each activation takes the stack
    // the store holds (or a new one when it is in use) and gives it back.
    let mut stack = std::mem::take(&mut store.stack);
    stack.clear();
    stack.resize(args.len().max(results.len()), 0);
    for (slot, a) in stack.iter_mut().zip(args) {
        *slot = a.to_slot();
    }
    let mut exec = Exec {
        stack,
        frames: Vec::new(),
        func: code,
        fp: 0,
        instance,
        memory: memory_of(store, instance),
        mem_base: std::ptr::null_mut(),
        mem_len: 0,
        max_depth: store.config.max_call_depth as usize,
        max_slots: store.config.max_stack_slots as usize,
        trap: None,
        host: (0, 0, 0),
        ip: std::ptr::null(),
        sp: std::ptr::null_mut(),
        gas: store.gas_left,
        per_unit: store.per_unit,
        partial: Vec::new(),
        partial_meta: Vec::new(),
        in_partial: None,
        pending: None,
        counting: store.config.histogram,
        counts: std::mem::take(&mut store.counts),
        counts_extra: std::mem::take(&mut store.counts_extra),
        profiling: store.config.gas_profile,
        node: u32::MAX,
        profile: std::mem::take(&mut store.profile),
    };
    if exec.profiling {
        exec.node = exec.profile.child(u32::MAX, func);
    }
    let outcome = run(store, &mut exec);
    finish(store, exec, outcome, result_types, results)
}

/// Resumes the call suspended by out of gas, with the gas the store has now.
pub(crate) fn resume_suspended<T>(store: &mut Store<T>, results: &mut [Val]) -> Result<(), Stop> {
    let Some(Suspended {
        mut exec,
        results: types,
    }) = store.suspended.take()
    else {
        return Err(Stop::Trap(Trap::Host("no call is suspended".into())));
    };
    let Some(pending) = exec.pending.take() else {
        return Err(Stop::Trap(Trap::Host("no call is suspended".into())));
    };
    exec.gas = store.gas_left;
    exec.counts = std::mem::take(&mut store.counts);
    exec.counts_extra = std::mem::take(&mut store.counts_extra);
    exec.profile = std::mem::take(&mut store.profile);
    exec.func = pending.func;
    exec.in_partial = None;
    exec.sp = exec.frame(exec.fp);
    exec.refresh_memory(&mut store.inner);
    // SAFETY: `pending.func` is the function that stopped, kept alive by the store.
    let first = unsafe { (*pending.func).ops.as_ptr().add(pending.op) };
    let flow = run_partial(
        exec.sp,
        &mut exec,
        &mut store.inner,
        pending.block,
        pending.p,
        first,
    );
    let outcome = drive(store, &mut exec, flow);
    finish(store, exec, outcome, types, results)
}

/// Ends a call: results on success, the suspended state on out of gas, the stack back to the
/// store.
fn finish<T>(
    store: &mut Store<T>,
    mut exec: Exec,
    outcome: Result<(), Stop>,
    types: Box<[ssvm_binary::ValType]>,
    results: &mut [Val],
) -> Result<(), Stop> {
    store.gas_left = exec.gas;
    store.counts = std::mem::take(&mut exec.counts);
    store.counts_extra = std::mem::take(&mut exec.counts_extra);
    store.profile = std::mem::take(&mut exec.profile);
    match &outcome {
        Ok(()) => {
            for (i, (r, &t)) in results.iter_mut().zip(types.iter()).enumerate() {
                *r = Val::from_slot(t, exec.stack[i]);
            }
            store.stack = std::mem::take(&mut exec.stack);
        }
        Err(Stop::OutOfGas) => {
            store.suspended = Some(Suspended {
                exec,
                results: types,
            });
        }
        Err(Stop::Trap(_)) => store.stack = std::mem::take(&mut exec.stack),
    }
    outcome
}

/// Runs `exec.func` with its arguments in the first slots of the stack.
fn run<T>(store: &mut Store<T>, exec: &mut Exec) -> Result<(), Stop> {
    // SAFETY: `exec.func` points into an `Arc` held by `store.funcs`, which no one removes while
    // the store is borrowed for this call; the same holds for every function entered later.
    let code = unsafe { &*exec.func };
    enter(&mut exec.stack, code, 0, exec.max_slots)?;
    exec.refresh_memory(&mut store.inner);
    exec.ip = code.ops.as_ptr();
    exec.sp = exec.frame(0);
    let flow = resume(&mut store.inner, exec);
    drive(store, exec, flow)
}

/// Handles what made the handlers return, until the call ends.
fn drive<T>(store: &mut Store<T>, exec: &mut Exec, mut flow: Flow) -> Result<(), Stop> {
    loop {
        match flow {
            Flow::Done => return Ok(()),
            Flow::Trap => {
                store.inner.backtrace = exec.backtrace();
                return Err(Stop::Trap(exec.trap.take().unwrap_or(Trap::Unreachable)));
            }
            Flow::OutOfGas => return Err(Stop::OutOfGas),
            Flow::Host => {
                let (addr, h, base) = exec.host;
                // The host's price is charged with its call, and checked before it.
                let price = store.funcs[addr as usize].host_price;
                if price > exec.gas {
                    // SAFETY: `exec.ip` is the op after the call, in the running function.
                    let call_op = unsafe { exec.ip.sub(1) };
                    exec.refund_after(call_op, 1);
                    exec.suspend_before(call_op);
                    return Err(Stop::OutOfGas);
                }
                exec.gas -= price;
                if exec.profiling {
                    let caller = exec.node;
                    exec.node = exec.profile.child(caller, addr);
                    exec.attribute(price, 1);
                    exec.node = caller;
                }
                if let Err(trap) = call_host(store, &mut exec.stack, addr, h, base, exec.instance) {
                    // The call is charged, nothing after it.
                    // SAFETY: `exec.ip` is the op after the call, in the running function.
                    exec.refund_after(unsafe { exec.ip.sub(1) }, 0);
                    store.inner.backtrace = exec.backtrace();
                    return Err(Stop::Trap(trap));
                }
                // The host may have grown a memory or the stack: re-derive what points into them.
                exec.sp = exec.frame(exec.fp);
                exec.refresh_memory(&mut store.inner);
                flow = resume(&mut store.inner, exec);
            }
            Flow::Continue => flow = resume(&mut store.inner, exec),
        }
    }
}

/// Runs from `exec.ip` until the outermost function returns, a trap, or a host call.
#[cfg(not(debug_assertions))]
fn resume(store: &mut StoreInner, exec: &mut Exec) -> Flow {
    let (ip, sp) = (exec.ip, exec.sp);
    // SAFETY: `ip` points at an op of the running function and `sp` at its frame (see `run`).
    unsafe { ((*ip).handler)(ip, sp, exec, store, exec.gas) }
}

/// The portable loop: each handler returns to here with the next op.
#[cfg(debug_assertions)]
fn resume(store: &mut StoreInner, exec: &mut Exec) -> Flow {
    loop {
        let (ip, sp) = (exec.ip, exec.sp);
        // SAFETY: as in the threaded `resume`.
        match unsafe { ((*ip).handler)(ip, sp, exec, store, exec.gas) } {
            Flow::Continue => {}
            other => return other,
        }
    }
}

/// Sets up the frame of `code` at absolute slot `fp`: room for its slots, locals zeroed,
/// constants in place.
#[inline(always)]
pub(crate) fn enter(
    stack: &mut Vec<u64>,
    code: &CompiledFunc,
    fp: usize,
    max_slots: usize,
) -> Result<(), Trap> {
    let end = fp + code.frame_size as usize;
    if end > max_slots {
        return Err(Trap::CallStackExhausted);
    }
    if stack.len() < end {
        grow_stack(stack, end, max_slots);
    }
    // Declared locals start at zero and the constants follow them: one copy of a template.
    let start = fp + code.params as usize;
    copy_slots(
        &mut stack[start..start + code.frame_init.len()],
        &code.frame_init,
    );
    Ok(())
}

/// Copies `src` to `dst` (same length). Frames are small, and a call to `memcpy` costs more
/// than a few moves: copies of a length known at compile time are inlined as moves.
#[inline(always)]
fn copy_slots(dst: &mut [u64], src: &[u64]) {
    macro_rules! exactly {
        ($($n:literal)*) => {
            match src.len() {
                $($n => dst[..$n].copy_from_slice(&src[..$n]),)*
                _ => dst.copy_from_slice(src),
            }
        };
    }
    exactly!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// Grows the value stack to at least `end` slots, with room to spare so that growth is rare.
#[cold]
fn grow_stack(stack: &mut Vec<u64>, end: usize, max_slots: usize) {
    let cap = max_slots.max(end);
    let len = (stack.len() * 2).clamp(1024.min(cap), cap);
    stack.resize(len.max(end), 0);
}

/// Calls host function `h` (store function `addr`) with arguments at `stack[base..]`.
fn call_host<T>(
    store: &mut Store<T>,
    stack: &mut Vec<u64>,
    addr: u32,
    h: u32,
    base: usize,
    instance: u32,
) -> Result<(), Trap> {
    // The argument and result buffers are the store's, reused from call to call (a host call
    // made while another runs, through a call back into Wasm, gets fresh ones).
    let mut args = std::mem::take(&mut store.inner.host_args);
    let mut results = std::mem::take(&mut store.inner.host_results);
    let ty = &store.inner.funcs[addr as usize].ty;
    args.clear();
    args.extend(
        ty.params
            .iter()
            .enumerate()
            .map(|(i, &t)| Val::from_slot(t, stack.get(base + i).copied().unwrap_or(0))),
    );
    results.clear();
    results.extend(ty.results.iter().map(|&t| Val::default_for(t)));
    let f = store.host_funcs[h as usize].clone();
    let outcome = f(
        Caller {
            store,
            instance: Some(instance),
        },
        &args,
        &mut results,
    );
    if outcome.is_ok() {
        if stack.len() < base + results.len() {
            stack.resize(base + results.len(), 0);
        }
        for (i, r) in results.iter().enumerate() {
            stack[base + i] = r.to_slot();
        }
    }
    store.inner.host_args = args;
    store.inner.host_results = results;
    outcome
}

/// `memory.init`: copies `n` bytes of data segment `data` from `s` to memory address `d`.
pub(crate) fn memory_init(
    store: &mut StoreInner,
    instance: u32,
    data: u32,
    d: u32,
    s: u32,
    n: u32,
) -> Result<(), Trap> {
    let inst = &store.instances[instance as usize];
    let bytes = inst.data[data as usize].clone();
    let memory = inst.memories[0] as usize;
    let mem = &mut store.memories[memory].data;
    let (d, s, n) = (d as usize, s as usize, n as usize);
    if s + n > bytes.len() || d + n > mem.len() {
        return Err(Trap::MemoryOutOfBounds);
    }
    mem[d..d + n].copy_from_slice(&bytes[s..s + n]);
    Ok(())
}

/// `table.init`: copies `n` elements of segment `elem` from `s` to table `table` at `d`.
pub(crate) fn table_init(
    store: &mut StoreInner,
    instance: u32,
    table: u32,
    elem: u32,
    d: u32,
    s: u32,
    n: u32,
) -> Result<(), Trap> {
    let inst = &store.instances[instance as usize];
    let t = inst.tables[table as usize] as usize;
    let (d, s, n) = (d as usize, s as usize, n as usize);
    let items_len = inst.elements[elem as usize].1.len();
    if s + n > items_len || d + n > store.tables[t].elements.len() {
        return Err(Trap::TableOutOfBounds);
    }
    let items = store.instances[instance as usize].elements[elem as usize].1[s..s + n].to_vec();
    store.tables[t].elements[d..d + n].copy_from_slice(&items);
    Ok(())
}
