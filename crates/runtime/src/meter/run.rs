//! The execute half of metering: the gas a call has, what the store keeps between calls, the
//! charge handlers, refunds, partial blocks, the out-of-gas stop and its resumption
//! (docs/metering.md "How it is charged").

use super::blocks::OpMeter;
use super::cost::PerUnit;
use super::trace::{Counts, Profile};
use crate::exec::handlers::{handler, next};
use crate::exec::{Code, Exec, Flow, Op, Vm};
use std::collections::HashMap;

/// What a store keeps of metering between calls.
#[derive(Debug)]
pub(crate) struct Account {
    /// Gas left, and all the gas given so far (used = given - left).
    pub(crate) gas_left: u64,
    pub(crate) gas_given: u64,
    pub(crate) per_unit: PerUnit,
    pub(crate) counts: Counts,
    pub(crate) profile: Profile,
    /// Whether histograms and gas profiles are kept.
    pub(crate) counting: bool,
    pub(crate) profiling: bool,
    /// Whether the store runs metered code (otherwise hosts charge nothing).
    pub(crate) metered: bool,
    /// Gas the running host function charged for its work (`Caller::charge_gas`).
    pub(crate) host_charged: u64,
}

impl Account {
    /// A host function charges `gas` for work it is about to do: false (nothing charged) when
    /// the gas left does not cover it.
    pub(crate) fn charge_host_work(&mut self, gas: u64) -> bool {
        if !self.metered {
            return true;
        }
        match self.gas_left.checked_sub(gas) {
            Some(left) => {
                self.gas_left = left;
                self.host_charged += gas;
                true
            }
            None => false,
        }
    }
}

impl Account {
    pub(crate) fn new(
        per_unit: PerUnit,
        metered: bool,
        counting: bool,
        profiling: bool,
    ) -> Account {
        Account {
            gas_left: u64::MAX,
            gas_given: u64::MAX,
            per_unit,
            counts: Counts::default(),
            profile: Profile::default(),
            counting,
            profiling,
            metered,
            host_charged: 0,
        }
    }
}

/// Where a call stopped by out of gas resumes: in metering block `block` of `func`, before its
/// Wasm instruction `p`, at op `op` (the first op not run).
#[derive(Debug, Clone, Copy)]
struct Pending {
    func: *const Code,
    block: u32,
    p: u32,
    op: usize,
}

/// A metering block run only in part because gas would not cover it: its ops up to the
/// affordable prefix are copied to `Meter::partial`, followed by a stop.
#[derive(Debug, Clone, Copy)]
struct Partial {
    /// Wasm instructions of the block charged so far.
    charged_to: u32,
    /// Index in the function's ops of the first op copied.
    first: usize,
}

/// The metering state of one call (`Exec::meter`).
pub(crate) struct Meter {
    /// Gas left while handlers are not running (they carry it in a register).
    pub(crate) gas: u64,
    /// Prices of per-unit work.
    pub(crate) per_unit: PerUnit,
    partial: Vec<Op>,
    partial_meta: Vec<OpMeter>,
    in_partial: Option<Partial>,
    pending: Option<Pending>,
    counting: bool,
    counts: Counts,
    /// Gas profile: whether it is kept, the running function's node, and for each caller its
    /// node and the function the call added to the path, if it did.
    pub(crate) profiling: bool,
    node: u32,
    callers: Vec<(u32, Option<u32>)>,
    /// Gas profile: the node of each function on the current path (recursion goes back to it).
    on_path: HashMap<u32, u32>,
    profile: Profile,
}

impl Meter {
    /// The metering of a call of store function `func`, with what the store's account holds.
    pub(crate) fn begin(account: &mut Account, func: u32) -> Meter {
        let mut meter = Meter {
            gas: account.gas_left,
            per_unit: account.per_unit,
            partial: Vec::new(),
            partial_meta: Vec::new(),
            in_partial: None,
            pending: None,
            counting: account.counting,
            counts: std::mem::take(&mut account.counts),
            profiling: account.profiling,
            node: u32::MAX,
            callers: Vec::new(),
            on_path: HashMap::new(),
            profile: std::mem::take(&mut account.profile),
        };
        if meter.profiling {
            meter.node = meter.profile.child(u32::MAX, func);
            meter.on_path.insert(func, meter.node);
        }
        meter
    }

    /// Gives the store's account back what the call took from it.
    pub(crate) fn end(&mut self, account: &mut Account) {
        account.gas_left = self.gas;
        // Only what is kept moves: a host call ends and resumes the meter, many times a second.
        if self.counting {
            account.counts = std::mem::take(&mut self.counts);
        }
        if self.profiling {
            account.profile = std::mem::take(&mut self.profile);
        }
    }

    /// A suspended call resumes with what the store's account holds now.
    pub(crate) fn resume_with(&mut self, account: &mut Account) {
        self.gas = account.gas_left;
        if self.counting {
            self.counts = std::mem::take(&mut account.counts);
        }
        if self.profiling {
            self.profile = std::mem::take(&mut account.profile);
        }
    }

    /// Gas profile: the running function calls store function `addr`. A function already on
    /// the path (recursion) goes back to its node, so the profile grows with the distinct call
    /// paths, not with the depth of a recursion.
    pub(crate) fn enter(&mut self, addr: u32) {
        if !self.profiling {
            return;
        }
        match self.on_path.get(&addr) {
            Some(&node) => {
                self.callers.push((self.node, None));
                self.node = node;
            }
            None => {
                self.callers.push((self.node, Some(addr)));
                self.node = self.profile.child(self.node, addr);
                self.on_path.insert(addr, self.node);
            }
        }
    }

    /// Gas profile: the running function returns to its caller.
    pub(crate) fn leave(&mut self) {
        if !self.profiling {
            return;
        }
        let (caller, added) = self.callers.pop().unwrap_or((u32::MAX, None));
        if let Some(func) = added {
            self.on_path.remove(&func);
        }
        self.node = caller;
    }

    /// Gas profile: the running function tail-calls store function `addr`. Its frame is gone,
    /// so the callee takes its place on the path: what it spends is its caller's caller's
    /// call of it, as in a trace of the call stack.
    pub(crate) fn replace(&mut self, addr: u32) {
        if !self.profiling {
            return;
        }
        if self.callers.is_empty() {
            // The outermost function is the only one on the path: the callee becomes the root.
            self.on_path.clear();
            self.node = self.profile.child(u32::MAX, addr);
            self.on_path.insert(addr, self.node);
        } else {
            self.leave();
            self.enter(addr);
        }
    }

    /// Gas profile: adds (`sign` 1) or takes back (-1) `gas` spent in the running function.
    fn attribute(&mut self, gas: u64, sign: i64) {
        if self.profiling {
            self.profile.attribute(self.node, gas, sign);
        }
    }
}

impl Exec {
    /// The running function's metering, if it is metered.
    fn code_meter(&self) -> Option<&super::CodeMeter> {
        // SAFETY: `func` is the running function, kept alive by the store.
        unsafe { (*self.func).meter() }
    }

    /// The metering position of op `ip` and how far its block has been charged, if the running
    /// code is metered.
    fn position(&self, ip: *const Op) -> Option<(OpMeter, u32, usize)> {
        let cm = self.code_meter()?;
        match self.meter.in_partial {
            Some(part) => {
                // SAFETY: in partial mode, `ip` points into `partial`.
                let i = unsafe { ip.offset_from(self.meter.partial.as_ptr()) } as usize;
                Some((self.meter.partial_meta[i], part.charged_to, part.first + i))
            }
            None => {
                // SAFETY: otherwise `ip` points into the function's ops.
                let i = unsafe { ip.offset_from((*self.func).ops.as_ptr()) } as usize;
                let m = *cm.positions.get(i)?;
                if m.block as usize >= cm.block_count() {
                    return None;
                }
                Some((m, cm.len(m.block), i))
            }
        }
    }

    /// The gas charged ahead for op `ip`'s block after its instruction.
    pub(crate) fn price_after(&self, ip: *const Op) -> u64 {
        let (Some((m, charged_to, _)), Some(cm)) = (self.position(ip), self.code_meter()) else {
            return 0;
        };
        let prefix = cm.prefix(m.block);
        prefix[charged_to as usize] - prefix[m.emit_end as usize]
    }

    /// For op `ip` (`width` ops wide): its block, the block's next Wasm instruction, and the
    /// next op in the function's code.
    fn after(&self, ip: *const Op, width: usize) -> (u32, u32, *const Op) {
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
        // SAFETY: `func` is the running function, kept alive by the store.
        let cm = unsafe { (*self.func).meter() }.expect("metered: it has a position");
        let prefix = cm.prefix(m.block);
        let refund = prefix[charged_to as usize] - prefix[done as usize];
        self.meter.gas += refund;
        self.meter.attribute(refund, -1);
        self.count_range(m.block, done, charged_to, -1);
    }

    /// Charges per-unit work done (already checked to be affordable).
    fn spend(&mut self, price: u64) {
        self.meter.gas -= price;
        self.meter.attribute(price, 1);
    }

    /// Gas profile: per-unit work of `price` done by the running function.
    #[inline(always)]
    pub(crate) fn attribute_work(&mut self, price: u64) {
        self.meter.attribute(price, 1);
    }

    /// Histogram: instructions `from..to` of metering block `block` of the running function
    /// ran (`sign` 1) or were given back (`sign` -1) outside a whole-block count.
    fn count_range(&mut self, block: u32, from: u32, to: u32, sign: i64) {
        if !self.meter.counting || from >= to {
            return;
        }
        // SAFETY: `func` is the running function, kept alive by the store.
        let cm = unsafe { (*self.func).meter() }.expect("counted code is metered");
        let opcodes = cm.opcodes_between(block, from, to);
        self.meter.counts.add_each(opcodes, sign);
    }

    /// Records that execution stops before op `ip`'s instruction, to resume there.
    fn suspend_before(&mut self, ip: *const Op) {
        let Some((m, _, mut i)) = self.position(ip) else {
            return;
        };
        // SAFETY: `func` is the running function, kept alive by the store.
        let cm = unsafe { (*self.func).meter() }.expect("metered: it has a position");
        // Resume at the first op of that instruction (copies lowered with it run again).
        while i > 0 && cm.positions[i - 1] == m {
            i -= 1;
        }
        self.meter.in_partial = None;
        self.meter.pending = Some(Pending {
            func: self.func,
            block: m.block,
            p: m.emit_end - 1,
            op: i,
        });
    }

    /// A host function of price `price` (store function `addr`) is about to be called from op
    /// `call_op`: charges it, or stops before the call with out of gas (false). Then the store's
    /// account holds the gas, counts and profile while the host runs (it may charge for its work,
    /// or call back into Wasm).
    pub(crate) fn charge_host(
        &mut self,
        account: &mut Account,
        call_op: *const Op,
        price: u64,
        addr: u32,
    ) -> bool {
        if price > self.meter.gas {
            self.refund_after(call_op, 1);
            self.suspend_before(call_op);
            return false;
        }
        self.meter.gas -= price;
        if self.meter.profiling {
            self.meter.enter(addr);
            self.meter.attribute(price, 1);
            self.meter.leave();
        }
        self.meter.end(account);
        account.host_charged = 0;
        true
    }

    /// The host call of price `price` (store function `addr`) from op `call_op` returned:
    /// the call goes on with the account's gas, its work attributed to it; or, when it could
    /// not pay for its work, it stops before the call as out of gas, with its price and what it
    /// charged given back; or, when it failed or exited, it is charged and nothing after it.
    pub(crate) fn host_returned(
        &mut self,
        account: &mut Account,
        call_op: *const Op,
        price: u64,
        addr: u32,
        outcome: Result<(), &crate::trap::Trap>,
    ) {
        self.meter.resume_with(account);
        let work = std::mem::take(&mut account.host_charged);
        match outcome {
            Ok(()) => {
                if self.meter.profiling {
                    self.meter.enter(addr);
                    self.meter.attribute(work, 1);
                    self.meter.leave();
                }
            }
            Err(crate::trap::Trap::OutOfGas) => {
                self.meter.gas += work + price;
                if self.meter.profiling {
                    self.meter.enter(addr);
                    self.meter.attribute(price, -1);
                    self.meter.leave();
                }
                self.refund_after(call_op, 1);
                self.suspend_before(call_op);
            }
            Err(_) => {
                if self.meter.profiling {
                    self.meter.enter(addr);
                    self.meter.attribute(work, 1);
                    self.meter.leave();
                }
                self.refund_after(call_op, 0);
            }
        }
    }

    /// Resumes a call stopped by out of gas, with the gas in `meter.gas` now; `None` when no
    /// stop is pending.
    pub(crate) fn resume_pending(&mut self, vm: &mut Vm) -> Option<Flow> {
        let pending = self.meter.pending.take()?;
        self.func = pending.func;
        self.meter.in_partial = None;
        self.sp = self.frame(self.fp);
        self.refresh_memory(vm);
        // SAFETY: `pending.func` is the function that stopped, kept alive by the store.
        let first = unsafe { (*pending.func).ops.as_ptr().add(pending.op) };
        Some(run_partial(
            self.sp,
            self,
            vm,
            pending.block,
            pending.p,
            first,
        ))
    }
}

/// Runs metering block `block` of the current function from its Wasm instruction `p0` (op
/// `first`) when gas may not cover the rest of it: charges the longest prefix gas covers and, if
/// that is not all, runs just the ops of that prefix and stops.
pub(crate) fn run_partial(
    sp: *mut u64,
    exec: &mut Exec,
    vm: &mut Vm,
    block: u32,
    p0: u32,
    first: *const Op,
) -> Flow {
    // SAFETY: `func` is the running function, kept alive by the store.
    let f = unsafe { &*exec.func };
    // SAFETY: `first` is one of its ops.
    let first_index = unsafe { first.offset_from(f.ops.as_ptr()) } as usize;
    let cm = f.meter().expect("only metered code charges");
    let prefix = cm.prefix(block);
    let n = cm.len(block);
    let base = prefix[p0 as usize];
    exec.meter.in_partial = None;
    let mut p = p0;
    while p < n && prefix[p as usize + 1] - base <= exec.meter.gas {
        p += 1;
    }
    let charged = prefix[p as usize] - base;
    exec.meter.gas -= charged;
    exec.meter.attribute(charged, 1);
    exec.count_range(block, p0, p, 1);
    if p == n {
        // SAFETY: `first` is an op of the running function.
        return unsafe { ((*first).handler)(first, sp, exec, vm, exec.meter.gas) };
    }
    exec.meter.partial.clear();
    exec.meter.partial_meta.clear();
    let mut i = first_index;
    while let Some(&m) = cm.positions.get(i) {
        // An op runs if its instructions are paid for, or if the instruction it was lowered
        // from is and only a folded `local.set` is not (never a block's closing branch or call,
        // so the partial block never jumps or calls).
        let paid = m.wasm_end <= p || (m.emit_end <= p && m.wasm_end < n);
        if m.block != block || !paid {
            break;
        }
        exec.meter.partial.push(f.ops[i]);
        exec.meter.partial_meta.push(m);
        i += 1;
    }
    exec.meter.partial.push(Op {
        handler: stop,
        a: 0,
        b: 0,
        c: 0,
        d: 0,
    });
    exec.meter.partial_meta.push(OpMeter {
        block,
        wasm_end: p,
        emit_end: p,
    });
    exec.meter.pending = Some(Pending {
        func: exec.func,
        block,
        p,
        op: i,
    });
    exec.meter.in_partial = Some(Partial {
        charged_to: p,
        first: first_index,
    });
    let ip = exec.meter.partial.as_ptr();
    // SAFETY: `partial` holds ops of the running function and ends with a stop; it is not
    // touched until that stop (or a trap) returns.
    unsafe { ((*ip).handler)(ip, sp, exec, vm, exec.meter.gas) }
}

/// Stops before op `ip`'s own instruction because its price (with per-unit work) cannot be
/// paid: gives back what was charged for it and after it, and records where to resume.
#[cold]
#[inline(never)]
pub(crate) fn out_of_gas_at(ip: *const Op, exec: &mut Exec) -> Flow {
    exec.refund_after(ip, 1);
    exec.suspend_before(ip);
    Flow::OutOfGas
}

/// Pays per-unit work that only fits with the gas charged ahead for the rest of the block: that
/// charge is given back, the work paid, and the rest of the block runs as a partial block,
/// charged instruction by instruction as far as gas goes.
#[cold]
#[inline(never)]
pub(crate) unsafe fn pay_late(
    ip: *const Op,
    sp: *mut u64,
    exec: &mut Exec,
    vm: &mut Vm,
    price: u64,
    width: usize,
) -> Flow {
    let (block, next_instr, next_op) = exec.after(ip, width);
    exec.refund_after(ip, 0);
    exec.spend(price);
    run_partial(sp, exec, vm, block, next_instr, next_op)
}

/// The price of `units` of per-unit work at rate `exec.meter.per_unit.$rate`; stops with out of
/// gas (before the instruction) when it cannot be paid. Charged by the caller once the work is
/// done (`pay!`).
macro_rules! per_unit {
    ($ip:expr, $exec:expr, $gas:expr, $rate:ident, $units:expr) => {{
        let price = $exec.meter.per_unit.$rate.price($units as u64);
        // The rest of the block is charged but has not run: that gas is available too.
        if price > $gas && price > $gas.saturating_add($exec.price_after($ip)) {
            $exec.meter.gas = $gas;
            return $crate::meter::out_of_gas_at($ip, $exec);
        }
        price
    }};
}

/// Pays `price` for per-unit work done by op `ip` (`width` ops wide) and goes on.
macro_rules! pay {
    ($ip:expr, $sp:expr, $exec:expr, $vm:expr, $gas:expr, $price:expr, $width:expr) => {{
        let price = $price;
        if price > $gas {
            $exec.meter.gas = $gas;
            return $crate::meter::pay_late($ip, $sp, $exec, $vm, price, $width);
        }
        $gas -= price;
        $exec.attribute_work(price);
        $crate::exec::handlers::next!($ip.add($width), $sp, $exec, $vm, $gas)
    }};
}

pub(crate) use {pay, per_unit};

/// The price a charge op holds.
#[inline(always)]
pub(crate) fn price_of(op: &Op) -> u64 {
    u64::from(op.a) | (u64::from(op.b) << 32)
}

/// Paid code: where execution goes on at `next`, the charge op of a block start: past it, paid
/// here, when the gas covers it; otherwise at it, which takes the slow path.
#[inline(always)]
pub(crate) unsafe fn pay_landing(next: *const Op, gas: &mut u64) -> *const Op {
    // SAFETY: the caller passes the charge op at a block start, followed by the block's ops.
    unsafe {
        let price = price_of(&*next);
        if *gas >= price {
            *gas -= price;
            next.add(1)
        } else {
            // A branch, not a conditional move: the next op's handler is then loaded (and
            // jumped to) on the prediction, without waiting for the price and the gas.
            std::hint::cold_path();
            next
        }
    }
}

/// Where a branch goes on at `target`: in paid code the target is a charge of `price` (held by
/// the branch, so nothing of the target is read), paid here when the gas covers it.
#[inline(always)]
pub(crate) unsafe fn land<const PAID: bool>(
    target: *const Op,
    price: u32,
    gas: &mut u64,
) -> *const Op {
    let price = u64::from(price);
    if !PAID {
        return target;
    }
    if *gas >= price {
        *gas -= price;
        // SAFETY: in paid code the assembler made `target` a charge op, which the block's ops
        // follow.
        unsafe { target.add(1) }
    } else {
        // As in `pay_landing`.
        std::hint::cold_path();
        target
    }
}

handler! {
    /// Charges a metering block on entry; when gas does not cover it, runs the part it covers.
    fn charge(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let price = price_of(op);
        if gas >= price {
            gas -= price;
            next!(ip.add(1), sp, exec, vm, gas)
        }
        exec.meter.gas = gas;
        run_partial(sp, exec, vm, op.c, 0, ip.add(1))
    }

    /// `charge`, also counting the block for histograms and gas profiles.
    fn charge_traced(ip, sp, exec, vm, gas) {
        let op = &*ip;
        let price = price_of(op);
        if gas >= price {
            gas -= price;
            if exec.meter.counting {
                // SAFETY: `func` is the running function, kept alive by the store.
                let code = &*exec.func;
                let blocks = code.meter().map_or(0, |m| m.block_count());
                exec.meter.counts.block(code.id, op.c, blocks);
            }
            exec.meter.attribute(price, 1);
            next!(ip.add(1), sp, exec, vm, gas)
        }
        exec.meter.gas = gas;
        run_partial(sp, exec, vm, op.c, 0, ip.add(1))
    }

    /// Ends a partial block: out of gas, to resume where `Meter::pending` says.
    fn stop(ip, sp, exec, vm, gas) {
        exec.meter.gas = gas;
        Flow::OutOfGas
    }
}
