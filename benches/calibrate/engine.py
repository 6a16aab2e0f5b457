"""Running `ssvm-lite` for the calibration: gas reports with per-opcode counts, CPU times of
metered runs (as a bill is paid: a cost table, no histogram), and instruction counts under
valgrind's callgrind.

A *job* is one process: a module, how it is called (`--invoke run N`, or a WASI command with
arguments and directories) and the directory it runs in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "harness"))
import run as harness  # noqa: E402

ROOT = harness.ROOT
SSVM = harness.cargo_target_dir() / "release" / "ssvm-lite"


@dataclass(frozen=True)
class Job:
    module: Path
    args: tuple  # after the module: run's argument, or the guest's arguments
    invoke: bool = True  # --invoke run, else a WASI command
    dirs: tuple = ()  # --dir arguments, relative to cwd
    cwd: Path | None = None
    # Host directories to link into a fresh cwd under these names (a WASI program's preopens).
    links: tuple = field(default=())

    def argv(self, flags):
        base = [str(SSVM), "run", *flags]
        if self.invoke:
            return base + ["--invoke", "run", str(self.module), *map(str, self.args)]
        return base + [a for d in self.dirs for a in ("--dir", d)] + [str(self.module), *self.args]


class Failed(RuntimeError):
    pass


def _run(job, flags, measure):
    """Runs job once with flags; (outcome, the gas report or None)."""
    with tempfile.TemporaryDirectory(prefix="calibrate-") as scratch:
        scratch = Path(scratch)
        cwd = job.cwd
        if job.links:
            cwd = scratch / "cwd"
            cwd.mkdir()
            for name, target in job.links:
                if target is None:
                    (cwd / name).mkdir()
                else:
                    (cwd / name).symlink_to(target)
        report = scratch / "gas.json"
        o = harness.run_once(job.argv([*flags, "--gas-report", str(report)]), measure=measure, cwd=cwd)
        why = harness.failure(o)
        if why is not None:
            raise Failed(f"{' '.join(job.argv(flags))}: {why}")
        return o, json.loads(report.read_text())


def gas_report(job, table, histogram=False, measure=None):
    """The gas report of one run under the cost table file `table`."""
    flags = ["--cost-table", str(table)] + (["--histogram"] if histogram else [])
    return _run(job, flags, measure)[1]


def timed(job, table, measure):
    """(CPU seconds, gas used, wall seconds) of one metered run under `table`, as a bill is
    paid."""
    o, report = _run(job, ["--cost-table", str(table)], measure)
    if o.cpu_seconds is None:
        raise Failed("the measuring helper reported no CPU time")
    return o.cpu_seconds, report["gas_used"], o.seconds


def until_stable(sample, rel=0.02, least=5, most=15):
    """Calls sample() (a number) until the median's spread is small: at least `least` times,
    then until the median absolute deviation is below rel of the median, at most `most` times.
    The samples, in order."""
    xs = []
    while len(xs) < most:
        xs.append(sample())
        if len(xs) >= least:
            med = statistics.median(xs)
            mad = statistics.median(abs(x - med) for x in xs)
            if med > 0 and mad <= rel * med:
                break
    return xs


def debian_tool(command, package):
    """The path of command, installing the Debian package when it is missing and this runs as
    root where apt-get exists."""
    found = shutil.which(command)
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                       stdout=subprocess.DEVNULL)
        found = shutil.which(command)
    if not found:
        raise SystemExit(f"calibrate: needs {command}: install Debian's {package} "
                         f"(apt-get install {package})")
    return found


def valgrind():
    return debian_tool("valgrind", "valgrind")


_TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.M)


def instructions(job, table):
    """Host instructions executed (callgrind's Ir) by one metered run under `table`."""
    with tempfile.TemporaryDirectory(prefix="calibrate-cg-") as scratch:
        out = Path(scratch) / "callgrind.out"
        argv = [valgrind(), "--tool=callgrind", f"--callgrind-out-file={out}",
                *job.argv(["--cost-table", str(table), "--gas-report", "/dev/null"])]
        p = subprocess.run(argv, cwd=job.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if p.returncode != 0:
            raise Failed(f"callgrind: exit {p.returncode}: {p.stderr.strip().splitlines()[-1:]}")
        m = _TOTALS.search(out.read_text())
        if not m:
            raise Failed("callgrind wrote no totals")
        return int(m.group(1))
