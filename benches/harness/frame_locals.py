#!/usr/bin/env python3
"""Measures what a call pays for each local its callee declares in ssvm-lite, in nanoseconds, to
price `[per_unit] "local"` of the default cost table (docs/default-cost-table.toml).

For each size N, a module calls a function declaring N i64 locals (and doing nothing) in a
loop, as a whole `ssvm-lite run --invoke run` process under the default table, several times; the
median CPU time (user + system) less the start-up's (a module making one call), divided by the calls,
is the time of one call. A least-squares line through (N, ns per call) over each band of sizes
gives the ns per local: frames copied from their template (N <= 256), frames zeroed by a fill
that stays in the caches (up to 16,000 locals, 128 KB) and frames beyond them (up to 16 M). The
price is the dearer of the two in-cache bands', at 2.5 gas per ns (the rate of the bench kernels
under the default table), rounded up to two significant digits, at least 1 (host_calls.py's
`price`): ordinary code is priced at in-cache speeds too. For frames beyond the caches (memory
bandwidth) it prints how many times an ordinary gas's CPU time a gas of them takes.

usage: python3 benches/harness/frame_locals.py [--runs R] [--no-build]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host_calls import BIN, ROOT, cpu_time, fit, price  # noqa: E402

BANDS = {
    "template copy": [0, 32, 64, 128, 256],
    "fill, in cache": [257, 1000, 4000, 16000],
    "fill, beyond the caches": [1_000_000, 4_000_000, 16_000_000],
}
# Locals zeroed per size: enough work to time (about 0.3 s at 1 ns a local).
WORK = 300_000_000


def leb(n):
    """`n` as an unsigned LEB128."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def many_locals(locals_, calls):
    """A binary module (its text would take a token per local): `run` calls, `calls` times, a
    function that declares `locals_` i64 locals and does nothing."""
    def section(sid, body):
        return bytes([sid]) + leb(len(body)) + body

    def func(body):
        return leb(len(body)) + body

    callee = b"\x01" + leb(locals_) + b"\x7e\x0b"
    # (local i32) loop: call 0, i += 1, br_if while i < calls; end; end
    runner = (b"\x01\x01\x7f\x03\x40\x10\x00\x20\x00\x41\x01\x6a\x22\x00\x41" + leb_signed(calls)
              + b"\x49\x0d\x00\x0b\x0b")
    return (b"\x00asm\x01\x00\x00\x00" + section(1, b"\x01\x60\x00\x00")
            + section(3, b"\x02\x00\x00") + section(7, b"\x01\x03run\x00\x01")
            + section(10, b"\x02" + func(callee) + func(runner)))


def leb_signed(n):
    """`n` (non-negative, below 2^31) as a signed LEB128."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        done = n == 0 and not byte & 0x40
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def calls_for(n):
    """Calls of an N-local function that make about WORK locals, or call overhead for small N."""
    return max(10, min(3_000_000, WORK // (n + 100)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ssvm-lite"], cwd=ROOT,
                       check=True)
    sizes = [n for band in BANDS.values() for n in band]
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for n in sizes:
            paths[n] = os.path.join(tmp, f"l{n}.wasm")
            with open(paths[n], "wb") as f:
                f.write(many_locals(n, calls_for(n)))
        once = os.path.join(tmp, "once.wasm")
        with open(once, "wb") as f:
            f.write(many_locals(0, 1))
        times = {n: [] for n in sizes}
        startup = []
        for _ in range(args.runs):
            startup.append(cpu_time([BIN, "run", "--invoke", "run", once]))
            for n in sizes:
                times[n].append(cpu_time([BIN, "run", "--invoke", "run", paths[n]]))
    base = statistics.median(startup)
    per_call = {n: (statistics.median(times[n]) - base) / calls_for(n) * 1e9 for n in sizes}
    load = os.getloadavg()
    print(f"median of {args.runs} runs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"start-up {base * 1000:.1f} ms of CPU")
    print()
    print("| locals | calls | ns per call |")
    print("| ---: | ---: | ---: |")
    for n in sizes:
        print(f"| {n} | {calls_for(n)} | {per_call[n]:.1f} |")
    print()
    slopes = {}
    for band, ns in BANDS.items():
        slope, intercept = fit([(n, per_call[n]) for n in ns])
        slopes[band] = slope
        print(f"{band}: {slope:.3f} ns per local, {slope * 2.5:.2f} gas at 2.5 gas per ns (line "
              f"through {ns[0]}..{ns[-1]}: {intercept:.1f} ns at 0)")
    cached = max(slopes["template copy"], slopes["fill, in cache"])
    gas = price(cached)
    beyond = slopes["fill, beyond the caches"] * 2.5 / gas
    print(f"price: {gas} gas per local (in cache {cached:.3f} ns); beyond the caches a gas of "
          f"it takes {beyond:.2f} times an ordinary gas's CPU time")


if __name__ == "__main__":
    main()
