//! Calls from the embedder into a store: sets up the interpreter, runs it, calls the host
//! functions it asks for (the only part that knows the store's data type), and ends the call
//! with results, a trap, or a suspension by out of gas.

use super::store::{Caller, Store};
use crate::exec::{Exec, Flow, FuncKind, Limits};
use crate::meter::Meter;
use crate::trap::Trap;
use crate::value::Val;
use ssvm_binary::ValType;

/// Backtraces keep at most this many of the innermost frames and of the outermost.
const BACKTRACE_END: usize = 500;

/// Records the call stack of a trap in the store: its depth, and its frames innermost first,
/// all of them or the innermost and outermost [`BACKTRACE_END`] of a deeper stack.
fn record_backtrace<T>(store: &mut Store<T>, exec: &Exec) {
    (store.backtrace, store.backtrace_depth) = exec.backtrace(BACKTRACE_END);
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
        match t {
            // A host that could not pay for its work stops the call as out of gas.
            Trap::OutOfGas => Stop::OutOfGas,
            t => Stop::Trap(t),
        }
    }
}

/// A call stopped by out of gas, kept by the store until it is resumed.
pub(crate) struct Suspended {
    exec: Exec,
    results: Box<[ValType]>,
}

// SAFETY: the raw pointers in a suspended `Exec` point into the store that owns it (its stack,
// its memories, and compiled code kept alive by its function entities), so they move with it.
unsafe impl Send for Suspended {}
// SAFETY: as for `Send`; a shared `Suspended` is never used (only resumed through `&mut`).
unsafe impl Sync for Suspended {}

/// Calls store function `func` with `args`, writing `results`.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    func: u32,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Stop> {
    let entity = &store.vm.funcs[func as usize];
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
        FuncKind::Wasm { instance, .. } => {
            let instance = *instance;
            (store.vm.code(func).map_err(Stop::Trap)?, instance)
        }
    };
    // A host function called from Wasm may call back into Wasm: each activation takes the stack
    // the store holds (or a new one when it is in use) and gives it back.
    let mut stack = std::mem::take(&mut store.stack);
    stack.clear();
    let result_slots: usize = result_types.iter().map(|&t| crate::value::slots(t)).sum();
    stack.resize(result_slots, 0);
    Val::write_slots(args, &mut stack, 0);
    let limits = Limits {
        max_depth: store.config.max_call_depth as usize,
        max_slots: store.config.max_stack_slots as usize,
    };
    let meter = Meter::begin(&mut store.account, func);
    let interrupt = store.interrupt.flag();
    let mut exec = Exec::new(&store.vm, stack, code, instance, limits, meter, interrupt);
    let outcome = match exec.start(&mut store.vm) {
        Ok(flow) => drive(store, &mut exec, flow),
        Err(trap) => Err(Stop::Trap(trap)),
    };
    finish(store, exec, outcome, result_types, results)
}

/// Resumes the call suspended by out of gas, with the gas the store has now.
pub(crate) fn resume<T>(store: &mut Store<T>, results: &mut [Val]) -> Result<(), Stop> {
    let Some(Suspended {
        mut exec,
        results: types,
    }) = store.suspended.take()
    else {
        return Err(Stop::Trap(Trap::Host("no call is suspended".into())));
    };
    exec.meter.resume_with(&mut store.account);
    let Some(flow) = exec.resume_pending(&mut store.vm) else {
        return Err(Stop::Trap(Trap::Host("no call is suspended".into())));
    };
    let outcome = drive(store, &mut exec, flow);
    finish(store, exec, outcome, types, results)
}

/// Ends a call: results on success, the suspended state on out of gas, the stack back to the
/// store.
fn finish<T>(
    store: &mut Store<T>,
    mut exec: Exec,
    outcome: Result<(), Stop>,
    types: Box<[ValType]>,
    results: &mut [Val],
) -> Result<(), Stop> {
    exec.meter.end(&mut store.account);
    match &outcome {
        Ok(()) => {
            for (r, v) in results
                .iter_mut()
                .zip(Val::read_slots(&types, &exec.stack, 0))
            {
                *r = v;
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

/// Handles what made the interpreter return, until the call ends.
fn drive<T>(store: &mut Store<T>, exec: &mut Exec, mut flow: Flow) -> Result<(), Stop> {
    loop {
        match flow {
            Flow::Done => return Ok(()),
            Flow::Trap => {
                record_backtrace(store, exec);
                return Err(Stop::Trap(exec.trap.take().unwrap_or(Trap::Unreachable)));
            }
            Flow::OutOfGas => return Err(Stop::OutOfGas),
            Flow::Host => {
                let host = exec.host;
                let call_op = exec.host_call_op();
                // The host's price is charged with its call, and checked before it.
                let price = store.vm.funcs[host.func as usize].host_price;
                if !exec.charge_host(&mut store.account, call_op, price, host.func) {
                    return Err(Stop::OutOfGas);
                }
                let outcome = call_host(store, &mut exec.stack, host, exec.instance);
                let account = &mut store.account;
                exec.host_returned(
                    account,
                    call_op,
                    price,
                    host.func,
                    outcome.as_ref().map(|_| ()),
                );
                match outcome {
                    Ok(()) => {}
                    Err(Trap::OutOfGas) => return Err(Stop::OutOfGas),
                    Err(trap) => {
                        record_backtrace(store, exec);
                        return Err(Stop::Trap(trap));
                    }
                }
                flow = exec.after_host(&mut store.vm);
            }
            Flow::Continue => flow = exec.resume(&mut store.vm),
        }
    }
}

/// Calls a host function with its arguments at `stack[host.base..]`, and puts its results there.
fn call_host<T>(
    store: &mut Store<T>,
    stack: &mut Vec<u64>,
    host: crate::exec::HostCall,
    instance: u32,
) -> Result<(), Trap> {
    // The argument and result buffers are the store's, reused from call to call (a host call
    // made while another runs, through a call back into Wasm, gets fresh ones).
    let mut args = std::mem::take(&mut store.host_args);
    let mut results = std::mem::take(&mut store.host_results);
    let ty = &store.vm.funcs[host.func as usize].ty;
    let base = host.base;
    args.clear();
    args.extend(Val::read_slots(&ty.params, stack, base));
    results.clear();
    results.extend(ty.results.iter().map(|&t| Val::default_for(t)));
    // The host functions are moved out for the call rather than the one called cloned: a
    // `Caller` cannot reach them (nothing adds or calls one meanwhile), and the move costs none
    // of the clone's two atomic reference-count updates (a sixth of a cheap WASI call's time).
    let funcs = std::mem::take(&mut store.host_funcs);
    let outcome = funcs[host.host as usize](
        Caller {
            store,
            instance: Some(instance),
        },
        &args,
        &mut results,
    );
    store.host_funcs = funcs;
    // `call_ref` trusts a reference's type, as the validator proved it for Wasm code: a host's
    // results are checked here (a function reference must be one of this store's; a concrete
    // type names a module's type, which a host function cannot be checked against beyond that).
    let funcs = store.vm.funcs.len();
    let ty = &store.vm.funcs[host.func as usize].ty;
    let well_typed = results
        .iter()
        .zip(ty.results.iter())
        .all(|(v, &t)| v.matches(t, |f, _| (f.0 as usize) < funcs) && in_store(v, funcs));
    let outcome = match outcome {
        Ok(()) if !well_typed => Err(Trap::Host(format!(
            "a host function returned results that are not of its type {ty}"
        ))),
        other => other,
    };
    if outcome.is_ok() {
        Val::write_slots(&results, stack, base);
    }
    store.host_args = args;
    store.host_results = results;
    outcome
}

/// Whether `v`, if a function reference, names a function of a store of `funcs` functions.
pub(super) fn in_store(v: &Val, funcs: usize) -> bool {
    !matches!(v, Val::FuncRef(Some(f)) if f.0 as usize >= funcs)
}
