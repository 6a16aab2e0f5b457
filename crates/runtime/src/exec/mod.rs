//! The execute stage: the interpreter runs a function's assembled ops on a value stack of 64-bit
//! slots, with its own call stack (Wasm calls never recurse on the host stack).
//!
//! **Threaded dispatch.** Every op carries its handler; a handler does its work and calls the
//! next op's handler itself, with the hot state (op pointer, frame pointer, gas) in arguments so
//! that it stays in registers. Optimised builds rely on LLVM turning those calls into jumps
//! (sibling calls: every handler has the same signature and ends in the call); `tests/threaded.rs`
//! runs a long loop on a thread with a small stack, so a handler that stops tail-calling fails CI.
//! Builds with debug assertions use the portable loop instead: handlers return to a driver loop.
//!
//! The interpreter knows nothing of the embedder: a call to a host function returns
//! `Flow::Host` to the embedding API (`api::call`), which calls it and resumes.
//!
//! **The handlers' contract**, which makes their `unsafe` sound: `ip` points at one of the
//! running function's ops (or of `Meter`'s partial block) and `sp` at its frame, which is
//! `frame_size` slots long (`enter`); slot operands are below `frame_size`, every body ends with a
//! terminator, jump offsets stay inside the function, and indices of functions, types, globals,
//! tables, memories and segments were checked by the validator. `Exec::func` and every suspended
//! caller's code are kept alive by the store's function entities while a call runs.

mod assemble;
mod exception;
pub(crate) mod handlers;
mod lazy;
mod memories;
mod simd;
mod state;

pub(crate) use assemble::{Code, Metering, Op, TemplateChunk, CHUNK};
pub(crate) use lazy::ModuleCode;
pub use state::PAGE_SIZE;
pub(crate) use state::{
    filled, zeroed, ExceptionEntity, FuncEntity, FuncKind, GlobalEntity, InstanceEntity,
    MemoryEntity, TableEntity, TagEntity, Vm,
};

use crate::meter::Meter;
use crate::trap::Trap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

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
    /// Gas ran out; the metering says where to resume.
    OutOfGas,
}

/// A suspended caller.
pub(crate) struct Frame {
    /// Kept alive by the store's function entities, which outlive the call.
    func: *const Code,
    /// Where to continue in the caller.
    ip: *const Op,
    fp: usize,
    instance: u32,
}

/// A pending host call: its store function, its host function, and the absolute slot of its
/// arguments (where its results go).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HostCall {
    pub(crate) func: u32,
    pub(crate) host: u32,
    pub(crate) base: usize,
}

/// The interpreter's state besides the op and frame pointers.
pub(crate) struct Exec {
    pub(crate) stack: Vec<u64>,
    frames: Vec<Frame>,
    /// The running function.
    pub(crate) func: *const Code,
    /// Absolute slot index of the current frame.
    pub(crate) fp: usize,
    pub(crate) instance: u32,
    /// The current instance's store function and global addresses (`InstanceEntity::funcs`,
    /// `globals`), at hand for calls and `global.get`/`set`: those vectors never change after
    /// instantiation, so their buffers stay where they are while the store lives.
    pub(crate) funcs: *const u32,
    /// The current instance's module's cells of assembled functions (`ModuleCode::cells`),
    /// which outlive the call as the instance's module code does.
    pub(crate) own_code: *const OnceLock<Arc<Code>>,
    pub(crate) globals: *const u32,
    /// Store index of the current instance's memory 0, or `usize::MAX`.
    pub(crate) memory: usize,
    /// Base address and length of that memory, refreshed whenever it may have moved: on a
    /// change of instance, after `memory.grow` and after host calls.
    pub(crate) mem_base: *mut u8,
    pub(crate) mem_len: usize,
    max_depth: usize,
    max_slots: usize,
    pub(crate) trap: Option<Trap>,
    pub(crate) host: HostCall,
    /// Where to resume (after a host call, or in the portable loop).
    pub(crate) ip: *const Op,
    pub(crate) sp: *mut u64,
    /// Gas, refunds, partial blocks, histograms and gas profiles.
    pub(crate) meter: Meter,
    /// Set by the embedder to stop interruptible code at its next back edge or call.
    interrupt: Arc<AtomicBool>,
    /// The payload of the exception being thrown, as frame slots (`exception.rs`): a buffer
    /// kept from throw to throw, so that the unwinding owns nothing it would have to drop.
    thrown: Vec<u64>,
}

/// Limits of one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_depth: usize,
    pub(crate) max_slots: usize,
}

impl Exec {
    /// The state for calling `code` in `instance`, with its arguments in the first slots of
    /// `stack`.
    pub(crate) fn new(
        vm: &Vm,
        stack: Vec<u64>,
        code: *const Code,
        instance: u32,
        limits: Limits,
        meter: Meter,
        interrupt: Arc<AtomicBool>,
    ) -> Exec {
        let inst = &vm.instances[instance as usize];
        Exec {
            stack,
            frames: Vec::new(),
            func: code,
            fp: 0,
            instance,
            funcs: inst.funcs.as_ptr(),
            own_code: inst.code.cells(),
            globals: inst.globals.as_ptr(),
            memory: vm.memory_of(instance),
            mem_base: std::ptr::null_mut(),
            mem_len: 0,
            max_depth: limits.max_depth,
            max_slots: limits.max_slots,
            trap: None,
            host: HostCall::default(),
            ip: std::ptr::null(),
            sp: std::ptr::null_mut(),
            meter,
            interrupt,
            thrown: Vec::new(),
        }
    }

    /// Whether the embedder asked interruptible code to stop.
    #[inline(always)]
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }

    /// Runs the function from its first op until it returns, traps, calls a host function or
    /// runs out of gas.
    pub(crate) fn start(&mut self, vm: &mut Vm) -> Result<Flow, Trap> {
        // SAFETY: `func` points into an `Arc` held by the store's function entities, which no
        // one removes while the store is borrowed for this call; the same holds for every
        // function entered later.
        let code = unsafe { &*self.func };
        enter(&mut self.stack, code, 0, self.max_slots)?;
        self.refresh_memory(vm);
        self.ip = code.ops.as_ptr();
        self.sp = self.frame(0);
        Ok(self.resume(vm))
    }

    /// Goes on after a host call returned its results to its argument slots.
    pub(crate) fn after_host(&mut self, vm: &mut Vm) -> Flow {
        // The host may have grown a memory or the stack: re-derive what points into them.
        self.sp = self.frame(self.fp);
        self.refresh_memory(vm);
        self.resume(vm)
    }

    /// The op of the pending host call.
    pub(crate) fn host_call_op(&self) -> *const Op {
        // SAFETY: `ip` is the op after the call, in the running function.
        unsafe { self.ip.sub(1) }
    }

    /// Runs from `ip` until the outermost function returns, a trap, or a host call.
    #[cfg(not(debug_assertions))]
    pub(crate) fn resume(&mut self, vm: &mut Vm) -> Flow {
        let (ip, sp, gas) = (self.ip, self.sp, self.meter.gas);
        // SAFETY: `ip` points at an op of the running function and `sp` at its frame.
        unsafe { ((*ip).handler)(ip, sp, self, vm, gas) }
    }

    /// The portable loop: each handler returns to here with the next op.
    #[cfg(debug_assertions)]
    pub(crate) fn resume(&mut self, vm: &mut Vm) -> Flow {
        loop {
            let (ip, sp, gas) = (self.ip, self.sp, self.meter.gas);
            // SAFETY: as in the threaded `resume`.
            match unsafe { ((*ip).handler)(ip, sp, self, vm, gas) } {
                Flow::Continue => {}
                other => return other,
            }
        }
    }

    /// The running function and its callers, innermost first, as (instance, function index):
    /// all of them, or the innermost and the outermost `ends` of a deeper stack (only those are
    /// read); and the stack's depth.
    pub(crate) fn backtrace(&self, ends: usize) -> (Vec<(u32, u32)>, usize) {
        // SAFETY: the running function and every suspended caller are kept alive by the store.
        let index = |f: *const Code| unsafe { (*f).index };
        let depth = self.frames.len() + 1;
        let frame = |i: usize| match i {
            0 => (self.instance, index(self.func)),
            _ => {
                let f = &self.frames[depth - 1 - i];
                (f.instance, index(f.func))
            }
        };
        (stack_ends(depth, ends, frame), depth)
    }

    /// Switches to `instance`, refreshing the cached memory index.
    #[inline(always)]
    pub(crate) fn set_instance(&mut self, vm: &mut Vm, instance: u32) {
        if instance != self.instance {
            self.instance = instance;
            let inst = &vm.instances[instance as usize];
            self.funcs = inst.funcs.as_ptr();
            self.own_code = inst.code.cells();
            self.globals = inst.globals.as_ptr();
            self.memory = vm.memory_of(instance);
            self.refresh_memory(vm);
        }
    }

    /// Reloads the cached base and length of the current memory.
    pub(crate) fn refresh_memory(&mut self, vm: &mut Vm) {
        match vm.memories.get_mut(self.memory) {
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

    /// Whether a frame ending at absolute slot `end` fits the stack as it is, and a frame
    /// record fits the frames' buffer: the call path's one test before its fast path.
    #[inline(always)]
    pub(crate) fn has_room(&self, end: usize) -> bool {
        end <= self.stack.len() && self.frames.len() < self.frames.capacity()
    }

    /// Grows the stack to hold a frame ending at absolute slot `end` and the frames' buffer by
    /// at least one record, or the trap when the limits do not allow the frame.
    #[cold]
    pub(crate) fn make_room(&mut self, end: usize) -> Result<(), Trap> {
        stack_room(&mut self.stack, end, self.max_slots)?;
        if self.frames.len() == self.frames.capacity()
            && self.frames.try_reserve(self.frames.len().max(16)).is_err()
        {
            return Err(Trap::CallStackExhausted);
        }
        Ok(())
    }

    /// Pushes a frame record without growing the frames' buffer.
    ///
    /// # Safety
    ///
    /// The buffer has room for one more record: `has_room` said so, and no frame was pushed
    /// since.
    #[inline(always)]
    pub(crate) unsafe fn push_frame(&mut self, frame: Frame) {
        debug_assert!(self.frames.len() < self.frames.capacity());
        let len = self.frames.len();
        // SAFETY: the caller's promise: the buffer has room for one more record; the record is
        // written before the length covers it.
        unsafe {
            self.frames.as_mut_ptr().add(len).write(frame);
            self.frames.set_len(len + 1);
        }
    }

    /// The frame pointer of absolute slot `fp`.
    #[inline(always)]
    pub(crate) fn frame(&mut self, fp: usize) -> *mut u64 {
        // SAFETY: `enter` made the stack at least `fp + frame_size` long.
        unsafe { self.stack.as_mut_ptr().add(fp) }
    }
}

/// The frames kept of a stack `depth` deep whose frame `i` (innermost first) is `frame(i)`: all
/// of them, or the innermost and the outermost `ends` of a deeper stack, reading only those.
fn stack_ends<T>(depth: usize, ends: usize, frame: impl FnMut(usize) -> T) -> Vec<T> {
    if depth <= ends.saturating_mul(2) {
        return (0..depth).map(frame).collect();
    }
    (0..ends).chain(depth - ends..depth).map(frame).collect()
}

/// Sets up the frame of `code` at absolute slot `fp`: room for its slots, locals zeroed (unless
/// they are too many for the template: then the `zero_locals` op at the entry zeroes them, once
/// the entry is paid), constants in place.
#[inline(always)]
pub(crate) fn enter(
    stack: &mut Vec<u64>,
    code: &Code,
    fp: usize,
    max_slots: usize,
) -> Result<(), Trap> {
    stack_room(stack, fp + code.frame_size as usize, max_slots)?;
    // SAFETY: the stack holds `fp + frame_size` slots, checked or grown above.
    unsafe { init_frame(stack, code, fp) };
    Ok(())
}

/// Makes the stack hold at least `end` slots, or the trap when `max_slots` does not allow it.
fn stack_room(stack: &mut Vec<u64>, end: usize, max_slots: usize) -> Result<(), Trap> {
    if end > max_slots || (stack.len() < end && !grow_stack(stack, end, max_slots)) {
        return Err(Trap::CallStackExhausted);
    }
    Ok(())
}

/// Writes the frame of `code` at absolute slot `fp` (`enter` without its checks): declared
/// locals start at zero and the constants follow them, one copy of a template, after the locals
/// left to `zero_locals` when they are too many for the template.
///
/// # Safety
///
/// The stack holds at least `fp + code.frame_size` slots.
#[inline(always)]
pub(crate) unsafe fn init_frame(stack: &mut [u64], code: &Code, fp: usize) {
    let start = fp + code.params as usize;
    let zeros = code.zero_fill as usize;
    debug_assert!(fp + code.frame_size as usize <= stack.len());
    debug_assert!(
        start + zeros + CHUNK * (1 + code.more_chunks.len()) <= fp + code.frame_size as usize
    );
    // SAFETY: the caller's promise, and a frame holds its parameters, its declared locals
    // (zero-filled or in the template), its constants and the template's padding (the rest of
    // the template): `params + zero_fill + CHUNK * (1 + more_chunks.len()) <= frame_size`
    // (assemble.rs).
    unsafe {
        let at = stack.as_mut_ptr().add(start + zeros) as *mut TemplateChunk;
        // Whole chunks, not `copy_from_slice`: for the few chunks of most templates, a call to
        // `memcpy` costs more than the moves. The first is written before the loop, so that
        // the common one-chunk template is straight-line code.
        at.write_unaligned(code.first_chunk);
        for (i, chunk) in code.more_chunks.iter().enumerate() {
            at.add(1 + i).write_unaligned(*chunk);
        }
    }
}

/// Grows the value stack to at least `end` slots, with room to spare so that growth is rare;
/// false when the allocator cannot give them. The new slots come zeroed from the system and are
/// not written here: a large frame's pages are touched only once its entry is paid.
#[cold]
fn grow_stack(stack: &mut Vec<u64>, end: usize, max_slots: usize) -> bool {
    let cap = max_slots.max(end);
    let len = (stack.len() * 2).clamp(1024.min(cap), cap).max(end);
    let Some(mut grown) = zeroed(len) else {
        return false;
    };
    grown[..stack.len()].copy_from_slice(stack);
    *stack = grown;
    true
}

#[cfg(test)]
mod tests {
    use super::stack_ends;

    #[test]
    fn a_deep_stacks_backtrace_reads_only_the_frames_it_keeps() {
        let mut read = 0;
        let kept = stack_ends(1_000_000, 500, |i| {
            read += 1;
            i
        });
        assert_eq!(read, 1000);
        let expected: Vec<usize> = (0..500).chain(999_500..1_000_000).collect();
        assert_eq!(kept, expected);
        // A stack of at most twice the ends is kept whole.
        assert_eq!(stack_ends(1000, 500, |i| i), (0..1000).collect::<Vec<_>>());
        assert_eq!(stack_ends(3, 0, |i| i), Vec::<usize>::new());
    }
}
