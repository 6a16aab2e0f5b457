"""The opcode names, read from the project's one opcode table (crates/binary/src/opcodes.rs), and
the price classes the calibration measures and fits.

A class is a set of opcodes that one price stands for: the fit has a few dozen programs, not the
four hundred opcodes, so it fits one coefficient per class and the table gives every opcode of a
class that price. Every opcode falls in exactly one class (`class_of`).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPCODES_RS = ROOT / "crates" / "binary" / "src" / "opcodes.rs"

_ROW = re.compile(r'^\s*0x[0-9A-Fa-f]{2} 0x[0-9A-Fa-f]+ \w+ \{[^}]*\} "([^"]+)" '
                  r'(special|\([^)]*\)) (\S+) (\S+);', re.M)


def opcode_names():
    """Every distinct spec name, in table order (`select` once for both encodings)."""
    seen = []
    for m in _ROW.finditer(OPCODES_RS.read_text()):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    if len(seen) < 400:
        raise RuntimeError(f"read only {len(seen)} opcodes from {OPCODES_RS}: has its format changed?")
    return seen


# The classes, in the order tables and reports list them, with what each stands for.
CLASSES = {
    "struct": "nop, block, loop, end",
    "local.get": "local.get",
    "local.set": "local.set",
    "local.tee": "local.tee",
    "global": "global.get, global.set",
    "const": "i32/i64/f32/f64.const",
    "drop_select": "drop, select",
    "int": "integer arithmetic, bit operations, comparisons, extensions, wrap, reinterpret",
    "div32": "i32.div_*, i32.rem_*",
    "div64": "i64.div_*, i64.rem_*",
    "float": "float add/sub/mul, abs/neg/copysign, rounding, comparisons, conversions",
    "fdiv": "f32/f64 div and sqrt",
    "fminmax": "f32/f64 min and max",
    "trunc": "float-to-integer truncations (trapping and _sat)",
    "load": "scalar loads",
    "store": "scalar stores",
    "br": "br",
    "br_if": "br_if",
    "br_table": "br_table",
    "if_else": "if, else",
    "call": "call",
    "call_indirect": "call_indirect",
    "return": "return",
    "misc": "memory.size, table.size, ref.*, data.drop, elem.drop, unreachable",
    "table_access": "table.get, table.set",
    "grow": "memory.grow, table.grow (base price)",
    "bulk": "memory/table fill, copy, init (base price)",
    "simd_mem": "v128 loads and stores",
    "simd": "every other SIMD instruction",
}

# Classes no microbenchmark measures: priced by analogy with the class named (the table's
# comments say so). No program of the corpus runs SIMD, so no fit moves them either.
BY_ANALOGY = {"simd_mem": "load", "simd": "int"}


# Opcodes of later proposals no microbenchmark measures, each priced as the class of the
# instruction whose work it is: a tail call or a throw is a call (an unwind lands like a return),
# `call_ref` an indirect call (a null check where call_indirect checks the table and type),
# `br_on_null` and `br_on_non_null` a conditional branch, `try_table` a block. (`ref.as_non_null`
# is a `ref.*` like `ref.is_null`: misc.)
LIKE = {
    "return_call": "call",
    "throw": "call",
    "throw_ref": "call",
    "return_call_indirect": "call_indirect",
    "call_ref": "call_indirect",
    "return_call_ref": "call_indirect",
    "br_on_null": "br_if",
    "br_on_non_null": "br_if",
    "try_table": "struct",
}

# What the table says of the opcodes priced by analogy, written above the first of each group.
LIKE_NOTES = {
    "try_table": ["try_table: not measured; a structure marker like block (the lowering emits "
                  "nothing for it:", "its catch clauses are a side table read only when "
                  "something is thrown)."],
    "br_on_null": ["br_on_null, br_on_non_null: not measured (no program here uses typed function "
                   "references);", "priced as br_if: a test of one slot and a conditional jump."],
    "return_call": ["return_call, return_call_indirect: not measured (no program here uses them); "
                    "priced as the", "call each is: its work is a call's, with the arguments "
                    "moved into the replaced frame."],
    "call_ref": ["call_ref, return_call_ref: not measured; priced as call_indirect, whose call "
                 "they are with a", "null check in place of the table's bounds, null and "
                 "signature checks."],
    "throw": ["throw, throw_ref: not calibrated (no program here throws); priced as a call, the "
              "work they most", "resemble (the unwinding leaves frames and lands on a handler's "
              "block). Timed afterwards: a", "throw caught one frame up takes 14.5 to 17.5 ns more "
              "than the return it replaces (a loop of", "20 M: 0.45 to 0.51 s against 0.16 s, "
              "three runs each)."],
    "ref.as_non_null": ["ref.as_non_null: not measured; a null test and a copy, priced as "
                        "ref.is_null."],
}


def class_of(name):
    if name in LIKE:
        return LIKE[name]
    ty, _, what = name.partition(".")
    if not what:
        ty, what = "", name
    if ty == "v128" and ("load" in what or "store" in what):
        return "simd_mem"
    if ty in ("v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"):
        return "simd"
    if name in ("nop", "block", "loop", "end"):
        return "struct"
    if name in ("local.get", "local.set", "local.tee", "br", "br_if", "br_table", "call",
                "call_indirect", "return"):
        return name
    if name in ("if", "else"):
        return "if_else"
    if ty == "global":
        return "global"
    if what == "const":
        return "const"
    if name in ("drop", "select"):
        return "drop_select"
    if name in ("table.get", "table.set"):
        return "table_access"
    if what == "grow":
        return "grow"
    if what in ("fill", "copy", "init"):
        return "bulk"
    if ty in ("memory", "table", "ref", "data", "elem") or name == "unreachable":
        return "misc"
    if "load" in what:
        return "load"
    if "store" in what:
        return "store"
    if ty in ("i32", "i64"):
        if what.startswith(("div", "rem")):
            return "div32" if ty == "i32" else "div64"
        if what.startswith("trunc"):
            return "trunc"
        return "int"
    if ty in ("f32", "f64"):
        if what in ("div", "sqrt"):
            return "fdiv"
        if what in ("min", "max"):
            return "fminmax"
        return "float"
    raise ValueError(f"no price class for opcode {name!r}")


def class_counts(counts):
    """Per-opcode counts ({"i32.add": n}) summed by class."""
    out = dict.fromkeys(CLASSES, 0)
    for name, n in counts.items():
        out[class_of(name)] += n
    return out
