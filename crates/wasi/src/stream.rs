//! Descriptors shared with the host: the standard streams, and whatever an embedder gives as
//! one. They are duplicates of the host's descriptors, and a duplicate shares the host's open
//! file description, whose flags (`O_APPEND`, `O_NONBLOCK`) are the host's too: setting them
//! would change the parent process's pipe or terminal, even after the guest exits. So the
//! guest's flags on these are its own, kept in the descriptor, and emulated here; nothing is
//! ever set on the host's descriptor.

use crate::errno::{Errno, WasiResult};
use crate::rights::{FDFLAG_APPEND, FDFLAG_NONBLOCK};
use rustix::event::{PollFd, PollFlags};
use rustix::fd::OwnedFd;
use rustix::fs::{FileType, SeekFrom};

/// `NONBLOCK`: a read or write that would wait is `EAGAIN` instead. Checked with a poll that
/// does not wait; a write may still wait when the host takes only part of it at once.
pub fn would_block(fd: &OwnedFd, flags: u16, write: bool) -> WasiResult {
    if flags & FDFLAG_NONBLOCK == 0 {
        return Ok(());
    }
    let events = if write { PollFlags::OUT } else { PollFlags::IN };
    let mut poll = [PollFd::new(fd, events)];
    let zero = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match rustix::event::poll(&mut poll, Some(&zero)) {
        Ok(0) => Err(Errno::Again),
        // Ready, or hung up or in error: the read or write itself says which.
        Ok(_) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `APPEND`: a pipe or terminal only ever appends; a regular file (a stream redirected to a
/// file) has its position moved to its end before each write.
pub fn before_write(fd: &OwnedFd, flags: u16) -> WasiResult {
    would_block(fd, flags, true)?;
    if flags & FDFLAG_APPEND != 0 {
        let st = rustix::fs::fstat(fd)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile {
            rustix::fs::seek(fd, SeekFrom::End(0))?;
        }
    }
    Ok(())
}
