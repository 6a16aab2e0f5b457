//! The guest's standard streams for one request: the body on standard input, standard output
//! (and standard error when it is logged) into memory files the server reads once the guest
//! has ended, and standard error thrown away otherwise. Nothing the guest does with them can
//! block: a memory file takes every write (up to the route's output limit, which WASI
//! enforces), so a guest can run on any thread, an async worker included.

use crate::routes::StderrMode;
use rustix::fd::OwnedFd;
use std::io;
use std::sync::OnceLock;

/// The descriptors the guest gets, and how much it may write to its standard output and error
/// together (WASI's `max_output`: a write past it is cut short, then fails with `EFBIG`).
pub struct GuestStdio {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    pub max_output: u64,
}

/// The server's ends of the guest's output streams, read once the guest has ended.
pub struct Outputs {
    stdout: OwnedFd,
    stderr: Option<OwnedFd>,
}

impl Outputs {
    /// Standard output, and the first [`crate::routes::STDERR_LOG_BYTES`] of standard error
    /// when it is logged.
    pub fn read(self) -> io::Result<(Vec<u8>, Option<Vec<u8>>)> {
        let stdout = read_all(&self.stdout, u64::MAX)?;
        let stderr = match &self.stderr {
            Some(fd) => Some(read_all(fd, crate::routes::STDERR_LOG_BYTES as u64)?),
            None => None,
        };
        Ok((stdout, stderr))
    }
}

/// Sets up the streams of one request.
pub fn prepare(
    body: &[u8],
    output_limit: u64,
    stderr: StderrMode,
) -> io::Result<(GuestStdio, Outputs)> {
    let stdin = stdin_with(body)?;
    let (stdout, out) = capture()?;
    let (stderr, err) = match stderr {
        StderrMode::Discard => (dev_null()?, None),
        StderrMode::Log => {
            let (fd, ours) = capture()?;
            (fd, Some(ours))
        }
    };
    Ok((
        GuestStdio {
            stdin,
            stdout,
            stderr,
            max_output: output_limit,
        },
        Outputs {
            stdout: out,
            stderr: err,
        },
    ))
}

/// A descriptor reading `body` and then end of file: `/dev/null` when the body is empty, else a
/// memory file.
fn stdin_with(body: &[u8]) -> io::Result<OwnedFd> {
    if body.is_empty() {
        return dev_null();
    }
    let fd = memory_file()?;
    let mut at = 0;
    while at < body.len() {
        // pwrite leaves the file offset at 0, where the guest starts reading.
        at += rustix::io::pwrite(&fd, &body[at..], at as u64)?;
    }
    Ok(fd)
}

fn memory_file() -> io::Result<OwnedFd> {
    Ok(rustix::fs::memfd_create(
        "ssvm-stdio",
        rustix::fs::MemfdFlags::CLOEXEC,
    )?)
}

/// A descriptor of `/dev/null`, duplicated from one opened once: cheaper than opening it per
/// request. Guests share its open file description, whose flags they may change; for
/// `/dev/null` that changes nothing another request can see.
pub fn dev_null() -> io::Result<OwnedFd> {
    static NULL: OnceLock<io::Result<OwnedFd>> = OnceLock::new();
    let null = NULL.get_or_init(|| {
        use rustix::fs::{Mode, OFlags};
        Ok(rustix::fs::open(
            "/dev/null",
            OFlags::RDWR | OFlags::CLOEXEC,
            Mode::empty(),
        )?)
    });
    match null {
        Ok(fd) => Ok(rustix::io::fcntl_dupfd_cloexec(fd, 0)?),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot open /dev/null: {e}"),
        )),
    }
}

/// A memory file: the descriptor for the guest, and a duplicate the server reads it by.
fn capture() -> io::Result<(OwnedFd, OwnedFd)> {
    let fd = memory_file()?;
    let ours = rustix::io::fcntl_dupfd_cloexec(&fd, 0)?;
    Ok((fd, ours))
}

/// The first `limit` bytes of memory file `fd` (from its start, whatever its offset).
fn read_all(fd: &OwnedFd, limit: u64) -> io::Result<Vec<u8>> {
    let size = rustix::fs::fstat(fd)?.st_size as u64;
    let mut bytes = vec![0; size.min(limit) as usize];
    let mut at = 0;
    while at < bytes.len() {
        match rustix::io::pread(fd, &mut bytes[at..], at as u64)? {
            0 => break,
            n => at += n,
        }
    }
    bytes.truncate(at);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn stdin_reads_the_body_and_the_outputs_are_read_back() {
        for body in [&b""[..], b"hello", &[7u8; 200_000]] {
            let (stdio, outputs) = prepare(body, 10, StderrMode::Discard).unwrap();
            assert_eq!(stdio.max_output, 10);
            let mut read = Vec::new();
            std::fs::File::from(stdio.stdin)
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read, body);
            let mut out = std::fs::File::from(stdio.stdout);
            out.write_all(b"0123456789").unwrap();
            drop(out);
            assert_eq!(outputs.read().unwrap(), (b"0123456789".to_vec(), None));
        }
        let (stdio, outputs) = prepare(b"", 4, StderrMode::Log).unwrap();
        let big = vec![b'e'; crate::routes::STDERR_LOG_BYTES + 10];
        std::fs::File::from(stdio.stderr).write_all(&big).unwrap();
        std::fs::File::from(stdio.stdout).write_all(b"ab").unwrap();
        let (out, err) = outputs.read().unwrap();
        assert_eq!(out, b"ab");
        assert_eq!(err.unwrap(), &big[..crate::routes::STDERR_LOG_BYTES]);
    }
}
