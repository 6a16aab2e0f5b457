//! Path resolution inside a preopened directory, enforced by the kernel.
//!
//! Every lookup starts at a directory descriptor the guest holds and goes through
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: the kernel refuses absolute paths, `..`
//! above the starting directory and symbolic links (absolute, or relative ones that climb out)
//! during the walk, with `EXDEV`, which the guest sees as `ENOTCAPABLE`. Calls that act on a
//! name (create, remove, rename, link, readlink, stat without following) open the parent this
//! way and then act on the last component alone, relative to it, without following it, so
//! that no host call ever resolves a guest path outside the sandbox.

use crate::errno::{Errno, WasiResult};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags, ResolveFlags};
use std::ffi::{CStr, CString};

/// How many symbolic links a lookup follows before it is `ELOOP` (as Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// The longest path the guest may pass (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;

const BENEATH: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// Maps a host error of a sandboxed lookup: leaving the sandbox is `ENOTCAPABLE`.
pub fn lookup_error(e: rustix::io::Errno) -> Errno {
    if e == rustix::io::Errno::XDEV {
        Errno::Notcapable
    } else {
        e.into()
    }
}

/// Checks a guest path: not empty, no NUL byte, not too long.
fn check(path: &str) -> WasiResult<()> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.len() > MAX_PATH {
        return Err(Errno::Nametoolong);
    }
    if path.contains('\0') {
        return Err(Errno::Inval);
    }
    Ok(())
}

/// Opens `path` below `dir` with `flags` (the kernel keeps the walk below `dir`).
pub fn open_beneath(
    dir: BorrowedFd<'_>,
    path: &str,
    flags: OFlags,
    mode: Mode,
) -> WasiResult<OwnedFd> {
    check(path)?;
    // openat2 refuses a mode without O_CREAT.
    let mode = if flags.contains(OFlags::CREATE) {
        mode
    } else {
        Mode::empty()
    };
    rustix::fs::openat2(dir, path, flags | OFlags::CLOEXEC, mode, BENEATH).map_err(lookup_error)
}

/// The last component of a path, resolved: its directory (opened below the starting one) and
/// its name there, a single component that is never `.` or `..`.
pub struct Parent {
    pub dir: OwnedFd,
    pub name: CString,
    /// The path ended in `/`: it must name a directory.
    pub trailing_slash: bool,
}

impl Parent {
    pub fn name(&self) -> &CStr {
        &self.name
    }
}

/// What a path ends in.
pub enum Last {
    Name(Parent),
    /// `.` or `..` (or `/`-only): a directory that exists, opened.
    Dot(OwnedFd),
}

/// Resolves `path` below `dir` to its last component. With `follow`, a symbolic link there is
/// followed (within the sandbox) until the last component is not a link.
pub fn resolve_last(dir: BorrowedFd<'_>, path: &str, follow: bool) -> WasiResult<Last> {
    check(path)?;
    let mut path = path.to_string();
    for _ in 0..=MAX_SYMLINKS {
        let trimmed = path.trim_end_matches('/');
        let trailing_slash = trimmed.len() != path.len();
        if trimmed.is_empty() {
            // "/" or "///": absolute, outside every sandbox.
            return Err(Errno::Notcapable);
        }
        let (dir_part, name) = match trimmed.rfind('/') {
            Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
            None => ("", trimmed),
        };
        let parent_path = if dir_part.is_empty() { "." } else { dir_part };
        if name == "." || name == ".." {
            let opened = open_beneath(
                dir,
                trimmed,
                OFlags::PATH | OFlags::DIRECTORY,
                Mode::empty(),
            )?;
            return Ok(Last::Dot(opened));
        }
        let parent = open_beneath(
            dir,
            parent_path,
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
        if follow || trailing_slash {
            match rustix::fs::readlinkat(parent.as_fd(), name, Vec::new()) {
                Ok(target) => {
                    let target = target.to_str().map_err(|_| Errno::Ilseq)?;
                    if target.starts_with('/') {
                        return Err(Errno::Notcapable);
                    }
                    let mut next = format!("{dir_part}{target}");
                    if trailing_slash {
                        next.push('/');
                    }
                    path = next;
                    continue;
                }
                // Not a link (or not there): the name is the last component.
                Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOENT) => {}
                Err(e) => return Err(lookup_error(e)),
            }
        }
        let name = CString::new(name).map_err(|_| Errno::Inval)?;
        return Ok(Last::Name(Parent {
            dir: parent,
            name,
            trailing_slash,
        }));
    }
    Err(Errno::Loop)
}

/// Resolves `path` to a name in its directory, for calls that create, remove or rename names:
/// a path ending in `.` or `..` gets `errno` (after checking it stays in the sandbox).
pub fn name_of(dir: BorrowedFd<'_>, path: &str, follow: bool, errno: Errno) -> WasiResult<Parent> {
    match resolve_last(dir, path, follow)? {
        Last::Name(p) => Ok(p),
        Last::Dot(_) => Err(errno),
    }
}
