//! The guest's standard streams for one request: the body on standard input, standard output
//! read into a buffer as the guest writes it, at most a route's limit, and standard error
//! thrown away or kept for the log.

use crate::routes::StderrMode;
use rustix::fd::OwnedFd;
use rustix::pipe::PipeFlags;
use std::io;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe::Receiver;
use tokio::task::JoinHandle;

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

/// The readers of the guest's output: each ends when the guest's end of its pipe closes (the
/// store is dropped) or the limit is passed.
pub struct Readers {
    pub stdout: JoinHandle<io::Result<Capture>>,
    pub stderr: Option<JoinHandle<io::Result<Capture>>>,
}

impl Readers {
    /// Stops reading: the guest's further writes fail. For a request answered without waiting
    /// for its guest.
    pub fn abort(&self) {
        self.stdout.abort();
        if let Some(e) = &self.stderr {
            e.abort();
        }
    }
}

/// Sets up the streams of one request (in a Tokio runtime: the readers are its tasks).
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

/// A descriptor reading `body` and then end of file: the read end of a pipe whose write end is
/// closed when the body is empty, else a memory file (no size limit of a pipe's buffer, no
/// writer to keep running).
fn stdin_with(body: &[u8]) -> io::Result<OwnedFd> {
    if body.is_empty() {
        let (read, _write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
        return Ok(read);
    }
    let fd = rustix::fs::memfd_create("ssvm-stdin", rustix::fs::MemfdFlags::CLOEXEC)?;
    let mut at = 0;
    while at < body.len() {
        // pwrite leaves the file offset at 0, where the guest starts reading.
        at += rustix::io::pwrite(&fd, &body[at..], at as u64)?;
    }
    Ok(fd)
}

fn dev_null() -> io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    Ok(rustix::fs::open(
        "/dev/null",
        OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// A pipe: the write end for the guest, and a task reading the other end into a buffer of at
/// most `limit` bytes.
fn capture(limit: u64) -> io::Result<(OwnedFd, JoinHandle<io::Result<Capture>>)> {
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
    let mut reader = Receiver::from_owned_fd(read)?;
    let task = tokio::spawn(async move {
        let mut capture = Capture::default();
        let mut chunk = vec![0u8; 16 << 10];
        loop {
            let n = reader.read(&mut chunk).await?;
            if n == 0 {
                return Ok(capture);
            }
            let room = limit.saturating_sub(capture.bytes.len() as u64) as usize;
            if n > room {
                capture.bytes.extend_from_slice(&chunk[..room]);
                capture.overflow = true;
                // Dropping the reader closes the pipe.
                return Ok(capture);
            }
            capture.bytes.extend_from_slice(&chunk[..n]);
        }
    });
    Ok((write, task))
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
            let capture = readers.stdout.await.unwrap().unwrap();
            assert_eq!(capture.bytes, b"0123456789");
            assert!(!capture.overflow);
        }
        let (stdio, readers) = prepare(b"", 4, StderrMode::Log).unwrap();
        let mut out = std::fs::File::from(stdio.stdout);
        // The reader takes at most the limit, then closes its end: later writes fail.
        out.write_all(b"abcdef").unwrap();
        let capture = readers.stdout.await.unwrap().unwrap();
        assert_eq!(capture.bytes, b"abcd");
        assert!(capture.overflow);
        let e = out.write_all(b"more").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        std::fs::File::from(stdio.stderr)
            .write_all(b"oops")
            .unwrap();
        let err = readers.stderr.unwrap().await.unwrap().unwrap();
        assert_eq!(err.bytes, b"oops");
    }
}
