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

    def run_prefix(self):
        """`ENGINE run` and its metering options: the command line up to what is run."""
        if self.name in ("ssvm", "base", "wasmi"):
            return self.program + ["run"]
        if self.name in ("ssvm-metered", "base-metered"):
            return self.program + ["run", *SSVM_METERED_ARGS]
        if self.name == "wasmi-fuel":
            return self.program + ["run", "--fuel", str(WASMI_FUEL)]
        raise ValueError(self.name)

    def argv(self, kernel, n):
        wasm = str(KERNELS_DIR / f"{kernel}.wasm")
        if self.name == "wasm3":
            return self.program + [wasm, str(n)]
        if self.name == "native":
            return [str(KERNELS_DIR / "native" / kernel), str(n)]
        return self.run_prefix() + ["--invoke", "run", wasm, str(n)]

    def wasi_argv(self, wasm, args, preopens=()):
        """The command that runs the WASI command `wasm` with guest arguments `args`, giving it
        each directory in `preopens` under the name it is given by (relative to the cwd)."""
        if self.name == "wasm3":
            return self.program + ["--wasi", str(wasm), *args]
        dirs = [a for d in preopens for a in ("--dir", d)]
        return self.run_prefix() + dirs + [str(wasm), *args]

    def checksum(self, stdout):
        """The checksum in a run's standard output (ValueError when it is not as expected)."""
        if self.name == "wasmi-fuel":
            # wasmi prints `fuel consumed: C, fuel remaining: R` before the result.
            return benchlib.parse_fuel_checksum(stdout)[0]
        return benchlib.parse_checksum(stdout)

    def guest_stdout(self, stdout):
        """What the guest printed, from a WASI run's standard output (ValueError when it is not
        as expected): wasmi-fuel adds its fuel line after the guest's output."""
        if self.name == "wasmi-fuel":
            return benchlib.split_fuel_line(stdout)[0]
        return stdout

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


def find_engines(names, build, install, kernels=(), baseline=None):
    """The engines called `names`, in that order: built, installed or found (`native` builds
    the given kernels). ssvm and wasmi are found once for both their variants. With a
    `baseline` binary, base (and base-metered) follow ssvm (and ssvm-metered)."""
    engines = []
    found = {}
    for name in names:
        if name in ("ssvm", "ssvm-metered"):
            if "ssvm" not in found:
                found["ssvm"] = find_ssvm(build=build)
            engines.append(found["ssvm"] if name == "ssvm" else found["ssvm"].metered(
                name, "metering on (default cost table, no limit)"))
        elif name in ("wasmi", "wasmi-fuel"):
            if "wasmi" not in found:
                found["wasmi"] = find_wasmi(install=install)
            engines.append(found["wasmi"] if name == "wasmi" else found["wasmi"].metered(
                name, "fuel metering"))
        elif name == "wasm3":
            engines.append(find_wasm3(install=install))
        elif name == "native":
            engines.append(find_native(kernels))
        if name in ("ssvm", "ssvm-metered") and baseline is not None:
            base = Engine("base", f"baseline {rel(baseline)}", program=[str(baseline)])
            if not baseline.exists():
                base = Engine("base", unavailable=f"unavailable: no file {baseline}")
            engines.append(base if name == "ssvm" else base.metered(
                "base-metered", "metering on (default cost table, no limit)"))
    for e in engines:
        log(f"engine {e.name}: {e.unavailable or e.version}")
    return engines


# ---- running ----

@dataclass
class Outcome:
    seconds: float
    rss_kib: int | None  # None when it could not be measured
    exit_code: int | None  # minus the signal number when killed by one; None on the timeout
    stdout: str
    stderr: str
    cpu_seconds: float | None = None  # user + system time; None when it could not be measured


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


def run_once(argv, timeout=RUN_TIMEOUT_S, measure=None, cwd=None):
    """Runs argv as a fresh process (in the directory cwd, when given) and returns its wall
    time, peak RSS, CPU time and output.

    With `measure` (the helper built from measure.c) the helper forks and times the process
    and reports its ru_maxrss and CPU time from wait4. Without it, the process is timed from
    Python and its peak RSS and CPU time are not reported (a child of Python starts out with
    Python's own resident set).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="bench-report-") as report:
        command = [str(measure), report.name] + list(argv) if measure else list(argv)
        start = time.perf_counter()
        try:
            # A session of its own, so that a timeout kills the helper and the engine together.
            p = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 start_new_session=True, cwd=cwd)
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
            if code != 0 or len(fields) != 4:
                return Outcome(seconds, None, 125, stdout, stderr + "\nerror: the measuring helper failed")
            seconds, rss_kib, code = float(fields[0]), int(fields[1]), int(fields[2])
            return Outcome(seconds, rss_kib, code, stdout, stderr, float(fields[3]))
        return Outcome(seconds, rss_kib, code, stdout, stderr)


def failure(outcome):
    """Why an outcome is a failure, or None when the process succeeded."""
    if outcome.exit_code is None:
        return f"timed out after {RUN_TIMEOUT_S} s"
    if outcome.exit_code != 0:
        what = f"signal {-outcome.exit_code}" if outcome.exit_code < 0 else f"exit {outcome.exit_code}"
        return f"{what}: {last_error_line(outcome.stderr + outcome.stdout)}"
    return None


def attempt_kernel(engine, kernel, n, measure):
    """One run of run(n) of a kernel: (outcome, checksum or None, why it failed or None)."""
    o = run_once(engine.argv(kernel, n), measure=measure)
    why = failure(o)
    if why is not None:
        return o, None, why
    try:
        return o, engine.checksum(o.stdout), None
    except ValueError as err:
        return o, None, f"unexpected output: {err}"


def first_runs(label, engines, row, attempt):
    """Runs every available engine once (untimed, also a warm-up) and records in its Cell of
    `row` ({engine name: Cell}) what it computed, or why it cannot run this at all (as ssvm
    before `run` existed). attempt(engine) is as attempt_kernel's result."""
    for e in engines:
        cell = row[e.name]
        if e.unavailable:
            cell.error = e.unavailable
            continue
        _, value, why = attempt(e)
        if why is None:
            cell.checksum = value
        else:
            cell.error = f"unavailable: {why}"
            log(f"  {label}: {e.name} {cell.error}")


def agree(label, row, reference=None, preferred=("native", "wasmi")):
    """Compares what the engines of `row` computed with the reference: (name, value) when given,
    else the first of `preferred` that computed something, else any engine. Marks and reports
    every mismatch; returns False when there was one."""
    values = {name: cell.checksum for name, cell in row.items() if cell.checksum is not None}
    if reference is None:
        name = next((p for p in preferred if p in values), next(iter(values), None))
        if name is None:
            return True
        reference = (name, values[name])
    ref_name, ref_value = reference
    agreed = True
    for name, value in values.items():
        if value != ref_value:
            row[name].mismatch = True
            agreed = False
            log(f"!!! MISMATCH on {label}: {name} computed {value}, {ref_name} {ref_value}")
    if agreed and values:
        log(f"  {label}: {ref_value} agreed by {', '.join(values)}"
            + ("" if ref_name in values else f" and {ref_name}"))
    return agreed


def check_kernel(kernel, n, engines, cells, measure):
    """Runs every engine once and compares the checksums. Returns False on a mismatch."""
    row = {e.name: cells[(kernel, e.name)] for e in engines}
    first_runs(kernel, engines, row, lambda e: attempt_kernel(e, kernel, n, measure))
    return agree(f"{kernel} N={n}", row)


def time_rounds(label, engines, row, runs, attempt):
    """--runs rounds over the engines whose Cell in `row` has no error; in round r they run in
    their order rotated by r. A run that fails, or computes something else than the first run
    did, ends that engine's timings."""
    live = [e for e in engines if row[e.name].error is None]
    for r in range(runs):
        for e in benchlib.rotated(live, r):
            cell = row[e.name]
            if cell.error is not None:
                continue
            o, value, why = attempt(e)
            if why is None and value != cell.checksum:
                why = "result changed between runs"
            if why is not None:
                cell.error = f"failed in timed run {r + 1}: {why}"
                cell.times.clear()
                cell.rss_kib.clear()
                cell.cpu.clear()
                log(f"  {label}: {e.name} {cell.error}")
                continue
            cell.times.append(o.seconds)
            if o.rss_kib is not None:
                cell.rss_kib.append(o.rss_kib)
            if o.cpu_seconds is not None:
                cell.cpu.append(o.cpu_seconds)
        done = ", ".join(f"{e.name} {row[e.name].times[-1]:.3f}s" for e in live if row[e.name].times)
        log(f"  {label} round {r + 1}/{runs}: {done}")


def time_kernel(kernel, n, engines, cells, runs, measure):
    row = {e.name: cells[(kernel, e.name)] for e in engines}
    time_rounds(kernel, engines, row, runs, lambda e: attempt_kernel(e, kernel, n, measure))


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


def load_note(load_before, load_after):
    """What the load average says about the run. The harness runs one process at a time, so a
    load above 1.5 means other work ran beside it."""
    if max(load_before, load_after) <= 1.5:
        return ""
    return ("; the machine was shared and loaded: other work ran beside the benchmark, so wall "
            "times include waiting for a CPU")


def machine_section(engines, argv, started, revision, load_before, load_after, script="run.py",
                    command=Engine.describe_command):
    """The markdown list that says how, where and when: the command (`script` and argv), the
    machine, its load, and each engine with its version and `command(engine)`."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- command: `python3 benches/harness/{script}{''.join(' ' + shlex.quote(a) for a in argv)}`",
        f"- date: {started.strftime('%Y-%m-%d %H:%M UTC')}; repository at {revision} "
        "(when the engines were built)",
        f"- machine: {nproc} CPUs (`nproc`), {cpu_model()}, {memory_total()} memory, "
        f"{platform.system()} {platform.release()}",
        f"- load average (1 min) before / after: {load_before:.2f} / {load_after:.2f}"
        + load_note(load_before, load_after),
        "- engines:",
    ]
    for e in engines:
        if e.unavailable:
            lines.append(f"  - `{e.name}`: {e.unavailable}")
        else:
            lines.append(f"  - `{e.name}`: {e.version}; `{command(e)}`")
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

def common_options(p, install_help, doc_help):
    """Adds the options the harness's scripts share: --no-install, --no-build, --doc, --no-doc."""
    p.add_argument("--no-install", action="store_true", help=install_help)
    p.add_argument("--no-build", action="store_true",
                   help="use the existing target/release/ssvm-lite, do not run cargo build")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--doc", type=Path, default=None, help=doc_help)
    g.add_argument("--no-doc", action="store_true", help="write no file")


def name_list(p, text, known, what):
    """The comma-separated names in text; one that is not in `known` is a usage error."""
    names = [x for x in text.split(",") if x]
    for x in names:
        if x not in known:
            p.error(f"unknown {what} {x!r} ({what}s: {', '.join(known)})")
    return names


def write_doc(path, text, begin=benchlib.BEGIN_MARKER, end=benchlib.END_MARKER):
    """Writes text into the generated section (between begin and end) of the file at path."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(benchlib.replace_generated(old, text, begin, end))
    log(f"wrote the results into {rel(path)}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python3 benches/harness/run.py",
        description="Run the compute kernels under ssvm-lite and peer runtimes; print a table.")
    p.add_argument("--runs", type=int, default=None, help="timed runs per engine (default 5; 1 with --quick)")
    p.add_argument("--kernels", default=",".join(SIZES), help="comma-separated (default: all)")
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated (default: all)")
    p.add_argument("--quick", action="store_true", help="about a tenth of the work per kernel")
    p.add_argument("--baseline", type=Path, default=None,
                   help="also run this ssvm-lite binary (an earlier build), as engines base and "
                        "base-metered beside ssvm and ssvm-metered: an A/B in one interleaved run")
    common_options(p, "do not install missing peers",
                   "write the results into this file's generated section (default: "
                   "docs/benchmarks.md, for full runs only)")
    args = p.parse_args(argv)
    args.kernels = name_list(p, args.kernels, SIZES, "kernel")
    args.engines = name_list(p, args.engines, ENGINES, "engine")
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

    engines = find_engines(args.engines, build=not args.no_build, install=not args.no_install,
                           kernels=args.kernels, baseline=args.baseline)
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
        write_doc(args.doc, text)
    if not agreed:
        log("!!! at least one engine printed a different checksum: see MISMATCH above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
