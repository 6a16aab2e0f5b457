//! The `fd_*` and `path_*` calls.

use crate::ctx::{Descriptor, Kind, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::gas::{Host, Prices};
use crate::mem::Mem;
use crate::path::{self, Last};
use crate::rights::*;
use crate::stream;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, SeekFrom, Stat, Timestamps};
use rustix::time::Timespec;
use ssvm_runtime::Rate;

/// A directory entry as `fd_readdir` reports it.
#[derive(Clone)]
pub struct DirEntry {
    ino: u64,
    filetype: u8,
    name: Vec<u8>,
}

/// The largest read done in one host call (a short read is always allowed).
const MAX_READ: usize = 16 << 20;

/// WASI `filetype`.
fn filetype(t: FileType) -> u8 {
    match t {
        FileType::BlockDevice => 1,
        FileType::CharacterDevice => 2,
        FileType::Directory => 3,
        FileType::RegularFile => 4,
        FileType::Socket => 6,
        FileType::Symlink => 7,
        _ => 0,
    }
}

/// Encodes a host `stat` as a WASI `filestat` (64 bytes).
// The field types of `Stat` differ between architectures.
#[allow(clippy::unnecessary_cast)]
fn filestat(st: &Stat) -> [u8; 64] {
    let ns = |s: i64, n: u64| (s as u64).wrapping_mul(1_000_000_000).wrapping_add(n);
    let mut out = [0u8; 64];
    out[0..8].copy_from_slice(&(st.st_dev as u64).to_le_bytes());
    out[8..16].copy_from_slice(&(st.st_ino as u64).to_le_bytes());
    out[16] = filetype(FileType::from_raw_mode(st.st_mode as _));
    out[24..32].copy_from_slice(&(st.st_nlink as u64).to_le_bytes());
    out[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    out[40..48].copy_from_slice(&ns(st.st_atime as i64, st.st_atime_nsec as u64).to_le_bytes());
    out[48..56].copy_from_slice(&ns(st.st_mtime as i64, st.st_mtime_nsec as u64).to_le_bytes());
    out[56..64].copy_from_slice(&ns(st.st_ctime as i64, st.st_ctime_nsec as u64).to_le_bytes());
    out
}

/// The host timestamps for `*_set_times`.
fn timestamps(atim: u64, mtim: u64, flags: u16) -> WasiResult<Timestamps> {
    let one = |value: u64, set: u16, now: u16| -> WasiResult<Timespec> {
        let nsec = match (flags & set != 0, flags & now != 0) {
            (true, true) => return Err(Errno::Inval),
            (true, false) => {
                return Ok(Timespec {
                    tv_sec: (value / 1_000_000_000) as i64,
                    tv_nsec: (value % 1_000_000_000) as _,
                })
            }
            (false, true) => rustix::fs::UTIME_NOW,
            (false, false) => rustix::fs::UTIME_OMIT,
        };
        Ok(Timespec {
            tv_sec: 0,
            tv_nsec: nsec,
        })
    };
    if flags & !(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    Ok(Timestamps {
        last_access: one(atim, FST_ATIM, FST_ATIM_NOW)?,
        last_modification: one(mtim, FST_MTIM, FST_MTIM_NOW)?,
    })
}

/// The descriptor `fd` with `needed` rights; a file right missing on a stream or file is
/// `EBADF` (as POSIX says for reading a write-only file), any other right `ENOTCAPABLE`.
fn file(ctx: &WasiCtx, fd: u32, needed: u64) -> WasiResult<&Descriptor> {
    let d = ctx.get(fd)?;
    if matches!(d.kind, Kind::Dir { .. }) && needed & (FD_READ | FD_WRITE) != 0 {
        return Err(Errno::Isdir);
    }
    if d.base & needed != needed {
        return Err(if needed & (FD_READ | FD_WRITE) != 0 {
            Errno::Badf
        } else {
            Errno::Notcapable
        });
    }
    Ok(d)
}

/// The directory descriptor `fd` with `needed` rights.
fn dir(ctx: &WasiCtx, fd: u32, needed: u64) -> WasiResult<&Descriptor> {
    let d = ctx.get(fd)?;
    if !matches!(d.kind, Kind::Dir { .. }) {
        return Err(Errno::Notdir);
    }
    d.with_rights(needed)
}

/// What guest path `path` (`(pointer, length)`) names below directory `fd`, which must have
/// `right`: its parent directory and last component (see `path::name_of`).
fn name_at(
    ctx: &WasiCtx,
    mem: &Mem,
    fd: u32,
    right: u64,
    (p, len): (u32, u32),
    follow: bool,
    dot: Errno,
) -> WasiResult<path::Parent> {
    let d = dir(ctx, fd, right)?;
    path::name_of(d.fd.as_fd(), mem.str(p, len)?, follow, dot)
}

/// Whether the last component `at` names a directory (without following a link there).
fn is_dir(at: &path::Parent) -> WasiResult<bool> {
    let st = rustix::fs::statat(&at.dir, at.name(), AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

/// The error for a link (`path_link`, `path_symlink`) to be created at a name written with a
/// trailing `/`, which only a directory may have and a link never is: as Linux gives it,
/// `EEXIST` for a directory there, `ENOTDIR` for something else, `ENOENT` for nothing.
fn new_name_with_slash(at: &path::Parent) -> Errno {
    match is_dir(at) {
        Ok(true) => Errno::Exist,
        Ok(false) => Errno::Notdir,
        Err(e) => e,
    }
}

pub fn fd_advise(ctx: &mut WasiCtx, fd: u32, offset: u64, len: u64, advice: u32) -> WasiResult {
    use rustix::fs::Advice;
    let d = file(ctx, fd, FD_ADVISE)?;
    let advice = match advice {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        5 => Advice::NoReuse,
        _ => return Err(Errno::Inval),
    };
    rustix::fs::fadvise(&d.fd, offset, std::num::NonZeroU64::new(len), advice)?;
    Ok(())
}

pub fn fd_allocate(ctx: &mut WasiCtx, fd: u32, offset: u64, len: u64) -> WasiResult {
    let d = file(ctx, fd, FD_ALLOCATE)?;
    if offset
        .checked_add(len)
        .is_none_or(|end| end > i64::MAX as u64)
    {
        return Err(Errno::Fbig);
    }
    let st = rustix::fs::fstat(&d.fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Errno::Badf);
    }
    let size = st.st_size as u64;
    ctx.budget.file_grow(size, offset + len)?;
    rustix::fs::fallocate(&d.fd, rustix::fs::FallocateFlags::empty(), offset, len)?;
    ctx.budget.grew(size, offset + len);
    Ok(())
}

pub fn fd_close(ctx: &mut WasiCtx, fd: u32) -> WasiResult {
    ctx.get(fd)?;
    ctx.fds[fd as usize] = None;
    Ok(())
}

pub fn fd_datasync(ctx: &mut WasiCtx, fd: u32) -> WasiResult {
    rustix::fs::fdatasync(&ctx.get(fd)?.with_rights(FD_DATASYNC)?.fd)?;
    Ok(())
}

pub fn fd_sync(ctx: &mut WasiCtx, fd: u32) -> WasiResult {
    rustix::fs::fsync(&ctx.get(fd)?.with_rights(FD_SYNC)?.fd)?;
    Ok(())
}

pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut Mem, fd: u32, out: u32) -> WasiResult {
    let d = ctx.get(fd)?;
    let st = rustix::fs::fstat(&d.fd)?;
    let flags = match d.kind {
        Kind::Host { flags } => flags,
        _ => {
            let fl = rustix::fs::fcntl_getfl(&d.fd)?;
            let mut flags = 0u16;
            for (host, wasi) in [
                (OFlags::APPEND, FDFLAG_APPEND),
                (OFlags::DSYNC, FDFLAG_DSYNC),
                (OFlags::NONBLOCK, FDFLAG_NONBLOCK),
                (OFlags::SYNC, FDFLAG_SYNC),
            ] {
                if fl.contains(host) {
                    flags |= wasi;
                }
            }
            flags
        }
    };
    let mut b = [0u8; 24];
    b[0] = filetype(FileType::from_raw_mode(st.st_mode));
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&d.base.to_le_bytes());
    b[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
    mem.write(out, &b)
}

pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, fd: u32, flags: u16) -> WasiResult {
    let d = ctx.get_mut(fd)?;
    d.with_rights(FD_FDSTAT_SET_FLAGS)?;
    if flags & !(FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_NONBLOCK | FDFLAG_RSYNC | FDFLAG_SYNC) != 0 {
        return Err(Errno::Inval);
    }
    // Linux changes only O_APPEND and O_NONBLOCK on an open file.
    if flags & (FDFLAG_DSYNC | FDFLAG_RSYNC | FDFLAG_SYNC) != 0 {
        return Err(Errno::Notsup);
    }
    // The host's flags on a shared descriptor are the host's: the guest's are its own.
    if let Kind::Host { flags: guest } = &mut d.kind {
        *guest = flags;
        return Ok(());
    }
    let mut fl = OFlags::empty();
    if flags & FDFLAG_APPEND != 0 {
        fl |= OFlags::APPEND;
    }
    if flags & FDFLAG_NONBLOCK != 0 {
        fl |= OFlags::NONBLOCK;
    }
    rustix::fs::fcntl_setfl(&d.fd, fl)?;
    Ok(())
}

pub fn fd_fdstat_set_rights(ctx: &mut WasiCtx, fd: u32, base: u64, inheriting: u64) -> WasiResult {
    let d = ctx.get_mut(fd)?;
    // Rights can only be dropped.
    if base & !d.base != 0 || inheriting & !d.inheriting != 0 {
        return Err(Errno::Notcapable);
    }
    d.base = base;
    d.inheriting = inheriting;
    Ok(())
}

pub fn fd_filestat_get(ctx: &mut WasiCtx, mem: &mut Mem, fd: u32, out: u32) -> WasiResult {
    let d = ctx.get(fd)?.with_rights(FD_FILESTAT_GET)?;
    mem.write(out, &filestat(&rustix::fs::fstat(&d.fd)?))
}

pub fn fd_filestat_set_size(ctx: &mut WasiCtx, fd: u32, size: u64) -> WasiResult {
    let d = ctx.get(fd)?.with_rights(FD_FILESTAT_SET_SIZE)?;
    if size > i64::MAX as u64 {
        return Err(Errno::Fbig);
    }
    let before = match d.kind {
        Kind::File if ctx.budget.limits.max_dir_bytes.is_some() => {
            let before = rustix::fs::fstat(&d.fd)?.st_size as u64;
            ctx.budget.file_grow(before, size)?;
            Some(before)
        }
        _ => None,
    };
    rustix::fs::ftruncate(&d.fd, size)?;
    if let Some(before) = before {
        ctx.budget.grew(before, size);
    }
    Ok(())
}

pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u16,
) -> WasiResult {
    let d = ctx.get(fd)?.with_rights(FD_FILESTAT_SET_TIMES)?;
    rustix::fs::futimens(&d.fd, &timestamps(atim, mtim, flags)?)?;
    Ok(())
}

/// Reads into the guest buffers `iovecs` (checked, non-empty) with `read` (a plain or
/// positioned read), at most [`MAX_READ`] bytes.
fn read_into(
    mem: &mut Mem,
    iovecs: &[(u32, u32)],
    read: impl FnOnce(&mut [u8]) -> rustix::io::Result<usize>,
) -> WasiResult<u32> {
    match iovecs {
        [] => Ok(0),
        // One buffer (the usual case): read straight into guest memory.
        &[(p, l)] => {
            let n = read(mem.bytes_mut(p, l.min(MAX_READ as u32))?)?;
            Ok(n as u32)
        }
        // Several (they may overlap): one host read, then copy out in order.
        _ => {
            let mut buf = vec![0u8; read_size(iovecs) as usize];
            let n = read(&mut buf)?;
            mem.scatter(iovecs, &buf[..n]);
            Ok(n as u32)
        }
    }
}

/// The most bytes a read into `iovecs` moves: what it is charged.
fn read_size(iovecs: &[(u32, u32)]) -> u64 {
    let total: u64 = iovecs.iter().map(|&(_, l)| u64::from(l)).sum();
    total.min(MAX_READ as u64)
}

/// The prices of a call's bytes and iovecs: the positioned or the plain call's.
fn io_prices(h: &mut dyn Host, offset: Option<u64>, write: bool) -> (Rate, Rate) {
    let p = h.prices();
    match (write, offset.is_some()) {
        (false, false) => (p.read_byte, p.read_iovec),
        (false, true) => (p.pread_byte, p.pread_iovec),
        (true, false) => (p.write_byte, p.write_iovec),
        (true, true) => (p.pwrite_byte, p.pwrite_iovec),
    }
}

/// The rights a read or write (positioned when `offset` is given) needs.
fn io_rights(offset: Option<u64>, right: u64) -> u64 {
    if offset.is_some() {
        right | FD_SEEK
    } else {
        right
    }
}

/// `fd_read`, or `fd_pread` at `offset` (which leaves the descriptor's position alone). It
/// pays for the iovecs before reading the array and for the bytes asked (at most
/// [`MAX_READ`]) before reading: a short read pays for what was asked.
pub fn fd_read(
    h: &mut dyn Host,
    fd: u32,
    iovs: u32,
    n: u32,
    offset: Option<u64>,
    out: u32,
) -> WasiResult {
    let (byte, iovec) = io_prices(h, offset, false);
    {
        let (ctx, mem) = h.parts();
        let d = file(ctx, fd, io_rights(offset, FD_READ))?;
        mem.bytes(out, 4)?;
        if let Kind::Host { flags } = d.kind {
            stream::would_block(&d.fd, flags, false)?;
        }
    }
    h.charge(u64::from(n), iovec)?;
    let iovecs = h.parts().1.iovecs(iovs, n)?;
    h.charge(read_size(&iovecs), byte)?;
    let (ctx, mut mem) = h.parts();
    let d = ctx.get(fd)?;
    let read = read_into(&mut mem, &iovecs, |buf| match offset {
        Some(at) => rustix::io::pread(&d.fd, buf, at),
        None => rustix::io::read(&d.fd, buf),
    })?;
    mem.set_u32(out, read)
}

/// `fd_write`, or `fd_pwrite` at `offset` (which leaves the descriptor's position alone). It
/// pays for the iovecs before reading the array and for the bytes it hands to the host (after
/// the caps) before writing: a short write pays for what was handed over.
pub fn fd_write(
    h: &mut dyn Host,
    fd: u32,
    iovs: u32,
    n: u32,
    offset: Option<u64>,
    out: u32,
) -> WasiResult {
    let (byte, iovec) = io_prices(h, offset, true);
    {
        let (ctx, mem) = h.parts();
        file(ctx, fd, io_rights(offset, FD_WRITE))?;
        mem.bytes(out, 4)?;
    }
    h.charge(u64::from(n), iovec)?;
    let (ctx, mem) = h.parts();
    let mut iovecs = mem.iovecs(iovs, n)?;
    let total: u64 = iovecs.iter().map(|&(_, l)| u64::from(l)).sum();
    let d = ctx.get(fd)?;
    // What the write may use of the caps: all of it to a shared stream, the growth of a file.
    let shared = matches!(d.kind, Kind::Host { .. });
    let extent = match d.kind {
        Kind::Host { flags } => {
            match offset {
                None => stream::before_write(&d.fd, flags)?,
                Some(_) => stream::would_block(&d.fd, flags, true)?,
            }
            None
        }
        _ if ctx.budget.limits.max_dir_bytes.is_some() => file_extent(&d.fd, offset)?,
        _ => None,
    };
    let allowed = match extent {
        _ if shared => ctx.budget.output(total)?,
        Some((size, pos)) => ctx.budget.file_write(size, pos, total)?,
        None => total,
    };
    crate::mem::cut(&mut iovecs, allowed);
    h.charge(allowed, byte)?;
    let (ctx, mut mem) = h.parts();
    let d = ctx.get(fd)?;
    let buffers = mem.gather(&iovecs);
    let written = match offset {
        Some(at) => rustix::io::pwritev(&d.fd, &buffers, at)?,
        None => rustix::io::writev(&d.fd, &buffers)?,
    };
    drop(buffers);
    if shared {
        ctx.budget.wrote_output(written as u64);
    } else if let Some((size, pos)) = extent {
        ctx.budget.grew(size, pos + written as u64);
    }
    mem.set_u32(out, written as u32)
}

/// The size of regular file `fd` and where a write (at `offset`, if positioned) goes in it;
/// `None` for anything but a regular file.
fn file_extent(fd: &OwnedFd, offset: Option<u64>) -> WasiResult<Option<(u64, u64)>> {
    let st = rustix::fs::fstat(fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Ok(None);
    }
    let size = st.st_size as u64;
    // Linux appends even a positioned write on a descriptor opened to append.
    let pos = if rustix::fs::fcntl_getfl(fd)?.contains(OFlags::APPEND) {
        size
    } else {
        match offset {
            Some(at) => at,
            None => rustix::fs::seek(fd, SeekFrom::Current(0))?,
        }
    };
    Ok(Some((size, pos)))
}

pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut Mem, fd: u32, out: u32) -> WasiResult {
    match &ctx.get(fd)?.kind {
        Kind::Dir {
            preopen: Some(name),
            ..
        } => {
            let mut b = [0u8; 8];
            b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
            mem.write(out, &b)
        }
        _ => Err(Errno::Badf),
    }
}

pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    ptr: u32,
    len: u32,
) -> WasiResult {
    match &ctx.get(fd)?.kind {
        Kind::Dir {
            preopen: Some(name),
            ..
        } => {
            if (len as usize) < name.len() {
                return Err(Errno::Nametoolong);
            }
            mem.write(ptr, name.as_bytes())
        }
        _ => Err(Errno::Badf),
    }
}

/// What `fd_readdir` has read of a directory since its listing started: the entries so far,
/// the open listing to read more from (`None` once it ended), and what the directory was when
/// it started (to tell whether a read from cookie 0 may use it again).
pub struct Listing {
    dir: Option<rustix::fs::Dir>,
    entries: Vec<DirEntry>,
    /// How many of `entries` a call that was not stopped by out of gas paid to read. A call
    /// that runs out of gas has all its charges given back, so the entries it read are paid
    /// for again by the call that uses them: the gas never depends on where gas ran out.
    paid: usize,
    stamp: Stamp,
}

/// What identifies a state of a directory: the guest's count of its own changes to
/// directories, and the directory's inode, size and change and modification times.
#[derive(PartialEq, Eq)]
struct Stamp([i64; 7]);

impl Stamp {
    // The field types of `Stat` differ between architectures.
    #[allow(clippy::unnecessary_cast)]
    fn of(fd: &OwnedFd, changes: u64) -> WasiResult<Stamp> {
        let st = rustix::fs::fstat(fd)?;
        Ok(Stamp([
            changes as i64,
            st.st_ino as i64,
            st.st_size as i64,
            st.st_mtime as i64,
            st.st_mtime_nsec as i64,
            st.st_ctime as i64,
            st.st_ctime_nsec as i64,
        ]))
    }
}

impl Listing {
    /// A listing of `fd` from its start (a fresh one: it sees the directory as it is now).
    fn start(fd: &OwnedFd, stamp: Stamp) -> WasiResult<Listing> {
        Ok(Listing {
            dir: Some(rustix::fs::Dir::read_from(fd)?),
            entries: Vec::new(),
            paid: 0,
            stamp,
        })
    }

    /// Whether entry `i` is known or the listing may still reach it.
    fn may_have(&self, i: usize) -> bool {
        i < self.entries.len() || self.dir.is_some()
    }

    /// Entry `i`, reading one more entry from the directory when `i` is the next one.
    fn entry(&mut self, i: usize) -> WasiResult<Option<&DirEntry>> {
        if i >= self.entries.len() {
            let Some(dir) = self.dir.as_mut() else {
                return Ok(None);
            };
            match dir.read() {
                None => self.dir = None,
                Some(entry) => {
                    let entry = entry?;
                    self.entries.push(DirEntry {
                        ino: entry.ino(),
                        filetype: filetype(entry.file_type()),
                        name: entry.file_name().to_bytes().to_vec(),
                    });
                }
            }
        }
        Ok(self.entries.get(i))
    }
}

/// The listing of directory descriptor `fd` (with the right to read it). With `restart` (a
/// read from cookie 0) it starts anew unless the directory is as it was when the listing
/// started; it also starts when there is none.
fn listing(ctx: &mut WasiCtx, fd: u32, restart: bool) -> WasiResult<&mut Listing> {
    let changes = ctx.dir_changes;
    let d = ctx.get_mut(fd)?;
    if d.base & FD_READDIR == 0 {
        return Err(Errno::Notcapable);
    }
    let Kind::Dir { listing, .. } = &mut d.kind else {
        return Err(Errno::Notdir);
    };
    if restart || listing.is_none() {
        let stamp = Stamp::of(&d.fd, changes)?;
        if listing.as_ref().is_none_or(|l| l.stamp != stamp) {
            *listing = Some(Listing::start(&d.fd, stamp)?);
        }
    }
    Ok(listing.as_mut().expect("started above"))
}

/// `fd_readdir`: the entries from `cookie` on, as many as start in `len` bytes. Each entry it
/// handles is paid for before it is handled: each one it returns (`entry`), and each read from
/// the directory (`read`: of an entry to return or to pass on the way to `cookie`, or the read
/// that finds the end). Entries are read from
/// the host only as far as a call needs, and kept for the reads that follow; a read from cookie
/// 0 starts a fresh listing when the directory changed (its times, size or inode, or any
/// directory change the guest made).
pub fn fd_readdir(
    h: &mut dyn Host,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    out: u32,
) -> WasiResult {
    let mut paid = 0;
    let result = readdir(h, fd, buf, len, cookie, out, &mut paid);
    if !h.out_of_gas() {
        if let Ok(l) = listing(h.parts().0, fd, false) {
            l.paid = l.paid.max(paid);
        }
    }
    result
}

/// `fd_readdir`'s work; `paid` is set to how many entries of the listing are paid for once it
/// has charged for reading them.
fn readdir(
    h: &mut dyn Host,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    out: u32,
    paid: &mut usize,
) -> WasiResult {
    let Prices {
        readdir_entry: entry,
        readdir_read: read,
        ..
    } = h.prices();
    {
        let (ctx, mem) = h.parts();
        mem.bytes(buf, len)?;
        mem.bytes(out, 4)?;
        *paid = listing(ctx, fd, cookie == 0)?.paid;
    }
    let start = cookie.min(usize::MAX as u64) as usize;
    // The entries before `cookie` not paid for (a cookie this listing did not give).
    while *paid < start && listing(h.parts().0, fd, false)?.may_have(*paid) {
        h.charge(1, read)?;
        if listing(h.parts().0, fd, false)?.entry(*paid)?.is_none() {
            break;
        }
        *paid += 1;
    }
    // The cookie of an entry is the index of the entry after it.
    let mut bytes = Vec::new();
    let mut i = start;
    while bytes.len() < len as usize && listing(h.parts().0, fd, false)?.may_have(i) {
        // A read from the host (or of an entry read by a call that ran out of gas).
        if i >= *paid {
            h.charge(1, read)?;
            if listing(h.parts().0, fd, false)?.entry(i)?.is_none() {
                break;
            }
            *paid = i + 1;
        }
        h.charge(1, entry)?;
        let Some(e) = listing(h.parts().0, fd, false)?.entry(i)? else {
            break;
        };
        bytes.extend_from_slice(&(i as u64 + 1).to_le_bytes());
        bytes.extend_from_slice(&e.ino.to_le_bytes());
        bytes.extend_from_slice(&(e.name.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[e.filetype, 0, 0, 0]);
        bytes.extend_from_slice(&e.name);
        i += 1;
    }
    // A full buffer tells the guest there may be more: the last entry may be cut short.
    bytes.truncate(len as usize);
    let mut mem = h.parts().1;
    mem.write(buf, &bytes)?;
    mem.set_u32(out, bytes.len() as u32)
}

pub fn fd_renumber(ctx: &mut WasiCtx, from: u32, to: u32) -> WasiResult {
    ctx.get(from)?;
    ctx.get(to)?;
    if from != to {
        ctx.fds[to as usize] = ctx.fds[from as usize].take();
    }
    Ok(())
}

pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    offset: i64,
    whence: u8,
    out: u32,
) -> WasiResult {
    let needed = if offset == 0 && whence == 1 {
        FD_TELL
    } else {
        FD_SEEK
    };
    let d = ctx.get(fd)?;
    if matches!(d.kind, Kind::Dir { .. }) {
        return Err(Errno::Badf);
    }
    let d = d.with_rights(needed)?;
    mem.bytes(out, 8)?;
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::Inval),
    };
    let at = rustix::fs::seek(&d.fd, pos)?;
    mem.set_u64(out, at)
}

pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut Mem, fd: u32, out: u32) -> WasiResult {
    let d = ctx.get(fd)?.with_rights(FD_TELL)?;
    mem.bytes(out, 8)?;
    let at = rustix::fs::seek(&d.fd, SeekFrom::Current(0))?;
    mem.set_u64(out, at)
}

pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    p: u32,
    len: u32,
) -> WasiResult {
    let at = name_at(
        ctx,
        mem,
        fd,
        PATH_CREATE_DIRECTORY,
        (p, len),
        false,
        Errno::Exist,
    )?;
    ctx.budget.new_file()?;
    rustix::fs::mkdirat(&at.dir, at.name(), Mode::from_raw_mode(0o777))?;
    ctx.dir_changes += 1;
    ctx.budget.created_file();
    Ok(())
}

pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    flags: u32,
    p: u32,
    len: u32,
    out: u32,
) -> WasiResult {
    let d = dir(ctx, fd, PATH_FILESTAT_GET)?;
    let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
    let st = match path::resolve_last(d.fd.as_fd(), mem.str(p, len)?, follow)? {
        Last::Dot(opened) => rustix::fs::fstat(&opened)?,
        Last::Name(at) => {
            let st = rustix::fs::statat(&at.dir, at.name(), AtFlags::SYMLINK_NOFOLLOW)?;
            if at.trailing_slash && FileType::from_raw_mode(st.st_mode) != FileType::Directory {
                return Err(Errno::Notdir);
            }
            st
        }
    };
    mem.write(out, &filestat(&st))
}

#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    flags: u32,
    p: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u16,
) -> WasiResult {
    let d = dir(ctx, fd, PATH_FILESTAT_SET_TIMES)?;
    let times = timestamps(atim, mtim, fst)?;
    let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
    match path::resolve_last(d.fd.as_fd(), mem.str(p, len)?, follow)? {
        Last::Dot(opened) => rustix::fs::utimensat(&opened, ".", &times, AtFlags::empty())?,
        Last::Name(at) => {
            rustix::fs::utimensat(&at.dir, at.name(), &times, AtFlags::SYMLINK_NOFOLLOW)?
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    old_fd: u32,
    old_flags: u32,
    old_p: u32,
    old_len: u32,
    new_fd: u32,
    new_p: u32,
    new_len: u32,
) -> WasiResult {
    let follow = old_flags & LOOKUP_SYMLINK_FOLLOW != 0;
    let old = name_at(
        ctx,
        mem,
        old_fd,
        PATH_LINK_SOURCE,
        (old_p, old_len),
        follow,
        Errno::Perm,
    )?;
    if old.trailing_slash && !is_dir(&old)? {
        return Err(Errno::Notdir);
    }
    let new = name_at(
        ctx,
        mem,
        new_fd,
        PATH_LINK_TARGET,
        (new_p, new_len),
        false,
        Errno::Exist,
    )?;
    if new.trailing_slash {
        return Err(new_name_with_slash(&new));
    }
    ctx.budget.new_file()?;
    rustix::fs::linkat(&old.dir, old.name(), &new.dir, new.name(), AtFlags::empty())?;
    ctx.dir_changes += 1;
    ctx.budget.created_file();
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    dirflags: u32,
    p: u32,
    len: u32,
    oflags: u16,
    base: u64,
    inheriting: u64,
    fdflags: u16,
    out: u32,
) -> WasiResult {
    let d = dir(ctx, fd, PATH_OPEN)?;
    let path = mem.str(p, len)?;
    // Checked first: a file must not be created for a result the guest cannot receive.
    mem.bytes(out, 4)?;
    // Rights asked for beyond what the directory passes on are not granted (as in wasmtime,
    // they are dropped rather than refused: wasi-libc asks for every right it might use).
    let base = base & d.inheriting;
    let inheriting = inheriting & d.inheriting;
    let mut needed = PATH_OPEN;
    let mut flags = OFlags::empty();
    if oflags & O_CREAT != 0 {
        needed |= PATH_CREATE_FILE;
        flags |= OFlags::CREATE;
    }
    if oflags & O_DIRECTORY != 0 {
        flags |= OFlags::DIRECTORY;
    }
    if oflags & O_EXCL != 0 {
        flags |= OFlags::EXCL;
    }
    if oflags & O_TRUNC != 0 {
        needed |= PATH_FILESTAT_SET_SIZE;
        flags |= OFlags::TRUNC;
    }
    if oflags & !(O_CREAT | O_DIRECTORY | O_EXCL | O_TRUNC) != 0 {
        return Err(Errno::Inval);
    }
    d.with_rights(needed)?;
    if fdflags & FDFLAG_APPEND != 0 {
        flags |= OFlags::APPEND;
    }
    if fdflags & FDFLAG_NONBLOCK != 0 {
        flags |= OFlags::NONBLOCK;
    }
    if fdflags & (FDFLAG_DSYNC | FDFLAG_RSYNC | FDFLAG_SYNC) != 0 {
        flags |= OFlags::SYNC;
    }
    let write = base & (FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE) != 0
        || fdflags & FDFLAG_APPEND != 0
        || oflags & O_TRUNC != 0;
    let read = base & (FD_READ | FD_READDIR) != 0;
    flags |= match (read, write) {
        (_, false) => OFlags::RDONLY,
        (false, true) => OFlags::WRONLY,
        (true, true) => OFlags::RDWR,
    };
    if dirflags & LOOKUP_SYMLINK_FOLLOW == 0 {
        flags |= OFlags::NOFOLLOW;
    }
    let creates = flags.contains(OFlags::CREATE)
        && ctx.budget.limits.max_dir_files.is_some()
        && creates_file(d.fd.as_fd(), path, flags)?;
    if creates {
        ctx.budget.new_file()?;
    }
    let opened = path::open_beneath(d.fd.as_fd(), path, flags, Mode::from_raw_mode(0o666))?;
    if creates {
        ctx.budget.created_file();
    }
    if flags.contains(OFlags::CREATE) {
        ctx.dir_changes += 1;
    }
    let st = rustix::fs::fstat(&opened)?;
    let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
    let (kind, base, inheriting) = if is_dir {
        let kind = Kind::Dir {
            preopen: None,
            listing: None,
        };
        (kind, base & DIR_BASE, inheriting)
    } else {
        (Kind::File, base & FILE_BASE, inheriting & FILE_BASE)
    };
    let new = ctx.insert(Descriptor {
        fd: opened,
        kind,
        base,
        inheriting,
    })?;
    mem.set_u32(out, new)
}

/// Whether opening `path` below `dir` with `flags` (which include `O_CREAT`) will create a file:
/// with `O_EXCL` it will or fail; otherwise it will when nothing is there (a dangling link that
/// is followed included).
fn creates_file(dir: rustix::fd::BorrowedFd<'_>, path: &str, flags: OFlags) -> WasiResult<bool> {
    if flags.contains(OFlags::EXCL) {
        return Ok(true);
    }
    let lookup = OFlags::PATH | (flags & OFlags::NOFOLLOW);
    match path::open_beneath(dir, path, lookup, Mode::empty()) {
        Ok(_) => Ok(false),
        Err(Errno::Noent) => Ok(true),
        // The open itself will fail the same way.
        Err(_) => Ok(false),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    p: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    out: u32,
) -> WasiResult {
    mem.bytes(buf, buf_len)?;
    mem.bytes(out, 4)?;
    let at = name_at(ctx, mem, fd, PATH_READLINK, (p, len), false, Errno::Inval)?;
    let target = rustix::fs::readlinkat(&at.dir, at.name(), Vec::new())?;
    let bytes = target.as_bytes();
    // Cut to the buffer, as readlink(2) does.
    let n = bytes.len().min(buf_len as usize);
    mem.write(buf, &bytes[..n])?;
    mem.set_u32(out, n as u32)
}

pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    fd: u32,
    p: u32,
    len: u32,
) -> WasiResult {
    let d = dir(ctx, fd, PATH_REMOVE_DIRECTORY)?;
    let path = mem.str(p, len)?;
    let errno = if path.trim_end_matches('/').ends_with("..") {
        Errno::Notempty
    } else {
        Errno::Inval
    };
    let at = path::name_of(d.fd.as_fd(), path, false, errno)?;
    rustix::fs::unlinkat(&at.dir, at.name(), AtFlags::REMOVEDIR)?;
    ctx.dir_changes += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    old_fd: u32,
    old_p: u32,
    old_len: u32,
    new_fd: u32,
    new_p: u32,
    new_len: u32,
) -> WasiResult {
    let old = name_at(
        ctx,
        mem,
        old_fd,
        PATH_RENAME_SOURCE,
        (old_p, old_len),
        false,
        Errno::Busy,
    )?;
    let new = name_at(
        ctx,
        mem,
        new_fd,
        PATH_RENAME_TARGET,
        (new_p, new_len),
        false,
        Errno::Busy,
    )?;
    if (old.trailing_slash || new.trailing_slash) && !is_dir(&old)? {
        return Err(Errno::Notdir);
    }
    rustix::fs::renameat(&old.dir, old.name(), &new.dir, new.name())?;
    ctx.dir_changes += 1;
    Ok(())
}

pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut Mem,
    old_p: u32,
    old_len: u32,
    fd: u32,
    new_p: u32,
    new_len: u32,
) -> WasiResult {
    let target = mem.str(old_p, old_len)?;
    if target.contains('\0') {
        return Err(Errno::Inval);
    }
    // Following a link always stays in the sandbox, but the host may follow it too: a link to
    // an absolute path is refused (EPERM, as in wasmtime) rather than left for the host.
    if target.starts_with('/') {
        return Err(Errno::Perm);
    }
    let at = name_at(
        ctx,
        mem,
        fd,
        PATH_SYMLINK,
        (new_p, new_len),
        false,
        Errno::Exist,
    )?;
    if at.trailing_slash {
        return Err(new_name_with_slash(&at));
    }
    ctx.budget.new_file()?;
    rustix::fs::symlinkat(target, &at.dir, at.name())?;
    ctx.dir_changes += 1;
    ctx.budget.created_file();
    Ok(())
}

pub fn path_unlink_file(ctx: &mut WasiCtx, mem: &mut Mem, fd: u32, p: u32, len: u32) -> WasiResult {
    let at = name_at(
        ctx,
        mem,
        fd,
        PATH_UNLINK_FILE,
        (p, len),
        false,
        Errno::Isdir,
    )?;
    if at.trailing_slash {
        return Err(if is_dir(&at)? {
            Errno::Isdir
        } else {
            Errno::Notdir
        });
    }
    rustix::fs::unlinkat(&at.dir, at.name(), AtFlags::empty())?;
    ctx.dir_changes += 1;
    Ok(())
}
