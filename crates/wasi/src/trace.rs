//! The call trace (`WasiCtxBuilder::trace`): one line per WASI call, so that a user can see
//! what a program asks of the host and what it is refused.
//!
//! ```text
//! wasi: path_open(fd=3, dirflags=1, path="data/in.txt", oflags=0, ...) = ENOENT (44)
//! ```

use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::Mem;
use std::fmt::Write as _;
use std::io::Write as _;

/// At most this many bytes of a string argument are shown.
const MAX_SHOWN: usize = 200;

/// The string arguments: a (pointer, length) pair of arguments shown as the text they point to.
const STRINGS: &[(&str, &str)] = &[
    ("path", "len"),
    ("old_path", "old_len"),
    ("new_path", "new_len"),
];

/// Writes the trace line of call `name` with `args` (name, value) that gave `result`.
pub fn call(ctx: &mut WasiCtx, mem: &Mem, name: &str, args: &[(&str, u64)], result: WasiResult) {
    let Some(out) = ctx.trace.as_mut() else {
        return;
    };
    let mut line = format!("wasi: {name}(");
    let value = |n: &str| args.iter().find(|(a, _)| *a == n).map(|&(_, v)| v);
    let mut first = true;
    for &(arg, v) in args {
        let string = STRINGS.iter().find(|(p, _)| *p == arg);
        if STRINGS.iter().any(|(p, l)| *l == arg && value(p).is_some()) {
            continue; // shown with its string
        }
        if !first {
            line.push_str(", ");
        }
        first = false;
        match string.and_then(|(_, len)| value(len)) {
            Some(len) => {
                let _ = write!(line, "{arg}={}", shown(mem, v as u32, len as u32));
            }
            // Small numbers (descriptors, flags, lengths) in decimal, others (pointers, rights,
            // offsets) in hex.
            None if v < 10_000 => {
                let _ = write!(line, "{arg}={v}");
            }
            None => {
                let _ = write!(line, "{arg}={v:#x}");
            }
        }
    }
    line.push(')');
    match result {
        Ok(()) => line.push_str(" = 0"),
        Err(e) => {
            let _ = write!(line, " = {} ({})", e.name(), e as i32);
        }
    }
    line.push('\n');
    let _ = out.write_all(line.as_bytes());
}

/// Writes the trace line of `proc_exit`.
pub fn exit(ctx: &mut WasiCtx, code: i32) {
    if let Some(out) = ctx.trace.as_mut() {
        let _ = writeln!(out, "wasi: proc_exit(code={code})");
    }
}

/// The guest string at `ptr` of `len` bytes, quoted and escaped, cut to [`MAX_SHOWN`] bytes.
fn shown(mem: &Mem, ptr: u32, len: u32) -> String {
    let Ok(bytes) = mem.bytes(ptr, len) else {
        return format!("<{len} bytes at {ptr:#x}: out of bounds>");
    };
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_SHOWN)]);
    let mut out = format!("{text:?}");
    if bytes.len() > MAX_SHOWN {
        let _ = write!(out, "...({len} bytes)");
    }
    out
}
