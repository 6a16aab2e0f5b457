//! One request's guest: a fresh WASI context, store and instance of a function, `_start` run
//! to its end (in steps of gas when it starts on an async worker), and the report its bill is
//! made from. Nothing of one request's guest survives into the next.

use crate::function::{Function, Outcome, Report};
use crate::stdio::GuestStdio;
use ssvm_runtime::{Error, Extern, Instance, InterruptHandle, Store, Trap, PAGE_SIZE};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Stops one request's guest from another thread (the server's timer, at the deadline): the
/// guest's thread hands over its store's interrupt handle before it instantiates.
#[derive(Debug, Clone, Default)]
pub struct Stopper(Arc<Mutex<Stopping>>);

#[derive(Debug, Default)]
enum Stopping {
    #[default]
    NotStarted,
    Running(InterruptHandle),
    Stopped,
}

impl Stopper {
    /// Stops the guest: at its next loop back edge or call if it runs, before it starts if it
    /// has not (a host call it is in returns first: WASI's waits end at the deadline).
    pub fn stop(&self) {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Stopping::Running(handle) = &*s {
            handle.interrupt();
        }
        *s = Stopping::Stopped;
    }

    /// Hands over the guest's handle; `false` when it was stopped already.
    fn started(&self, handle: InterruptHandle) -> bool {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*s, Stopping::Stopped) {
            return false;
        }
        *s = Stopping::Running(handle);
        true
    }
}

/// The CPU time the calling thread has used. Through libc, not rustix: this clock is a system
/// call either way, and rustix's vDSO lookup crashes under valgrind (rustix issue 1559), which
/// the instruction counts of docs/serve.md are taken with.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call to fill; the clock id is a
    // constant Linux knows, so the call cannot fail (and on failure `t` stays zero).
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A request's guest, instantiated, its `_start` not run yet or stopped between steps.
pub struct Guest {
    store: Store<WasiCtx>,
    instance: Result<Instance, Error>,
    /// How `_start` ended, or stopped between steps (out of the gas given so far).
    result: Option<Result<(), Error>>,
    gas_limit: u64,
    /// Gas used by the instantiation (a start function), before `_start`'s steps.
    before: u64,
    /// Gas given to `_start` so far.
    given: u64,
    histogram: bool,
    report: Report,
    cpu_execute: Duration,
}

impl Function {
    /// A fresh instance for one request: its WASI context (`env`, `stdio`; waits end at
    /// `deadline`), store and instance. `stopper` can stop it from here on. A context that
    /// cannot be made is a report at once.
    pub fn instantiate(
        &self,
        env: &[(String, String)],
        stdio: GuestStdio,
        deadline: Instant,
        stopper: &Stopper,
    ) -> Result<Guest, Box<Report>> {
        let started = Instant::now();
        let cpu_started = thread_cpu();
        let mut builder = WasiCtxBuilder::new();
        builder.arg(self.arg0.as_str());
        for (name, value) in env {
            builder.env(name, value);
        }
        builder
            .stdin(stdio.stdin)
            .stdout(stdio.stdout)
            .stderr(stdio.stderr)
            .limits(ssvm_wasi::Limits {
                max_output: Some(stdio.max_output),
                ..Default::default()
            });
        let mut ctx = builder
            .build()
            .map_err(|e| Report::not_run(format!("cannot set up WASI: {e}")))?;
        ctx.set_deadline(deadline);
        let mut store = Store::new(&self.engine, ctx);
        store.set_gas_limit(self.gas_limit);
        let instance = if stopper.started(store.interrupt_handle()) {
            self.pre.instantiate(&mut store)
        } else {
            Err(Error::Trap(Trap::Interrupted))
        };
        let mut report = Report::not_run(String::new());
        report.instantiate = started.elapsed();
        report.cpu[0] = thread_cpu() - cpu_started;
        let before = store.gas_used();
        // `_start` gets its gas in steps (`run_for`), counted from here.
        store.set_gas_limit(0);
        Ok(Guest {
            before,
            store,
            instance,
            result: None,
            gas_limit: self.gas_limit,
            given: 0,
            histogram: self.histogram,
            report,
            cpu_execute: Duration::ZERO,
        })
    }

    /// Runs one request's guest wholly on this thread: a fresh instance, `_start`, the report.
    /// Blocks until the guest ends or `stopper` stops it (the outcome is then `timeout`).
    pub fn run(
        &self,
        env: &[(String, String)],
        stdio: GuestStdio,
        deadline: Instant,
        stopper: &Stopper,
    ) -> Report {
        match self.instantiate(env, stdio, deadline, stopper) {
            Ok(mut guest) => {
                guest.run_for(u64::MAX);
                guest.finish()
            }
            Err(report) => *report,
        }
    }
}

impl Guest {
    /// Runs `_start`, or resumes it where it stopped, with at most `gas` more of its limit;
    /// `true` once it has ended (an out of gas with more gas under the limit is a stop between
    /// steps: the runtime resumes it exactly, so the total is that of one run).
    pub fn run_for(&mut self, gas: u64) -> bool {
        let started = Instant::now();
        let cpu_started = thread_cpu();
        let left = self.gas_limit - self.before - self.given;
        let more = left.min(gas);
        let result = match (self.result.take(), &self.instance) {
            (None, Ok(instance)) => match instance.get_func(&self.store, "_start") {
                Some(start) => {
                    self.store.add_gas(more);
                    self.given = more;
                    start.call(&mut self.store, &[], &mut [])
                }
                None => Err(Error::Link("no `_start` function".into())),
            },
            (None, Err(e)) => Err(e.clone()),
            (Some(Err(Error::OutOfGas { .. })), _) if left > 0 => {
                self.store.add_gas(more);
                self.given += more;
                self.store.resume(&mut [])
            }
            (Some(ended), _) => ended,
        };
        self.report.execute += started.elapsed();
        self.cpu_execute += thread_cpu() - cpu_started;
        let stopped = matches!(result, Err(Error::OutOfGas { .. }))
            && self.before + self.given < self.gas_limit;
        self.result = Some(result);
        !stopped
    }

    /// The report of the guest, which has ended, and its teardown (the store dropped: memory,
    /// instance, descriptors).
    pub fn finish(self) -> Report {
        let Guest {
            store,
            instance,
            result,
            before,
            histogram,
            mut report,
            cpu_execute,
            ..
        } = self;
        report.gas_used = before + store.gas_used();
        if let Ok(instance) = &instance {
            let pages: u64 = instance
                .exports(&store)
                .iter()
                .filter_map(|(_, x)| match x {
                    Extern::Memory(m) => Some(u64::from(m.pages(&store))),
                    _ => None,
                })
                .sum();
            report.peak_memory_bytes = pages * PAGE_SIZE as u64;
        }
        if histogram {
            report.counts = Some(
                store
                    .histogram()
                    .into_iter()
                    .map(|(op, n)| (op.name(), n))
                    .collect(),
            );
        }
        (report.outcome, report.exit_code, report.trap) = match result.unwrap_or(Ok(())) {
            Ok(()) => (Outcome::Ok, None, None),
            Err(Error::Exit(code)) => (Outcome::Exit, Some(code), None),
            Err(Error::OutOfGas { .. }) => (Outcome::OutOfGas, None, None),
            Err(Error::Trap(Trap::Interrupted)) => (Outcome::Timeout, None, None),
            Err(Error::Trap(t)) => (Outcome::Trap, None, Some(t.to_string())),
            Err(e) => (Outcome::Trap, None, Some(e.to_string())),
        };
        let failed = report.outcome == Outcome::Trap
            || (report.outcome == Outcome::Exit && report.exit_code != Some(0));
        if failed && store.memory_limit_reached() {
            report.outcome = Outcome::MemoryLimit;
        }
        report.output_overflow = store.data().limits_reached().output;
        report.cpu[1] = cpu_execute;
        let teardown = Instant::now();
        let cpu_teardown = thread_cpu();
        drop(store);
        report.teardown = teardown.elapsed();
        report.cpu[2] = thread_cpu() - cpu_teardown;
        report
    }
}
