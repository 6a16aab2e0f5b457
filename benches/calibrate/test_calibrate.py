"""Unit tests of the calibration's pure parts: the fit recovers known prices from synthetic data,
and the tables it writes parse and price every opcode by its class.

python3 -m unittest benches/calibrate/test_calibrate.py (also run by benches/harness/test_run.py,
which CI runs).
"""

from __future__ import annotations

import random
import sys
import tomllib
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit  # noqa: E402
from opcodes import BY_ANALOGY, CLASSES, class_counts, class_of, opcode_names  # noqa: E402

DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "docs" / "default-cost-table.toml"


class Nnls(unittest.TestCase):
    def test_exact_system(self):
        a = [[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]
        x = fit.nnls(a, [3.0, 4.0, 5.0])
        self.assertAlmostEqual(x[0], 3.0, places=9)
        self.assertAlmostEqual(x[1], 2.0, places=9)

    def test_negative_least_squares_solution_is_clamped(self):
        # Unconstrained least squares gives x1 = -1; the non-negative optimum is x1 = 0 and
        # x0 = the best fit of b on the first column alone.
        a = [[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]
        b = [3.0, 2.0, 1.0]
        x = fit.nnls(a, b)
        self.assertEqual(x[1], 0.0)
        self.assertAlmostEqual(x[0], 2.0, places=9)

    def test_zero_column(self):
        x = fit.nnls([[1.0, 0.0], [2.0, 0.0]], [1.0, 2.0])
        self.assertAlmostEqual(x[0], 1.0, places=9)
        self.assertEqual(x[1], 0.0)


class Fit(unittest.TestCase):
    def synthetic(self, prices, programs, noise, seed=7):
        rng = random.Random(seed)
        rows = []
        for _ in range(programs):
            x = {f: rng.choice([0, 0, rng.randint(1, 10**6)]) for f in prices}
            x[next(iter(prices))] += 1000  # no program without work
            t = sum(prices[f] * n for f, n in x.items()) * (1 + rng.uniform(-noise, noise))
            rows.append((x, t))
        return rows

    def test_recovers_known_prices_from_exact_data(self):
        prices = {"a": 1.0, "b": 0.0, "c": 3.5, "d": 12.0, "e": 0.25}
        got = fit.fit(self.synthetic(prices, 30, 0.0), list(prices))
        for f, p in prices.items():
            self.assertAlmostEqual(got[f], p, delta=1e-6 * max(p, 1), msg=f)

    def test_recovers_known_prices_within_noise(self):
        prices = {"a": 2.0, "b": 5.0, "c": 0.5, "d": 9.0}
        got = fit.fit(self.synthetic(prices, 60, 0.02), list(prices))
        for f, p in prices.items():
            self.assertAlmostEqual(got[f], p, delta=0.1 * p, msg=f)

    def test_prior_holds_what_the_rows_do_not_see(self):
        prices = {"a": 2.0, "b": 5.0}
        rows = [({"a": 10.0}, 20.0), ({"a": 3.0}, 6.0)]  # nothing about b
        got = fit.fit(rows, ["a", "b"], prior={"a": 1.0, "b": 4.0}, strength=0.01)
        self.assertAlmostEqual(got["b"], 4.0, places=6)
        self.assertAlmostEqual(got["a"], prices["a"], delta=0.02)

    def test_prices_are_integers_at_the_scale_with_floors(self):
        ns = dict.fromkeys([c for c in CLASSES if c not in BY_ANALOGY], 0.0)
        ns.update(dict.fromkeys(fit.PER_UNIT_KEYS, 0.0))
        ns["int"], ns["div64"] = 1.0, 7.9
        p = fit.prices_from(ns)
        self.assertEqual(p["int"], round(1.0 * fit.GAS_PER_NS))
        self.assertEqual(p["div64"], round(7.9 * fit.GAS_PER_NS))
        for cls in CLASSES:
            if cls not in fit.MAY_BE_ZERO and cls not in ("int", "div64", *BY_ANALOGY):
                self.assertEqual(p[cls], 1, cls)
        for key in fit.PER_UNIT_KEYS:
            self.assertEqual(p[key], 1, key)
        self.assertEqual(p["local.get"], 0)
        for cls, model in BY_ANALOGY.items():
            self.assertEqual(p[cls], p[model])


class Tables(unittest.TestCase):
    def test_every_opcode_has_a_class(self):
        names = opcode_names()
        self.assertIn("i32.add", names)
        self.assertIn("v128.load64_lane", names)
        for n in names:
            self.assertIn(class_of(n), CLASSES, n)
        self.assertEqual(class_counts({"i32.add": 2, "i64.mul": 3, "f64.div": 1})["int"], 5)

    def test_written_table_parses_and_prices_each_opcode_by_class(self):
        rng = random.Random(3)
        prices = {c: rng.randint(0, 40) for c in CLASSES}
        prices.update({k: rng.randint(1, 9) for k in fit.PER_UNIT_KEYS})
        host_source = DEFAULT_TABLE.read_text()
        text = fit.table_text(prices, "a test table", ["line one", ""], host_source)
        tomllib.loads(text)
        instr, per_unit, host = fit.read_table(text)
        for name in opcode_names():
            self.assertEqual(instr[name], prices[class_of(name)], name)
        self.assertEqual(per_unit, {k: prices[k] for k in fit.PER_UNIT_KEYS})
        # The per-local price and the [host] section are carried over as they are written.
        local = next(line for line in host_source.splitlines() if line.startswith('"local" ='))
        self.assertIn("\n" + local + "\n", text)
        # The [host] section is carried over as it is written.
        self.assertEqual(host, fit.read_table(host_source)[2])
        self.assertTrue(text.endswith(host_source[host_source.index("\n[host]") + 1:]))

    def test_the_shipped_default_reads_with_the_formats_rules(self):
        instr, per_unit, host = fit.read_table(DEFAULT_TABLE.read_text())
        self.assertEqual(set(instr), set(opcode_names()))
        self.assertEqual(set(per_unit), set(fit.PER_UNIT_KEYS))
        self.assertGreater(host["wasi_snapshot_preview1::fd_write"], 0)
        self.assertEqual(fit.instruction_gas(instr, {"i32.add": 3, "call": 2}),
                         3 * instr["i32.add"] + 2 * instr["call"])


if __name__ == "__main__":
    unittest.main()
