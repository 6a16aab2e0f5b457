//! The WASI calls charge their `[host_per_unit]` prices for exactly the units documented in
//! docs/wasi.md, before the work: short of gas, a call does nothing the guest can see, stops as
//! out of gas with its charges given back, and a resumption makes it again.

mod common;

use common::*;
use ssvm_runtime::{Config, CostTable, Engine, Error, Instance, Store, Val};
use ssvm_wasi::WasiCtx;
use std::path::Path;
use std::sync::Arc;

/// A table that prices nothing but the `[host_per_unit]` entries in `per_unit`, so that a
/// call's gas is what the WASI function charged.
fn table(per_unit: &str) -> CostTable {
    CostTable::parse(&format!("default = 0\n[host_per_unit]\n{per_unit}")).expect("parses")
}

/// A metered store under `table` whose descriptor 3 is `dir`, standard output appended to
/// `dir/stdout.txt`, and an instance of the module of `calls`.
fn metered(dir: &Path, table: CostTable, data: &str, calls: &[&str]) -> (Store<WasiCtx>, Instance) {
    let ctx = ctx_in(dir);
    let engine = Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        ..Config::default()
    });
    instantiate_on(&engine, ctx, data, calls)
}

/// Calls export `c{i}` under a gas limit of `limit` (so `gas_used` is then this call's):
/// its errno, or the error.
fn call(
    store: &mut Store<WasiCtx>,
    instance: Instance,
    i: usize,
    limit: u64,
) -> Result<i32, Error> {
    store.set_gas_limit(limit);
    let f = instance.get_func(store, &format!("c{i}")).unwrap();
    let mut r = [Val::I32(-1)];
    f.call(store, &[], &mut r)?;
    match r[0] {
        Val::I32(e) => Ok(e),
        other => panic!("{other:?}"),
    }
}

/// The i32 at `at` in the instance's memory.
fn load(store: &mut Store<WasiCtx>, instance: Instance, at: usize) -> u32 {
    let memory = instance.get_memory(store, "memory").unwrap();
    let bytes = &memory.data(store)[at..at + 4];
    u32::from_le_bytes(bytes.try_into().unwrap())
}

#[test]
fn fd_write_pays_per_iovec_then_per_byte_and_writes_nothing_it_cannot_pay_for() {
    let dir = scratch("prices-fd-write");
    // Two iovecs at 0: 3 bytes at 64 and 4 bytes at 67, "abcdefg".
    let data = "\\40\\00\\00\\00\\03\\00\\00\\00\\43\\00\\00\\00\\04";
    let data = format!("{data}{}abcdefg", "\\00".repeat(64 - 13));
    let write = "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 32))";
    let prices = "\"wasi_snapshot_preview1::fd_write/iovec\" = 1000\n\
                  \"wasi_snapshot_preview1::fd_write/byte\" = 1\n";
    let (mut store, instance) = metered(&dir, table(prices), &data, &[write]);
    // Not even the iovecs: nothing read, nothing charged.
    assert!(matches!(
        call(&mut store, instance, 0, 1999),
        Err(Error::OutOfGas { used: 0 })
    ));
    // The iovecs but not the 7 bytes.
    assert!(matches!(
        call(&mut store, instance, 0, 2006),
        Err(Error::OutOfGas { used: 0 })
    ));
    assert_eq!(std::fs::read(dir.join("stdout.txt")).unwrap(), b"");
    // Resumed with enough, the call is made again and pays once.
    store.add_gas(1);
    let mut r = [Val::I32(-1)];
    store.resume(&mut r).unwrap();
    assert_eq!(r[0], Val::I32(0));
    assert_eq!(store.gas_used(), 2007);
    assert_eq!(std::fs::read(dir.join("stdout.txt")).unwrap(), b"abcdefg");
    assert_eq!(load(&mut store, instance, 32), 7);
}

#[test]
fn fd_read_pays_for_the_bytes_asked() {
    let dir = scratch("prices-fd-read");
    std::fs::write(dir.join("in"), b"xy").unwrap();
    // path "in" at 100; an iovec at 0: 50 bytes at 64. The read finds 2 and pays for 50.
    let data = format!("\\40\\00\\00\\00\\32{}in", "\\00".repeat(100 - 5));
    let open = "(call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 2) \
                (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40))";
    let read =
        "(call $fd_read (i32.load (i32.const 40)) (i32.const 0) (i32.const 1) (i32.const 32))";
    let prices = "\"wasi_snapshot_preview1::fd_read/iovec\" = 100\n\
                  \"wasi_snapshot_preview1::fd_read/byte\" = 10\n\
                  \"wasi_snapshot_preview1::path_open/byte\" = 7\n";
    let (mut store, instance) = metered(&dir, table(prices), &data, &[open, read]);
    assert_eq!(call(&mut store, instance, 0, u64::MAX / 2).unwrap(), 0);
    assert_eq!(store.gas_used(), 14);
    assert!(call(&mut store, instance, 1, 599).is_err());
    assert_eq!(load(&mut store, instance, 32), 0);
    assert_eq!(call(&mut store, instance, 1, 600).unwrap(), 0);
    assert_eq!(store.gas_used(), 600);
    assert_eq!(load(&mut store, instance, 32), 2);
}

#[test]
fn random_get_pays_per_byte_before_filling() {
    let dir = scratch("prices-random");
    let random = "(call $random_get (i32.const 64) (i32.const 16))";
    let prices = "\"wasi_snapshot_preview1::random_get/byte\" = 3\n";
    let (mut store, instance) = metered(&dir, table(prices), "", &[random]);
    assert!(call(&mut store, instance, 0, 47).is_err());
    let memory = instance.get_memory(&store, "memory").unwrap();
    assert!(memory.data(&store)[64..80].iter().all(|&b| b == 0));
    assert_eq!(call(&mut store, instance, 0, 48).unwrap(), 0);
    assert_eq!(store.gas_used(), 48);
}

#[test]
fn poll_oneoff_pays_for_subscriptions_and_the_time_it_waits() {
    let dir = scratch("prices-poll");
    // A relative monotonic clock of 20 ms (20,000,000 ns = 0x1312d00) at 0; events at 100,
    // the count at 200.
    let data = format!(
        "{}\\01\\00\\00\\00\\00\\00\\00\\00\\00\\2d\\31\\01",
        "\\00".repeat(16)
    );
    let poll = "(call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200))";
    let prices = "\"wasi_snapshot_preview1::poll_oneoff/subscription\" = 5\n\
                  \"wasi_snapshot_preview1::poll_oneoff/ns\" = 1\n";
    let (mut store, instance) = metered(&dir, table(prices), &data, &[poll]);
    // Short of the wait: no sleep, no event.
    let start = std::time::Instant::now();
    assert!(call(&mut store, instance, 0, 1_000_000).is_err());
    assert!(start.elapsed() < std::time::Duration::from_millis(20));
    assert_eq!(load(&mut store, instance, 200), 0);
    assert_eq!(store.gas_used(), 0);
    assert_eq!(call(&mut store, instance, 0, 100_000_000).unwrap(), 0);
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
    assert_eq!(load(&mut store, instance, 200), 1);
    // 5 for the subscription, and the nanoseconds left until the deadline when it was charged.
    let used = store.gas_used();
    assert!((5 + 15_000_000..=5 + 20_000_000).contains(&used), "{used}");
}

#[test]
fn fd_readdir_pays_per_entry_and_reads_the_host_only_when_the_directory_changed() {
    let dir = scratch("prices-readdir");
    for name in ["a", "b", "c"] {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    // Names in the directory: ., .., a, b, c, stdout.txt: 6 entries. The name "d" at 4000.
    let data = format!("{}d", "\\00".repeat(4000));
    let readdir = "(call $fd_readdir (i32.const 3) (i32.const 64) (i32.const 2048) (i64.const 0) \
                   (i32.const 32))";
    let mkdir = "(call $path_create_directory (i32.const 3) (i32.const 4000) (i32.const 1))";
    let rmdir = "(call $path_remove_directory (i32.const 3) (i32.const 4000) (i32.const 1))";
    let prices = "\"wasi_snapshot_preview1::fd_readdir/entry\" = 10\n\
                  \"wasi_snapshot_preview1::fd_readdir/read\" = 100\n";
    let (mut store, instance) = metered(&dir, table(prices), &data, &[readdir, mkdir, rmdir]);
    // Each entry read and returned, and the read that finds the end.
    assert_eq!(call(&mut store, instance, 0, 10_000).unwrap(), 0);
    assert_eq!(store.gas_used(), 6 * 110 + 100);
    // The same directory again: the kept entries, not read again.
    assert_eq!(call(&mut store, instance, 0, 10_000).unwrap(), 0);
    assert_eq!(store.gas_used(), 6 * 10);
    // After a directory the guest created: a fresh listing, one entry more.
    assert_eq!(call(&mut store, instance, 1, 10_000).unwrap(), 0);
    assert_eq!(call(&mut store, instance, 0, 10_000).unwrap(), 0);
    assert_eq!(store.gas_used(), 7 * 110 + 100);
    // Short of gas midway through a fresh listing: nothing written to the guest, and the
    // entries read before gas ran out are paid for again, so that the gas never depends on
    // where a limit stopped the run.
    let before = load(&mut store, instance, 32);
    assert_eq!(call(&mut store, instance, 2, 10_000).unwrap(), 0);
    assert!(call(&mut store, instance, 0, 300).is_err());
    assert_eq!(store.gas_used(), 0);
    assert_eq!(load(&mut store, instance, 32), before);
    store.add_gas(10_000);
    let mut r = [Val::I32(-1)];
    store.resume(&mut r).unwrap();
    assert_eq!(store.gas_used(), 6 * 110 + 100);
    assert_ne!(load(&mut store, instance, 32), before);
}

#[test]
fn path_calls_pay_per_byte_of_their_names() {
    let dir = scratch("prices-path");
    // "abc" and "de" at 100.
    let data = format!("{}abcde", "\\00".repeat(100));
    let stat =
        "(call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 3) \
                (i32.const 200))";
    let rename = "(call $path_rename (i32.const 3) (i32.const 100) (i32.const 3) (i32.const 3) \
                  (i32.const 103) (i32.const 2))";
    let prices = "\"wasi_snapshot_preview1::path_filestat_get/byte\" = 7\n\
                  \"wasi_snapshot_preview1::path_rename/byte\" = 11\n";
    let (mut store, instance) = metered(&dir, table(prices), &data, &[stat, rename]);
    // Paid for whatever the lookup finds: here nothing.
    assert_eq!(call(&mut store, instance, 0, 1000).unwrap(), ENOENT);
    assert_eq!(store.gas_used(), 21);
    assert_eq!(call(&mut store, instance, 1, 1000).unwrap(), ENOENT);
    assert_eq!(store.gas_used(), 55);
}

/// Every per-unit key docs/wasi.md documents is priced by the shipped table, beside its flat
/// `[host]` price.
#[test]
fn the_default_table_prices_every_per_unit_key() {
    let table = CostTable::default_table();
    let module = "wasi_snapshot_preview1";
    let mut keys = vec![
        ("fd_read", "byte"),
        ("fd_read", "iovec"),
        ("fd_pread", "byte"),
        ("fd_pread", "iovec"),
        ("fd_write", "byte"),
        ("fd_write", "iovec"),
        ("fd_pwrite", "byte"),
        ("fd_pwrite", "iovec"),
        ("random_get", "byte"),
        ("poll_oneoff", "subscription"),
        ("poll_oneoff", "fd"),
        ("poll_oneoff", "ns"),
        ("fd_readdir", "entry"),
        ("fd_readdir", "read"),
    ];
    for (name, _, _) in FUNCTIONS.iter().filter(|(n, _, _)| n.starts_with("path_")) {
        keys.push((name, "byte"));
    }
    assert_eq!(keys.len(), 24);
    for (name, unit) in keys {
        assert!(
            table.host_per_unit(module, name, unit).gas() > 0,
            "{name}/{unit}"
        );
        assert!(table.host(module, name) > 0, "{name}");
    }
}
