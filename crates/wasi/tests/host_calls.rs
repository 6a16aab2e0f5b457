//! The WASI functions called directly from small Wasm modules: every function is defined with
//! its witx type, bad guest pointers are EFAULT (never a panic), and what cannot be done gives
//! the right errno. Real C programs run in crates/cli/tests/wasi.rs.

mod common;

use common::*;
use ssvm_runtime::{Engine, Error, Linker, Module, Store, Val};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};

#[test]
fn every_function_is_defined_with_its_witx_type() {
    assert_eq!(FUNCTIONS.len(), 46);
    let dir = scratch("types");
    // Instantiating checks each import's type against the definition.
    assert_eq!(errnos(&dir, "", &["(call $sched_yield)"]), vec![0]);
}

#[test]
fn the_default_cost_table_prices_every_function() {
    let table = ssvm_runtime::CostTable::default_table();
    for (name, _, _) in FUNCTIONS {
        assert!(
            table.host(ssvm_wasi::MODULE, name) > 0,
            "{name} is not priced"
        );
    }
}

#[test]
fn bad_pointers_are_efault_and_change_nothing() {
    let dir = scratch("efault");
    std::fs::write(dir.join("f.txt"), b"0123456789").unwrap();
    // Memory: "f.txt" at 0; an iovec at 16 whose buffer runs past the end; an iovec at 32 that
    // is fine (8 bytes at 64).
    let data = "f.txt\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\
                \\f8\\ff\\00\\00\\10\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\
                \\40\\00\\00\\00\\08\\00\\00\\00";
    let end = "(i32.const 65532)"; // 4 bytes left: too few for any u64 result
    let calls = [
        "(call $args_get (i32.const -16) (i32.const -16))".to_string(),
        format!("(call $args_sizes_get (i32.const 0) {end})").replace("65532", "65533"),
        "(call $environ_get (i32.const 65535) (i32.const 0))".to_string(),
        format!("(call $clock_time_get (i32.const 0) (i64.const 0) {end})"),
        format!("(call $clock_res_get (i32.const 1) {end})"),
        "(call $random_get (i32.const 65530) (i32.const 100))".to_string(),
        "(call $fd_write (i32.const 1) (i32.const -16) (i32.const 1) (i32.const 100))".into(),
        "(call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 100))".into(),
        // A good write whose result pointer is bad writes nothing.
        "(call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const -4))".into(),
        "(call $fd_fdstat_get (i32.const 1) (i32.const -16))".into(),
        "(call $fd_filestat_get (i32.const 3) (i32.const 65535))".into(),
        "(call $fd_prestat_get (i32.const 3) (i32.const -16))".into(),
        "(call $fd_prestat_dir_name (i32.const 3) (i32.const -1) (i32.const 10))".into(),
        "(call $path_open (i32.const 3) (i32.const 0) (i32.const -16) (i32.const 5) \
          (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 100))"
            .into(),
        // Creating "new" with a bad result pointer must not create it.
        "(call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 3) \
          (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const -2))"
            .into(),
        "(call $path_create_directory (i32.const 3) (i32.const 65534) (i32.const 5))".into(),
        "(call $fd_readdir (i32.const 3) (i32.const -16) (i32.const 100) (i64.const 0) \
          (i32.const 100))"
            .into(),
        "(call $poll_oneoff (i32.const -16) (i32.const 0) (i32.const 1) (i32.const 100))".into(),
        "(call $path_readlink (i32.const 3) (i32.const 0) (i32.const 5) (i32.const 65000) \
          (i32.const 9000) (i32.const 100))"
            .into(),
    ];
    let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
    let got = errnos(&dir, data, &calls);
    for (call, errno) in calls.iter().zip(&got) {
        assert_eq!(*errno, EFAULT, "{call}");
    }
    assert_eq!(std::fs::read(dir.join("stdout.txt")).unwrap(), b"");
    assert!(!dir.join("f.t").exists());
}

#[test]
fn unsupported_or_wrong_calls_get_their_errno() {
    let dir = scratch("errnos");
    std::fs::write(dir.join("f.txt"), b"0123456789").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let data = "f.txt\\00\\00\\00sub/..\\00\\00../x\\00\\00\\00\\00/etc\\00\\00\\00\\00";
    // Strings: "f.txt" at 0, "sub/.." at 8, "../x" at 16, "/etc" at 24.
    let calls = [
        ("(call $fd_close (i32.const 99))", EBADF),
        (
            "(call $fd_write (i32.const 42) (i32.const 0) (i32.const 0) (i32.const 100))",
            EBADF,
        ),
        (
            "(call $sock_shutdown (i32.const 1) (i32.const 0))",
            ENOTSOCK,
        ),
        (
            "(call $sock_accept (i32.const 77) (i32.const 0) (i32.const 100))",
            EBADF,
        ),
        (
            "(call $sock_recv (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) \
             (i32.const 100) (i32.const 104))",
            ENOTSOCK,
        ),
        (
            "(call $sock_send (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) \
             (i32.const 100))",
            ENOTSOCK,
        ),
        ("(call $proc_raise (i32.const 9))", ENOTSUP),
        (
            "(call $clock_time_get (i32.const 9) (i64.const 0) (i32.const 100))",
            EINVAL,
        ),
        (
            "(call $poll_oneoff (i32.const 0) (i32.const 200) (i32.const 0) (i32.const 100))",
            EINVAL,
        ),
        // Rights only go up to what the descriptor has (stdout has no right to inherit).
        (
            "(call $fd_fdstat_set_rights (i32.const 1) (i64.const 0x40) (i64.const -1))",
            ENOTCAPABLE,
        ),
        // Paths: a file is not a directory; escapes are not capable; existing names exist.
        (
            "(call $path_create_directory (i32.const 3) (i32.const 0) (i32.const 5))",
            EEXIST,
        ),
        (
            "(call $path_create_directory (i32.const 3) (i32.const 8) (i32.const 6))",
            EEXIST,
        ),
        (
            "(call $path_create_directory (i32.const 3) (i32.const 16) (i32.const 4))",
            ENOTCAPABLE,
        ),
        (
            "(call $path_unlink_file (i32.const 3) (i32.const 24) (i32.const 4))",
            ENOTCAPABLE,
        ),
        (
            "(call $path_create_directory (i32.const 0) (i32.const 16) (i32.const 4))",
            ENOTDIR,
        ),
        (
            "(call $path_unlink_file (i32.const 3) (i32.const 0) (i32.const 0))",
            ENOENT,
        ),
        // A NUL inside a path.
        (
            "(call $path_unlink_file (i32.const 3) (i32.const 0) (i32.const 8))",
            EINVAL,
        ),
        ("(call $fd_renumber (i32.const 3) (i32.const 50))", EBADF),
        (
            "(call $fd_seek (i32.const 3) (i64.const 0) (i32.const 0) (i32.const 100))",
            EBADF,
        ),
        // Standard output (a file here) may seek, but there is no whence 7.
        (
            "(call $fd_seek (i32.const 1) (i64.const 0) (i32.const 7) (i32.const 100))",
            EINVAL,
        ),
        // The same on a file the call opens with every right.
        (
            "(if (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 5) \
             (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 100)) \
             (then unreachable)) \
             (call $fd_seek (i32.load (i32.const 100)) (i64.const 3) (i32.const 3) \
             (i32.const 104))",
            EINVAL,
        ),
        // Every right asked for: granted what the directory passes on.
        (
            "(call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 3) \
             (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 100))",
            0,
        ),
    ];
    let bodies: Vec<&str> = calls.iter().map(|c| c.0).collect();
    let got = errnos(&dir, data, &bodies);
    for ((call, want), errno) in calls.iter().zip(&got) {
        assert_eq!(errno, want, "{call}");
    }
    assert!(dir.join("f.txt").exists());
    assert!(dir.join("f.t").exists());
    assert!(!dir.join("../x").exists());
}

/// Rights only go down, and a descriptor that dropped them cannot use them: each call sees what
/// the ones before it did to standard output's rights.
#[test]
fn dropped_rights_stay_dropped() {
    let dir = scratch("rights");
    let calls = [
        "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 100))",
        "(call $fd_fdstat_set_rights (i32.const 1) (i64.const 0x40) (i64.const 0))",
        "(call $fd_seek (i32.const 1) (i64.const 0) (i32.const 7) (i32.const 100))",
        "(call $fd_fdstat_set_rights (i32.const 1) (i64.const 0x44) (i64.const 0))",
        "(call $fd_fdstat_set_rights (i32.const 1) (i64.const 0) (i64.const 0))",
        "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 100))",
    ];
    assert_eq!(
        errnos_in_sequence(&dir, "", &calls),
        vec![0, 0, ENOTCAPABLE, ENOTCAPABLE, 0, EBADF]
    );
}

#[test]
fn proc_exit_ends_the_call_with_the_status() {
    let engine = Engine::default();
    let text = module_text("", &["(call $proc_exit (i32.const 42)) (i32.const 0)"]);
    let module = Module::new(&engine, &wat(&text)).unwrap();
    let mut store = Store::new(&engine, WasiCtxBuilder::new().build().unwrap());
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "c0").unwrap();
    let mut r = [Val::I32(0)];
    assert_eq!(f.call(&mut store, &[], &mut r), Err(Error::Exit(42)));
}

/// `poll_oneoff` on standard input (a pipe here) and a 20 ms clock: with nothing to read only
/// the clock fires; once data is there, the read subscription fires at once.
#[test]
fn poll_oneoff_waits_for_stdin_or_the_clock() {
    let dir = scratch("poll");
    let (reader, mut writer) = std::io::pipe().unwrap();
    // Subscriptions at 0 (48 bytes each): userdata 1, fd_read on 0; userdata 2, a relative
    // monotonic clock of 20 ms. Events go to 200, the count to 400.
    let mut subs = [0u8; 96];
    subs[0] = 1;
    subs[8] = 1; // fd_read
    subs[48] = 2;
    subs[56] = 0; // clock
    subs[64] = 1; // monotonic
    subs[72..80].copy_from_slice(&20_000_000u64.to_le_bytes());
    let data = data_string(&subs);
    let engine = Engine::default();
    let calls = [
        "(call $poll_oneoff (i32.const 0) (i32.const 200) (i32.const 2) (i32.const 400))",
        "(i32.load (i32.const 400))",
        "(i32.load8_u (i32.const 200))", // userdata of the first event
        "(i32.load8_u (i32.const 210))", // its type
    ];
    let module = Module::new(&engine, &wat(&module_text(&data, &calls))).unwrap();
    let ctx = WasiCtxBuilder::new()
        .stdin(reader)
        .preopen_dir(&dir, ".")
        .unwrap()
        .build()
        .unwrap();
    let mut store = Store::new(&engine, ctx);
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let mut call = |i: usize| {
        let f = instance.get_func(&store, &format!("c{i}")).unwrap();
        let mut r = [Val::I32(-1)];
        f.call(&mut store, &[], &mut r).unwrap();
        r[0]
    };
    let start = std::time::Instant::now();
    assert_eq!(call(0), Val::I32(0));
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    assert_eq!(
        (call(1), call(2), call(3)),
        (Val::I32(1), Val::I32(2), Val::I32(0))
    );
    std::io::Write::write_all(&mut writer, b"x").unwrap();
    assert_eq!(call(0), Val::I32(0));
    assert_eq!(
        (call(1), call(2), call(3)),
        (Val::I32(1), Val::I32(1), Val::I32(1))
    );
}

/// A link is never a directory, so its new name may not end in `/` (the WASI test suite's
/// `path_link` and `path_symlink_trailing_slashes`), and a file named with a trailing `/` is
/// not there to link to. Nothing is created by a failed call.
#[test]
fn links_at_names_with_a_trailing_slash_fail_as_on_linux() {
    let dir = scratch("trailing_slash_links");
    std::fs::write(dir.join("file"), b"x").unwrap();
    std::fs::create_dir(dir.join("dir")).unwrap();
    // "file/" at 0, "link/" at 8, "dir/" at 16, "src" at 24, "sym" at 32.
    let data = "file/\\00\\00\\00link/\\00\\00\\00dir/\\00\\00\\00\\00src\\00\\00\\00\\00\\00sym";
    let link = |old: (u32, u32), new: (u32, u32)| {
        format!(
            "(call $path_link (i32.const 3) (i32.const 0) (i32.const {}) (i32.const {}) \
             (i32.const 3) (i32.const {}) (i32.const {}))",
            old.0, old.1, new.0, new.1
        )
    };
    let symlink = |new: (u32, u32)| {
        format!(
            "(call $path_symlink (i32.const 24) (i32.const 3) (i32.const 3) (i32.const {}) \
             (i32.const {}))",
            new.0, new.1
        )
    };
    let (file, file_slash, link_slash, dir_slash) = ((0, 4), (0, 5), (8, 5), (16, 4));
    let calls = [
        (link(file, link_slash), ENOENT),
        (link(file, dir_slash), EEXIST),
        (link(file, file_slash), ENOTDIR),
        (link(file_slash, (8, 4)), ENOTDIR),
        (symlink(link_slash), ENOENT),
        (symlink(dir_slash), EEXIST),
        (symlink(file_slash), ENOTDIR),
        // Without the slash both work.
        (link(file, (8, 4)), 0),
        (symlink((32, 3)), 0),
    ];
    let bodies: Vec<&str> = calls.iter().map(|c| c.0.as_str()).collect();
    let got = errnos(&dir, data, &bodies);
    for ((call, want), errno) in calls.iter().zip(&got) {
        assert_eq!(errno, want, "{call}");
    }
    assert_eq!(names_in(&dir), ["dir", "file", "link", "stdout.txt", "sym"]);
    assert_eq!(
        std::fs::read_link(dir.join("sym")).unwrap().to_str(),
        Some("src")
    );
}

/// An embedder may move a context to another thread or share it behind an `Arc`.
#[test]
fn the_context_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<WasiCtx>();
}
