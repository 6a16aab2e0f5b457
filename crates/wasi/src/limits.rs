//! Caps an embedder puts on what a guest may do to the host through WASI: the bytes it writes
//! to the standard streams, and the names and bytes it creates in its preopened directories.
//! Each is a total over the whole run (removing a file gives nothing back), so it bounds what
//! a guest can cost the host whatever it does.

use crate::errno::{Errno, WasiResult};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The caps; `None` is no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes the guest may write to the descriptors shared with the host (standard output and
    /// error, and standard input if written). A write that does not fit is cut to what does
    /// (a short write); one with no room left fails with `EFBIG`.
    pub max_output: Option<u64>,
    /// Names the guest may create below its preopened directories: files, directories,
    /// symbolic links and hard links. One more fails with `EDQUOT`.
    pub max_dir_files: Option<u64>,
    /// Bytes by which the guest may grow files below its preopened directories (writes past a
    /// file's end, `fd_allocate`, `fd_filestat_set_size`). A write that does not fit is cut to
    /// what does; one with no room left, or an allocation or resize that does not fit, fails
    /// with `EDQUOT`.
    pub max_dir_bytes: Option<u64>,
}

/// Which caps a guest has reached: something it asked for was cut short or refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reached {
    /// `max_output`.
    pub output: bool,
    /// `max_dir_files`.
    pub dir_files: bool,
    /// `max_dir_bytes`.
    pub dir_bytes: bool,
}

/// The caps and what the guest has used of them. The counts are atomics only so that a call
/// can count through `&self` while it holds one of the guest's descriptors (and the context
/// stays `Sync`); one guest's calls never race.
#[derive(Debug, Default)]
pub struct Budget {
    pub limits: Limits,
    output: AtomicU64,
    files: AtomicU64,
    bytes: AtomicU64,
    reached_output: AtomicBool,
    reached_dir_files: AtomicBool,
    reached_dir_bytes: AtomicBool,
}

/// Adds `n` to `counter`, saturating.
fn add(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).saturating_add(n), Relaxed);
}

/// How many of `wanted` units fit in what is left of `cap` after `used`; `None` for no cap.
fn fits(cap: Option<u64>, used: u64, wanted: u64) -> Option<u64> {
    cap.map(|cap| cap.saturating_sub(used).min(wanted))
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            ..Budget::default()
        }
    }

    /// Which caps have been reached.
    pub fn reached(&self) -> Reached {
        Reached {
            output: self.reached_output.load(Relaxed),
            dir_files: self.reached_dir_files.load(Relaxed),
            dir_bytes: self.reached_dir_bytes.load(Relaxed),
        }
    }

    /// How many of `n` bytes a write to a shared stream may write.
    pub fn output(&self, n: u64) -> WasiResult<u64> {
        match fits(self.limits.max_output, self.output.load(Relaxed), n) {
            None => Ok(n),
            Some(ok) => {
                if ok < n {
                    self.reached_output.store(true, Relaxed);
                }
                if ok == 0 && n > 0 {
                    return Err(Errno::Fbig);
                }
                Ok(ok)
            }
        }
    }

    /// Records `n` bytes written to a shared stream.
    pub fn wrote_output(&self, n: u64) {
        add(&self.output, n);
    }

    /// Checks that one more name may be created.
    pub fn new_file(&self) -> WasiResult {
        if fits(self.limits.max_dir_files, self.files.load(Relaxed), 1) == Some(0) {
            self.reached_dir_files.store(true, Relaxed);
            return Err(Errno::Dquot);
        }
        Ok(())
    }

    /// Records a name created.
    pub fn created_file(&self) {
        add(&self.files, 1);
    }

    /// How many of `n` bytes a write at `pos` of a regular file of `size` bytes may write:
    /// bytes up to the file's end are free, those past it use the budget.
    pub fn file_write(&self, size: u64, pos: u64, n: u64) -> WasiResult<u64> {
        let growth = pos.saturating_add(n).saturating_sub(size);
        match fits(self.limits.max_dir_bytes, self.bytes.load(Relaxed), growth) {
            Some(ok) if ok < growth => {
                self.reached_dir_bytes.store(true, Relaxed);
                // Up to the file's end, then what is left.
                let room = size.saturating_add(ok).saturating_sub(pos).min(n);
                if room == 0 && n > 0 {
                    return Err(Errno::Dquot);
                }
                Ok(room)
            }
            _ => Ok(n),
        }
    }

    /// Checks that a file of `size` bytes may grow to `end` bytes all at once.
    pub fn file_grow(&self, size: u64, end: u64) -> WasiResult {
        let growth = end.saturating_sub(size);
        match fits(self.limits.max_dir_bytes, self.bytes.load(Relaxed), growth) {
            Some(ok) if ok < growth => {
                self.reached_dir_bytes.store(true, Relaxed);
                Err(Errno::Dquot)
            }
            _ => Ok(()),
        }
    }

    /// Records that a file of `size` bytes now ends at `end`.
    pub fn grew(&self, size: u64, end: u64) {
        add(&self.bytes, end.saturating_sub(size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_cut_then_refused() {
        let b = Budget::new(Limits {
            max_output: Some(10),
            ..Limits::default()
        });
        assert_eq!(b.output(4), Ok(4));
        b.wrote_output(4);
        assert!(!b.reached().output);
        assert_eq!(b.output(100), Ok(6));
        assert!(b.reached().output);
        b.wrote_output(6);
        assert_eq!(b.output(0), Ok(0));
        assert_eq!(b.output(1), Err(Errno::Fbig));
    }

    #[test]
    fn no_cap_allows_everything() {
        let b = Budget::default();
        assert_eq!(b.output(u64::MAX), Ok(u64::MAX));
        assert_eq!(b.new_file(), Ok(()));
        assert_eq!(b.file_write(0, u64::MAX, u64::MAX), Ok(u64::MAX));
        assert_eq!(b.file_grow(0, u64::MAX), Ok(()));
        assert_eq!(b.reached(), Reached::default());
    }

    #[test]
    fn files_count_to_their_cap() {
        let b = Budget::new(Limits {
            max_dir_files: Some(2),
            ..Limits::default()
        });
        for _ in 0..2 {
            assert_eq!(b.new_file(), Ok(()));
            b.created_file();
        }
        assert_eq!(b.new_file(), Err(Errno::Dquot));
        assert!(b.reached().dir_files);
    }

    #[test]
    fn only_growth_uses_the_byte_budget() {
        let b = Budget::new(Limits {
            max_dir_bytes: Some(10),
            ..Limits::default()
        });
        // Overwriting inside a 100-byte file is free.
        assert_eq!(b.file_write(100, 0, 100), Ok(100));
        // 95..105 of a 100-byte file: 5 bytes of growth, which fit.
        assert_eq!(b.file_write(100, 95, 10), Ok(10));
        b.grew(100, 105);
        // 5 left: a write at the end of 105 bytes is cut to 5.
        assert_eq!(b.file_write(105, 105, 50), Ok(5));
        assert!(b.reached().dir_bytes);
        b.grew(105, 110);
        assert_eq!(b.file_write(110, 110, 1), Err(Errno::Dquot));
        // A write that starts past the end (a hole) counts the hole too.
        assert_eq!(b.file_write(110, 200, 1), Err(Errno::Dquot));
        assert_eq!(b.file_grow(110, 111), Err(Errno::Dquot));
        assert_eq!(b.file_grow(110, 50), Ok(()));
    }
}
