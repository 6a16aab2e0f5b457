"""Non-negative least squares, and cost tables made from its coefficients.

Pure Python (the problems have a few dozen unknowns), so that the tests need nothing installed.
"""

from __future__ import annotations

import math
import tomllib
from fractions import Fraction

from opcodes import BY_ANALOGY, CLASSES, LIKE_NOTES, class_of, opcode_names  # noqa: F401 (re-exported)

# The table's scale: gas per nanosecond of CPU time on the calibration machine. 2.5 is the rate
# at which docs/default-cost-table.toml converted the measured WASI call times into [host]
# prices, so a calibrated table at this scale keeps those prices as they are.
GAS_PER_NS = 2.5

PER_UNIT_KEYS = ("memory.grow", "memory.fill", "memory.copy", "memory.init",
                 "table.grow", "table.fill", "table.copy", "table.init")
# Per-unit keys priced by a measurement of their own (benches/harness/frame_locals.py for the
# locals a function's entry zeroes), not by this fit: a written table carries their lines over
# from the source table, as they are written.
CARRIED_PER_UNIT_KEYS = ("local",)

# The only classes whose price may round to 0: the structure markers and local.get, which the
# interpreter does not execute (branch targets are resolved, and a local.get becomes an operand
# of the instruction that consumes it). Every other instruction does some work, so it costs at
# least 1 and no sequence of instructions is free: in particular, going round a loop executes a
# branch or a call, so no loop is free. A per-unit rate is never zero either, so bulk work is
# bounded by gas (per_unit_rate).
MAY_BE_ZERO = ("struct", "local.get")


def _solve(m, v):
    """Solves the square system m x = v by Gaussian elimination with partial pivoting."""
    n = len(v)
    a = [row[:] + [v[i]] for i, row in enumerate(m)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[piv][col]) < 1e-300:
            raise ZeroDivisionError("singular")
        a[col], a[piv] = a[piv], a[col]
        for r in range(col + 1, n):
            f = a[r][col] / a[col][col]
            if f:
                for c in range(col, n + 1):
                    a[r][c] -= f * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def _lstsq(a, b, cols):
    """Least squares of b on the columns `cols` of a (normal equations, a tiny ridge so that
    collinear columns do not make them singular)."""
    ata = [[sum(row[i] * row[j] for row in a) for j in cols] for i in cols]
    for k in range(len(cols)):
        ata[k][k] += 1e-12 * (ata[k][k] + 1.0)
    atb = [sum(row[i] * bi for row, bi in zip(a, b)) for i in cols]
    return _solve(ata, atb)


def nnls(a, b, iterations=None):
    """x >= 0 minimising |a x - b| (Lawson and Hanson's active-set method). a: rows of floats."""
    n = len(a[0]) if a else 0
    # Columns scaled to unit norm for conditioning; unscaled at the end.
    norms = [math.sqrt(sum(row[j] ** 2 for row in a)) or 1.0 for j in range(n)]
    a = [[row[j] / norms[j] for j in range(n)] for row in a]
    x = [0.0] * n
    passive = []
    tol = 1e-10 * max(1.0, max((abs(v) for v in b), default=1.0))
    for _ in range(iterations or 3 * n + 10):
        r = [bi - sum(row[j] * x[j] for j in range(n)) for row, bi in zip(a, b)]
        w = [sum(row[j] * ri for row, ri in zip(a, r)) for j in range(n)]
        candidates = [j for j in range(n) if j not in passive and w[j] > tol]
        if not candidates:
            break
        passive.append(max(candidates, key=lambda j: w[j]))
        while True:
            z = dict(zip(passive, _lstsq(a, b, passive)))
            if all(z[j] > 0 for j in passive):
                for j in passive:
                    x[j] = z[j]
                break
            alpha = min(x[j] / (x[j] - z[j]) for j in passive if z[j] <= 0)
            for j in passive:
                x[j] += alpha * (z[j] - x[j])
            passive = [j for j in passive if x[j] > 1e-15]
            for j in range(n):
                if j not in passive:
                    x[j] = 0.0
            if not passive:
                break
    return [x[j] / norms[j] for j in range(n)]


def fit(rows, features, prior=None, strength=0.0):
    """Non-negative coefficients c (one per feature) minimising the relative error of each row,
    sum of ((target - c . x) / target)^2, plus strength * sum of ((c_k - prior_k) / prior_k)^2
    over the features with a positive prior: the prior holds the coefficients the rows say
    nothing about. rows: [(feature -> value, target)]. Returns feature -> coefficient."""
    a, b = [], []
    for x, target in rows:
        a.append([x.get(f, 0.0) / target for f in features])
        b.append(1.0)
    for k, f in enumerate(features):
        p = (prior or {}).get(f, 0.0)
        if strength > 0 and p > 0:
            a.append([math.sqrt(strength) / p if j == k else 0.0 for j in range(len(features))])
            b.append(math.sqrt(strength))
    return dict(zip(features, nnls(a, b)))


def per_unit_rate(gas):
    """The rate for a per-unit cost of `gas` gas a unit: round(gas) from 1 up, below 1 the
    rate 1/K (the table's { gas = 1, per = K }: 1 gas per K units started) with K = round(1 /
    gas). Never zero, which would leave bulk work unbounded by gas: a cost of 0 or less (none
    measured) is held at 1 gas a unit, the floor of the integer prices, rather than a guessed K.
    An int, or a Fraction when below 1 (exact, and a number like the int)."""
    if gas >= 1:
        return round(gas)
    if gas <= 0:
        return 1
    k = max(1, round(1 / gas))
    return 1 if k == 1 else Fraction(1, k)


def rate_of(value):
    """A [per_unit] or [host_per_unit] value as gas per unit: G as it is, { gas = G, per = K }
    as the Fraction G / K (an int when K divides G)."""
    if isinstance(value, dict):
        r = Fraction(value["gas"], value["per"])
        return r.numerator if r.denominator == 1 else r
    return value


def rate_text(rate):
    """The table's text for a rate (per_unit_rate, rate_of): G, or { gas = G, per = K }."""
    r = Fraction(rate)
    if r.denominator == 1:
        return str(r.numerator)
    return f"{{ gas = {r.numerator}, per = {r.denominator} }}"


def prices_from(ns_per_unit):
    """Prices at GAS_PER_NS from nanoseconds per class and per unit of work: integers for the
    classes, rates for the per-unit keys (per_unit_rate); classes measured by analogy take their
    model's price."""
    prices = {}
    for name, ns in ns_per_unit.items():
        gas = ns * GAS_PER_NS
        if name in PER_UNIT_KEYS:
            prices[name] = per_unit_rate(gas)
        else:
            prices[name] = round(gas) if name in MAY_BE_ZERO else max(round(gas), 1)
    for cls, model in BY_ANALOGY.items():
        prices[cls] = prices[model]
    return prices


def table_text(prices, title, lines, host_source, notes=None):
    """A cost table file: a header (title and the lines saying where the prices come from),
    `default` (the commonest price), [instr] for every opcode priced otherwise, [per_unit],
    with host_source's lines of CARRIED_PER_UNIT_KEYS, then host_source's text from its [host]
    section on, as it is written. notes: class or
    per-unit key -> a comment on where its price comes from."""
    notes = dict(notes or {})
    for cls, model in BY_ANALOGY.items():
        notes.setdefault(cls, f"not measured: no program here runs SIMD; priced like {model}")
    names = opcode_names()
    by_class = {n: prices[class_of(n)] for n in names}
    default = prices["int"]
    out = [f"# {line}" for line in title.splitlines()] + ["#"]
    out += [f"# {line}".rstrip() for line in lines] + [""]
    at_default = [c for c in CLASSES if prices[c] == default]
    out.append("# Every instruction not listed: the classes " + ", ".join(at_default) + ".")
    out += [f"#   {c}: {CLASSES[c]}" + (f" ({notes[c]})" if c in notes else "") for c in at_default]
    out += [f"default = {default}", "", "[instr]"]
    for cls, what in CLASSES.items():
        listed = [n for n in names if class_of(n) == cls and by_class[n] != default]
        if listed:
            out.append(f"# {cls}: {what}" + (f" ({notes[cls]})" if cls in notes else ""))
            for n in listed:
                out += [f"# {line}" for line in LIKE_NOTES.get(n, [])]
                out.append(f'"{n}" = {by_class[n]}')
    out += ["", "[per_unit]"]
    if any(not isinstance(prices[k], int) for k in PER_UNIT_KEYS):
        out.append("# { gas = 1, per = K }: 1 gas for every K units started (below 1 gas a unit).")
    out += [f'"{k}" = {rate_text(prices[k])}' + (f"  # {notes[k]}" if k in notes else "")
            for k in PER_UNIT_KEYS]
    out += [line for line in host_source.splitlines()
            if any(line.startswith(f'"{k}" =') for k in CARRIED_PER_UNIT_KEYS)]
    host = host_source[host_source.index("\n[host]") + 1:] if "\n[host]" in host_source else ""
    return "\n".join(out) + "\n\n" + host


def two_digits(x):
    """x rounded to two significant digits, as an integer of at least 1."""
    if x < 1:
        return 1
    digits = max(0, math.floor(math.log10(x)) - 1)
    return max(1, round(x / 10 ** digits) * 10 ** digits)


def scale_host(text, scale):
    """A cost table's text with every [host] price times `scale`, to the nearest two
    significant digits (host_calls.py rounds its measured prices up instead: a scaled price is a
    fit, not a bound); everything else, [host_per_unit] among it, as it is."""
    out, section = [], None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.split("]")[0] + "]"
        elif section == "[host]" and stripped.startswith('"') and "=" in stripped:
            key, value = line.split("=", 1)
            price, hash_, comment = value.partition("#")
            price = int(price)
            line = f"{key}= {two_digits(price * scale) if price else 0}"
            line += f"  {hash_}{comment.rstrip()}\n" if hash_ else "\n"
        out.append(line)
    return "".join(out)


def read_table(text):
    """(price of each opcode name, per-unit rates (rate_of), host prices) of a cost table's
    text, by the format's rules: unlisted instructions at `default` (1 when absent), the rest 0."""
    t = tomllib.loads(text)
    default = t.get("default", 1)
    instr = {n: t.get("instr", {}).get(n, default) for n in opcode_names()}
    per_unit = {k: rate_of(t.get("per_unit", {}).get(k, 0)) for k in PER_UNIT_KEYS}
    return instr, per_unit, dict(t.get("host", {}))


def instruction_gas(instr_prices, counts):
    return sum(instr_prices[name] * n for name, n in counts.items())
