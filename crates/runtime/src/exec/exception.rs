//! Exception handling at run time: `throw` and `throw_ref`, and the unwinding that takes an
//! exception to its handler through the interpreter's own call stack.
//!
//! A `try_table` is an ordinary block in the code; what makes it a handler is a side table of
//! its function (`Code::regions`), read only when something is thrown, so code that throws
//! nothing runs exactly as without exception handling. Unwinding searches first, innermost
//! frame out, without changing anything; only when a handler is found are the frames above it
//! dropped, the payload (and the `exnref`) written to the handler's label and execution resumed
//! at its landing, like a branch. When none is found, the exception is a trap at the throw, with
//! every frame still there for the backtrace: it never crosses into the host that made the call.
//!
//! Metering (docs/metering.md): `throw` and `throw_ref` end their metering block, so nothing
//! after them is charged in any frame the unwinding leaves (callers were suspended at a call,
//! which ended their blocks too); the landing is the charge op of a block start, which charges
//! it as fall-through into it would.

use super::assemble::Op;
use super::handlers::{handler, next, slot, trap};
use super::{Code, ExceptionEntity, Exec, Flow, Vm};
use crate::trap::Trap;
use crate::value::slots;

/// The body of one `try_table` in assembled code: ops `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) catches: Box<[Catch]>,
}

/// A catch clause in assembled code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Catch {
    /// The tag matched, as the module's tag index; `None` matches every exception.
    pub(crate) tag: Option<u32>,
    /// Whether the `exnref` follows the payload.
    pub(crate) with_ref: bool,
    /// The first slot of the label's values.
    pub(crate) dst: u32,
    /// The op to continue at.
    pub(crate) landing: u32,
}

/// The `kept` of `unwind` for an exception not kept in the store (thrown by `throw`).
const NOT_KEPT: u32 = u32::MAX;

/// The handler found for an exception: how many frames above it to drop, and its clause.
struct Handler {
    frames: usize,
    catch: Catch,
}

impl Code {
    /// The first clause of this code's innermost try region around op `at` that catches an
    /// exception of store tag `tag`, tags being resolved by `tags` (the instance's).
    fn handler_at(&self, at: usize, tag: u32, tags: &[u32]) -> Option<Catch> {
        // Regions are in the order they start, so those around `at`, read backwards, go from
        // the innermost out.
        let at = at as u32;
        self.regions
            .iter()
            .rev()
            .filter(|r| r.start <= at && at < r.end)
            .flat_map(|r| r.catches.iter())
            .find(|c| c.tag.is_none_or(|t| tags[t as usize] == tag))
            .copied()
    }
}

/// The op index of `ip` in `code`, if it points into its ops.
fn index_in(code: &Code, ip: *const Op) -> Option<usize> {
    let start = code.ops.as_ptr() as usize;
    let at = (ip as usize).checked_sub(start)? / std::mem::size_of::<Op>();
    (at < code.ops.len()).then_some(at)
}

/// Searches the running function (at `ip`) and then its callers for a handler of `tag`.
fn search(exec: &Exec, vm: &Vm, ip: *const Op, tag: u32) -> Option<Handler> {
    // SAFETY: the running function and every suspended caller are kept alive by the store.
    let code = unsafe { &*exec.func };
    let tags = &vm.instances[exec.instance as usize].tags;
    if let Some(catch) = index_in(code, ip).and_then(|at| code.handler_at(at, tag, tags)) {
        return Some(Handler { frames: 0, catch });
    }
    exec.frames.iter().rev().enumerate().find_map(|(i, f)| {
        // SAFETY: as above.
        let code = unsafe { &*f.func };
        let tags = &vm.instances[f.instance as usize].tags;
        // A caller is suspended after its call op.
        let at = index_in(code, f.ip)?.checked_sub(1)?;
        let catch = code.handler_at(at, tag, tags)?;
        Some(Handler {
            frames: i + 1,
            catch,
        })
    })
}

/// Takes the exception of store tag `tag` (its payload in `Exec::thrown`; `kept`, its index
/// among the store's exceptions, or `NOT_KEPT`) from the throw at `ip` to its handler, or traps
/// there when it has none. It owns nothing (every argument is a number, in a register), so its
/// jump to the handler's landing is a tail call, as every handler's is: code that throws and
/// catches in a loop runs in constant host stack.
#[cold]
#[inline(never)]
#[allow(unused_unsafe)] // `next!` calls the handler only in optimised builds
unsafe fn unwind(
    ip: *const Op,
    exec: &mut Exec,
    vm: &mut Vm,
    gas: u64,
    tag: u32,
    kept: u32,
) -> Flow {
    let Some(found) = search(exec, vm, ip, tag) else {
        let name = &vm.tags[tag as usize].name;
        let message = format!("uncaught exception ({name})");
        trap!(ip, exec, gas, Trap::UncaughtException(message))
    };
    let catch = found.catch;
    // A handler that takes the exception keeps it in the store, within the memory budget; the
    // check comes before any frame is dropped, so a trap here leaves them all.
    let exn = match (catch.with_ref, kept) {
        (false, _) => 0,
        (true, NOT_KEPT) => {
            let bytes = std::mem::size_of::<ExceptionEntity>() + 8 * exec.thrown.len();
            if !vm.take_memory(bytes as u64) {
                trap!(ip, exec, gas, Trap::ExceptionsExhausted)
            }
            vm.exceptions.push(ExceptionEntity {
                tag,
                payload: exec.thrown.as_slice().into(),
            });
            vm.exceptions.len() as u64
        }
        (true, kept) => u64::from(kept) + 1,
    };
    for _ in 0..found.frames {
        let frame = exec.frames.pop().expect("the search counted the frames");
        exec.func = frame.func;
        exec.fp = frame.fp;
        exec.meter.leave();
        exec.set_instance(vm, frame.instance);
    }
    let sp = exec.frame(exec.fp);
    // SAFETY: the lowering placed the label's values (the payload's slots, then the exnref's)
    // inside the handler's frame, which `enter` made `frame_size` slots long; the landing is
    // an op of the handler's function.
    unsafe {
        let mut at = catch.dst as usize;
        if catch.tag.is_some() {
            for &v in &exec.thrown {
                slot!(sp, at) = v;
                at += 1;
            }
        }
        if catch.with_ref {
            slot!(sp, at) = exn;
        }
        let landing = (*exec.func).ops.as_ptr().add(catch.landing as usize);
        next!(landing, sp, exec, vm, gas)
    }
}

handler! {
    /// `throw`: op `a` is the module's tag index, op `b` the first slot of the payload.
    fn throw(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let tag = vm.instances[exec.instance as usize].tags[op.a as usize];
        let width: usize = vm.tags[tag as usize].ty.params.iter().map(|&t| slots(t)).sum();
        // SAFETY: the lowering put the payload in `width` slots of the frame from `b` on.
        let payload = std::slice::from_raw_parts(sp.add(op.b as usize), width);
        exec.thrown.clear();
        exec.thrown.extend_from_slice(payload);
        unwind(ip, exec, vm, gas, tag, NOT_KEPT)
    }

    /// `throw_ref`: op `a` is the slot of the `exnref`.
    fn throw_ref(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let Some(index) = slot!(sp, op.a).checked_sub(1) else {
            trap!(ip, exec, gas, Trap::NullExceptionReference)
        };
        // The unwinding makes exnrefs, each the index of a kept exception plus one; the host
        // can only pass back those it got from a store, but maybe from another one.
        let Some(e) = vm.exceptions.get(index as usize) else {
            trap!(ip, exec, gas, Trap::Host(format!("exnref {index} is not of this store")))
        };
        exec.thrown.clear();
        exec.thrown.extend_from_slice(&e.payload);
        let tag = e.tag;
        unwind(ip, exec, vm, gas, tag, index as u32)
    }
}
