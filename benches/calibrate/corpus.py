"""The programs whose gas and time the fit and the report compare: the bench kernels, the real
programs of benches/harness/real.py, adversarial programs and random mixes (wat.py).

Each program has a *work* job and a *base* job that differ only in the work: `run(N)` against
`run(0)` (or a kernel's smallest size), a real program's workload against its start-up job.
Every figure is the difference of the two, so loading and compiling a module, which gas does
not bill, cancel out, and what is compared is the execution gas pays for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import wat
from engine import Job

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "harness"))
import real  # noqa: E402
import run as harness  # noqa: E402

GEN_DIR = harness.TOOLS_DIR / "calibrate" / "wasm"

# The kernels at the bench harness's sizes (about a second each); base: the smallest size.
KERNEL_BASE = {"fib": 1, "nbody": 1, "fannkuch": 3, "mandelbrot": 8, "binarytrees": 4,
               "sorthash": 1, "coremark": 1}

# Held out of the fit, to validate it: one of each kind.
HELD_OUT = {"coremark", "nbody", "cc1", "div64_chain", "host_clock", "memory_stream",
            "call_indirect_heavy", "mix5", "mix6", "mix7", "mix8"}

MIX_SEEDS = range(1, 9)


@dataclass(frozen=True)
class Program:
    name: str
    kind: str  # kernel, real, adversarial, generated
    what: str
    work: Job
    base: Job

    @property
    def held_out(self):
        return self.name in HELD_OUT


def kernels():
    out = []
    for name, n in harness.SIZES.items():
        module = harness.KERNELS_DIR / f"{name}.wasm"
        out.append(Program(name, "kernel", f"benches/kernels/{name}.c, run({n})",
                           Job(module, (n,)), Job(module, (KERNEL_BASE[name],))))
    return out


def real_programs(install=True):
    """The real programs that are there (fetched, with the pinned SHA-256), and why the others
    are not."""
    out, missing = [], {}
    for p in real.PROGRAMS.values():
        why = real.prepare(p, install)
        if why is not None:
            missing[p.name] = why
            continue
        links = tuple((g, p.home() / h) for g, h in p.preopens.items())
        links += tuple((d, None) for d in real.OUTPUT_DIRS)
        dirs = (*p.preopens, *real.OUTPUT_DIRS)

        def job(j):
            return Job(p.module(), tuple(j.args), invoke=False, dirs=dirs, links=links)

        out.append(Program(p.name, "real", f"{p.name} {p.workload.label} (less {p.startup.label})",
                           job(p.workload), job(p.startup)))
    return out, missing


def generated():
    out = []
    for module, n in wat.adversarial_modules():
        path = wat.build(module, GEN_DIR)
        out.append(Program(module.name, "adversarial", module.what, Job(path, (n,)), Job(path, (0,))))
    for seed in MIX_SEEDS:
        module = wat.mixed_module(seed)
        path = wat.build(module, GEN_DIR)
        lines = len(module.body.splitlines())
        # About 2e8 patterns in all: a few tenths of a second.
        n = 200_000_000 // (lines * 2)
        out.append(Program(module.name, "generated", f"{module.what}, {lines} patterns a time round",
                           Job(path, (n,)), Job(path, (0,))))
    return out


def everything(install=True):
    reals, missing = real_programs(install)
    return kernels() + reals + generated(), missing
