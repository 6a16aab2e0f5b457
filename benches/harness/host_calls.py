#!/usr/bin/env python3
"""Measures what a WASI call costs in ssvm-lite, in nanoseconds, to price the `[host]` section of
the default cost table (docs/default-cost-table.toml) against the instructions around it.

For each call, a module runs a loop that makes the call N times; the same loop without the call is
the baseline, and a loop of 10 `i32.add`s gives the time of a plain instruction for scale. Each
module runs as a whole `ssvm-lite run --invoke run` process, several times; the median less the
baseline's, divided by N, is the cost of one call (the `call` instruction, the host-call path of
the interpreter, and the WASI function with its system call).

With --per-unit it prices the work a call does per unit instead (the `[host_per_unit]` keys):
each case makes one call at several sizes (bytes, iovecs, subscriptions, entries), the cost per
call is measured at each size as above but in CPU time (user + system, which a loaded machine
inflates less than wall time), and a least-squares line through (size, ns) gives the ns
per unit; times 2.5 gas per ns (the rate of the bench kernels under the default table) and
rounded up to two significant digits is the price, or below 1 gas a unit the rate
`{ gas = 1, per = K }` (benches/calibrate/fit.py's per_unit_rate: 1 gas for every K units).

usage: python3 benches/harness/host_calls.py [--runs R] [--no-build] [--per-unit]
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
sys.path.insert(0, os.path.join(ROOT, "benches", "calibrate"))
from fit import GAS_PER_NS, per_unit_rate, rate_text  # noqa: E402 (not `import fit`: fit() is ours)
N = 200_000

IMPORTS = {
    "args_sizes_get": "(param i32 i32) (result i32)",
    "clock_time_get": "(param i32 i64 i32) (result i32)",
    "fd_write": "(param i32 i32 i32 i32) (result i32)",
    "fd_pwrite": "(param i32 i32 i32 i64 i32) (result i32)",
    "fd_pread": "(param i32 i32 i32 i64 i32) (result i32)",
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


def module(body, n=N, prologue="", data=""):
    imports = "\n".join(
        f' (import "wasi_snapshot_preview1" "{n}" (func ${n} {t}))' for n, t in IMPORTS.items()
    )
    return f"""(module
{imports}
 (memory (export "memory") 17)
 (data (i32.const 32) "\\28\\00\\00\\00\\01\\00\\00\\00")
 (data (i32.const 200) "f")
 (data (i32.const 208) "g")
 (data (i32.const 216) "big")
 (data (i32.const 224) "w")
 (data (i32.const 232) "many")
 (data (i32.const 512) "\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\01")
 {data}
 (func (export "run") (param i32) (local $i i32) (local $fd i32) (local $j i32)
   (drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 200) (i32.const 1)
     (i32.const 0) (i64.const -1) (i64.const 0) (i32.const 0) (i32.const 96)))
   (local.set $fd (i32.load (i32.const 96)))
   {prologue}
   (loop $l {body}
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $l (i32.lt_u (local.get $i) (i32.const {n})))))
)"""


def open_file(name_at, name_len, slot):
    """A prologue line: opens the file named at `name_at` (every right) into i32 at `slot`."""
    return (f"(drop (call $path_open (i32.const 3) (i32.const 1) (i32.const {name_at}) "
            f"(i32.const {name_len}) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) "
            f"(i32.const {slot})))")


def fill(base, count, stride, stores):
    """A prologue loop that writes `stores` ((offset, value) i32 pairs) into `count` records of
    `stride` bytes from `base` (a value is an i32 or a Wasm expression)."""
    body = " ".join(
        f"(i32.store offset={off} (i32.add (i32.const {base}) (i32.mul (local.get $j) "
        f"(i32.const {stride}))) {v if isinstance(v, str) else f'(i32.const {v})'})"
        for off, v in stores)
    return (f"(local.set $j (i32.const 0)) (block $done (loop $fill "
            f"(br_if $done (i32.ge_u (local.get $j) (i32.const {count}))) {body} "
            f"(local.set $j (i32.add (local.get $j) (i32.const 1))) (br $fill)))")


# Memory for the per-unit cases: data buffers at 65536, an iovec array at 8192 (iovec 0 at 32 is
# set by the prologue), subscriptions at 196608, events at 655360, a path at 20000. Descriptor
# of "big" (64 KiB) in slot 100, of "w" in 104, of directory "many" (2000 entries) in 108 (with
# the right fd_readdir alone: a directory asked for with write rights is EISDIR).
PREP = open_file(216, 3, 100) + open_file(224, 1, 104) + (
    "(drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 232) (i32.const 4) "
    "(i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0) (i32.const 108)))")
IOVEC0 = "(i32.store (i32.const 32) (i32.const 65536)) (i32.store (i32.const 36) (i32.const {k}))"
PREAD = "(drop (call $fd_pread (i32.load (i32.const 100)) (i32.const {iovs}) (i32.const {n}) (i64.const 0) (i32.const 48)))"
PWRITE = "(drop (call $fd_pwrite (i32.load (i32.const 104)) (i32.const {iovs}) (i32.const {n}) (i64.const 0) (i32.const 48)))"
POLL = "(drop (call $poll_oneoff (i32.const 196608) (i32.const 655360) (i32.const {k}) (i32.const 100)))"
READDIR_ENTRY = 29  # bytes of an entry named e0000: 24 of header, 5 of name

# (key(s) priced, unit, sizes, iterations, prologue, loop body, data): `{k}` is the size.
PER_UNIT = [
    ("random_get/byte", "byte", [0, 16384, 65536], 3000, "",
     "(drop (call $random_get (i32.const 65536) (i32.const {k})))", ""),
    ("fd_pread/byte, fd_read/byte", "byte", [1, 16384, 65536], 10000, IOVEC0,
     PREAD.format(iovs=32, n=1), ""),
    ("fd_pwrite/byte, fd_write/byte", "byte", [1, 16384, 65536], 10000, IOVEC0,
     PWRITE.format(iovs=32, n=1), ""),
    ("fd_pwrite/iovec (1-byte buffers)", "iovec", [1, 256, 1024], 10000,
     fill(8192, 1024, 8, [(0, 65536), (4, 1)]), PWRITE.format(iovs=8192, n="{k}"), ""),
    ("fd_pwrite/iovec (empty buffers)", "iovec", [1, 4096, 7000], 10000,
     fill(8192, 7000, 8, [(0, 65536), (4, 0)]), PWRITE.format(iovs=8192, n="{k}"), ""),
    ("fd_pread/iovec (1-byte buffers)", "iovec", [1, 256, 1024], 10000,
     fill(8192, 1024, 8, [(0, 65536), (4, 1)]), PREAD.format(iovs=8192, n="{k}"), ""),
    ("poll_oneoff/subscription (0 ns clocks)", "subscription", [1, 1000, 4000], 3000,
     fill(196608, 4000, 48, [(8, 0), (16, 1), (24, 0), (28, 0), (40, 0)]), POLL, ""),
    ("poll_oneoff/subscription+fd (a file)", "subscription", [1, 1000, 4000], 3000,
     fill(196608, 4000, 48, [(8, 1), (16, "(local.get $fd)")]), POLL, ""),
    # A listing is kept while the directory does not change: reading from cookie 0 again returns
    # kept entries (fd_readdir/entry); a descriptor opened anew for each call makes every call
    # read its entries from the host (fd_readdir/entry + fd_readdir/read).
    ("fd_readdir/entry (a kept listing)", "entry", [1, 100, 1000], 3000, "",
     "(drop (call $fd_readdir (i32.load (i32.const 108)) (i32.const 65536) (i32.const {len}) "
     "(i64.const 0) (i32.const 100)))", ""),
    ("fd_readdir/entry+read (a fresh listing)", "entry", [1, 100, 1000], 3000, "",
     "(drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 232) (i32.const 4) "
     "(i32.const 2) (i64.const 0x4000) (i64.const 0) (i32.const 0) (i32.const 112))) "
     "(drop (call $fd_readdir (i32.load (i32.const 112)) (i32.const 65536) (i32.const {len}) "
     "(i64.const 0) (i32.const 100))) (drop (call $fd_close (i32.load (i32.const 112))))", ""),
    ("path_*/byte (path_filestat_get of ./././…/f)", "byte", [1, 2049, 4095], 10000, "",
     "(drop (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 20000) (i32.const {k}) (i32.const 256)))",
     '(data (i32.const 20000) "{path}")'),
    ("path_*/byte (path_filestat_get of many/../…/f)", "byte", [1, 2049, 4089], 10000, "",
     "(drop (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 20000) (i32.const {k}) (i32.const 256)))",
     '(data (i32.const 20000) "{path}")'),
]


def per_unit_source(case, k):
    """The module of per-unit case `case` at size `k`."""
    _, _, _, n, prologue, body, data = case
    dots = "many/../" if "many/.." in case[0] else "./"
    path = dots * ((k - 1) // len(dots)) + "f"
    assert "{path}" not in data or len(path) == k, (case[0], k, len(path))
    # A directory entry's size sets how many entries fit the buffer (. and .. are shorter).
    length = k * READDIR_ENTRY
    return module(body.format(k=k, len=length), n=n, prologue=PREP + " " + prologue.format(k=k),
                  data=data.format(path=path))


def fit(points):
    """Least-squares slope and intercept of (x, y) points."""
    mx = statistics.mean(x for x, _ in points)
    my = statistics.mean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return slope, my - slope * mx


def price(ns_per_unit):
    """Gas for `ns_per_unit` at 2.5 gas per ns, up to two significant digits, at least 1."""
    gas = max(ns_per_unit * GAS_PER_NS, 1.0)
    digits = len(str(int(gas))) - 2
    step = 10 ** max(digits, 0)
    return int(-(-gas // step) * step) if gas >= 10 else int(-(-gas // 1))


def unit_price(ns_per_unit):
    """The [host_per_unit] rate for `ns_per_unit`: price() from 1 gas a unit up, below it the
    rate fit.py gives a cost below 1 gas a unit ({ gas = 1, per = K }, never zero)."""
    gas = ns_per_unit * GAS_PER_NS
    return price(ns_per_unit) if gas >= 1 else per_unit_rate(gas)


def sandbox_files(sandbox):
    with open(os.path.join(sandbox, "f"), "w") as f:
        f.write("x")
    with open(os.path.join(sandbox, "big"), "wb") as f:
        f.write(b"y" * 65536)
    with open(os.path.join(sandbox, "w"), "wb") as f:
        f.write(b"z")
    many = os.path.join(sandbox, "many")
    os.mkdir(many)
    for i in range(2000):
        open(os.path.join(many, f"e{i:04}"), "w").close()


def cpu_time(command):
    """The CPU time (user + system) of running `command`, in seconds: unlike the wall time, it
    does not count the time a loaded machine makes the process wait."""
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(command, stdout=null)
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"host_calls.py: {command} failed")
    return usage.ru_utime + usage.ru_stime


def run_per_unit(runs, tmp, sandbox, only):
    cases = [case for case in PER_UNIT if only in case[0]]
    wasm = {}
    for case in cases:
        for k in case[2]:
            src = os.path.join(tmp, f"u{len(wasm)}.wat")
            with open(src, "w") as f:
                f.write(per_unit_source(case, k))
            wasm[(case[0], k)] = src[:-4] + ".wasm"
            subprocess.run(["wat2wasm", src, "-o", wasm[(case[0], k)]], check=True)
    base = {}
    for n in sorted({case[3] for case in cases}):
        src = os.path.join(tmp, f"base{n}.wat")
        with open(src, "w") as f:
            f.write(module("", n=n, prologue=PREP))
        subprocess.run(["wat2wasm", src, "-o", src[:-4] + ".wasm"], check=True)
        base[n] = src[:-4] + ".wasm"
    times = {key: [] for key in list(wasm) + [("base", n) for n in base]}
    for _ in range(runs):
        for key in times:
            path = base[key[1]] if key[0] == "base" else wasm[key]
            times[key].append(cpu_time([BIN, "run", "--dir", f"{sandbox}::.", "--invoke", "run",
                                        path, "0"]))
    print(f"median of {runs} runs, CPU time (user + system); ns per call above the empty loop, "
          "at each size; the slope fitted through them")
    print("| case | unit | ns per call at each size | ns per unit | price (the table's value) |")
    print("| --- | --- | --- | ---: | ---: |")
    for case in cases:
        name, unit, sizes, n = case[:4]
        b = statistics.median(times[("base", n)])
        points = [(k, (statistics.median(times[(name, k)]) - b) / n * 1e9) for k in sizes]
        slope, _ = fit(points)
        at = ", ".join(f"{k}: {ns:.0f}" for k, ns in points)
        print(f"| {name} | {unit} | {at} | {slope:.3f} | {rate_text(unit_price(slope))} |")


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
    ap.add_argument("--per-unit", action="store_true", help="price the work per unit instead")
    ap.add_argument("--only", default="", help="with --per-unit: the cases whose name has this")
    args = ap.parse_args()
    need_wat2wasm()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ssvm-lite"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = os.path.join(tmp, "d")
        os.mkdir(sandbox)
        sandbox_files(sandbox)
        if args.per_unit:
            run_per_unit(args.runs, tmp, sandbox, args.only)
            return
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
