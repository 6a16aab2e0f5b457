#!/usr/bin/env python3
"""Gas per CPU second of adversarial modules beside ordinary code's (issue 12's done-when: the
CPU time per gas of each is within 10x of ordinary code's, or a limit stops it within 1 s of CPU).

Each module (the modules of crates/cli/tests/adversarial.rs, sized here to do real work for a
fraction of a second) runs as a whole `ssvm-lite run` process, metered by the default cost table
(`--gas-report`), --runs times, interleaved; CPU time (user + system) and peak RSS come from
wait4. Ordinary code is the bench kernels fib, mandelbrot and sorthash under the same table; its
gas per CPU second is their median. The ratio printed is (ordinary gas/s) / (module gas/s): how
many times more CPU a gas of the module buys than a gas of ordinary code; CPU times have the
start-up's (an empty module's run) taken off, and a run whose work takes under 20 ms of CPU is not
rated (its CPU time and exit code are the result).

usage: python3 benches/harness/adversarial.py [--runs R] [--no-build]
Needs `wat2wasm` (Debian's wabt; installed with apt-get when missing and running as root).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frame_locals import many_locals  # noqa: E402
from host_calls import BIN, ROOT, fill, need_wat2wasm  # noqa: E402

KERNELS = {"fib": 32, "mandelbrot": 600, "sorthash": 1_000_000}


def imports(*names):
    types = {
        "random_get": "(param i32 i32) (result i32)",
        "poll_oneoff": "(param i32 i32 i32 i32) (result i32)",
        "fd_write": "(param i32 i32 i32 i32) (result i32)",
        "fd_pwrite": "(param i32 i32 i32 i64 i32) (result i32)",
        "fd_readdir": "(param i32 i32 i32 i64 i32) (result i32)",
        "path_open": "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
        "fd_close": "(param i32) (result i32)",
        "path_filestat_get": "(param i32 i32 i32 i32 i32) (result i32)",
    }
    return " ".join(f'(import "wasi_snapshot_preview1" "{n}" (func ${n} {types[n]}))'
                    for n in names)


def loop(n, body):
    """`body` `n` times (the function declares `(local $i i32)`)."""
    return (f"(local.set $i (i32.const 0)) (loop $l {body} (local.set $i (i32.add (local.get $i) (i32.const 1)))"
            f" (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))")


OPEN = ("(drop (call $path_open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const {len}) "
        "(i32.const {oflags}) (i64.const {rights}) (i64.const 0) (i32.const 0) (i32.const 8)))")

# name: (what it does, module text, extra arguments; {dir} is the sandbox)
MODULES = {
    "start-up": ("an empty function: what every run spends before the work (subtracted below)",
        """(module (func (export "run")))""", []),
    "random_get 64 MiB": ("one random_get of 64 MiB", f"""(module {imports("random_get")}
      (memory 1024) (func (export "run") (result i32)
        (call $random_get (i32.const 0) (i32.const 0x4000000))))""", []),
    "poll_oneoff 4 M clocks": ("one poll_oneoff of 4 M expired clock subscriptions",
        f"""(module {imports("poll_oneoff")} (memory 5200) (func (export "run") (result i32)
      (call $poll_oneoff (i32.const 0) (i32.const 192000000) (i32.const 4000000)
        (i32.const 4))))""", []),
    "poll_oneoff 4000 fds, x300": ("300 polls of 4000 subscriptions on a file",
        f"""(module {imports("poll_oneoff", "path_open")} (memory 6)
      (data (i32.const 16) "f") (func (export "run") (local $i i32) (local $j i32) (local $fd i32)
      {OPEN.format(len=1, oflags=0, rights=-1)} (local.set $fd (i32.load (i32.const 8)))
      {fill(1024, 4000, 48, [(8, "(i32.const 1)"), (16, "(local.get $fd)")])}
      {loop(300, "(drop (call $poll_oneoff (i32.const 1024) (i32.const 200000) (i32.const 4000) (i32.const 4)))")}))""",
        ["--dir", "{dir}::."]),
    "fd_write 64 M empty iovecs": ("one fd_write of 64 M zero-length iovecs",
        f"""(module {imports("fd_write")} (memory 8200) (func (export "run") (result i32)
      (call $fd_write (i32.const 1) (i32.const 0) (i32.const 64000000) (i32.const 520000000))))""",
        []),
    "fd_pwrite 1024 1-byte iovecs, x2000": ("2000 fd_pwrite of 1024 one-byte buffers to a file",
        f"""(module {imports("fd_pwrite", "path_open")} (memory 1)
      (data (i32.const 16) "w") (func (export "run") (local $i i32) (local $j i32) (local $fd i32)
      {OPEN.format(len=1, oflags=1, rights=-1)} (local.set $fd (i32.load (i32.const 8)))
      {fill(1024, 1024, 8, [(0, "(i32.const 20000)"), (4, "(i32.const 1)")])}
      {loop(2000, "(drop (call $fd_pwrite (local.get $fd) (i32.const 1024) (i32.const 1024) (i64.const 0) (i32.const 4)))")}))""",
        ["--dir", "{dir}::."]),
    "fd_pwrite 16 MiB, x40": ("40 fd_pwrite of 16 MiB to a file at offset 0",
        f"""(module {imports("fd_pwrite", "path_open")} (memory 300)
      (data (i32.const 16) "w") (func (export "run") (local $i i32) (local $fd i32)
      {OPEN.format(len=1, oflags=1, rights=-1)} (local.set $fd (i32.load (i32.const 8)))
      (i32.store (i32.const 32) (i32.const 65536)) (i32.store (i32.const 36) (i32.const 0x1000000))
      {loop(40, "(drop (call $fd_pwrite (local.get $fd) (i32.const 32) (i32.const 1) (i64.const 0) (i32.const 4)))")}))""",
        ["--dir", "{dir}::."]),
    "fd_readdir from cookie 0, x3000": ("3000 fd_readdir from cookie 0 of a 10k-entry directory",
        f"""(module {imports("fd_readdir", "path_open")} (memory 2)
      (data (i32.const 16) "many") (func (export "run") (local $i i32)
      {OPEN.format(len=4, oflags=2, rights=0x4000)}
      {loop(3000, "(drop (call $fd_readdir (i32.load (i32.const 8)) (i32.const 1024) (i32.const 64000) (i64.const 0) (i32.const 4)))")}))""",
        ["--dir", "{dir}::."]),
    "fd_readdir fresh listings, x100": ("100 path_open + fd_readdir + fd_close of a 10k-entry directory",
        f"""(module {imports("fd_readdir", "path_open", "fd_close")} (memory 2)
      (data (i32.const 16) "many") (func (export "run") (local $i i32)
      {loop(100, OPEN.format(len=4, oflags=2, rights=0x4000) + " (drop (call $fd_readdir (i32.load (i32.const 8)) (i32.const 1024) (i32.const 64000) (i64.const 0) (i32.const 4))) (drop (call $fd_close (i32.load (i32.const 8))))")}))""",
        ["--dir", "{dir}::."]),
    "path_filestat_get of ./x2047 f, x3000": ("3000 path_filestat_get of a 4095-byte path",
        f"""(module {imports("path_filestat_get")} (memory 1)
      (data (i32.const 1024) "{'./' * 2047}f") (func (export "run") (local $i i32)
      {loop(3000, "(drop (call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const 1024) (i32.const 4095) (i32.const 8192)))")}))""",
        ["--dir", "{dir}::."]),
    "sleep 0.5 s": ("one poll_oneoff of a 0.5 s clock (CPU per gas; the wall time is the sleep)",
        f"""(module {imports("poll_oneoff")} (memory 1)
      (data (i32.const 16) "\\01\\00\\00\\00\\00\\00\\00\\00\\00\\65\\cd\\1d")
      (func (export "run") (result i32)
        (call $poll_oneoff (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200))))""", []),
    "memory.grow 1 page to 1 GiB": ("memory.grow by one page until --max-memory 1G refuses",
        """(module (memory 1) (func (export "run") (result i32)
      (block $full (loop $grow (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow))) (memory.size)))""", ["--max-memory", "1G"]),
    "deep trap, 100 KB names": ("a trap 90,002 frames deep in a function with a 100 KB name",
        f"""(module (func ${'n' * 100_000} (param i32)
      (if (i32.eqz (local.get 0)) (then unreachable))
      (call ${'n' * 100_000} (i32.sub (local.get 0) (i32.const 1))))
      (func (export "run") (call ${'n' * 100_000} (i32.const 90000))))""", []),
    "call of 16 M i64 locals, x20": ("20 calls of a function declaring 16,000,000 i64 locals",
        many_locals(16_000_000, 20), []),
    "gas profile, 20,000 deep, x100": ("--gas-profile of 100 recursions 20,000 deep",
        f"""(module (func $rec (param i32) (if (i32.eqz (local.get 0)) (then return))
      (call $rec (i32.sub (local.get 0) (i32.const 1))))
      (func (export "run") (local $i i32) {loop(100, "(call $rec (i32.const 20000))")}))""",
        ["--gas-profile", "{tmp}/profile"]),
}


def run_once(args, report):
    """Runs `ssvm-lite run ARGS`; (CPU seconds, wall seconds, peak RSS KiB, exit code, report)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen([BIN, "run", "--gas-report", report, *args],
                                stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(report) as f:
        gas = json.load(f)["gas_used"]
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, proc.returncode, gas


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    need_wat2wasm()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ssvm-lite"], cwd=ROOT,
                       check=True)
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = os.path.join(tmp, "d")
        os.makedirs(os.path.join(sandbox, "many"))
        for name, data in (("f", b"x"), ("w", b"")):
            with open(os.path.join(sandbox, name), "wb") as f:
                f.write(data)
        for i in range(10_000):
            open(os.path.join(sandbox, "many", f"entry-{i:05}"), "w").close()
        commands = {}
        for kernel, n in KERNELS.items():
            wasm = os.path.join(ROOT, "benches", "kernels", f"{kernel}.wasm")
            commands[f"kernel {kernel}({n})"] = ["--invoke", "run", wasm, str(n)]
        for i, (name, (_, text, extra)) in enumerate(MODULES.items()):
            src = os.path.join(tmp, f"m{i}.wat")
            if isinstance(text, bytes):
                with open(src[:-4] + ".wasm", "wb") as f:
                    f.write(text)
            else:
                with open(src, "w") as f:
                    f.write(text)
                subprocess.run(["wat2wasm", "--debug-names", src, "-o", src[:-4] + ".wasm"],
                               check=True)
            extra = [a.format(dir=sandbox, tmp=tmp) for a in extra]
            commands[name] = [*extra, "--invoke", "run", src[:-4] + ".wasm"]
        results = {name: [] for name in commands}
        report = os.path.join(tmp, "report.json")
        for _ in range(args.runs):
            for name, command in commands.items():
                results[name].append(run_once(command, report))

    def med(name, k):
        return statistics.median(r[k] for r in results[name])

    startup = med("start-up", 0)

    def rate(name):
        """Gas per CPU second of the work (the start-up's CPU time taken off), or None when
        the work takes too little CPU to time (under 20 ms)."""
        work = med(name, 0) - startup
        return med(name, 4) / work if work >= 0.02 else None

    ordinary = statistics.median(rate(n) for n in commands if n.startswith("kernel "))
    load = os.getloadavg()
    print(f"median of {args.runs} interleaved runs; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; start-up {startup * 1000:.0f} ms of CPU; ordinary code (median of "
          f"the kernels): {ordinary:.3g} gas per CPU second")
    print()
    print("| module | what it does | exit | gas used | CPU s | wall s | peak RSS MiB | gas per CPU s "
          "| CPU per gas vs ordinary |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in commands:
        what = "ordinary code" if name.startswith("kernel ") else MODULES[name][0]
        cpu, wall, rss, code, gas = (med(name, k) for k in range(5))
        r = rate(name)
        rated = (f"{r:.3g} | {ordinary / r:.2f}" if r else "too little CPU to time | -")
        print(f"| {name} | {what} | {code:.0f} | {gas:.4g} | {cpu:.3f} | {wall:.3f} | "
              f"{rss / 1024:.0f} | {rated} |")


if __name__ == "__main__":
    main()
