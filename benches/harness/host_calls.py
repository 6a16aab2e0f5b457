#!/usr/bin/env python3
"""Measures what a WASI call costs in ssvm-lite, in nanoseconds, to price the `[host]` section of
the default cost table (docs/default-cost-table.toml) against the instructions around it.

For each call, a module runs a loop that makes the call N times; the same loop without the call is
the baseline, and a loop of 10 `i32.add`s gives the time of a plain instruction for scale. Each
module runs as a whole `ssvm-lite run --invoke run` process, several times; the median less the
baseline's, divided by N, is the cost of one call (the `call` instruction, the host-call path of
the interpreter, and the WASI function with its system call).

usage: python3 benches/harness/host_calls.py [--runs R] [--no-build]
Needs `wat2wasm` (Debian's wabt; installed with apt-get when missing and running as root).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "ssvm-lite")
N = 200_000

IMPORTS = {
    "args_sizes_get": "(param i32 i32) (result i32)",
    "clock_time_get": "(param i32 i64 i32) (result i32)",
    "fd_write": "(param i32 i32 i32 i32) (result i32)",
    "fd_read": "(param i32 i32 i32 i32) (result i32)",
    "fd_seek": "(param i32 i64 i32 i32) (result i32)",
    "fd_filestat_get": "(param i32 i32) (result i32)",
    "random_get": "(param i32 i32) (result i32)",
    "path_filestat_get": "(param i32 i32 i32 i32 i32) (result i32)",
    "path_open": "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
    "fd_close": "(param i32) (result i32)",
    "fd_readdir": "(param i32 i32 i32 i64 i32) (result i32)",
    "poll_oneoff": "(param i32 i32 i32 i32) (result i32)",
    "fd_fdstat_get": "(param i32 i32) (result i32)",
    "sched_yield": "(result i32)",
    "path_create_directory": "(param i32 i32 i32) (result i32)",
    "path_remove_directory": "(param i32 i32 i32) (result i32)",
    "fd_sync": "(param i32) (result i32)",
    "fd_filestat_set_size": "(param i32 i64) (result i32)",
}

# Memory: an iovec at 32 for 1 byte at 40; the file name "f" at 200, "g" at 208; a clock subscription of
# 0 ns at 512 (48 bytes); scratch results elsewhere. Descriptor 3 is the preopened directory,
# `$fd` the file "f", opened with every right before the loop.
CASES = {
    "baseline (empty loop)": "",
    "10 x i32.add": "(drop (i32.add (local.get 0) (i32.const 1)))" * 10,
    "args_sizes_get": "(drop (call $args_sizes_get (i32.const 0) (i32.const 8)))",
    "clock_time_get": "(drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 16)))",
    "fd_write 1 byte to /dev/null": "(drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)))",
    "fd_read 1 byte (pread-like: seek back)": "(drop (call $fd_read (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 48))) (drop (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 16)))",
    "fd_seek": "(drop (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 16)))",
    "fd_filestat_get": "(drop (call $fd_filestat_get (local.get $fd) (i32.const 256)))",
    "random_get 32 bytes": "(drop (call $random_get (i32.const 128) (i32.const 32)))",
    "path_filestat_get": "(drop (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 256)))",
    "path_open + fd_close": "(drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 100))) (drop (call $fd_close (i32.load (i32.const 100))))",
    "fd_readdir (3 entries)": "(drop (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 1024) (i64.const 0) (i32.const 100)))",
    "poll_oneoff (0 ns clock)": "(drop (call $poll_oneoff (i32.const 512) (i32.const 768) (i32.const 1) (i32.const 100)))",
    "fd_fdstat_get": "(drop (call $fd_fdstat_get (local.get $fd) (i32.const 256)))",
    "sched_yield": "(drop (call $sched_yield))",
    "fd_sync": "(drop (call $fd_sync (local.get $fd)))",
    "fd_filestat_set_size": "(drop (call $fd_filestat_set_size (local.get $fd) (i64.const 1)))",
    "path_create_directory + path_remove_directory": "(drop (call $path_create_directory (i32.const 3) (i32.const 208) (i32.const 1))) (drop (call $path_remove_directory (i32.const 3) (i32.const 208) (i32.const 1)))",
}


def module(body):
    imports = "\n".join(
        f' (import "wasi_snapshot_preview1" "{n}" (func ${n} {t}))' for n, t in IMPORTS.items()
    )
    return f"""(module
{imports}
 (memory (export "memory") 1)
 (data (i32.const 32) "\\28\\00\\00\\00\\01\\00\\00\\00")
 (data (i32.const 200) "f")
 (data (i32.const 208) "g")
 (data (i32.const 512) "\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\01")
 (func (export "run") (param i32) (local $i i32) (local $fd i32)
   (drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 200) (i32.const 1)
     (i32.const 0) (i64.const -1) (i64.const 0) (i32.const 0) (i32.const 96)))
   (local.set $fd (i32.load (i32.const 96)))
   (loop $l {body}
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $l (i32.lt_u (local.get $i) (i32.const {N})))))
)"""


def need_wat2wasm():
    if shutil.which("wat2wasm"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wabt"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return
    sys.exit("host_calls.py: needs wat2wasm (Debian package wabt)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    need_wat2wasm()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ssvm-lite"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = os.path.join(tmp, "d")
        os.mkdir(sandbox)
        with open(os.path.join(sandbox, "f"), "w") as f:
            f.write("x")
        wasm = {}
        for name, body in CASES.items():
            src = os.path.join(tmp, f"{len(wasm)}.wat")
            with open(src, "w") as f:
                f.write(module(body))
            wasm[name] = src[:-4] + ".wasm"
            subprocess.run(["wat2wasm", src, "-o", wasm[name]], check=True)
        times = {name: [] for name in CASES}
        for _ in range(args.runs):
            for name in CASES:
                start = time.perf_counter()
                subprocess.run([BIN, "run", "--dir", f"{sandbox}::.", "--invoke", "run", wasm[name], "0"],
                               stdout=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["baseline (empty loop)"])
    print(f"{N} iterations, median of {args.runs} runs; ns per iteration above the empty loop")
    print("| loop body | ns |")
    print("| --- | ---: |")
    for name in CASES:
        if name.startswith("baseline"):
            continue
        ns = (statistics.median(times[name]) - base) / N * 1e9
        print(f"| {name} | {ns:.0f} |")


if __name__ == "__main__":
    main()
