//! What the WASI tests share: a module importing every WASI function with one export per call,
//! run in a fresh instance, and scratch directories.
#![allow(dead_code)] // each test file uses its own part

use ssvm_runtime::{Engine, Instance, Linker, Module, Store, Val};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::path::{Path, PathBuf};

/// Every `wasi_snapshot_preview1` function: name, parameter types, whether it returns an errno.
pub const FUNCTIONS: &[(&str, &str, bool)] = &[
    ("args_get", "i32 i32", true),
    ("args_sizes_get", "i32 i32", true),
    ("environ_get", "i32 i32", true),
    ("environ_sizes_get", "i32 i32", true),
    ("clock_res_get", "i32 i32", true),
    ("clock_time_get", "i32 i64 i32", true),
    ("fd_advise", "i32 i64 i64 i32", true),
    ("fd_allocate", "i32 i64 i64", true),
    ("fd_close", "i32", true),
    ("fd_datasync", "i32", true),
    ("fd_fdstat_get", "i32 i32", true),
    ("fd_fdstat_set_flags", "i32 i32", true),
    ("fd_fdstat_set_rights", "i32 i64 i64", true),
    ("fd_filestat_get", "i32 i32", true),
    ("fd_filestat_set_size", "i32 i64", true),
    ("fd_filestat_set_times", "i32 i64 i64 i32", true),
    ("fd_pread", "i32 i32 i32 i64 i32", true),
    ("fd_prestat_get", "i32 i32", true),
    ("fd_prestat_dir_name", "i32 i32 i32", true),
    ("fd_pwrite", "i32 i32 i32 i64 i32", true),
    ("fd_read", "i32 i32 i32 i32", true),
    ("fd_readdir", "i32 i32 i32 i64 i32", true),
    ("fd_renumber", "i32 i32", true),
    ("fd_seek", "i32 i64 i32 i32", true),
    ("fd_sync", "i32", true),
    ("fd_tell", "i32 i32", true),
    ("fd_write", "i32 i32 i32 i32", true),
    ("path_create_directory", "i32 i32 i32", true),
    ("path_filestat_get", "i32 i32 i32 i32 i32", true),
    (
        "path_filestat_set_times",
        "i32 i32 i32 i32 i64 i64 i32",
        true,
    ),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32", true),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32", true),
    ("path_readlink", "i32 i32 i32 i32 i32 i32", true),
    ("path_remove_directory", "i32 i32 i32", true),
    ("path_rename", "i32 i32 i32 i32 i32 i32", true),
    ("path_symlink", "i32 i32 i32 i32 i32", true),
    ("path_unlink_file", "i32 i32 i32", true),
    ("poll_oneoff", "i32 i32 i32 i32", true),
    ("proc_exit", "i32", false),
    ("proc_raise", "i32", true),
    ("sched_yield", "", true),
    ("random_get", "i32 i32", true),
    ("sock_accept", "i32 i32 i32", true),
    ("sock_recv", "i32 i32 i32 i32 i32 i32", true),
    ("sock_send", "i32 i32 i32 i32 i32", true),
    ("sock_shutdown", "i32 i32", true),
];

pub const EBADF: i32 = 8;
pub const EEXIST: i32 = 20;
pub const EFAULT: i32 = 21;
pub const EINVAL: i32 = 28;
pub const ENOENT: i32 = 44;
pub const ENOTDIR: i32 = 54;
pub const ENOTSOCK: i32 = 57;
pub const ENOTSUP: i32 = 58;
pub const ENOTCAPABLE: i32 = 76;

/// A module importing every WASI function, with one page of memory holding `data` at 0 and an
/// export `cN` per call in `calls` (a folded-instruction body returning an i32).
pub fn module_text(data: &str, calls: &[&str]) -> String {
    let mut text = String::from("(module\n");
    for (name, params, result) in FUNCTIONS {
        let result = if *result { "(result i32)" } else { "" };
        text.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) {result}))\n"
        ));
    }
    text.push_str(&format!(
        "  (memory (export \"memory\") 1)\n  (data (i32.const 0) \"{data}\")\n"
    ));
    for (i, body) in calls.iter().enumerate() {
        text.push_str(&format!("  (func (export \"c{i}\") (result i32) {body})\n"));
    }
    text.push(')');
    text
}

pub fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    module.encode().expect("encodes")
}

/// A scratch directory of this test's own.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("wasi-host-calls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh store and instance of the module of `calls`, whose descriptor 3 is `dir` (named `.`)
/// and whose standard output is appended to `dir/stdout.txt`.
pub fn instantiate(dir: &Path, data: &str, calls: &[&str]) -> (Store<WasiCtx>, Instance) {
    instantiate_with(ctx_in(dir), data, calls)
}

/// The WASI context of [`instantiate`]: arguments `prog`, environment `A=b`, descriptor 3 the
/// directory `dir`, standard output appended to `dir/stdout.txt`.
pub fn ctx_in(dir: &Path) -> WasiCtx {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("stdout.txt"))
        .unwrap();
    WasiCtxBuilder::new()
        .arg("prog")
        .env("A", "b")
        .stdout(out)
        .preopen_dir(dir, ".")
        .unwrap()
        .build()
        .unwrap()
}

/// A fresh store with the WASI context `ctx` and an instance of the module of `calls`.
pub fn instantiate_with(ctx: WasiCtx, data: &str, calls: &[&str]) -> (Store<WasiCtx>, Instance) {
    instantiate_on(&Engine::default(), ctx, data, calls)
}

/// [`instantiate_with`] on `engine` (a metered one, say).
pub fn instantiate_on(
    engine: &Engine,
    ctx: WasiCtx,
    data: &str,
    calls: &[&str],
) -> (Store<WasiCtx>, Instance) {
    let module = Module::new(engine, &wat(&module_text(data, calls))).expect("valid");
    let mut store = Store::new(engine, ctx);
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

/// Calls export `c{i}` (the body `call`) and returns its errno.
pub fn errno_of(store: &mut Store<WasiCtx>, instance: Instance, i: usize, call: &str) -> i32 {
    let f = instance.get_func(store, &format!("c{i}")).unwrap();
    let mut r = [Val::I32(-1)];
    f.call(store, &[], &mut r)
        .unwrap_or_else(|e| panic!("call {i} ({call}) failed: {e}"));
    match r[0] {
        Val::I32(e) => e,
        other => panic!("{other:?}"),
    }
}

/// Runs each call of `calls` in a fresh instance (see [`instantiate`]), so that no call sees
/// what another did to the descriptors; returns the errnos.
pub fn errnos(dir: &Path, data: &str, calls: &[&str]) -> Vec<i32> {
    (0..calls.len())
        .map(|i| {
            let (mut store, instance) = instantiate(dir, data, calls);
            errno_of(&mut store, instance, i, calls[i])
        })
        .collect()
}

/// Runs the calls of `calls` in order in one instance, each seeing what the ones before did;
/// returns the errnos.
pub fn errnos_in_sequence(dir: &Path, data: &str, calls: &[&str]) -> Vec<i32> {
    let (mut store, instance) = instantiate(dir, data, calls);
    (0..calls.len())
        .map(|i| errno_of(&mut store, instance, i, calls[i]))
        .collect()
}

/// Runs each call of `calls`, in order, in one instance with the WASI context `ctx`; returns
/// the value each returned (the errno, for a WASI call) and the context after.
pub fn errnos_in(ctx: WasiCtx, data: &str, calls: &[&str]) -> (Vec<i32>, WasiCtx) {
    let (mut store, instance) = instantiate_with(ctx, data, calls);
    let got = (0..calls.len())
        .map(|i| errno_of(&mut store, instance, i, calls[i]))
        .collect();
    (got, store.into_data())
}

/// `bytes` as a string of the text format (`\xx` escapes), for a `data` segment.
pub fn data_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// The names in `dir`, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
