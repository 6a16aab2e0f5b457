//! WASI error numbers and their mapping from host errors.

/// A `wasi_snapshot_preview1` errno (`errno` in witx); `Success` is never an error value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Errno {
    TooBig = 1,
    Acces = 2,
    Again = 6,
    Badf = 8,
    Busy = 10,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Ilseq = 25,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Nametoolong = 37,
    Nfile = 41,
    Noent = 44,
    Nomem = 48,
    Nospc = 51,
    Nosys = 52,
    Notdir = 54,
    Notempty = 55,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Overflow = 61,
    Perm = 63,
    Pipe = 64,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        use rustix::io::Errno as E;
        match e {
            E::TOOBIG => Errno::TooBig,
            E::ACCESS => Errno::Acces,
            E::AGAIN => Errno::Again,
            E::BADF => Errno::Badf,
            E::BUSY => Errno::Busy,
            E::DQUOT => Errno::Dquot,
            E::EXIST => Errno::Exist,
            E::FAULT => Errno::Fault,
            E::FBIG => Errno::Fbig,
            E::ILSEQ => Errno::Ilseq,
            E::INTR => Errno::Intr,
            E::INVAL => Errno::Inval,
            E::ISDIR => Errno::Isdir,
            E::LOOP => Errno::Loop,
            E::MFILE => Errno::Mfile,
            E::MLINK => Errno::Mlink,
            E::NAMETOOLONG => Errno::Nametoolong,
            E::NFILE => Errno::Nfile,
            E::NOENT => Errno::Noent,
            E::NOMEM => Errno::Nomem,
            E::NOSPC => Errno::Nospc,
            E::NOSYS => Errno::Nosys,
            E::NOTDIR => Errno::Notdir,
            E::NOTEMPTY => Errno::Notempty,
            E::NOTSOCK => Errno::Notsock,
            E::NOTSUP => Errno::Notsup,
            E::NOTTY => Errno::Notty,
            E::OVERFLOW => Errno::Overflow,
            E::PERM => Errno::Perm,
            E::PIPE => Errno::Pipe,
            E::RANGE => Errno::Range,
            E::ROFS => Errno::Rofs,
            E::SPIPE => Errno::Spipe,
            E::TXTBSY => Errno::Txtbsy,
            // `RESOLVE_BENEATH` answers EXDEV for a path that would leave its directory; a
            // rename across file systems inside one sandbox also gives EXDEV.
            E::XDEV => Errno::Xdev,
            _ => Errno::Io,
        }
    }
}

impl Errno {
    /// The C name of the errno, as wasi-libc spells it.
    pub fn name(self) -> &'static str {
        match self {
            Errno::TooBig => "E2BIG",
            Errno::Acces => "EACCES",
            Errno::Again => "EAGAIN",
            Errno::Badf => "EBADF",
            Errno::Busy => "EBUSY",
            Errno::Dquot => "EDQUOT",
            Errno::Exist => "EEXIST",
            Errno::Fault => "EFAULT",
            Errno::Fbig => "EFBIG",
            Errno::Ilseq => "EILSEQ",
            Errno::Intr => "EINTR",
            Errno::Inval => "EINVAL",
            Errno::Io => "EIO",
            Errno::Isdir => "EISDIR",
            Errno::Loop => "ELOOP",
            Errno::Mfile => "EMFILE",
            Errno::Mlink => "EMLINK",
            Errno::Nametoolong => "ENAMETOOLONG",
            Errno::Nfile => "ENFILE",
            Errno::Noent => "ENOENT",
            Errno::Nomem => "ENOMEM",
            Errno::Nospc => "ENOSPC",
            Errno::Nosys => "ENOSYS",
            Errno::Notdir => "ENOTDIR",
            Errno::Notempty => "ENOTEMPTY",
            Errno::Notsock => "ENOTSOCK",
            Errno::Notsup => "ENOTSUP",
            Errno::Notty => "ENOTTY",
            Errno::Overflow => "EOVERFLOW",
            Errno::Perm => "EPERM",
            Errno::Pipe => "EPIPE",
            Errno::Range => "ERANGE",
            Errno::Rofs => "EROFS",
            Errno::Spipe => "ESPIPE",
            Errno::Txtbsy => "ETXTBSY",
            Errno::Xdev => "EXDEV",
            Errno::Notcapable => "ENOTCAPABLE",
        }
    }
}

/// The result of a WASI call: `Ok` is errno 0.
pub type WasiResult<T = ()> = Result<T, Errno>;
