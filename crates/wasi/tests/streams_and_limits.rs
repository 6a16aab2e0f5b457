//! What a guest may do to the host through descriptors it shares with it and through its
//! directories: flags on the standard streams stay the guest's own, the caps of
//! `ssvm_wasi::Limits` hold, and the call trace shows each call and its errno.

mod common;

use common::*;
use rustix::fs::OFlags;
use ssvm_wasi::{Limits, Reached, WasiCtxBuilder};
use std::io::Write;
use std::sync::{Arc, Mutex};

const EAGAIN: i32 = 6;
const EDQUOT: i32 = 19;
const EFBIG: i32 = 22;

const APPEND: u32 = 1;
const NONBLOCK: u32 = 4;

/// `fd_fdstat_set_flags` on the standard streams changes nothing of the host's descriptors
/// (they share the host's open file descriptions); the guest sees its flags in
/// `fd_fdstat_get`, and `NONBLOCK` works for it: a read of an empty pipe is `EAGAIN`.
#[test]
fn stream_flags_are_the_guests_own() {
    let (stdin_reader, mut stdin_writer) = std::io::pipe().unwrap();
    let (stdout_reader, stdout_writer) = std::io::pipe().unwrap();
    // What the host keeps: the same open file descriptions the guest's 0 and 1 are on.
    let host_in = stdin_reader.try_clone().unwrap();
    let host_out = stdout_writer.try_clone().unwrap();
    let ctx = WasiCtxBuilder::new()
        .stdin(stdin_reader)
        .stdout(stdout_writer)
        .build()
        .unwrap();
    // An iovec at 0: 8 bytes at 64; fdstat at 32.
    let data = "\\40\\00\\00\\00\\08\\00\\00\\00";
    let set = |fd: u32, flags: u32| {
        format!("(call $fd_fdstat_set_flags (i32.const {fd}) (i32.const {flags}))")
    };
    let read = "(call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))";
    let calls = [
        set(0, NONBLOCK),
        set(1, APPEND | NONBLOCK),
        set(2, APPEND),
        "(call $fd_fdstat_get (i32.const 1) (i32.const 32))".into(),
        "(i32.load16_u (i32.const 34))".into(),
        read.into(),
        // Unknown flags and the sync flags are refused on streams as on files.
        set(1, 0x100),
        set(1, 16),
    ];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    let (got, _) = errnos_in(ctx, data, &calls);
    assert_eq!(
        got,
        [
            0,
            0,
            0,
            0,
            (APPEND | NONBLOCK) as i32,
            EAGAIN,
            EINVAL,
            ENOTSUP
        ]
    );
    for fd in [&host_in as &dyn rustix::fd::AsFd, &host_out] {
        let flags = rustix::fs::fcntl_getfl(fd).unwrap();
        assert!(
            !flags.intersects(OFlags::NONBLOCK | OFlags::APPEND),
            "{flags:?}"
        );
    }
    // With data there, the nonblocking read reads it.
    stdin_writer.write_all(b"ready").unwrap();
    let ctx = WasiCtxBuilder::new()
        .stdin(host_in.try_clone().unwrap())
        .build()
        .unwrap();
    let calls = [
        set(0, NONBLOCK),
        read.into(),
        "(i32.load (i32.const 16))".into(),
    ];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    assert_eq!(errnos_in(ctx, data, &calls).0, [0, 0, 5]);
    drop(stdout_reader);
}

/// A write that does not fit in `max_output` is cut to what does; the next is `EFBIG`.
#[test]
fn max_output_cuts_then_refuses_writes_to_the_streams() {
    let dir = scratch("max_output");
    let out = std::fs::File::create(dir.join("out")).unwrap();
    let err = std::fs::File::create(dir.join("err")).unwrap();
    let ctx = WasiCtxBuilder::new()
        .stdout(out)
        .stderr(err)
        .limits(Limits {
            max_output: Some(15),
            ..Limits::default()
        })
        .build()
        .unwrap();
    // An iovec at 0: 10 bytes at 64, written to stdout, then to stderr (5 fit), then stdout.
    let data = format!(
        "\\40\\00\\00\\00\\0a\\00\\00\\00{}0123456789",
        "\\00".repeat(56)
    );
    let write = |fd: u32| {
        format!("(call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 16))")
    };
    let written = "(i32.load (i32.const 16))".to_string();
    let calls = [write(1), written.clone(), write(2), written, write(1)];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    let (got, ctx) = errnos_in(ctx, &data, &calls);
    assert_eq!(got, [0, 10, 0, 5, EFBIG]);
    assert_eq!(std::fs::read(dir.join("out")).unwrap(), b"0123456789");
    assert_eq!(std::fs::read(dir.join("err")).unwrap(), b"01234");
    assert_eq!(
        ctx.limits_reached(),
        Reached {
            output: true,
            ..Reached::default()
        }
    );
}

/// Strings of the directory tests: "a" at 0, "f" at 8, "g" at 16, "s" at 24, "l" at 32; an
/// iovec at 64 (6 bytes at 128) and one at 72 (1 byte at 128); `nwritten` at 100, the opened
/// descriptor at 104; "abcdef" at 128.
fn dir_data() -> String {
    let mut bytes = vec![0u8; 134];
    for (at, name) in [(0, b'a'), (8, b'f'), (16, b'g'), (24, b's'), (32, b'l')] {
        bytes[at] = name;
    }
    bytes[64..72].copy_from_slice(&[128, 0, 0, 0, 6, 0, 0, 0]);
    bytes[72..80].copy_from_slice(&[128, 0, 0, 0, 1, 0, 0, 0]);
    bytes[128..134].copy_from_slice(b"abcdef");
    data_string(&bytes)
}

/// `path_open(3, name at `at`, O_CREAT)`, the descriptor at 104.
fn create(at: u32) -> String {
    format!(
        "(call $path_open (i32.const 3) (i32.const 0) (i32.const {at}) (i32.const 1) \
         (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 104))"
    )
}

fn in_dir(dir: &std::path::Path, limits: Limits) -> ssvm_wasi::WasiCtx {
    WasiCtxBuilder::new()
        .preopen_dir(dir, ".")
        .unwrap()
        .limits(limits)
        .build()
        .unwrap()
}

/// `max_dir_files` counts every name created (files, directories, links); opening an existing
/// file with `O_CREAT` creates nothing.
#[test]
fn max_dir_files_counts_names_created() {
    let dir = scratch("max_dir_files");
    let ctx = in_dir(
        &dir,
        Limits {
            max_dir_files: Some(2),
            ..Limits::default()
        },
    );
    let calls = [
        "(call $path_create_directory (i32.const 3) (i32.const 0) (i32.const 1))".to_string(),
        create(8),
        create(8),
        create(16),
        "(call $path_symlink (i32.const 8) (i32.const 1) (i32.const 3) (i32.const 24) \
         (i32.const 1))"
            .into(),
        "(call $path_link (i32.const 3) (i32.const 0) (i32.const 8) (i32.const 1) \
         (i32.const 3) (i32.const 32) (i32.const 1))"
            .into(),
        "(call $path_create_directory (i32.const 3) (i32.const 16) (i32.const 1))".into(),
    ];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    let (got, ctx) = errnos_in(ctx, &dir_data(), &calls);
    assert_eq!(got, [0, 0, 0, EDQUOT, EDQUOT, EDQUOT, EDQUOT]);
    assert_eq!(names_in(&dir), ["a", "f"]);
    assert!(ctx.limits_reached().dir_files);
    assert!(!ctx.limits_reached().dir_bytes);
}

/// `max_dir_bytes` bounds how much files grow, in total: writes past the end are cut, then
/// refused; overwriting is free; shrinking gives nothing back.
#[test]
fn max_dir_bytes_bounds_growth() {
    let dir = scratch("max_dir_bytes");
    let ctx = in_dir(
        &dir,
        Limits {
            max_dir_bytes: Some(10),
            ..Limits::default()
        },
    );
    let fd = "(i32.load (i32.const 104))";
    let write =
        |iov: u32| format!("(call $fd_write {fd} (i32.const {iov}) (i32.const 1) (i32.const 100))");
    let written = "(i32.load (i32.const 100))".to_string();
    let calls = [
        create(8),
        write(64),
        written.clone(),
        write(64),
        written.clone(),
        write(72),
        // Back to the start: overwriting 6 bytes is free.
        format!("(call $fd_seek {fd} (i64.const 0) (i32.const 0) (i32.const 112))"),
        write(64),
        written,
        format!("(call $fd_filestat_set_size {fd} (i64.const 11))"),
        format!("(call $fd_allocate {fd} (i64.const 0) (i64.const 11))"),
        format!("(call $fd_filestat_set_size {fd} (i64.const 4))"),
        // Shrunk to 4, at position 6: a byte there would grow it by 3.
        write(72),
        // Within the file, a positioned write is free.
        format!(
            "(call $fd_pwrite {fd} (i32.const 72) (i32.const 1) (i64.const 0) (i32.const 100))"
        ),
    ];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    let (got, ctx) = errnos_in(ctx, &dir_data(), &calls);
    assert_eq!(
        got,
        [0, 0, 6, 0, 4, EDQUOT, 0, 0, 6, EDQUOT, EDQUOT, 0, EDQUOT, 0]
    );
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), b"abcd");
    assert!(ctx.limits_reached().dir_bytes);
}

/// A `Write` whose bytes the test can read afterwards.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_trace_shows_each_call_its_strings_and_its_errno() {
    let dir = scratch("trace");
    let trace = Shared::default();
    let ctx = WasiCtxBuilder::new()
        .preopen_dir(&dir, ".")
        .unwrap()
        .trace(trace.clone())
        .build()
        .unwrap();
    let calls = [
        "(call $path_open (i32.const 3) (i32.const 1) (i32.const 0) (i32.const 8) \
         (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 100))",
        "(call $fd_close (i32.const 3))",
        "(call $fd_close (i32.const 3))",
        "(call $random_get (i32.const 16) (i32.const 4))",
    ];
    let (got, _) = errnos_in(ctx, "nope.txt", &calls);
    assert_eq!(got, [ENOENT, 0, EBADF, 0]);
    let text = String::from_utf8(trace.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        "wasi: path_open(fd=3, dirflags=1, path=\"nope.txt\", oflags=0, base=2, inheriting=0, \
         fdflags=0, out=100) = ENOENT (44)\n\
         wasi: fd_close(fd=3) = 0\n\
         wasi: fd_close(fd=3) = EBADF (8)\n\
         wasi: random_get(buf=16, len=4) = 0\n"
    );
}
