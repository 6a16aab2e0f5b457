//! The state of one WASI program: arguments, environment, and its table of open descriptors.

use crate::errno::{Errno, WasiResult};
use crate::limits::{Budget, Limits, Reached};
use crate::rights;
use rustix::fd::{AsFd, OwnedFd};
use std::io::Write;
use std::path::Path;

/// What a descriptor is open on.
pub enum Kind {
    /// A file (or pipe, or device) the guest opened itself.
    File,
    /// A descriptor shared with the host: a standard stream, or what the embedder gave as one.
    /// `flags` are the guest's `fdflags` for it, emulated (see `stream.rs`).
    Host { flags: u16 },
    /// A directory; `preopen` is the name the guest sees for a preopened one.
    Dir {
        preopen: Option<String>,
        /// What `fd_readdir` has read of the directory since a read started at cookie 0.
        listing: Option<crate::fs::Listing>,
    },
}

/// An open descriptor of the guest.
pub struct Descriptor {
    pub fd: OwnedFd,
    pub kind: Kind,
    /// What the guest may do with the descriptor, and with descriptors opened through it.
    pub base: u64,
    pub inheriting: u64,
}

impl Descriptor {
    /// The descriptor, when it has every right in `needed`; `ENOTCAPABLE` otherwise.
    pub fn with_rights(&self, needed: u64) -> WasiResult<&Descriptor> {
        if self.base & needed == needed {
            Ok(self)
        } else {
            Err(Errno::Notcapable)
        }
    }
}

/// The most descriptors a guest may have open (a bound on host memory and descriptors).
pub const MAX_DESCRIPTORS: usize = 4096;

/// The state of a WASI program: build it with [`WasiCtxBuilder`], keep it in the store's data,
/// and register the functions with [`crate::add_to_linker`].
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<String>,
    pub(crate) fds: Vec<Option<Descriptor>>,
    pub(crate) budget: Budget,
    /// Where each call is traced, when asked for (see `trace.rs`).
    pub(crate) trace: Option<Box<dyn Write + Send + Sync>>,
    /// The prices of the store's cost table, read at the first call that charges.
    pub(crate) prices: Option<crate::gas::Prices>,
    /// How many changes the guest made to directories (names created, removed or renamed).
    pub(crate) dir_changes: u64,
    /// No call waits past this (`set_deadline`).
    pub(crate) deadline: Option<std::time::Instant>,
}

impl WasiCtx {
    /// Bounds the waits of `poll_oneoff` (sleeps, and polls of descriptors) by `deadline`: an
    /// embedder that stops the guest at a deadline (a timeout, with the runtime's interrupt)
    /// must not have it blocked in the host past it.
    pub fn set_deadline(&mut self, deadline: std::time::Instant) {
        self.deadline = Some(deadline);
    }

    /// Which of the [`Limits`] the guest has reached so far.
    pub fn limits_reached(&self) -> Reached {
        self.budget.reached()
    }

    /// The descriptor `fd`, or `EBADF`.
    pub(crate) fn get(&self, fd: u32) -> WasiResult<&Descriptor> {
        self.fds
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    /// The descriptor `fd` mutably, or `EBADF`.
    pub(crate) fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Descriptor> {
        self.fds
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// Adds `d` at the lowest free number.
    pub(crate) fn insert(&mut self, d: Descriptor) -> WasiResult<u32> {
        if let Some(free) = self.fds.iter().position(Option::is_none) {
            self.fds[free] = Some(d);
            return Ok(free as u32);
        }
        if self.fds.len() >= MAX_DESCRIPTORS {
            return Err(Errno::Mfile);
        }
        self.fds.push(Some(d));
        Ok(self.fds.len() as u32 - 1)
    }
}

/// Builds a [`WasiCtx`]: nothing is shared with the guest unless added here.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<String>,
    stdio: [Option<OwnedFd>; 3],
    preopens: Vec<(OwnedFd, String)>,
    limits: Limits,
    trace: Option<Box<dyn Write + Send + Sync>>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a [`WasiCtxBuilder`] could not build.
#[derive(Debug)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl WasiCtxBuilder {
    /// No arguments, no environment, no directories, the host's standard streams.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [None, None, None],
            preopens: Vec::new(),
            limits: Limits::default(),
            trace: None,
        }
    }

    /// Caps what the guest may write to its standard streams and create in its directories.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Writes a line to `out` for every WASI call the guest makes: the function, its
    /// arguments (strings it passes shown as text) and the errno it returned.
    pub fn trace(&mut self, out: impl Write + Send + Sync + 'static) -> &mut Self {
        self.trace = Some(Box::new(out));
        self
    }

    /// Appends a command-line argument (the first is the program's name).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Adds the environment variable `name=value`.
    pub fn env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.push(format!("{name}={value}"));
        self
    }

    /// Uses `fd` (a file, a pipe, ...) as the guest's standard input instead of the host's.
    pub fn stdin(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[0] = Some(fd.into());
        self
    }

    /// Uses `fd` as the guest's standard output instead of the host's.
    pub fn stdout(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[1] = Some(fd.into());
        self
    }

    /// Uses `fd` as the guest's standard error instead of the host's.
    pub fn stderr(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stdio[2] = Some(fd.into());
        self
    }

    /// Gives the guest host directory `host`, under the name `guest`: the guest reaches it and
    /// what is below it, nothing above.
    pub fn preopen_dir(&mut self, host: &Path, guest: &str) -> Result<&mut Self, BuildError> {
        use rustix::fs::{Mode, OFlags};
        let fd = rustix::fs::open(
            host,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| BuildError(format!("cannot open directory {}: {e}", host.display())))?;
        self.preopens.push((fd, guest.to_string()));
        Ok(self)
    }

    /// The context: descriptors 0–2 are the standard streams, preopened directories follow.
    pub fn build(&mut self) -> Result<WasiCtx, BuildError> {
        let mut fds = Vec::new();
        for n in 0..3 {
            let fd = match self.stdio[n].take() {
                Some(fd) => fd,
                None => host_stdio(n)
                    .map_err(|e| BuildError(format!("cannot use standard stream {n}: {e}")))?,
            };
            fds.push(Some(Descriptor {
                fd,
                kind: Kind::Host { flags: 0 },
                base: rights::FILE_BASE,
                inheriting: 0,
            }));
        }
        for (fd, name) in self.preopens.drain(..) {
            fds.push(Some(Descriptor {
                fd,
                kind: Kind::Dir {
                    preopen: Some(name),
                    listing: None,
                },
                base: rights::DIR_BASE,
                inheriting: rights::DIR_BASE | rights::FILE_BASE,
            }));
        }
        Ok(WasiCtx {
            args: std::mem::take(&mut self.args),
            env: std::mem::take(&mut self.env),
            fds,
            budget: Budget::new(self.limits),
            trace: self.trace.take(),
            prices: None,
            dir_changes: 0,
            deadline: None,
        })
    }
}

/// A descriptor of its own for the host's standard stream `n`.
fn host_stdio(n: usize) -> rustix::io::Result<OwnedFd> {
    match n {
        0 => rustix::io::fcntl_dupfd_cloexec(std::io::stdin().as_fd(), 0),
        1 => rustix::io::fcntl_dupfd_cloexec(std::io::stdout().as_fd(), 0),
        _ => rustix::io::fcntl_dupfd_cloexec(std::io::stderr().as_fd(), 0),
    }
}
