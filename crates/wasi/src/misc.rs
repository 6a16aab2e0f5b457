//! Arguments, environment, clocks, randomness, polling, and the calls with no host support.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::gas::Host;
use crate::mem::Mem;
use crate::rights::POLL_FD_READWRITE;
use rustix::time::{ClockId, Timespec};

/// Writes `strings` as NUL-terminated bytes at `buf` and their addresses at `ptrs`.
fn put_strings(mem: &mut Mem, strings: &[String], ptrs: u32, buf: u32) -> WasiResult {
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        let slot = ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?;
        mem.set_u32(slot, at)?;
        mem.write(at, s.as_bytes())?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write(end, &[0])?;
        at = end + 1;
    }
    Ok(())
}

/// Writes the count of `strings` and the bytes they take with their NULs.
fn put_sizes(mem: &mut Mem, strings: &[String], count: u32, size: u32) -> WasiResult {
    let bytes: usize = strings.iter().map(|s| s.len() + 1).sum();
    mem.set_u32(count, strings.len() as u32)?;
    mem.set_u32(size, u32::try_from(bytes).map_err(|_| Errno::Overflow)?)
}

pub fn args_get(ctx: &mut WasiCtx, mem: &mut Mem, argv: u32, buf: u32) -> WasiResult {
    put_strings(mem, &ctx.args, argv, buf)
}

pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut Mem, count: u32, size: u32) -> WasiResult {
    put_sizes(mem, &ctx.args, count, size)
}

pub fn environ_get(ctx: &mut WasiCtx, mem: &mut Mem, environ: u32, buf: u32) -> WasiResult {
    put_strings(mem, &ctx.env, environ, buf)
}

pub fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut Mem, count: u32, size: u32) -> WasiResult {
    put_sizes(mem, &ctx.env, count, size)
}

/// The host clock for WASI `clockid`.
fn clock(id: u32) -> WasiResult<ClockId> {
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        _ => return Err(Errno::Inval),
    })
}

fn nanos(t: Timespec) -> u64 {
    (t.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(t.tv_nsec as u64)
}

fn now(id: ClockId) -> u64 {
    nanos(rustix::time::clock_gettime(id))
}

pub fn clock_res_get(mem: &mut Mem, id: u32, out: u32) -> WasiResult {
    let res = nanos(rustix::time::clock_getres(clock(id)?));
    mem.set_u64(out, res)
}

pub fn clock_time_get(mem: &mut Mem, id: u32, _precision: u64, out: u32) -> WasiResult {
    mem.set_u64(out, now(clock(id)?))
}

/// `random_get`: pays for the bytes before filling them.
pub fn random_get(h: &mut dyn Host, buf: u32, len: u32) -> WasiResult {
    let price = h.prices().random_byte;
    h.parts().1.bytes(buf, len)?;
    h.charge(u64::from(len), price)?;
    let mut mem = h.parts().1;
    let mut out = mem.bytes_mut(buf, len)?;
    while !out.is_empty() {
        let n = rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty())?;
        out = &mut out[n..];
    }
    Ok(())
}

pub fn sched_yield() -> WasiResult {
    std::thread::yield_now();
    Ok(())
}

/// Signals cannot be delivered to a guest.
pub fn proc_raise(_signal: u32) -> WasiResult {
    Err(Errno::Notsup)
}

/// No socket is ever given to a guest: every descriptor is not a socket.
pub fn sock_call(ctx: &mut WasiCtx, fd: u32) -> WasiResult {
    ctx.get(fd)?;
    Err(Errno::Notsock)
}

/// One subscription of `poll_oneoff`, as read from the guest.
enum Subscription {
    /// A timeout of `timeout` ns on `clock` (an instant of it when `absolute`).
    Clock {
        clock: usize,
        timeout: u64,
        absolute: bool,
    },
    Fd {
        fd: u32,
        write: bool,
    },
}

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;

/// The WASI clocks, by clock id.
const CLOCKS: [ClockId; 4] = [
    ClockId::Realtime,
    ClockId::Monotonic,
    ClockId::ProcessCPUTime,
    ClockId::ThreadCPUTime,
];

/// Subscription `i` of the array at `input`, and its `userdata`.
fn subscription(mem: &Mem, input: u32, i: u32) -> WasiResult<(u64, Subscription)> {
    let at = input + i * SUBSCRIPTION_SIZE;
    let sub = match mem.u8(at + 8)? {
        0 => {
            let id = mem.u32(at + 16)?;
            clock(id)?;
            Subscription::Clock {
                clock: id as usize,
                timeout: mem.u64(at + 24)?,
                absolute: mem.u16(at + 40)? & 1 != 0,
            }
        }
        tag @ (1 | 2) => Subscription::Fd {
            fd: mem.u32(at + 16)?,
            write: tag == 2,
        },
        _ => return Err(Errno::Inval),
    };
    Ok((mem.u64(at)?, sub))
}

/// Each clock's time now.
fn clocks_now() -> [u64; 4] {
    CLOCKS.map(now)
}

/// Writes event `k` (userdata, errno, type, nbytes) to the array at `output`.
fn put_event(mem: &mut Mem, output: u32, k: &mut u32, event: (u64, u16, u8, u64)) -> WasiResult {
    let (userdata, errno, kind, nbytes) = event;
    let mut b = [0u8; EVENT_SIZE as usize];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8..10].copy_from_slice(&errno.to_le_bytes());
    b[10] = kind;
    b[16..24].copy_from_slice(&nbytes.to_le_bytes());
    mem.write(output + *k * EVENT_SIZE, &b)?;
    *k += 1;
    Ok(())
}

/// `poll_oneoff`. It pays, each before the work: for the subscriptions before reading them,
/// for the descriptor subscriptions before looking at the descriptors, and for the time it
/// will wait (the earliest clock's timeout, unless something is ready at once) before waiting.
/// A wait that a descriptor ends early has paid for the whole timeout; a wait for descriptors
/// with no clock is not priced (like a blocking read). Nothing is kept per subscription: the
/// array is read again for each pass, and events are written as they are found.
pub fn poll_oneoff(
    h: &mut dyn Host,
    input: u32,
    output: u32,
    count: u32,
    nevents: u32,
) -> WasiResult {
    if count == 0 {
        return Err(Errno::Inval);
    }
    let prices = h.prices();
    {
        let mem = h.parts().1;
        mem.bytes(
            input,
            count.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?,
        )?;
        mem.bytes(output, count.checked_mul(EVENT_SIZE).ok_or(Errno::Fault)?)?;
        mem.bytes(nevents, 4)?;
    }
    h.charge(u64::from(count), prices.poll_subscription)?;

    // The earliest deadline of each clock, and how many descriptors to look at.
    let start = clocks_now();
    let mut deadline: [Option<u64>; 4] = [None; 4];
    let mut fds = 0u64;
    {
        let mem = h.parts().1;
        for i in 0..count {
            match subscription(&mem, input, i)?.1 {
                Subscription::Clock {
                    clock,
                    timeout,
                    absolute,
                } => {
                    let at = if absolute {
                        timeout
                    } else {
                        start[clock].saturating_add(timeout)
                    };
                    deadline[clock] = Some(deadline[clock].map_or(at, |d| d.min(at)));
                }
                Subscription::Fd { .. } => fds += 1,
            }
        }
    }
    h.charge(fds, prices.poll_fd)?;

    // Descriptors: errors and regular files are ready at once; the others are polled.
    let mut k = 0u32;
    let mut waiting = Vec::new();
    let (ctx, mut mem) = h.parts();
    for i in 0..count {
        let (userdata, Subscription::Fd { fd, write }) = subscription(&mem, input, i)? else {
            continue;
        };
        let kind = if write { 2 } else { 1 };
        match ctx.get(fd).and_then(|d| d.with_rights(POLL_FD_READWRITE)) {
            Err(e) => put_event(&mut mem, output, &mut k, (userdata, e as u16, kind, 0))?,
            Ok(d) => {
                let st = rustix::fs::fstat(&d.fd)?;
                if rustix::fs::FileType::from_raw_mode(st.st_mode)
                    == rustix::fs::FileType::RegularFile
                {
                    let pos =
                        rustix::fs::seek(&d.fd, rustix::fs::SeekFrom::Current(0)).unwrap_or(0);
                    let left = if write {
                        0
                    } else {
                        (st.st_size as u64).saturating_sub(pos)
                    };
                    put_event(&mut mem, output, &mut k, (userdata, 0, kind, left))?;
                } else {
                    waiting.push((userdata, fd, write));
                }
            }
        }
    }
    // How long to wait: until the earliest clock, or not at all when something is ready.
    let timeout = if k > 0 {
        Some(0)
    } else {
        let now = clocks_now();
        (0..4)
            .filter_map(|c| deadline[c].map(|d| d.saturating_sub(now[c])))
            .min()
    };
    // Never past the embedder's deadline (`WasiCtx::set_deadline`): that wait is what is paid.
    let left = ctx.deadline.map(|d| {
        let left = d.saturating_duration_since(std::time::Instant::now());
        left.as_nanos().min(u128::from(u64::MAX)) as u64
    });
    let timeout = match (timeout, left) {
        (Some(t), Some(l)) => Some(t.min(l)),
        (t, l) => t.or(l),
    };
    h.charge(timeout.unwrap_or(0), prices.poll_ns)?;
    let (ctx, mut mem) = h.parts();
    if !waiting.is_empty() {
        use rustix::event::{PollFd, PollFlags};
        let borrowed: Vec<_> = waiting
            .iter()
            .map(|&(_, fd, _)| ctx.get(fd).map(|d| &d.fd))
            .collect::<WasiResult<_>>()?;
        let mut pollfds: Vec<PollFd<'_>> = borrowed
            .iter()
            .zip(&waiting)
            .map(|(fd, &(_, _, write))| {
                PollFd::new(*fd, if write { PollFlags::OUT } else { PollFlags::IN })
            })
            .collect();
        let ts = timeout.map(|ns| Timespec {
            tv_sec: (ns / 1_000_000_000) as i64,
            tv_nsec: (ns % 1_000_000_000) as _,
        });
        match rustix::event::poll(&mut pollfds, ts.as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        for (p, &(userdata, _, write)) in pollfds.iter().zip(&waiting) {
            let r = p.revents();
            if r.is_empty() {
                continue;
            }
            let kind = if write { 2 } else { 1 };
            let errno = if r.contains(PollFlags::ERR) || r.contains(PollFlags::NVAL) {
                Errno::Io as u16
            } else {
                0
            };
            put_event(&mut mem, output, &mut k, (userdata, errno, kind, 0))?;
        }
    } else if let Some(ns) = timeout {
        if ns > 0 {
            std::thread::sleep(std::time::Duration::from_nanos(ns));
        }
    }
    // Clocks whose time has come.
    let now = clocks_now();
    for i in 0..count {
        let (userdata, sub) = subscription(&mem, input, i)?;
        if let Subscription::Clock {
            clock,
            timeout,
            absolute,
        } = sub
        {
            let at = if absolute {
                timeout
            } else {
                start[clock].saturating_add(timeout)
            };
            if now[clock] >= at {
                put_event(&mut mem, output, &mut k, (userdata, 0, 0, 0))?;
            }
        }
    }
    mem.set_u32(nevents, k)
}
