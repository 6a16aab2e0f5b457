"""Unit tests of the harness's pure parts (benchlib.py, and those of run.py, real.py,
simd.py and fetch.py) and its argument handling; the calibration's (benches/calibrate/test_calibrate.py) are
imported so that the one command CI runs covers them too.

python3 -m unittest benches/harness/test_run.py     (from the repository root)
"""

import contextlib
import io
import re
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
import fetch  # noqa: E402
import real  # noqa: E402
import run  # noqa: E402
import simd  # noqa: E402
from benchlib import Cell  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibrate"))
from test_calibrate import Fit, Nnls, Tables  # noqa: E402,F401


class Statistics(unittest.TestCase):
    def test_median_odd_even_unsorted(self):
        self.assertEqual(benchlib.median([3.0]), 3.0)
        self.assertEqual(benchlib.median([5, 1, 3]), 3)
        self.assertEqual(benchlib.median([4, 1, 3, 2]), 2.5)

    def test_median_of_nothing_is_an_error(self):
        with self.assertRaises(ValueError):
            benchlib.median([])

    def test_geomean(self):
        self.assertAlmostEqual(benchlib.geomean([2.0, 8.0]), 4.0)
        self.assertAlmostEqual(benchlib.geomean([0.5, 2.0, 1.0]), 1.0)
        self.assertAlmostEqual(benchlib.geomean([3.0]), 3.0)

    def test_geomean_rejects_empty_and_non_positive(self):
        for bad in ([], [1.0, 0.0], [-1.0]):
            with self.assertRaises(ValueError):
                benchlib.geomean(bad)

    def test_rotated(self):
        self.assertEqual(benchlib.rotated("abc", 0), list("abc"))
        self.assertEqual(benchlib.rotated("abc", 1), list("bca"))
        self.assertEqual(benchlib.rotated("abc", 5), list("cab"))
        self.assertEqual(benchlib.rotated([], 3), [])

    def test_every_engine_leads_once_per_cycle(self):
        firsts = [benchlib.rotated(["a", "b", "c", "d"], r)[0] for r in range(4)]
        self.assertEqual(sorted(firsts), ["a", "b", "c", "d"])


class Checksums(unittest.TestCase):
    def test_one_decimal_line(self):
        self.assertEqual(benchlib.parse_checksum("39088169\n"), 39088169)
        self.assertEqual(benchlib.parse_checksum("\n  42  \n\n"), 42)

    def test_signed_and_unsigned_printings_agree(self):
        self.assertEqual(benchlib.parse_checksum("-1"), benchlib.parse_checksum("18446744073709551615"))

    def test_rejects_other_output(self):
        for bad in ("", "1\n2\n", "0x10", "result: 5", "1.5"):
            with self.assertRaises(ValueError):
                benchlib.parse_checksum(bad)

    def test_wasmi_fuel_output(self):
        out = "fuel consumed: 394662, fuel remaining: 18446744073709156953\n6765\n"
        self.assertEqual(benchlib.parse_fuel_checksum(out), (6765, 394662))
        self.assertEqual(benchlib.parse_fuel_checksum("-1\nfuel consumed: 0, fuel remaining: 5\n"),
                         ((1 << 64) - 1, 0))

    def test_wasmi_fuel_output_needs_the_fuel_line_once_and_one_result(self):
        fuel = "fuel consumed: 1, fuel remaining: 2\n"
        for bad in ("6765\n", fuel, fuel + fuel + "6765\n", fuel + "1\n2\n",
                    "fuel consumed: x, fuel remaining: 2\n6765\n"):
            with self.assertRaises(ValueError):
                benchlib.parse_fuel_checksum(bad)


class FuelLineOfWasiRuns(unittest.TestCase):
    FUEL = "fuel consumed: 7, fuel remaining: 9\n"

    def test_the_guest_output_is_kept_as_it_was(self):
        self.assertEqual(benchlib.split_fuel_line("a\n\n  b\n" + self.FUEL), ("a\n\n  b\n", 7))
        self.assertEqual(benchlib.split_fuel_line(self.FUEL), ("", 7))

    def test_the_fuel_line_is_needed_once(self):
        for bad in ("out\n", self.FUEL + self.FUEL, "outfuel consumed: 7, fuel remaining: 9\n"):
            with self.assertRaises(ValueError):
                benchlib.split_fuel_line(bad)


def cell(times, rss=None, **kw):
    return Cell(times=list(times), rss_kib=list(rss or [1024] * len(times)), checksum=7, **kw)


class Tables(unittest.TestCase):
    kernels = [("fib", 38), ("nbody", 1000)]
    engines = ["ssvm", "wasmi", "native"]

    def cells(self):
        return {
            ("fib", "ssvm"): cell([1.0, 3.0, 2.0]),
            ("fib", "wasmi"): cell([4.0, 4.0, 4.0], rss=[2048, 5120, 1024]),
            ("fib", "native"): cell([0.5]),
            ("nbody", "ssvm"): cell([2.0]),
            ("nbody", "wasmi"): cell([1.0]),
            ("nbody", "native"): cell([0.25]),
        }

    def rows(self, table):
        return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()]

    def test_header_medians_ratios_rss_and_geomean(self):
        rows = self.rows(benchlib.format_table(self.kernels, self.engines, self.cells()))
        self.assertEqual(rows[0], ["kernel", "N", "ssvm (s)", "wasmi (s)", "native (s)",
                                   "ssvm/wasmi", "ssvm/native",
                                   "RSS ssvm (MiB)", "RSS wasmi (MiB)", "RSS native (MiB)"])
        self.assertEqual(rows[2], ["fib", "38", "2.000", "4.000", "0.500", "0.50", "4.00",
                                   "1.0", "5.0", "1.0"])
        self.assertEqual(rows[3][5:7], ["2.00", "8.00"])
        # geometric means: sqrt(0.5 * 2) = 1, sqrt(4 * 8)
        self.assertEqual(rows[4][0], "geometric mean")
        self.assertEqual(rows[4][5:7], ["1.00", f"{(4 * 8) ** 0.5:.2f}"])
        self.assertEqual(len(rows), 5)
        self.assertTrue(all(len(r) == len(rows[0]) for r in rows))

    def test_unavailable_subject_leaves_ratios_empty(self):
        cells = self.cells()
        for k, _ in self.kernels:
            cells[(k, "ssvm")] = Cell(error="unavailable: exit 2: error: unknown command `run`")
        rows = self.rows(benchlib.format_table(self.kernels, self.engines, cells))
        self.assertEqual(rows[2][2], "unavailable")
        self.assertEqual(rows[2][5:7], ["—", "—"])
        self.assertEqual(rows[2][7], "—")
        self.assertEqual(rows[4][5:7], ["—", "—"])
        notes = benchlib.format_notes(self.kernels, self.engines, cells)
        self.assertEqual(notes, "- `ssvm`, every kernel: unavailable: exit 2: error: unknown command `run`\n")

    def test_partial_geomean_says_how_many(self):
        cells = self.cells()
        cells[("nbody", "ssvm")] = Cell(error="failed in timed run 2: signal 9: killed")
        rows = self.rows(benchlib.format_table(self.kernels, self.engines, cells))
        self.assertEqual(rows[3][2], "failed")
        self.assertEqual(rows[4][5], "0.50 (1 of 2)")
        notes = benchlib.format_notes(self.kernels, self.engines, cells)
        self.assertIn("- `ssvm`, nbody: failed in timed run 2", notes)

    def test_mismatch_is_marked_and_excluded_from_ratios(self):
        cells = self.cells()
        cells[("fib", "wasmi")].mismatch = True
        cells[("fib", "wasmi")].checksum = 8
        table = benchlib.format_table(self.kernels, self.engines, cells)
        rows = self.rows(table)
        self.assertEqual(rows[2][3], "**MISMATCH** 4.000")
        self.assertEqual(rows[2][5], "—")
        self.assertIn("CHECKSUM MISMATCH", benchlib.format_notes(self.kernels, self.engines, cells))
        self.assertIn("wasmi (MISMATCH)", benchlib.format_details(self.kernels, self.engines, cells))

    def test_without_the_subject_there_are_no_ratio_columns(self):
        rows = self.rows(benchlib.format_table(self.kernels, ["wasmi", "native"], self.cells()))
        self.assertEqual(rows[0], ["kernel", "N", "wasmi (s)", "native (s)",
                                   "RSS wasmi (MiB)", "RSS native (MiB)"])
        self.assertEqual(len(rows), 4)  # no geometric mean row

    def test_ratio_columns_pair_metered_with_metered(self):
        self.assertEqual(benchlib.ratio_columns(list(run.ENGINES)), [
            ("ssvm", "wasmi"), ("ssvm", "wasm3"), ("ssvm", "native"),
            ("ssvm-metered", "ssvm"), ("ssvm-metered", "wasmi-fuel"), ("wasmi-fuel", "wasmi")])
        self.assertEqual(benchlib.ratio_columns(["ssvm", "ssvm-metered"]), [("ssvm-metered", "ssvm")])
        self.assertEqual(benchlib.ratio_columns(["ssvm-metered", "wasmi-fuel"]),
                         [("ssvm-metered", "wasmi-fuel")])
        self.assertEqual(benchlib.ratio_columns(["ssvm", "wasmi-fuel"]), [])
        self.assertEqual(benchlib.ratio_columns(["wasmi", "wasmi-fuel"]), [("wasmi-fuel", "wasmi")])
        self.assertEqual(benchlib.ratio_columns(["ssvm", "wasmi", "native"]),
                         [("ssvm", "wasmi"), ("ssvm", "native")])

    def test_metered_columns_and_their_geomean(self):
        engines = ["ssvm", "ssvm-metered", "wasmi", "wasmi-fuel", "native"]
        cells = self.cells()
        cells.update({
            ("fib", "ssvm-metered"): cell([3.0, 3.0]),
            ("fib", "wasmi-fuel"): cell([6.0]),
            ("nbody", "ssvm-metered"): cell([2.5]),
            ("nbody", "wasmi-fuel"): cell([1.25]),
        })
        rows = self.rows(benchlib.format_table(self.kernels, engines, cells))
        self.assertEqual(rows[0], [
            "kernel", "N", "ssvm (s)", "ssvm-metered (s)", "wasmi (s)", "wasmi-fuel (s)", "native (s)",
            "ssvm/wasmi", "ssvm/native", "ssvm-metered/ssvm", "ssvm-metered/wasmi-fuel",
            "wasmi-fuel/wasmi",
            "RSS ssvm (MiB)", "RSS ssvm-metered (MiB)", "RSS wasmi (MiB)", "RSS wasmi-fuel (MiB)",
            "RSS native (MiB)"])
        self.assertEqual(rows[2][2:12], ["2.000", "3.000", "4.000", "6.000", "0.500",
                                         "0.50", "4.00", "1.50", "0.50", "1.50"])
        self.assertEqual(rows[3][7:12], ["2.00", "8.00", "1.25", "2.00", "1.25"])
        self.assertEqual(rows[4][0], "geometric mean")
        self.assertEqual(rows[4][7:12], ["1.00", f"{32 ** 0.5:.2f}", f"{(1.5 * 1.25) ** 0.5:.2f}",
                                         "1.00", f"{(1.5 * 1.25) ** 0.5:.2f}"])
        self.assertEqual(rows[4][2:7], [""] * 5)
        self.assertTrue(all(len(r) == len(rows[0]) for r in rows))

    def test_failed_metered_engine_leaves_only_its_ratios_empty(self):
        engines = ["ssvm", "ssvm-metered", "wasmi", "wasmi-fuel"]
        cells = self.cells()
        cells.update({
            ("fib", "ssvm-metered"): Cell(error="unavailable: exit 2: error: unknown option `--gas-report`"),
            ("nbody", "ssvm-metered"): cell([3.0]),
            ("fib", "wasmi-fuel"): cell([5.0]),
            ("nbody", "wasmi-fuel"): cell([1.5]),
        })
        rows = self.rows(benchlib.format_table(self.kernels, engines, cells))
        self.assertEqual(rows[0][6:10], ["ssvm/wasmi", "ssvm-metered/ssvm", "ssvm-metered/wasmi-fuel",
                                         "wasmi-fuel/wasmi"])
        self.assertEqual(rows[2][6:10], ["0.50", "—", "—", "1.25"])
        self.assertEqual(rows[4][6:10], ["1.00", "1.50 (1 of 2)", "2.00 (1 of 2)",
                                         f"{(1.25 * 1.5) ** 0.5:.2f}"])

    def test_other_headings_and_no_rss(self):
        rows = self.rows(benchlib.format_table(self.kernels, ["ssvm", "wasmi"], self.cells(),
                                               columns=("program", "job"), rss=False))
        self.assertEqual(rows[0], ["program", "job", "ssvm (s)", "wasmi (s)", "ssvm/wasmi"])
        self.assertEqual(rows[2], ["fib", "38", "2.000", "4.000", "0.50"])
        self.assertEqual(rows[4], ["geometric mean", "", "", "", "1.00"])
        cells = {k: Cell(error="unavailable: no WASI") for k in self.cells()}
        self.assertEqual(benchlib.format_notes(self.kernels, ["wasmi"], cells, noun="program"),
                         "- `wasmi`, every program: unavailable: no WASI\n")

    def test_details_rows(self):
        rows = self.rows(benchlib.format_details(self.kernels, self.engines, self.cells()))
        self.assertEqual(rows[2], ["fib", "ssvm", "3", "1.000", "2.000", "3.000", "1.0", "7"])
        self.assertEqual(len(rows), 2 + 6)


class GeneratedSection(unittest.TestCase):
    B, E = benchlib.BEGIN_MARKER, benchlib.END_MARKER

    def test_replaces_only_between_markers(self):
        doc = f"# Intro\n\nhand-written\n\n{self.B}\nold table\n{self.E}\n\nafterword\n"
        new = benchlib.replace_generated(doc, "new table\n")
        self.assertEqual(new, f"# Intro\n\nhand-written\n\n{self.B}\nnew table\n{self.E}\n\nafterword\n")
        self.assertEqual(benchlib.replace_generated(new, "new table"), new)

    def test_appends_when_markers_are_missing(self):
        self.assertEqual(benchlib.replace_generated("# Intro\n", "t\n"),
                         f"# Intro\n\n{self.B}\nt\n{self.E}\n")
        self.assertEqual(benchlib.replace_generated("", "t\n"), f"{self.B}\nt\n{self.E}\n")


class Arguments(unittest.TestCase):
    def test_defaults_write_the_doc(self):
        args = run.parse_args([])
        self.assertEqual(args.runs, 5)
        self.assertEqual(args.kernels, list(run.SIZES))
        self.assertEqual(args.engines, list(run.ENGINES))
        self.assertEqual(args.doc, run.DOC)

    def test_partial_runs_do_not_write_the_doc(self):
        self.assertIsNone(run.parse_args(["--quick"]).doc)
        self.assertEqual(run.parse_args(["--quick"]).runs, 1)
        self.assertIsNone(run.parse_args(["--kernels", "fib"]).doc)
        self.assertIsNone(run.parse_args(["--no-doc"]).doc)

    def test_sizes_cover_the_same_kernels(self):
        self.assertEqual(set(run.SIZES), set(run.QUICK_SIZES))
        for k in run.SIZES:
            self.assertTrue((run.KERNELS_DIR / f"{k}.c").exists(), k)
            self.assertTrue((run.KERNELS_DIR / f"{k}.wasm").exists(), k)

    def test_default_engines(self):
        self.assertEqual(run.ENGINES, ("ssvm", "ssvm-metered", "wasmi", "wasmi-fuel", "wasm3", "native"))
        self.assertEqual(run.parse_args(["--engines", "ssvm-metered,wasmi-fuel"]).engines,
                         ["ssvm-metered", "wasmi-fuel"])

    def test_metered_engines_command_lines_and_output(self):
        ssvm = run.Engine("ssvm", "ssvm-lite 0.1.0", program=["ssvm-lite"])
        metered = ssvm.metered("ssvm-metered", "metering on")
        self.assertEqual(metered.version, "ssvm-lite 0.1.0, metering on")
        wasm = str(run.KERNELS_DIR / "fib.wasm")
        self.assertEqual(metered.argv("fib", 38),
                         ["ssvm-lite", "run", "--gas-report", "/dev/null", "--invoke", "run", wasm, "38"])
        wasmi = run.Engine("wasmi", "wasmi 2.0.0", program=["wasmi"])
        fuel = wasmi.metered("wasmi-fuel", "fuel metering")
        self.assertEqual(fuel.argv("fib", 38), ["wasmi", "run", "--fuel", "18446744073709551615",
                                                "--invoke", "run", wasm, "38"])
        out = "fuel consumed: 10, fuel remaining: 5\n42\n"
        self.assertEqual(fuel.checksum(out), 42)
        with self.assertRaises(ValueError):
            wasmi.checksum(out)  # plain wasmi prints no fuel line
        with self.assertRaises(ValueError):
            fuel.checksum("42\n")  # fuel metering was not on
        self.assertEqual(metered.checksum("42\n"), 42)
        gone = run.Engine("ssvm", unavailable="unavailable: no target/release/ssvm-lite")
        self.assertEqual(gone.metered("ssvm-metered", "x").unavailable, gone.unavailable)

    def test_load_note(self):
        self.assertEqual(run.load_note(0.2, 1.1), "")
        self.assertIn("shared and loaded", run.load_note(0.3, 4.9))
        self.assertIn("shared and loaded", run.load_note(2.0, 1.0))

    def test_unknown_names_are_usage_errors(self):
        for argv in (["--kernels", "nope"], ["--engines", "wasmtime"], ["--runs", "0"]):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                run.parse_args(argv)


class WasiCommands(unittest.TestCase):
    def test_command_lines(self):
        ssvm = run.Engine("ssvm", "v", program=["ssvm-lite"])
        wasmi = run.Engine("wasmi", "v", program=["wasmi"])
        wasm3 = run.Engine("wasm3", "v", program=["py", "wasm3_run.py"])
        dirs = ["work", "out"]
        self.assertEqual(ssvm.wasi_argv(Path("/p/x.wasm"), ("-c", "pass"), dirs),
                         ["ssvm-lite", "run", "--dir", "work", "--dir", "out", "/p/x.wasm", "-c", "pass"])
        self.assertEqual(ssvm.metered("ssvm-metered", "m").wasi_argv("x.wasm", ["-V"]),
                         ["ssvm-lite", "run", "--gas-report", "/dev/null", "x.wasm", "-V"])
        self.assertEqual(wasmi.wasi_argv("x.wasm", ["-V"], dirs),
                         ["wasmi", "run", "--dir", "work", "--dir", "out", "x.wasm", "-V"])
        self.assertEqual(wasmi.metered("wasmi-fuel", "f").wasi_argv("x.wasm", ["-V"]),
                         ["wasmi", "run", "--fuel", "18446744073709551615", "x.wasm", "-V"])
        self.assertEqual(wasm3.wasi_argv("x.wasm", ["-V"], dirs), ["py", "wasm3_run.py", "--wasi", "x.wasm", "-V"])

    def test_guest_stdout(self):
        fuel = run.Engine("wasmi", "v", program=["wasmi"]).metered("wasmi-fuel", "f")
        self.assertEqual(fuel.guest_stdout("hi\nfuel consumed: 1, fuel remaining: 2\n"), "hi\n")
        with self.assertRaises(ValueError):
            fuel.guest_stdout("hi\n")
        plain = "hi\nfuel consumed: 1, fuel remaining: 2\n"
        self.assertEqual(run.Engine("ssvm", "v", program=["s"]).guest_stdout(plain), plain)


class FakeEngine:
    def __init__(self, name, unavailable=None):
        self.name, self.unavailable = name, unavailable


def outcome(seconds, cpu=None):
    return run.Outcome(seconds, 1024, 0, "", "", cpu)


class Rounds(unittest.TestCase):
    """first_runs, agree and time_rounds, with engines that are functions (no process runs)."""

    def quietly(self, f, *args):
        with contextlib.redirect_stderr(io.StringIO()):
            return f(*args)

    def test_first_runs_record_values_and_why_not(self):
        engines = [FakeEngine("a"), FakeEngine("b"), FakeEngine("c", "unavailable: gone")]
        row = {e.name: Cell() for e in engines}
        results = {"a": (outcome(1), 5, None), "b": (outcome(1), None, "exit 1: boom")}
        self.quietly(run.first_runs, "job", engines, row, lambda e: results[e.name])
        self.assertEqual((row["a"].checksum, row["a"].error), (5, None))
        self.assertEqual(row["b"].error, "unavailable: exit 1: boom")
        self.assertEqual(row["c"].error, "unavailable: gone")

    def test_agree_prefers_the_given_reference_then_native_then_wasmi(self):
        row = {"ssvm": Cell(checksum=1), "wasmi": Cell(checksum=2), "native": Cell(checksum=1)}
        self.assertTrue(self.quietly(run.agree, "k", {n: row[n] for n in ("ssvm", "native")}))
        self.assertFalse(self.quietly(run.agree, "k", row))
        self.assertEqual([n for n, c in row.items() if c.mismatch], ["wasmi"])
        row = {"ssvm": Cell(checksum=1), "wasmi": Cell(checksum=2)}
        self.assertFalse(self.quietly(run.agree, "k", row))
        self.assertTrue(row["ssvm"].mismatch and not row["wasmi"].mismatch)
        row = {"ssvm": Cell(checksum=1), "wasmi": Cell(checksum=1)}
        self.assertFalse(self.quietly(run.agree, "k", row, ("host", 3)))
        self.assertTrue(row["ssvm"].mismatch and row["wasmi"].mismatch)
        self.assertTrue(self.quietly(run.agree, "k", {"ssvm": Cell(error="x")}))

    def test_time_rounds_interleave_collect_and_stop_on_change(self):
        engines = [FakeEngine("a"), FakeEngine("b"), FakeEngine("c")]
        row = {"a": Cell(checksum=5), "b": Cell(checksum=5), "c": Cell(error="unavailable: x")}
        order = []

        def attempt(e):
            order.append(e.name)
            changed = e.name == "b" and order.count("b") == 2
            return outcome(len(order), cpu=0.5), 6 if changed else 5, None

        self.quietly(run.time_rounds, "job", engines, row, 3, attempt)
        self.assertEqual(order, ["a", "b", "b", "a", "a"])  # rotated; b stops after its change
        self.assertEqual(row["a"].times, [1, 4, 5])
        self.assertEqual(row["a"].cpu, [0.5] * 3)
        self.assertEqual(row["b"].times, [])
        self.assertEqual(row["b"].error, "failed in timed run 2: result changed between runs")
        self.assertEqual(row["c"].times, [])


class RealChecks(unittest.TestCase):
    STAT = "\n=== top ===\n\n   Number of wires:   93\n   Number of cells:               618\n" \
           "     $_AND_                         50\n"

    def test_yosys_cells(self):
        self.assertEqual(real.yosys_cells(self.STAT), 618)
        for bad in ("", self.STAT + self.STAT, "Number of cells: many\n"):
            with self.assertRaises(ValueError):
                real.yosys_cells(bad)

    def test_asm_functions(self):
        asm = ".global\trun\n\t.type\trun, @function\n\t.type\tcrc16_u32, @function\n" \
              "\t.type\tsamples, @object\n"
        self.assertEqual(real.asm_functions(asm), ["run", "crc16_u32"])

    def test_synthesis_check(self):
        good = {"stdout": "", "out/stat.txt": self.STAT, "out/netlist.v": "module top(clk);\nendmodule\n"}
        self.assertIsNone(real.expect_synthesis(good))
        self.assertIn("no out/stat.txt", real.expect_synthesis({"stdout": ""}))
        empty = dict(good, **{"out/stat.txt": "   Number of cells:   0\n"})
        self.assertIn("empty netlist", real.expect_synthesis(empty))
        self.assertIn("out/stat.txt", real.expect_synthesis(dict(good, **{"out/stat.txt": "?"})))

    def test_asm_check(self):
        asm = '\t.type\trun, @function\n\t.ident\t"GCC: (GNU) 15.2.0"\n'
        check = real.expect_asm("out/a.s", "run")
        self.assertIsNone(check({"out/a.s": asm}))
        self.assertIn("no out/a.s", check({}))
        self.assertIn("no function 'run'", check({"out/a.s": asm.replace("run", "main")}))
        self.assertIn("GCC 15.2.0", check({"out/a.s": asm.replace("15.2.0", "14.1.0")}))
        self.assertIsNone(real.expect_asm("out/a.s", None)({"out/a.s": '\t.ident\t"GCC: (GNU) 15.2.0"\n'}))

    def test_stdout_checks(self):
        self.assertIsNone(real.expect_stdout_lines(0)({"stdout": ""}))
        self.assertIsNotNone(real.expect_stdout_lines(0)({"stdout": "x\n"}))
        self.assertIsNone(real.expect_stdout_lines(1)({"stdout": "1 2 3\n"}))
        self.assertIsNone(real.expect_stdout_prefix("Yosys 0.55 ")({"stdout": "Yosys 0.55 (git)\n"}))
        self.assertIsNotNone(real.expect_stdout_prefix("Yosys 0.55 ")({"stdout": "Yosys 0.56\n"}))

    def test_output_digest(self):
        a = {"stdout": "x", "out/a": "1"}
        self.assertEqual(real.output_digest(a), real.output_digest({"out/a": "1", "stdout": "x"}))
        self.assertNotEqual(real.output_digest(a), real.output_digest({"stdout": "x", "out/a": "2"}))
        self.assertNotEqual(real.output_digest(a), real.output_digest({"stdout": "x", "out/b": "1"}))
        # the boundary between a name and its content counts
        self.assertNotEqual(real.output_digest({"out/a": "b1"}), real.output_digest({"out/ab": "1"}))

    def test_collect_outputs(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "sub").mkdir()
            (Path(d) / "sub" / "n.v").write_text("module")
            (Path(d) / "stat.txt").write_bytes(b"cells\xff")
            self.assertEqual(real.collect_outputs("hi\n", d),
                             {"stdout": "hi\n", "out/stat.txt": "cells\ufffd", "out/sub/n.v": "module"})

    def test_cpu_cells_show_cpu_times(self):
        cells = {("p", "ssvm"): Cell(times=[3.0], cpu=[1.0], checksum="d")}
        self.assertEqual(real.cpu_cells(cells)[("p", "ssvm")].times, [1.0])
        self.assertEqual(cells[("p", "ssvm")].times, [3.0])


class RealPrograms(unittest.TestCase):
    def test_every_guest_path_is_under_a_given_directory(self):
        for p in real.PROGRAMS.values():
            given = set(p.preopens) | set(real.OUTPUT_DIRS)
            for kind in real.JOBS:
                for arg in p.job(kind).args:
                    for path in re_paths(arg):
                        with self.subTest(program=p.name, path=path):
                            self.assertIn(path.split("/")[1], given)

    def test_pins_and_our_inputs(self):
        for p in real.PROGRAMS.values():
            with self.subTest(program=p.name):
                self.assertRegex(p.sha256, r"^[0-9a-f]{64}$")
                self.assertTrue(p.wasm.endswith(".wasm"))
                for host in p.preopens.values():
                    if Path(host).is_absolute():
                        self.assertTrue(Path(host).is_dir(), host)
                for kind in real.JOBS:
                    self.assertTrue(p.job(kind).label)
        self.assertTrue((real.WORKLOADS_DIR / "workload.py").exists())
        self.assertTrue((real.WORKLOADS_DIR / "design.v").exists())
        self.assertTrue((run.KERNELS_DIR / "coremark.c").exists())

    def test_arguments(self):
        args = real.parse_args([])
        self.assertEqual((args.runs, args.programs, args.engines, args.doc),
                         (5, list(real.PROGRAMS), list(real.ENGINES), real.DOC))
        self.assertIsNone(real.parse_args(["--programs", "python"]).doc)
        self.assertIsNone(real.parse_args(["--baseline", "/old/ssvm-lite"]).doc)
        self.assertIsNone(real.parse_args(["--no-doc"]).doc)
        for argv in (["--programs", "nope"], ["--engines", "native"], ["--runs", "0"]):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                real.parse_args(argv)


def re_paths(arg):
    """The absolute guest paths in one argument (a Yosys script holds several)."""
    return re.findall(r"(?<![\w.])/\w[\w./-]*", arg)


class Fetch(unittest.TestCase):
    def test_selected(self):
        members = ("pkg/a.wasm", "pkg/share/")
        self.assertTrue(fetch.selected("pkg/a.wasm", members))
        self.assertTrue(fetch.selected("pkg/share/x/y.v", members))
        for name in ("pkg/a.wasm.bak", "pkg/shared.v", "pkg/share/", "other/a.wasm",
                     "/pkg/a.wasm", "pkg/share/../../evil"):
            self.assertFalse(fetch.selected(name, members), name)

    def test_unpack_wheel(self):
        with tempfile.TemporaryDirectory() as d:
            wheel = Path(d) / "p-1.0-py3-none-any.whl"
            with zipfile.ZipFile(wheel, "w") as z:
                for name in ("pkg/a.wasm", "pkg/share/t.v", "pkg/other.py", "pkg/share/../../evil"):
                    z.writestr(name, name)
            dest = Path(d) / "out"
            self.assertIsNone(fetch.unpack_wheel(wheel, ("pkg/a.wasm", "pkg/share/"), dest))
            files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
            self.assertEqual(files, ["pkg/a.wasm", "pkg/share/t.v"])
            self.assertFalse((Path(d) / "evil").exists())
            self.assertEqual(fetch.unpack_wheel(wheel, ("pkg/b.wasm", "pkg/nothing/"), Path(d) / "x"),
                             "p-1.0-py3-none-any.whl has no pkg/b.wasm, pkg/nothing/")

    def test_stamp_names_the_pin_and_the_members(self):
        self.assertEqual(fetch.stamp_text("p", "1.0", ("a", "b/")), "p==1.0\na\nb/\n")
        self.assertNotEqual(fetch.stamp_text("p", "1.0", ("a",)), fetch.stamp_text("p", "1.1", ("a",)))


class Processes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.measure = run.build_measure()  # needs the host cc

    def helpers(self):
        """Both ways of running: through the measuring helper (when it built) and directly."""
        return [self.measure, None] if self.measure else [None]

    def test_run_once_measures_and_captures(self):
        for measure in self.helpers():
            with self.subTest(measure=measure):
                o = run.run_once([sys.executable, "-c", "print(12)"], measure=measure)
                self.assertEqual(o.exit_code, 0)
                self.assertEqual(benchlib.parse_checksum(o.stdout), 12)
                self.assertGreater(o.seconds, 0)
                if measure:
                    self.assertGreater(o.rss_kib, 0)
                    self.assertGreater(o.cpu_seconds, 0)
                else:
                    self.assertIsNone(o.rss_kib)
                    self.assertIsNone(o.cpu_seconds)

    def test_cpu_time_is_the_childs_work_not_its_waiting(self):
        if self.measure is None:
            self.skipTest("no cc to build the measuring helper")
        busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
        o = run.run_once([sys.executable, "-c", busy], measure=self.measure)
        self.assertGreaterEqual(o.cpu_seconds, 0.3)
        o = run.run_once([sys.executable, "-c", "import time; time.sleep(0.5)"], measure=self.measure)
        self.assertLess(o.cpu_seconds, 0.3)
        self.assertGreaterEqual(o.seconds, 0.5)

    def test_run_once_in_a_directory(self):
        with tempfile.TemporaryDirectory() as d:
            o = run.run_once([sys.executable, "-c", "import os; print(os.getcwd())"], cwd=d)
            self.assertEqual(Path(o.stdout.strip()).resolve(), Path(d).resolve())

    def test_helper_sees_the_childs_peak_not_pythons(self):
        if self.measure is None:
            self.skipTest("no cc to build the measuring helper")
        small = run.run_once(["true"], measure=self.measure)
        big = run.run_once([sys.executable, "-c", "b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096])"],
                           measure=self.measure)
        self.assertLess(small.rss_kib, 8 * 1024)
        self.assertGreater(big.rss_kib, 64 * 1024)

    def test_failures_are_described(self):
        for measure in self.helpers():
            with self.subTest(measure=measure):
                script = "import sys; sys.stderr.write('error: boom\\n'); sys.exit(3)"
                o = run.run_once([sys.executable, "-c", script], measure=measure)
                self.assertEqual(run.failure(o), "exit 3: error: boom")
                o = run.run_once(["/nonexistent/engine"], measure=measure)
                self.assertIn("cannot start", run.failure(o))
                o = run.run_once([sys.executable, "-c", "import os; os.abort()"], measure=measure)
                self.assertTrue(run.failure(o).startswith("signal 6"), run.failure(o))

    def test_timeout_kills(self):
        for measure in self.helpers():
            with self.subTest(measure=measure):
                o = run.run_once([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.2,
                                 measure=measure)
                self.assertIsNone(o.exit_code)
                self.assertIn("timed out", run.failure(o))
                self.assertLess(o.seconds, 10)


class SimdTable(unittest.TestCase):
    def cells(self, seconds):
        cells = {}
        for name, value in seconds.items():
            cell = Cell()
            if value is None:
                cell.error = "unavailable: no wasmtime"
            else:
                cell.times = [value, value + 1, value - 0.5]
            cells[("nbody", name)] = cell
        return cells

    def test_ratios_are_of_medians_and_ssvm_is_set_against_wasmtime(self):
        cells = self.cells({"ssvm/plain": 2.0, "ssvm/simd": 1.5, "ssvm-metered/plain": 2.5,
                            "ssvm-metered/simd": 2.0, "wasmtime/plain": 0.5, "wasmtime/simd": 0.25})
        rows = simd.table([("nbody", 7)], cells).splitlines()
        self.assertEqual(rows[2], "| nbody | 7 | ssvm | 2.000 | 1.500 | 0.75 |  |")
        self.assertEqual(rows[3], "| nbody | 7 | ssvm-metered | 2.500 | 2.000 | 0.80 |  |")
        self.assertEqual(rows[4], "| nbody | 7 | wasmtime | 0.500 | 0.250 | 0.50 | 6.00 |")

    def test_an_engine_that_did_not_run_shows_dashes_and_why(self):
        cells = self.cells({"ssvm/plain": 2.0, "ssvm/simd": 1.5, "ssvm-metered/plain": 2.5,
                            "ssvm-metered/simd": 2.0, "wasmtime/plain": None, "wasmtime/simd": None})
        text = simd.table([("nbody", 7)], cells)
        self.assertIn("| nbody | 7 | wasmtime | - | - | - | - |", text)
        self.assertIn("- nbody on wasmtime/simd: unavailable: no wasmtime", text)


if __name__ == "__main__":
    unittest.main()
