//! The guest's standard streams for one request: the body on standard input, standard output
//! read into a buffer as the guest writes it, at most a route's limit, and standard error
//! thrown away or kept for the log.

use crate::routes::StderrMode;
use rustix::fd::OwnedFd;
use rustix::pipe::PipeFlags;
use std::io;
use std::sync::OnceLock;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe::Receiver;

/// The descriptors the guest gets.
pub struct GuestStdio {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

/// What was read from one of the guest's output streams.
#[derive(Debug, Default)]
pub struct Capture {
    /// At most the limit's bytes.
    pub bytes: Vec<u8>,
    /// The guest wrote more than the limit: reading stopped there and the pipe was closed, so
    /// the guest's further writes fail (`EPIPE`).
    pub overflow: bool,
}

/// The readers of the guest's output, to be polled while the guest runs: each ends when the
/// guest's end of its pipe closes (the store is dropped) or its limit is passed. Dropping one
/// closes its pipe, so the guest's further writes fail.
pub struct Readers {
    pub stdout: Reader,
    pub stderr: Option<Reader>,
}

/// The read end of one output pipe, and how much of it is kept.
pub struct Reader {
    pipe: Receiver,
    limit: u64,
}

impl Reader {
    /// Reads until end of file or the limit.
    pub async fn read(self) -> io::Result<Capture> {
        let mut bytes = Vec::new();
        // One byte past the limit tells that the guest wrote more; then the pipe is dropped.
        self.pipe
            .take(self.limit + 1)
            .read_to_end(&mut bytes)
            .await?;
        let overflow = bytes.len() as u64 > self.limit;
        bytes.truncate(self.limit as usize);
        Ok(Capture { bytes, overflow })
    }
}

/// Sets up the streams of one request (in a Tokio runtime, which the readers use).
pub fn prepare(
    body: &[u8],
    output_limit: u64,
    stderr: StderrMode,
) -> io::Result<(GuestStdio, Readers)> {
    let stdin = stdin_with(body)?;
    let (stdout, out_reader) = capture(output_limit)?;
    let (stderr, err_reader) = match stderr {
        StderrMode::Discard => (dev_null()?, None),
        StderrMode::Log => {
            let (fd, reader) = capture(crate::routes::STDERR_LOG_BYTES as u64)?;
            (fd, Some(reader))
        }
    };
    Ok((
        GuestStdio {
            stdin,
            stdout,
            stderr,
        },
        Readers {
            stdout: out_reader,
            stderr: err_reader,
        },
    ))
}

/// A descriptor reading `body` and then end of file: `/dev/null` when the body is empty, else a
/// memory file (no size limit of a pipe's buffer, no writer to keep running).
fn stdin_with(body: &[u8]) -> io::Result<OwnedFd> {
    if body.is_empty() {
        return dev_null();
    }
    let fd = rustix::fs::memfd_create("ssvm-stdin", rustix::fs::MemfdFlags::CLOEXEC)?;
    let mut at = 0;
    while at < body.len() {
        // pwrite leaves the file offset at 0, where the guest starts reading.
        at += rustix::io::pwrite(&fd, &body[at..], at as u64)?;
    }
    Ok(fd)
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

/// A pipe: the write end for the guest, and the reader of the other end (registered with the
/// Tokio runtime).
fn capture(limit: u64) -> io::Result<(OwnedFd, Reader)> {
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
    let pipe = Receiver::from_owned_fd(read)?;
    Ok((write, Reader { pipe, limit }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[tokio::test]
    async fn stdin_reads_the_body_and_stdout_is_captured_up_to_its_limit() {
        for body in [&b""[..], b"hello", &[7u8; 200_000]] {
            let (stdio, readers) = prepare(body, 10, StderrMode::Discard).unwrap();
            let mut read = Vec::new();
            std::fs::File::from(stdio.stdin)
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read, body);
            let mut out = std::fs::File::from(stdio.stdout);
            out.write_all(b"0123456789").unwrap();
            drop(out);
            let capture = readers.stdout.read().await.unwrap();
            assert_eq!(capture.bytes, b"0123456789");
            assert!(!capture.overflow);
        }
        let (stdio, readers) = prepare(b"", 4, StderrMode::Log).unwrap();
        let mut out = std::fs::File::from(stdio.stdout);
        // The reader takes at most the limit, then closes its end: later writes fail.
        out.write_all(b"abcdef").unwrap();
        let capture = readers.stdout.read().await.unwrap();
        assert_eq!(capture.bytes, b"abcd");
        assert!(capture.overflow);
        let e = out.write_all(b"more").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        std::fs::File::from(stdio.stderr)
            .write_all(b"oops")
            .unwrap();
        let err = readers.stderr.unwrap().read().await.unwrap();
        assert_eq!(err.bytes, b"oops");
    }
}
