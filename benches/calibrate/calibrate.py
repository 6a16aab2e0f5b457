#!/usr/bin/env python3
"""Calibrates a cost table for ssvm-lite by measurement (method: docs/billing-accuracy.md).

usage: python3 benches/calibrate/calibrate.py [micro] [programs] [fit] [--rounds N]
                                              [--no-callgrind] [--programs a,b] [--no-install]

  micro     time every microbenchmark (wat.py) as paid (metered, a cost table, no histogram)
            and count its host instructions under callgrind; write the two microbenchmark
            tables (benches/.tools/calibrate/micro-time.toml, micro-callgrind.toml)
  programs  measure the corpus (corpus.py): per-opcode counts, per-unit work, host gas and the
            CPU time of each program (benches/.tools/calibrate/programs.json)
  fit       refine the callgrind microbenchmark prices against the programs not held out
            (non-negative least squares of CPU time on per-class counts); write
            benches/.tools/calibrate/calibrated.toml
  (no stage: all three)

Needs target/release/ssvm-lite (cargo build --release -p ssvm-lite), wat2wasm (Debian's wabt)
and, for callgrind, valgrind: both installed with apt-get when missing and running as root.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
import engine  # noqa: E402
import fit  # noqa: E402
import wat  # noqa: E402
from opcodes import BY_ANALOGY, CLASSES, class_counts  # noqa: E402

OUT = corpus.harness.TOOLS_DIR / "calibrate"
DEFAULT_TABLE = engine.ROOT / "docs" / "default-cost-table.toml"
MEASURED_WITH = OUT / "measured-with.toml"
FEATURES = [c for c in CLASSES if c not in BY_ANALOGY] + list(fit.PER_UNIT_KEYS)
# How strongly the microbenchmark prices hold the fit (fit.fit): a class whose price the
# programs would move by 100% pays as much as one program's relative error of 30%.
PRIOR_STRENGTH = 0.09


def log(message):
    print(message, file=sys.stderr, flush=True)


def load():
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def marginal(counts_hi, counts_lo, span):
    names = set(counts_hi) | set(counts_lo)
    return {n: (counts_hi.get(n, 0) - counts_lo.get(n, 0)) / span for n in names}


# ---- microbenchmarks ----

def measure_micro(callgrind, measure, fresh):
    """Each microbenchmark's counts and costs a time round the loop. Rows are kept in
    micro-rows.json as they are measured and reused (for the same module text) unless fresh."""
    cache = OUT / "micro-rows.json"
    rows = json.loads(cache.read_text()) if cache.exists() and not fresh else {}
    for m in wat.micro_modules():
        digest = hashlib.sha256(m.text().encode()).hexdigest()[:16]
        if m.name in rows and rows[m.name].get("digest") == digest and (not callgrind or "ir" in rows[m.name]):
            continue
        path = wat.build(m, corpus.GEN_DIR)
        lo, hi = wat.micro_iterations(m)
        job = lambda n: engine.Job(path, (n,))  # noqa: E731
        c_lo = engine.gas_report(job(lo), DEFAULT_TABLE, histogram=True)["counts"]
        c_hi = engine.gas_report(job(hi), DEFAULT_TABLE, histogram=True)["counts"]
        per_iter = class_counts(marginal(c_hi, c_lo, hi - lo))
        per_iter.update({k: v for k, v in m.units.items()})

        def sample():
            t_lo = engine.timed(job(lo), DEFAULT_TABLE, measure)[0]
            t_hi = engine.timed(job(hi), DEFAULT_TABLE, measure)[0]
            return (t_hi - t_lo) / (hi - lo) * 1e9

        samples = engine.until_stable(sample)
        row = {"counts": per_iter, "ns": statistics.median(samples), "samples": samples}
        if callgrind:
            glo, ghi = wat.micro_iterations(m, callgrind=True)
            ir = (engine.instructions(job(ghi), DEFAULT_TABLE)
                  - engine.instructions(job(glo), DEFAULT_TABLE)) / (ghi - glo)
            row["ir"] = ir
        row["digest"] = digest
        rows[m.name] = row
        cache.write_text(json.dumps(rows, indent=1))
        log(f"micro {m.name}: {row['ns']:.2f} ns a time round ({len(samples)} samples)"
            + (f", {row['ir']:.1f} instructions" if callgrind else ""))
    return rows


def micro_prices(rows, key):
    """Per-class cost (ns, or instructions for key "ir") from the microbenchmarks: the empty
    loop's cost and counts subtracted from every other, then non-negative least squares over
    the patterns and the empty loop itself."""
    empty = rows["empty"]
    fit_rows = [(empty["counts"], empty[key])]
    for name, r in rows.items():
        if name == "empty":
            continue
        x = {f: r["counts"].get(f, 0) - empty["counts"].get(f, 0) for f in FEATURES}
        target = r[key] - empty[key]
        if target <= 0:
            log(f"micro {name}: no cost above the empty loop ({target:.3f}); its classes get 0")
            target = 1e-3 * abs(empty[key])
        fit_rows.append((x, target))
    return fit.fit(fit_rows, FEATURES)


def ns_per_instruction(rows):
    """Nanoseconds per host instruction: the median over the microbenchmarks with a cost above
    the empty loop and no per-unit work of (time above the empty loop) / (instructions above)."""
    empty = rows["empty"]
    ratios = [(r["ns"] - empty["ns"]) / (r["ir"] - empty["ir"]) for name, r in rows.items()
              if name != "empty" and not any(r["counts"].get(k) for k in fit.PER_UNIT_KEYS)
              and r["ir"] - empty["ir"] > 1 and r["ns"] - empty["ns"] > 0]
    return statistics.median(ratios)


def write_table(path, costs, title, lines, notes=None, host_scale=1.0):
    prices = fit.prices_from(costs)
    # The [host] prices the programs were measured with, not the default's now (which may be
    # this calibration's output already: scaling it again would scale twice).
    source = MEASURED_WITH if MEASURED_WITH.exists() else DEFAULT_TABLE
    host_source = fit.scale_host(source.read_text(), host_scale)
    path.write_text(fit.table_text(prices, title, lines, host_source, notes))
    log(f"wrote {path}")
    return prices


def stage_micro(args, measure):
    log(f"microbenchmarks ({load()})")
    started = load()
    rows = measure_micro(not args.no_callgrind, measure, args.fresh)
    data = {"rows": rows, "load_before": started, "load_after": load(), "when": time.ctime()}
    ns = micro_prices(rows, "ns")
    data["ns"] = ns
    common = ["Generated by benches/calibrate/calibrate.py micro (method: docs/billing-accuracy.md).",
              f"Scale: {fit.GAS_PER_NS} gas per nanosecond, the rate of the [host] prices below."]
    write_table(OUT / "micro-time.toml", ns, "ssvm-lite cost table from microbenchmarks timed as paid",
                common + [f"CPU time of metered runs, medians of repeated pairs; {started}."])
    if not args.no_callgrind:
        ir = micro_prices(rows, "ir")
        ns_per_ir = ns_per_instruction(rows)
        # callgrind counts only what the process executes itself: the cost of a grown page is
        # the kernel's (page faults, zeroing), and bulk work is a few instructions per many
        # bytes, so per-unit prices come from the timed microbenchmarks in this table too.
        costs = {k: (ns[k] if k in fit.PER_UNIT_KEYS else v * ns_per_ir) for k, v in ir.items()}
        data["ir"], data["ns_per_ir"], data["ir_ns"] = ir, ns_per_ir, costs
        write_table(OUT / "micro-callgrind.toml", costs,
                    "ssvm-lite cost table from microbenchmarks counted under callgrind",
                    common + [f"Host instructions under valgrind's callgrind, at {ns_per_ir:.4f} ns "
                              "per instruction (the median over the microbenchmarks without",
                              "per-unit work of their time over their instruction count, the empty",
                              "loop's subtracted from both); per-unit prices from the timed ones."])
    (OUT / "micro.json").write_text(json.dumps(data, indent=1))


# ---- programs ----

def probe_table(name, rates):
    """A table that prices nothing but the per-unit keys of `rates` (key -> rate)."""
    path = OUT / f"probe-{name}.toml"
    path.write_text("default = 0\n[per_unit]\n"
                    + "".join(f'"{k}" = {fit.rate_text(r)}\n' for k, r in rates.items()))
    return path


def measure_program(p, rounds, measure):
    default_instr, default_unit, _ = fit.read_table(DEFAULT_TABLE.read_text())
    out = {"kind": p.kind, "what": p.what, "held_out": p.held_out}
    for side, job in (("work", p.work), ("base", p.base)):
        report = engine.gas_report(job, DEFAULT_TABLE, histogram=True)
        counts = report["counts"]
        units = {}
        for key in fit.PER_UNIT_KEYS:
            units[key] = (engine.gas_report(job, probe_table(key, {key: 1}))["gas_used"]
                          if counts.get(key, 0) else 0)
        # A rate below 1 gas a unit is charged ceil(n G / K) for each operation of n units, which
        # G / K times the total of units is not: the gas of those keys is measured under their
        # rates instead, so that the host gas stays exact.
        rated = {k: r for k, r in default_unit.items() if units[k] and not isinstance(r, int)}
        known = fit.instruction_gas(default_instr, counts) + sum(
            default_unit[k] * units[k] for k in units if k not in rated)
        if rated:
            known += engine.gas_report(job, probe_table("rates", rated))["gas_used"]
        out[side] = {"counts": counts, "units": units, "gas_default": report["gas_used"],
                     "host_gas_default": report["gas_used"] - known, "cpu": [], "wall": []}
    for _ in range(rounds):
        for side, job in (("work", p.work), ("base", p.base)):
            cpu, _, wall = engine.timed(job, DEFAULT_TABLE, measure)
            out[side]["cpu"].append(cpu)
            out[side]["wall"].append(wall)
    return out


def stage_programs(args, measure):
    programs, missing = corpus.everything(install=not args.no_install)
    for name, why in missing.items():
        log(f"program {name}: {why}")
    if args.programs:
        programs = [p for p in programs if p.name in args.programs]
    path = OUT / "programs.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("programs", {})
    data["load_before"] = load()
    # The host gas of the programs is measured under this table: the fit scales its [host].
    MEASURED_WITH.write_text(DEFAULT_TABLE.read_text())
    for p in programs:
        started = time.time()
        rounds = 1 if p.kind == "real" else args.rounds
        try:
            data["programs"][p.name] = measure_program(p, rounds, measure)
        except engine.Failed as e:
            data["programs"].pop(p.name, None)
            missing[p.name] = f"failed: {e}"
            log(f"program {p.name}: FAILED: {e}")
            continue
        log(f"program {p.name}: {time.time() - started:.1f} s")
        path.write_text(json.dumps(data, indent=1))
    data["load_after"] = load()
    data["missing"] = missing
    path.write_text(json.dumps(data, indent=1))


def program_features(r):
    """A program's marginal per-class counts and per-unit work, with its marginal host gas
    under the default table as one more feature, and its marginal CPU time in ns."""
    x = class_counts(marginal(r["work"]["counts"], r["base"]["counts"], 1))
    for k in fit.PER_UNIT_KEYS:
        x[k] = r["work"]["units"][k] - r["base"]["units"][k]
    x["host_gas"] = r["work"]["host_gas_default"] - r["base"]["host_gas_default"]
    t = (statistics.median(r["work"]["cpu"]) - statistics.median(r["base"]["cpu"])) * 1e9
    return x, t


def stage_fit(args):
    micro = json.loads((OUT / "micro.json").read_text())
    # The prior of each class is the larger of its two microbenchmark costs: instruction counts
    # cannot see a divider's latency or a mispredicted dispatch (fdiv's chain: 3.2 ns timed,
    # 0.34 counted), and a time can be short of the work a load spreads over other classes;
    # taking the larger keeps a gas from buying more time than either measure says it can.
    counted = micro.get("ir_ns", {})
    prior = {k: max(v, counted.get(k, 0.0)) for k, v in micro["ns"].items()}
    # The host prices are measured on their own (benches/harness/host_calls.py) at the table's
    # scale: their prior is that scale, in ns per gas.
    prior["host_gas"] = 1 / fit.GAS_PER_NS
    programs = json.loads((OUT / "programs.json").read_text())["programs"]
    rows = []
    for name, r in programs.items():
        x, t = program_features(r)
        if r["held_out"]:
            continue
        if t <= 0:
            log(f"fit: {name} has no measurable time ({t:.0f} ns), left out")
            continue
        rows.append((x, t))
    features = FEATURES + ["host_gas"]
    coef = fit.fit(rows, features, prior, PRIOR_STRENGTH)
    log("fit: ns per unit, microbenchmark -> fitted: " + ", ".join(
        f"{k} {prior.get(k, 0):.3f}->{coef[k]:.3f}" for k in features))
    costs = {k: v for k, v in coef.items() if k != "host_gas"}
    # The [host] prices buy the time the fit finds for their gas, not what their measurement
    # assumed: all scaled by one factor, so that a gas of a host call and a gas of an
    # instruction take the same time (their relative prices stay host_calls.py's).
    host_scale = coef["host_gas"] * fit.GAS_PER_NS
    timed = micro["ns"]
    notes = {k: f"timed {timed[k]:.3g} ns, callgrind {counted.get(k, timed[k]):.3g} ns, fitted {costs[k]:.3g} ns"
             for k in costs}
    write_table(OUT / "calibrated.toml", costs,
                "ssvm-lite's default cost table, calibrated by measurement (format: docs/metering.md; method\n"
                "and accuracy: docs/billing-accuracy.md). The hand-made table it replaced is\n"
                "docs/cost-tables/handmade.toml.",
                ["Generated by benches/calibrate/calibrate.py (method: docs/billing-accuracy.md).",
                 "Instruction and per-unit prices: the microbenchmark prices (the larger of the",
                 "timed and the callgrind one) refined by non-negative least squares of CPU time",
                 "against per-class counts over the programs not held out, at",
                 f"{fit.GAS_PER_NS} gas per nanosecond of CPU time.",
                 "[host]: measured on its own by benches/harness/host_calls.py (the times in its",
                 f"comments), then scaled by {host_scale:.2f} against the table this calibration started",
                 f"from: the fit put {coef['host_gas']:.3f} ns on each gas of those prices, {1 / fit.GAS_PER_NS} at this scale.",
                 "Each class says what it costs a time (per unit, for [per_unit]): timed in the",
                 "microbenchmarks, counted there under callgrind (in ns), and fitted."], notes,
                host_scale)
    (OUT / "fit.json").write_text(json.dumps({"prior": prior, "fitted": coef,
                                              "host_scale": host_scale, "rows": len(rows)},
                                             indent=1))


def main(argv):
    p = argparse.ArgumentParser(prog="python3 benches/calibrate/calibrate.py",
                                description="Calibrate a cost table by measurement.")
    p.add_argument("stages", nargs="*", choices=["micro", "programs", "fit", []], default=[])
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per program (real: 1)")
    p.add_argument("--no-callgrind", action="store_true")
    p.add_argument("--fresh", action="store_true", help="measure every microbenchmark again")
    p.add_argument("--programs", type=lambda s: s.split(","), default=None)
    p.add_argument("--no-install", action="store_true", help="fetch no real program")
    args = p.parse_args(argv)
    stages = args.stages or ["micro", "programs", "fit"]
    if not engine.SSVM.exists():
        raise SystemExit(f"calibrate: no {engine.SSVM}: cargo build --release -p ssvm-lite")
    corpus.harness.prepare_tools_dir()
    OUT.mkdir(parents=True, exist_ok=True)
    measure = corpus.harness.build_measure()
    if measure is None:
        raise SystemExit("calibrate: needs a host C compiler (cc) for the measuring helper")
    if "micro" in stages:
        stage_micro(args, measure)
    if "programs" in stages:
        stage_programs(args, measure)
    if "fit" in stages:
        stage_fit(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
