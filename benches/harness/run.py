#!/usr/bin/env python3
"""Compute-kernel benchmarks: ssvm-lite beside peer WebAssembly runtimes.

usage: python3 benches/harness/run.py [--runs N] [--kernels a,b] [--engines ssvm,wasmi,...]
                                      [--quick] [--no-install] [--no-build] [--doc PATH | --no-doc]

For every kernel in benches/kernels (the committed .wasm files), every engine first runs
`run(N)` once, untimed, and every checksum is compared with the native build's (or, without
one, wasmi's); a mismatch is reported loudly, marked in the table and makes the exit status 1.
Then each engine runs the kernel --runs times, the engines interleaved and their order rotated
every round. Each run is a whole process: wall time and peak RSS (from wait4) are recorded,
so module load and compilation are included. The table of medians and ratios is printed and,
for a full run, written into the generated section of docs/benchmarks.md.

Engines: ssvm (target/release/ssvm-lite, built with cargo), ssvm-metered (the same with gas
metering on: default cost table, no limit), wasmi (the wasmi_cli crate, installed into
benches/.tools), wasmi-fuel (the same with its --fuel metering, never running out), wasm3 (the
pywasm3 package, installed into a virtual environment in benches/.tools), native (the kernels
built with the host cc). An engine that is missing or fails is reported as such in the table;
it never stops the run.

Standard library only. Unit tests of the pure parts: python3 -m unittest benches/harness/test_run.py
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
from benchlib import Cell  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KERNELS_DIR = ROOT / "benches" / "kernels"
TOOLS_DIR = ROOT / "benches" / ".tools"
DOC = ROOT / "docs" / "benchmarks.md"

# Per kernel, N such that wasmi 2.0 takes about one second on the project's 2-core machine.
SIZES = {
    "fib": 38,
    "nbody": 2_000_000,
    "fannkuch": 10,
    "mandelbrot": 1800,
    "binarytrees": 17,
    "sorthash": 3_000_000,
    "coremark": 12_000,
}
# About a tenth of the work, for a quick look (--quick).
QUICK_SIZES = {
    "fib": 33,
    "nbody": 200_000,
    "fannkuch": 9,
    "mandelbrot": 560,
    "binarytrees": 14,
    "sorthash": 300_000,
    "coremark": 1_200,
}

ENGINES = ("ssvm", "ssvm-metered", "wasmi", "wasmi-fuel", "wasm3", "native")
SUBJECT = "ssvm"
# ssvm-metered: any gas option turns metering on; the report (gas used) is thrown away, so the
# run is metered with the default cost table and no limit.
SSVM_METERED_ARGS = ["--gas-report", "/dev/null"]
# wasmi-fuel: the most fuel `wasmi run --fuel <N>` accepts (u64::MAX), so it never runs out.
WASMI_FUEL = (1 << 64) - 1
WASMI_VERSION = "2.0.0"
PYWASM3_VERSION = "0.5.0"
RUN_TIMEOUT_S = 300


def log(message):
    print(message, file=sys.stderr, flush=True)


@dataclass
class Engine:
    """A way to run `run(N)` of a kernel in a fresh process."""

    name: str
    version: str = ""
    unavailable: str | None = None  # why it cannot run at all
    program: list | None = None  # argv prefix

    def argv(self, kernel, n):
        wasm = str(KERNELS_DIR / f"{kernel}.wasm")
        if self.name in ("ssvm", "base", "wasmi"):
            return self.program + ["run", "--invoke", "run", wasm, str(n)]
        if self.name in ("ssvm-metered", "base-metered"):
            return self.program + ["run", "--invoke", "run", *SSVM_METERED_ARGS, wasm, str(n)]
        if self.name == "wasmi-fuel":
            return self.program + ["run", "--fuel", str(WASMI_FUEL), "--invoke", "run", wasm, str(n)]
        if self.name == "wasm3":
            return self.program + [wasm, str(n)]
        if self.name == "native":
            return [str(KERNELS_DIR / "native" / kernel), str(n)]
        raise ValueError(self.name)

    def checksum(self, stdout):
        """The checksum in a run's standard output (ValueError when it is not as expected)."""
        if self.name == "wasmi-fuel":
            # wasmi prints `fuel consumed: C, fuel remaining: R` before the result.
            return benchlib.parse_fuel_checksum(stdout)[0]
        return benchlib.parse_checksum(stdout)

    def metered(self, name, note):
        """This engine with metering on, as the engine `name` (unavailable when this one is)."""
        if self.unavailable:
            return Engine(name, unavailable=self.unavailable)
        return Engine(name, f"{self.version}, {note}", program=self.program)

    def describe_command(self):
        """The command line, with FILE and N for the kernel and its size."""
        if self.name == "native":
            return "benches/kernels/native/KERNEL N"
        argv = self.argv("KERNEL", "N")
        return " ".join(shlex.quote(rel(a)) for a in argv)


def rel(path):
    """path relative to the repository root when it is inside it."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def capture(argv, **kwargs):
    """(exit code, stdout + stderr) of a short command; (None, reason) when it cannot start."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)
    except OSError as e:
        return None, str(e)
    return p.returncode, p.stdout + p.stderr


def stream(argv, **kwargs):
    """Runs a long command with its output on our stderr; (exit code, last lines of output)."""
    log("$ " + " ".join(shlex.quote(a) for a in argv))
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             stdin=subprocess.DEVNULL, **kwargs)
    except OSError as e:
        return None, str(e)
    tail = []
    for line in p.stdout:
        sys.stderr.write("  " + line)
        tail = (tail + [line.rstrip()])[-20:]
    return p.wait(), "\n".join(tail)


def last_error_line(output):
    """The most telling line of a failed command's output."""
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    for line in lines:
        if line.startswith("error"):
            return benchlib.shorten(line)
    return benchlib.shorten(lines[-1]) if lines else "no output"


# ---- engines: find, install or build ----

def wasmi_version(path):
    code, out = capture([str(path), "--version"])
    return out.strip() if code == 0 else None


def find_wasmi(install):
    local = TOOLS_DIR / "bin" / "wasmi"
    want = f"wasmi {WASMI_VERSION}"
    candidates = [local] + ([Path(shutil.which("wasmi"))] if shutil.which("wasmi") else [])
    for c in candidates:
        if c.exists() and wasmi_version(c) == want:
            return Engine("wasmi", want, program=[str(c)])
    how = f"cargo install --root benches/.tools wasmi_cli --version {WASMI_VERSION} --locked"
    if not install:
        return Engine("wasmi", unavailable=f"unavailable: not installed (--no-install; {how})")
    prepare_tools_dir()
    log(f"installing wasmi {WASMI_VERSION} into benches/.tools (takes minutes)")
    code, out = stream(["cargo", "install", "--root", str(TOOLS_DIR), "wasmi_cli",
                        "--version", WASMI_VERSION, "--locked"])
    if code == 0 and wasmi_version(local) == want:
        return Engine("wasmi", want, program=[str(local)])
    return Engine("wasmi", unavailable=f"unavailable: `{how}` failed: {last_error_line(out)}")


def pywasm3_version(python):
    code, out = capture([str(python), "-c", "import wasm3; print(wasm3.M3_VERSION)"])
    return out.strip() if code == 0 else None


def find_wasm3(install):
    venv = TOOLS_DIR / "pywasm3"
    python = venv / "bin" / "python"
    runner = [str(python), str(Path(__file__).resolve().parent / "wasm3_run.py")]
    version = pywasm3_version(python) if python.exists() else None
    if version is None and install:
        prepare_tools_dir()
        log(f"installing pywasm3 {PYWASM3_VERSION} into benches/.tools/pywasm3")
        code, out = stream([sys.executable, "-m", "venv", str(venv)])
        if code == 0:
            code, out = stream([str(python), "-m", "pip", "install", "--quiet",
                                f"pywasm3=={PYWASM3_VERSION}"])
        if code != 0:
            return Engine("wasm3", unavailable=f"unavailable: installing pywasm3 failed: "
                                               f"{last_error_line(out)}")
        version = pywasm3_version(python)
    if version is None:
        why = "not installed (--no-install)" if not install else "pywasm3 does not import"
        return Engine("wasm3", unavailable=f"unavailable: {why}")
    return Engine("wasm3", f"wasm3 {version} (pywasm3 {PYWASM3_VERSION})", program=runner)


def prepare_tools_dir():
    """benches/.tools holds installed peers; a .gitignore of `*` keeps it out of git."""
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    ignore = TOOLS_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def cargo_target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def find_ssvm(build):
    binary = cargo_target_dir() / "release" / "ssvm-lite"
    if build:
        log("building ssvm-lite (cargo build --release -p ssvm-lite)")
        code, out = stream(["cargo", "build", "--release", "-p", "ssvm-lite"], cwd=ROOT)
        if code != 0:
            return Engine("ssvm", unavailable=f"unavailable: cargo build failed: {last_error_line(out)}")
    if not binary.exists():
        return Engine("ssvm", unavailable=f"unavailable: no {rel(binary)}")
    code, out = capture([str(binary), "--version"])
    version = out.strip() if code == 0 else "ssvm-lite (no --version)"
    return Engine("ssvm", version, program=[str(binary)])


def find_native(kernels):
    code, out = stream(["bash", str(KERNELS_DIR / "build.sh"), "--native-only", *kernels])
    if code != 0:
        return Engine("native", unavailable=f"unavailable: native build failed: {last_error_line(out)}")
    code, out = capture(["cc", "--version"])
    version = out.splitlines()[0] if code == 0 and out else "cc"
    return Engine("native", f"{version}, -O2", program=[])


# ---- running ----

@dataclass
class Outcome:
    seconds: float
    rss_kib: int | None  # None when it could not be measured
    exit_code: int | None  # minus the signal number when killed by one; None on the timeout
    stdout: str
    stderr: str


def build_measure():
    """Builds the measuring helper (measure.c) with the host cc; its path, or None without cc."""
    source = Path(__file__).resolve().parent / "measure.c"
    binary = cargo_target_dir() / "bench-harness" / "measure"
    if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    code, out = capture(["cc", "-O2", "-o", str(binary), str(source)])
    if code != 0:
        log(f"cannot build the measuring helper ({last_error_line(out)}): peak RSS will not be "
            "measured and times include Python's spawn")
        return None
    return binary


def run_once(argv, timeout=RUN_TIMEOUT_S, measure=None):
    """Runs argv as a fresh process and returns its wall time, peak RSS and output.

    With `measure` (the helper built from measure.c) the helper forks and times the process
    and reports its ru_maxrss from wait4. Without it, the process is timed from Python and its
    peak RSS is not reported (a child of Python starts out with Python's own resident set).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="bench-report-") as report:
        command = [str(measure), report.name] + list(argv) if measure else list(argv)
        start = time.perf_counter()
        try:
            # A session of its own, so that a timeout kills the helper and the engine together.
            p = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 start_new_session=True)
        except OSError as e:
            return Outcome(0.0, None, 127, "", f"error: cannot start {command[0]}: {e}")
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            code = p.wait()
        finally:
            timer.cancel()
        seconds, rss_kib = time.perf_counter() - start, None
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if killed:
            return Outcome(seconds, None, None, stdout, stderr)
        if measure:
            fields = Path(report.name).read_text().split()
            if code != 0 or len(fields) != 3:
                return Outcome(seconds, None, 125, stdout, stderr + "\nerror: the measuring helper failed")
            seconds, rss_kib, code = float(fields[0]), int(fields[1]), int(fields[2])
        return Outcome(seconds, rss_kib, code, stdout, stderr)


def failure(outcome):
    """Why an outcome is a failure, or None when the process succeeded."""
    if outcome.exit_code is None:
        return f"timed out after {RUN_TIMEOUT_S} s"
    if outcome.exit_code != 0:
        what = f"signal {-outcome.exit_code}" if outcome.exit_code < 0 else f"exit {outcome.exit_code}"
        return f"{what}: {last_error_line(outcome.stderr + outcome.stdout)}"
    return None


def check_kernel(kernel, n, engines, cells, measure):
    """Runs every engine once (untimed, also a warm-up) and compares the checksums.
    Returns False on a mismatch."""
    for e in engines:
        cell = cells[(kernel, e.name)]
        if e.unavailable:
            cell.error = e.unavailable
            continue
        o = run_once(e.argv(kernel, n), measure=measure)
        why = failure(o)
        if why is None:
            try:
                cell.checksum = e.checksum(o.stdout)
            except ValueError as err:
                why = f"unexpected output: {err}"
        if why is not None:
            # An engine that cannot run the kernel at all (as ssvm before `run` exists).
            cell.error = f"unavailable: {why}"
            log(f"  {kernel}: {e.name} {cell.error}")
    sums = {e.name: cells[(kernel, e.name)].checksum for e in engines
            if cells[(kernel, e.name)].checksum is not None}
    reference = next((name for name in ("native", "wasmi") if name in sums), None)
    if reference is None and sums:
        reference = next(iter(sums))
    agreed = True
    for name, value in sums.items():
        if value != sums[reference]:
            cells[(kernel, name)].mismatch = True
            agreed = False
            log(f"!!! CHECKSUM MISMATCH on {kernel} N={n}: {name} printed {value}, "
                f"{reference} printed {sums[reference]}")
    if agreed and sums:
        log(f"  {kernel} N={n}: checksum {sums[reference]} agreed by {', '.join(sums)}")
    return agreed


def time_kernel(kernel, n, engines, cells, runs, measure):
    """--runs rounds; in round r the engines run in their order rotated by r."""
    live = [e for e in engines if cells[(kernel, e.name)].error is None]
    for r in range(runs):
        for e in benchlib.rotated(live, r):
            cell = cells[(kernel, e.name)]
            if cell.error is not None:
                continue
            o = run_once(e.argv(kernel, n), measure=measure)
            why = failure(o)
            if why is None:
                try:
                    if e.checksum(o.stdout) != cell.checksum:
                        why = "checksum changed between runs"
                except ValueError as err:
                    why = f"unexpected output: {err}"
            if why is not None:
                cell.error = f"failed in timed run {r + 1}: {why}"
                cell.times.clear()
                cell.rss_kib.clear()
                log(f"  {kernel}: {e.name} {cell.error}")
                continue
            cell.times.append(o.seconds)
            if o.rss_kib is not None:
                cell.rss_kib.append(o.rss_kib)
        done = ", ".join(f"{e.name} {cells[(kernel, e.name)].times[-1]:.3f}s"
                         for e in live if cells[(kernel, e.name)].times)
        log(f"  {kernel} round {r + 1}/{runs}: {done}")


# ---- the report ----

def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def git_revision():
    """The commit checked out, and which tracked files differ from it (the build includes them)."""
    code, out = capture(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    if code != 0:
        return "unknown"
    rev = out.strip()
    code, out = capture(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    changed = [line[3:] for line in out.splitlines() if line.strip()] if code == 0 else []
    if not changed:
        return rev
    shown = ", ".join(f"`{c}`" for c in changed[:6]) + (", ..." if len(changed) > 6 else "")
    return f"{rev}, with uncommitted changes to {shown}"


def machine_section(engines, argv, started, revision, load_before, load_after):
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- command: `python3 benches/harness/run.py{''.join(' ' + shlex.quote(a) for a in argv)}`",
        f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')}; repository at {revision} "
        "(when the engines were built)",
        f"- machine: {nproc} CPUs (`nproc`), {cpu_model()}, {memory_total()} memory, "
        f"{platform.system()} {platform.release()}",
        f"- load average (1 min) before / after: {load_before:.2f} / {load_after:.2f}",
        "- engines:",
    ]
    for e in engines:
        if e.unavailable:
            lines.append(f"  - `{e.name}`: {e.unavailable}")
        else:
            lines.append(f"  - `{e.name}`: {e.version}; `{e.describe_command()}`")
    return "\n".join(lines) + "\n"


def report(kernels, engines, cells, machine):
    names = [e.name for e in engines]
    pairs = benchlib.ratio_columns(names, SUBJECT)
    parts = [
        "## Results\n",
        machine,
        f"Median wall time of {runs_text(cells)} per engine, in seconds"
        + ("; `A/B` is the ratio of A's median to B's (above 1: A is slower than B)"
           if pairs else "")
        + ("; `ssvm-metered/ssvm` is the cost of metering" if ("ssvm-metered", "ssvm") in pairs else "")
        + "; RSS is the largest peak resident set of the runs.\n",
        benchlib.format_table(kernels, names, cells, SUBJECT),
    ]
    notes = benchlib.format_notes(kernels, names, cells)
    if notes:
        parts += ["Notes:\n", notes]
    parts += ["Every run:\n", benchlib.format_details(kernels, names, cells)]
    return "\n".join(parts)


def runs_text(cells):
    counts = {len(c.times) for c in cells.values() if c.times}
    if len(counts) == 1:
        (n,) = counts
        return f"{n} run{'s' if n != 1 else ''}"
    return "the runs"


# ---- main ----

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python3 benches/harness/run.py",
        description="Run the compute kernels under ssvm-lite and peer runtimes; print a table.")
    p.add_argument("--runs", type=int, default=None, help="timed runs per engine (default 5; 1 with --quick)")
    p.add_argument("--kernels", default=",".join(SIZES), help="comma-separated (default: all)")
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated (default: all)")
    p.add_argument("--quick", action="store_true", help="about a tenth of the work per kernel")
    p.add_argument("--no-install", action="store_true", help="do not install missing peers")
    p.add_argument("--no-build", action="store_true",
                   help="use the existing target/release/ssvm-lite, do not run cargo build")
    p.add_argument("--baseline", type=Path, default=None,
                   help="also run this ssvm-lite binary (an earlier build), as engines base and "
                        "base-metered beside ssvm and ssvm-metered: an A/B in one interleaved run")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--doc", type=Path, default=None,
                   help="write the results into this file's generated section (default: "
                        "docs/benchmarks.md, for full runs only)")
    g.add_argument("--no-doc", action="store_true", help="write no file")
    args = p.parse_args(argv)
    args.kernels = [k for k in args.kernels.split(",") if k]
    args.engines = [e for e in args.engines.split(",") if e]
    for k in args.kernels:
        if k not in SIZES:
            p.error(f"unknown kernel {k!r} (kernels: {', '.join(SIZES)})")
    for e in args.engines:
        if e not in ENGINES:
            p.error(f"unknown engine {e!r} (engines: {', '.join(ENGINES)})")
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.runs < 1:
        p.error("--runs must be at least 1")
    full = not args.quick and args.kernels == list(SIZES) and args.baseline is None
    if args.doc is None and not args.no_doc and full:
        args.doc = DOC
    return args


def main(argv):
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    sizes = QUICK_SIZES if args.quick else SIZES
    kernels = [(k, sizes[k]) for k in args.kernels]

    engines = []
    found = {}  # ssvm and wasmi are found (built, installed) once for both their variants
    for name in args.engines:
        if name in ("ssvm", "ssvm-metered"):
            if "ssvm" not in found:
                found["ssvm"] = find_ssvm(build=not args.no_build)
            engines.append(found["ssvm"] if name == "ssvm" else found["ssvm"].metered(
                name, "metering on (default cost table, no limit)"))
        elif name in ("wasmi", "wasmi-fuel"):
            if "wasmi" not in found:
                found["wasmi"] = find_wasmi(install=not args.no_install)
            engines.append(found["wasmi"] if name == "wasmi" else found["wasmi"].metered(
                name, "fuel metering"))
        elif name == "wasm3":
            engines.append(find_wasm3(install=not args.no_install))
        elif name == "native":
            engines.append(find_native(args.kernels))
        if name in ("ssvm", "ssvm-metered") and args.baseline is not None:
            base = Engine("base", f"baseline {rel(args.baseline)}", program=[str(args.baseline)])
            if not args.baseline.exists():
                base = Engine("base", unavailable=f"unavailable: no file {args.baseline}")
            engines.append(base if name == "ssvm" else base.metered(
                "base-metered", "metering on (default cost table, no limit)"))
    for e in engines:
        log(f"engine {e.name}: {e.unavailable or e.version}")
    revision = git_revision()

    measure = build_measure()
    load_before = os.getloadavg()[0]
    cells = {(k, e.name): Cell() for k, _ in kernels for e in engines}
    agreed = True
    for kernel, n in kernels:
        log(f"{kernel} (N = {n})")
        agreed &= check_kernel(kernel, n, engines, cells, measure)
        time_kernel(kernel, n, engines, cells, args.runs, measure)
    load_after = os.getloadavg()[0]

    machine = machine_section(engines, argv, started, revision, load_before, load_after)
    text = report(kernels, engines, cells, machine)
    print(text)
    if args.doc is not None:
        path = args.doc
        old = path.read_text() if path.exists() else "# Benchmarks\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(benchlib.replace_generated(old, text))
        log(f"wrote the results into {rel(path)}")
    if not agreed:
        log("!!! at least one engine printed a different checksum: see MISMATCH above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
