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
from fractions import Fraction
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
        # A per-unit cost measured as 0 keeps the floor of 1 gas a unit: a rate is never zero.
        for key in fit.PER_UNIT_KEYS:
            self.assertEqual(p[key], 1, key)
        self.assertEqual(p["local.get"], 0)
        for cls, model in BY_ANALOGY.items():
            self.assertEqual(p[cls], p[model])

    def test_per_unit_prices_below_one_gas_are_rates(self):
        ns = {k: 0.0 for k in fit.PER_UNIT_KEYS}
        ns.update({c: 1.0 for c in CLASSES if c not in BY_ANALOGY})
        ns["memory.copy"] = 0.055 / fit.GAS_PER_NS  # 0.055 gas a byte: 1 gas per 18
        ns["memory.fill"] = 0.7 / fit.GAS_PER_NS  # rounds to 1 per 1: the integer 1
        ns["table.grow"] = 5.59  # 13.975 gas
        ns["memory.init"] = 1e-6 / fit.GAS_PER_NS  # tiny, but not zero
        p = fit.prices_from(ns)
        self.assertEqual(p["memory.copy"], Fraction(1, 18))
        self.assertEqual(fit.rate_text(p["memory.copy"]), "{ gas = 1, per = 18 }")
        self.assertEqual(p["memory.fill"], 1)
        self.assertIsInstance(p["memory.fill"], int)
        self.assertEqual(p["table.grow"], 14)
        self.assertEqual(p["memory.init"], Fraction(1, 1_000_000))
        for c in (-1.0, 0.0, 1e-9, 0.01, 0.3, 0.5, 0.99, 1.0, 1.49, 2.6, 1e6):
            r = fit.per_unit_rate(c)
            self.assertGreater(r, 0, c)
            self.assertTrue(isinstance(r, int) or r.numerator == 1, c)
            if c >= 1:
                self.assertEqual(r, round(c), c)
                self.assertIsInstance(r, int, c)
            elif c > 0:
                self.assertLessEqual(abs(1 / r - 1 / c), 0.5, c)  # K is 1 / c rounded


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
        self.assertTrue(all(isinstance(r, (int, Fraction)) for r in per_unit.values()), per_unit)
        self.assertGreater(host["wasi_snapshot_preview1::fd_write"], 0)
        self.assertEqual(fit.instruction_gas(instr, {"i32.add": 3, "call": 2}),
                         3 * instr["i32.add"] + 2 * instr["call"])

    def test_rates_are_written_parse_and_read_back(self):
        prices = {c: 2 for c in CLASSES}
        # memory.grow .. table.init, in PER_UNIT_KEYS's order.
        rates = [117317, Fraction(1, 18), Fraction(1, 16), 1, 14, Fraction(1, 2), Fraction(1, 9), 19]
        prices.update(zip(fit.PER_UNIT_KEYS, rates))
        host_source = DEFAULT_TABLE.read_text()
        text = fit.table_text(prices, "a table with rates", [], host_source)
        self.assertIn('\n"memory.fill" = { gas = 1, per = 18 }\n', text)
        self.assertIn('\n"memory.init" = 1\n', text)
        parsed = tomllib.loads(text)["per_unit"]
        self.assertEqual(parsed["memory.fill"], {"gas": 1, "per": 18})
        self.assertEqual(parsed["memory.copy"], {"gas": 1, "per": 16})
        self.assertEqual(parsed["table.grow"], 14)
        for value in parsed.values():  # never a zero rate, nor one over no units
            if isinstance(value, dict):
                self.assertGreater(value["gas"], 0)
                self.assertGreaterEqual(value["per"], 1)
            else:
                self.assertGreater(value, 0)
        instr, per_unit, _ = fit.read_table(text)
        self.assertEqual(per_unit, dict(zip(fit.PER_UNIT_KEYS, rates)))
        self.assertEqual(set(instr.values()), {2})

    def test_read_table_reads_both_forms_of_a_rate(self):
        text = ('default = 1\n[per_unit]\n"memory.copy" = { gas = 1, per = 16 }\n'
                '"memory.fill" = { gas = 2, per = 32 }\n"table.copy" = { gas = 6, per = 3 }\n'
                '"table.fill" = 3\n')
        _, per_unit, _ = fit.read_table(text)
        self.assertEqual(per_unit["memory.copy"], Fraction(1, 16))
        self.assertEqual(per_unit["memory.fill"], Fraction(1, 16))  # the same ceil(n / 16)
        self.assertEqual(per_unit["table.copy"], 2)
        self.assertIsInstance(per_unit["table.copy"], int)
        self.assertEqual(per_unit["table.fill"], 3)
        self.assertEqual(per_unit["memory.grow"], 0)  # unlisted: unpriced
        self.assertEqual(per_unit["memory.copy"] * 64, 4)  # a number, as G / K
        for r in per_unit.values():
            self.assertEqual(fit.rate_of(tomllib.loads(f"x = {fit.rate_text(r)}")["x"]), r)


    def test_host_prices_scale_to_two_digits_and_nothing_else_moves(self):
        text = ('default = 2\n[instr]\n"call" = 44\n[host]\n# a comment = 5\n'
                '"env::a" = 65  # measured\n"env::b" = 100000\n"env::c" = 0\n'
                '[host_per_unit]\n"env::a/byte" = { gas = 1, per = 7 }\n"env::b/item" = 9\n')
        scaled = tomllib.loads(fit.scale_host(text, 2.63))
        self.assertEqual(scaled["host"], {"env::a": 170, "env::b": 260000, "env::c": 0})
        self.assertEqual(scaled["instr"], {"call": 44})
        self.assertEqual(scaled["host_per_unit"], {"env::a/byte": {"gas": 1, "per": 7},
                                                   "env::b/item": 9})
        self.assertEqual(fit.scale_host(text, 1.0), text)
        self.assertEqual(tomllib.loads(fit.scale_host(text, 0.001))["host"]["env::a"], 1)
        self.assertEqual([fit.two_digits(x) for x in (0.2, 7.4, 12.5, 4449, 4450)],
                         [1, 7, 12, 4400, 4400])


if __name__ == "__main__":
    unittest.main()
