//! `wasi_snapshot_preview1` for ssvm-lite: the 46 functions of WASI preview 1 as host
//! functions, registered through the runtime's public embedding API like any embedder's.
//!
//! ```no_run
//! use ssvm_runtime::{Engine, Linker, Module, Store};
//! use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, &std::fs::read("hello.wasm")?)?;
//! let wasi = WasiCtxBuilder::new().arg("hello.wasm").build()?;
//! let mut store = Store::new(&engine, wasi);
//! let mut linker = Linker::new();
//! ssvm_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_func(&store, "_start").expect("a WASI command");
//! match start.call(&mut store, &[], &mut []) {
//!     Ok(()) | Err(ssvm_runtime::Error::Exit(0)) => {}
//!     Err(e) => eprintln!("{e}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every pointer and length from the guest is checked (`EFAULT`, never a panic); what cannot be
//! supported answers with an errno (`ENOTSUP`, `ENOTSOCK`, ...), never a trap. Files are reached
//! only through preopened directories and only below them (see `path.rs`).

#![forbid(unsafe_code)]

mod ctx;
mod errno;
mod fs;
mod gas;
mod limits;
mod mem;
mod misc;
mod path;
mod rights;
mod stream;
mod trace;

pub use ctx::{BuildError, WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use limits::{Limits, Reached};

use errno::WasiResult;
use mem::Mem;
use ssvm_runtime::{FuncType, Linker, Trap, Val, ValType};

/// The module name WASI preview 1 functions are imported from.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A narrower flag or enum argument; values that do not fit are `EINVAL`.
fn narrow<T: TryFrom<u32>>(v: u32) -> WasiResult<T> {
    T::try_from(v).map_err(|_| errno::Errno::Inval)
}

/// Runs a call's body (a closure, so that `?` in it returns its errno).
fn result_of(body: impl FnOnce() -> WasiResult) -> WasiResult {
    body()
}

/// Maps a guest argument to its Rust type.
trait Arg: Sized {
    const TYPE: ValType;
    fn from_val(v: &Val) -> Self;
}

impl Arg for u32 {
    const TYPE: ValType = ValType::I32;
    fn from_val(v: &Val) -> u32 {
        match v {
            Val::I32(x) => *x as u32,
            _ => 0,
        }
    }
}

impl Arg for u64 {
    const TYPE: ValType = ValType::I64;
    fn from_val(v: &Val) -> u64 {
        match v {
            Val::I64(x) => *x as u64,
            _ => 0,
        }
    }
}

/// Registers each function: `name(ctx, mem, arg: type, ...) => body`, or
/// `name(host h, arg: type, ...) => body` for a call that charges for its work through `h`
/// (a [`gas::Host`]); `body` is a `WasiResult` whose error becomes the returned errno.
macro_rules! register {
    ($linker:ident, $get:ident, $( $name:ident ($($sig:tt)*) => $body:expr; )*) => {
        $( register_one!($linker, $get, $name ($($sig)*) => $body); )*
    };
}

macro_rules! register_one {
    ($linker:ident, $get:ident, $name:ident (host $h:ident $(, $arg:ident : $ty:ty)*) => $body:expr) => {
        let params = vec![$(<$ty as Arg>::TYPE),*];
        $linker.func_new(
            MODULE,
            stringify!($name),
            FuncType {
                params: params.into(),
                results: Box::new([ValType::I32]),
            },
            move |mut caller, args, results| {
                let mut call = gas::Call {
                    caller: &mut caller,
                    get: $get,
                    out_of_gas: false,
                };
                #[allow(unused_mut, unused_variables)] // functions without arguments
                let mut args = args.iter();
                $( let $arg = <$ty as Arg>::from_val(args.next().unwrap_or(&Val::I32(0))); )*
                let $h: &mut dyn gas::Host = &mut call;
                let result = result_of(|| $body);
                if call.out_of_gas {
                    return Err(Trap::OutOfGas);
                }
                let (ctx, mem) = gas::Host::parts(&mut call);
                if ctx.trace.is_some() {
                    let args = [$((stringify!($arg), u64::from($arg))),*];
                    trace::call(ctx, &mem, stringify!($name), &args, result);
                }
                results[0] = Val::I32(result.err().map_or(0, |e| e as i32));
                Ok(())
            },
        );
    };
    ($linker:ident, $get:ident, $name:ident ($ctx:ident, $mem:ident $(, $arg:ident : $ty:ty)*) => $body:expr) => {
        register_one!($linker, $get, $name (host h $(, $arg : $ty)*) => {
            let (ctx, mut mem) = h.parts();
            #[allow(unused_variables)]
            let ($ctx, $mem): (&mut WasiCtx, &mut Mem) = (ctx, &mut mem);
            $body
        });
    };
}

/// Charges `len` bytes of path name at the price of `path_*` call `name`.
fn charge_path(h: &mut dyn gas::Host, name: &str, len: u64) -> WasiResult {
    let price = h.prices().path(name);
    h.charge(len, price)
}

/// Refuses a module that imports WASI preview 1 with a 64-bit memory 0 (memory64): preview 1
/// passes 32-bit pointers into a 32-bit memory, so its functions cannot serve it.
pub fn check_memory(module: &ssvm_runtime::Module) -> Result<(), String> {
    let uses_wasi = module.imports().iter().any(|i| i.module == MODULE);
    if uses_wasi && module.memory_type(0).is_some_and(|m| m.limits.is64) {
        return Err(format!(
            "the module imports {MODULE} but its memory is 64-bit (memory64): WASI preview 1 \
             is defined on a 32-bit memory"
        ));
    }
    Ok(())
}

/// Defines every `wasi_snapshot_preview1` function in `linker`; `get` finds the program's
/// [`WasiCtx`] in the store's data.
pub fn add_to_linker<T: 'static>(linker: &mut Linker<T>, get: fn(&mut T) -> &mut WasiCtx) {
    use fs::*;
    use misc::*;
    register!(linker, get,
        args_get(ctx, mem, argv: u32, buf: u32) => args_get(ctx, mem, argv, buf);
        args_sizes_get(ctx, mem, count: u32, size: u32) => args_sizes_get(ctx, mem, count, size);
        environ_get(ctx, mem, env: u32, buf: u32) => environ_get(ctx, mem, env, buf);
        environ_sizes_get(ctx, mem, count: u32, size: u32) =>
            environ_sizes_get(ctx, mem, count, size);
        clock_res_get(_ctx, mem, id: u32, out: u32) => clock_res_get(mem, id, out);
        clock_time_get(_ctx, mem, id: u32, precision: u64, out: u32) =>
            clock_time_get(mem, id, precision, out);
        fd_advise(ctx, _mem, fd: u32, offset: u64, len: u64, advice: u32) =>
            fd_advise(ctx, fd, offset, len, advice);
        fd_allocate(ctx, _mem, fd: u32, offset: u64, len: u64) => fd_allocate(ctx, fd, offset, len);
        fd_close(ctx, _mem, fd: u32) => fd_close(ctx, fd);
        fd_datasync(ctx, _mem, fd: u32) => fd_datasync(ctx, fd);
        fd_fdstat_get(ctx, mem, fd: u32, out: u32) => fd_fdstat_get(ctx, mem, fd, out);
        fd_fdstat_set_flags(ctx, _mem, fd: u32, flags: u32) =>
            fd_fdstat_set_flags(ctx, fd, narrow(flags)?);
        fd_fdstat_set_rights(ctx, _mem, fd: u32, base: u64, inheriting: u64) =>
            fd_fdstat_set_rights(ctx, fd, base, inheriting);
        fd_filestat_get(ctx, mem, fd: u32, out: u32) => fd_filestat_get(ctx, mem, fd, out);
        fd_filestat_set_size(ctx, _mem, fd: u32, size: u64) => fd_filestat_set_size(ctx, fd, size);
        fd_filestat_set_times(ctx, _mem, fd: u32, atim: u64, mtim: u64, flags: u32) =>
            fd_filestat_set_times(ctx, fd, atim, mtim, narrow(flags)?);
        fd_pread(host h, fd: u32, iovs: u32, n: u32, offset: u64, out: u32) =>
            fd_read(h, fd, iovs, n, Some(offset), out);
        fd_prestat_get(ctx, mem, fd: u32, out: u32) => fd_prestat_get(ctx, mem, fd, out);
        fd_prestat_dir_name(ctx, mem, fd: u32, path: u32, len: u32) =>
            fd_prestat_dir_name(ctx, mem, fd, path, len);
        fd_pwrite(host h, fd: u32, iovs: u32, n: u32, offset: u64, out: u32) =>
            fd_write(h, fd, iovs, n, Some(offset), out);
        fd_read(host h, fd: u32, iovs: u32, n: u32, out: u32) => fd_read(h, fd, iovs, n, None, out);
        fd_readdir(host h, fd: u32, buf: u32, len: u32, cookie: u64, out: u32) =>
            fd_readdir(h, fd, buf, len, cookie, out);
        fd_renumber(ctx, _mem, fd: u32, to: u32) => fd_renumber(ctx, fd, to);
        fd_seek(ctx, mem, fd: u32, offset: u64, whence: u32, out: u32) =>
            fd_seek(ctx, mem, fd, offset as i64, narrow(whence)?, out);
        fd_sync(ctx, _mem, fd: u32) => fd_sync(ctx, fd);
        fd_tell(ctx, mem, fd: u32, out: u32) => fd_tell(ctx, mem, fd, out);
        fd_write(host h, fd: u32, iovs: u32, n: u32, out: u32) =>
            fd_write(h, fd, iovs, n, None, out);
        path_create_directory(host h, fd: u32, path: u32, len: u32) => {
            charge_path(h, "path_create_directory", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_create_directory(ctx, &mut mem, fd, path, len)
        };
        path_filestat_get(host h, fd: u32, flags: u32, path: u32, len: u32, out: u32) => {
            charge_path(h, "path_filestat_get", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_filestat_get(ctx, &mut mem, fd, flags, path, len, out)
        };
        path_filestat_set_times(
            host h, fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32
        ) => {
            charge_path(h, "path_filestat_set_times", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_filestat_set_times(ctx, &mut mem, fd, flags, path, len, atim, mtim, narrow(fst)?)
        };
        path_link(
            host h, old_fd: u32, old_flags: u32, old_path: u32, old_len: u32,
            new_fd: u32, new_path: u32, new_len: u32
        ) => {
            charge_path(h, "path_link", u64::from(old_len) + u64::from(new_len))?;
            let (ctx, mut mem) = h.parts();
            path_link(ctx, &mut mem, old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)
        };
        path_open(
            host h, fd: u32, dirflags: u32, path: u32, len: u32, oflags: u32,
            base: u64, inheriting: u64, fdflags: u32, out: u32
        ) => {
            charge_path(h, "path_open", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_open(
                ctx, &mut mem, fd, dirflags, path, len, narrow(oflags)?, base, inheriting,
            narrow(fdflags)?, out
        )
        };
        path_readlink(host h, fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32) => {
            charge_path(h, "path_readlink", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_readlink(ctx, &mut mem, fd, path, len, buf, buf_len, out)
        };
        path_remove_directory(host h, fd: u32, path: u32, len: u32) => {
            charge_path(h, "path_remove_directory", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_remove_directory(ctx, &mut mem, fd, path, len)
        };
        path_rename(
            host h, fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32,
            new_len: u32
        ) => {
            charge_path(h, "path_rename", u64::from(old_len) + u64::from(new_len))?;
            let (ctx, mut mem) = h.parts();
            path_rename(ctx, &mut mem, fd, old_path, old_len, new_fd, new_path, new_len)
        };
        path_symlink(host h, old_path: u32, old_len: u32, fd: u32, new_path: u32, new_len: u32) => {
            charge_path(h, "path_symlink", u64::from(old_len) + u64::from(new_len))?;
            let (ctx, mut mem) = h.parts();
            path_symlink(ctx, &mut mem, old_path, old_len, fd, new_path, new_len)
        };
        path_unlink_file(host h, fd: u32, path: u32, len: u32) => {
            charge_path(h, "path_unlink_file", u64::from(len))?;
            let (ctx, mut mem) = h.parts();
            path_unlink_file(ctx, &mut mem, fd, path, len)
        };
        poll_oneoff(host h, input: u32, output: u32, count: u32, nevents: u32) =>
            poll_oneoff(h, input, output, count, nevents);
        proc_raise(_ctx, _mem, signal: u32) => proc_raise(signal);
        sched_yield(_ctx, _mem) => sched_yield();
        random_get(host h, buf: u32, len: u32) => random_get(h, buf, len);
        sock_accept(ctx, _mem, fd: u32, _flags: u32, _out: u32) => sock_call(ctx, fd);
        sock_recv(
            ctx, _mem, fd: u32, _data: u32, _data_len: u32, _flags: u32, _len_out: u32,
            _flags_out: u32
        ) => sock_call(ctx, fd);
        sock_send(ctx, _mem, fd: u32, _data: u32, _data_len: u32, _flags: u32, _len_out: u32) =>
            sock_call(ctx, fd);
        sock_shutdown(ctx, _mem, fd: u32, _how: u32) => sock_call(ctx, fd);
    );
    // `proc_exit` returns nothing: it ends the program with the guest's status.
    linker.func_new(
        MODULE,
        "proc_exit",
        FuncType {
            params: Box::new([ValType::I32]),
            results: Box::new([]),
        },
        move |mut caller, args, _results| {
            let code = match args.first() {
                Some(Val::I32(code)) => *code,
                _ => 0,
            };
            trace::exit(get(caller.data_and_memory().0), code);
            Err(Trap::Exit(code))
        },
    );
}
