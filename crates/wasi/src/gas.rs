//! What the WASI calls charge for the work a guest sizes: bytes moved, iovecs, subscriptions,
//! directory entries, bytes of path names and nanoseconds waited, each priced by the cost
//! table's `[host_per_unit]` key `"wasi_snapshot_preview1::NAME/UNIT"` (docs/metering.md).
//!
//! A call charges through `Caller::charge_gas` *before* the work it pays for. When the gas left
//! does not cover it, the call does nothing more that the guest can see and returns
//! `Trap::OutOfGas`: the runtime stops before the host call, gives back what it charged, and a
//! resumption makes the call again.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::Mem;
use ssvm_runtime::{Caller, CostTable, Rate};

/// The per-unit prices of one store's cost table (all 0 when the store is not metered).
#[derive(Debug, Clone, Copy, Default)]
pub struct Prices {
    pub read_byte: Rate,
    pub read_iovec: Rate,
    pub pread_byte: Rate,
    pub pread_iovec: Rate,
    pub write_byte: Rate,
    pub write_iovec: Rate,
    pub pwrite_byte: Rate,
    pub pwrite_iovec: Rate,
    pub random_byte: Rate,
    pub poll_subscription: Rate,
    pub poll_fd: Rate,
    pub poll_ns: Rate,
    pub readdir_entry: Rate,
    pub readdir_read: Rate,
    /// `path_*` calls, per byte of path name, indexed by [`PathCall`].
    pub path_byte: [Rate; PATH_CALLS.len()],
}

/// The `path_*` calls, priced per byte of the path names they are given.
pub const PATH_CALLS: [&str; 10] = [
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
];

impl Prices {
    fn of(table: &CostTable) -> Prices {
        let price = |name: &str, unit: &str| table.host_per_unit(crate::MODULE, name, unit);
        Prices {
            read_byte: price("fd_read", "byte"),
            read_iovec: price("fd_read", "iovec"),
            pread_byte: price("fd_pread", "byte"),
            pread_iovec: price("fd_pread", "iovec"),
            write_byte: price("fd_write", "byte"),
            write_iovec: price("fd_write", "iovec"),
            pwrite_byte: price("fd_pwrite", "byte"),
            pwrite_iovec: price("fd_pwrite", "iovec"),
            random_byte: price("random_get", "byte"),
            poll_subscription: price("poll_oneoff", "subscription"),
            poll_fd: price("poll_oneoff", "fd"),
            poll_ns: price("poll_oneoff", "ns"),
            readdir_entry: price("fd_readdir", "entry"),
            readdir_read: price("fd_readdir", "read"),
            path_byte: PATH_CALLS.map(|name| price(name, "byte")),
        }
    }

    /// The price per byte of path name of `path_*` call `name`.
    pub fn path(&self, name: &str) -> Rate {
        PATH_CALLS
            .iter()
            .position(|&n| n == name)
            .map_or(Rate::ZERO, |i| self.path_byte[i])
    }
}

/// A WASI call in progress: the guest's context and memory, and the gas to pay for its work.
pub trait Host {
    /// The program's context and the guest's memory. Borrowed anew after each charge.
    fn parts(&mut self) -> (&mut WasiCtx, Mem<'_>);
    /// The prices of this store's cost table.
    fn prices(&mut self) -> Prices;
    /// Charges `units` at `rate` for work about to be done; when the gas left does not cover
    /// it, nothing is charged and the call must return the error at once.
    fn charge(&mut self, units: u64, rate: Rate) -> WasiResult;
    /// Whether a charge was refused: the call stops as out of gas, and every charge it made
    /// is given back.
    fn out_of_gas(&self) -> bool;
}

/// The [`Host`] of a call made through the runtime.
pub struct Call<'a, 'c, T> {
    pub caller: &'a mut Caller<'c, T>,
    pub get: fn(&mut T) -> &mut WasiCtx,
    /// A charge was refused: the call stops as out of gas, whatever it returns.
    pub out_of_gas: bool,
}

impl<T> Host for Call<'_, '_, T> {
    fn parts(&mut self) -> (&mut WasiCtx, Mem<'_>) {
        let (data, memory) = self.caller.data_and_memory();
        ((self.get)(data), Mem(memory.unwrap_or(&mut [])))
    }

    fn prices(&mut self) -> Prices {
        if let Some(prices) = (self.get)(self.caller.data_mut()).prices {
            return prices;
        }
        let prices = self.caller.cost_table().map(Prices::of).unwrap_or_default();
        (self.get)(self.caller.data_mut()).prices = Some(prices);
        prices
    }

    fn charge(&mut self, units: u64, rate: Rate) -> WasiResult {
        let gas = rate.price(units);
        if gas == 0 || self.caller.charge_gas(gas).is_ok() {
            return Ok(());
        }
        self.out_of_gas = true;
        // Never seen by the guest: the call ends as out of gas instead.
        Err(Errno::Again)
    }

    fn out_of_gas(&self) -> bool {
        self.out_of_gas
    }
}
