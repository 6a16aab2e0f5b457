"""Generated modules: the microbenchmarks, the adversarial programs and the random mixes.

Every module has the same frame: an export `run(n: i32) -> i64` that sets up its locals, runs
an optional set-up, then goes round a loop n times (nothing when n is 0) and returns a value
made of its locals. A module is given by the text of one loop body (and its set-up), as
WebAssembly text, and compiled with wabt's `wat2wasm` (Debian package `wabt`, installed with
apt-get when missing and running as root).

The locals the bodies use: i32 $a (large), $b (7), $c, $d, $e (0), $p (an address), $i;
i64 $x (large), $y (13), $z; f64 $u (1.5), $v (1.25), $w; f32 $f (1.5), $h (1.25), $k.
Function $id returns its i32 argument, $ret does so through `return`, and table 0 holds $id
at 0..3, so `call_indirect (type $t1)` of index 0 calls it.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from engine import debian_tool

HEADER = """(module
  (type $t1 (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (memory (export "memory") {pages} {max_pages})
  (table $tab {table} funcref)
  (elem (table $tab) (i32.const 0) func $id $id $id $id)
  (elem $e funcref (ref.func $id) (ref.func $id) (ref.func $id) (ref.func $id))
  (data $d "{data}")
  (global $g (mut i32) (i32.const 1))
  (func $id (param i32) (result i32) local.get 0)
  (func $ret (param i32) (result i32) local.get 0 return)
  (func (export "run") (param $n i32) (result i64)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $p i32)
    (local $i i32)
    (local $x i64) (local $y i64) (local $z i64)
    (local $u f64) (local $v f64) (local $w f64)
    (local $f f32) (local $h f32) (local $k f32)
    i32.const 123456789 local.set $a
    i32.const 7 local.set $b
    i32.const 64 local.set $p
    i64.const 1234567890123 local.set $x
    i64.const 13 local.set $y
    f64.const 1.5 local.set $u
    f64.const 1.25 local.set $v
    f32.const 1.5 local.set $f
    f32.const 1.25 local.set $h
    ;; the iovec for fd_write at 0: one byte at 16
    i32.const 0 i32.const 16 i32.store
    i32.const 4 i32.const 1 i32.store
"""

FOOTER = """
    local.get $n
    if
      loop $loop
{body}
        local.get $n i32.const 1 i32.sub local.tee $n br_if $loop
      end
    end
    local.get $x local.get $z i64.add
    local.get $a local.get $c i32.add local.get $d i32.add i64.extend_i32_u i64.add
    local.get $w i64.trunc_sat_f64_s i64.add
    local.get $k i64.trunc_sat_f32_s i64.add))
"""

DATA_BYTES = 4096  # the passive data segment $d, for memory.init


@dataclass
class Module:
    """A generated module: its loop body, set-up, and the per-unit work one time round the loop
    does (per-unit key -> units), which the histogram does not show."""

    name: str
    body: str
    setup: str = ""
    pages: int = 4
    max_pages: int = 65536
    table: int = 1100
    units: dict = field(default_factory=dict)
    what: str = ""

    def text(self):
        data = "\\00" * DATA_BYTES
        head = HEADER.format(pages=self.pages, max_pages=self.max_pages, table=self.table, data=data)
        return head + self.setup + FOOTER.format(body=self.body)


def repeat(k, pattern):
    """k copies of pattern(i) on lines of their own."""
    return "\n".join("        " + pattern(i) for i in range(k))


def rotate(options):
    return lambda i: options[i % len(options)]


# ---- the microbenchmarks: one class each, K copies a time round the loop ----

K = 16
INT_OPS = ["i32.add", "i32.sub", "i32.mul", "i32.and", "i32.or", "i32.xor", "i32.shl",
           "i32.shr_u", "i32.rotl", "i32.lt_u", "i32.eq"]
INT64_OPS = [o.replace("i32", "i64") for o in INT_OPS[:9]]


def micro_modules():
    m = [
        Module("empty", "", what="the loop alone: the overhead subtracted from the others"),
        Module("nop", repeat(K, lambda i: "nop")),
        Module("block", repeat(K, lambda i: "block end")),
        Module("local_copy", repeat(K, lambda i: "local.get $a local.set $c")),
        Module("local_tee", repeat(K, lambda i: "local.get $a local.tee $c local.set $d")),
        Module("local_drop", repeat(K, lambda i: "local.get $a drop")),
        Module("const", repeat(K, lambda i: "i32.const 5 local.set $c")),
        Module("global", repeat(K, rotate(["global.get $g local.set $c",
                                           "local.get $b global.set $g"]))),
        Module("int32", repeat(K, lambda i: f"local.get $a local.get $b {INT_OPS[i % 11]} local.set $c")),
        Module("int32_chain", repeat(K, lambda i: "local.get $a i32.const 3 i32.add local.set $a")),
        Module("int64", repeat(K, lambda i: f"local.get $x local.get $y {INT64_OPS[i % 9]} local.set $z")),
        Module("int32_stack", "        local.get $a\n" + repeat(K, rotate([
            "i32.const 3 i32.add", "i32.const 5 i32.xor", "i32.const 3 i32.mul", "local.get $b i32.shl",
            "i32.const -1 i32.and", "local.get $b i32.or"])) + "\n        local.set $c",
            what="a chain of operations on the operand stack, one local.set at its end"),
        Module("float_stack", "        local.get $u\n" + repeat(K, rotate([
            "local.get $v f64.mul", "local.get $v f64.add", "f64.const 0.5 f64.mul", "local.get $v f64.sub"]))
            + "\n        local.set $w", what="the same for f64"),
        Module("int_unary", repeat(K, rotate(["local.get $a i32.eqz local.set $c",
                                              "local.get $a i32.clz local.set $c",
                                              "local.get $x i32.wrap_i64 local.set $c",
                                              "local.get $a i64.extend_i32_s local.set $z"]))),
        Module("div32", repeat(K, rotate(["local.get $a local.get $b i32.div_u local.set $c",
                                          "local.get $a local.get $b i32.div_s local.set $c",
                                          "local.get $a local.get $b i32.rem_u local.set $c",
                                          "local.get $a local.get $b i32.rem_s local.set $c"]))),
        Module("div64", repeat(K, rotate(["local.get $x local.get $y i64.div_u local.set $z",
                                          "local.get $x local.get $y i64.div_s local.set $z",
                                          "local.get $x local.get $y i64.rem_u local.set $z",
                                          "local.get $x local.get $y i64.rem_s local.set $z"]))),
        Module("float", repeat(K, rotate(["local.get $u local.get $v f64.add local.set $w",
                                          "local.get $u local.get $v f64.mul local.set $w",
                                          "local.get $f local.get $h f32.sub local.set $k",
                                          "local.get $u local.get $v f64.lt local.set $c",
                                          "local.get $a f64.convert_i32_s local.set $w",
                                          "local.get $u f64.neg local.set $w"]))),
        # Dependent: each result is the next operand, so the divider's latency is what is
        # timed, as in the worst program (values stay near 1: no subnormals).
        Module("fdiv", repeat(K, rotate(["local.get $v local.get $u f64.div local.set $u",
                                         "local.get $u f64.sqrt local.set $u",
                                         "local.get $h local.get $f f32.div local.set $f",
                                         "local.get $f f32.sqrt local.set $f"]))),
        Module("fminmax", repeat(K, rotate(["local.get $u local.get $v f64.min local.set $w",
                                            "local.get $f local.get $h f32.max local.set $k"]))),
        Module("trunc", repeat(K, rotate(["local.get $u i32.trunc_f64_s local.set $c",
                                          "local.get $u i64.trunc_f64_u local.set $z",
                                          "local.get $f i32.trunc_sat_f32_s local.set $c"]))),
        Module("load", repeat(K, lambda i: [
            f"local.get $p i32.load offset={8 * i} local.set $c",
            f"local.get $p i64.load offset={8 * i} local.set $z",
            f"local.get $p f64.load offset={8 * i} local.set $w",
            f"local.get $p i32.load8_u offset={8 * i} local.set $c"][i % 4])),
        Module("store", repeat(K, lambda i: [
            f"local.get $p local.get $a i32.store offset={8 * i}",
            f"local.get $p local.get $x i64.store offset={8 * i}",
            f"local.get $p local.get $u f64.store offset={8 * i}",
            f"local.get $p local.get $a i32.store8 offset={8 * i}"][i % 4])),
        Module("select", repeat(K, lambda i: "local.get $a local.get $b local.get $c select local.set $d")),
        Module("br", repeat(K, lambda i: "block br 0 end")),
        Module("br_if_taken", repeat(K, lambda i: "block local.get $a br_if 0 end")),
        Module("br_if_not", repeat(K, lambda i: "block local.get $e br_if 0 end")),
        Module("br_table", repeat(K, lambda i: "block block local.get $b br_table 0 1 1 end end")),
        Module("if_else", repeat(K, lambda i: "local.get $a if nop else nop end")),
        Module("if_false", repeat(K, lambda i: "local.get $e if nop end")),
        Module("call", repeat(K, lambda i: "local.get $a call $id local.set $c")),
        Module("call_return", repeat(K, lambda i: "local.get $a call $ret local.set $c")),
        Module("call_indirect", repeat(K, lambda i: "local.get $a i32.const 0 call_indirect (type $t1) local.set $c")),
        Module("memory_size", repeat(K, lambda i: "memory.size local.set $c")),
        Module("table_get", repeat(K, rotate(["i32.const 1 table.get $tab drop",
                                              "i32.const 2 ref.func $id table.set $tab"]))),
        Module("grow0", repeat(K, lambda i: "i32.const 0 memory.grow local.set $c")),
        Module("table_grow0", repeat(K, lambda i: "ref.null func i32.const 0 table.grow $tab local.set $c")),
    ]
    # Bulk work: the base price from length 0, the per-unit price from the difference to 4096.
    bulk = {
        "fill": ("memory.fill", "local.get $p i32.const 0 i32.const {n} memory.fill"),
        "copy": ("memory.copy", "local.get $p i32.const 8192 i32.const {n} memory.copy"),
        "init": ("memory.init", "local.get $p i32.const 0 i32.const {n} memory.init $d"),
        "table_fill": ("table.fill", "i32.const 0 ref.null func i32.const {n} table.fill $tab"),
        "table_copy": ("table.copy", "i32.const 4 i32.const 0 i32.const {n} table.copy $tab $tab"),
        "table_init": ("table.init", "i32.const 0 i32.const 0 i32.const {n} table.init $tab $e"),
    }
    for name, (key, pattern) in bulk.items():
        big = 4 if key == "table.init" else 1024 if key.startswith("table") else 4096
        m.append(Module(f"{name}0", repeat(4, lambda i: pattern.format(n=0))))
        m.append(Module(f"{name}{big}", repeat(4, lambda i: pattern.format(n=big)),
                        units={key: 4 * big}))
    # Growth: one page a time round, each new page touched once (the first write to a page is
    # where the operating system pays for it); 1000 elements of table a time round.
    m.append(Module("grow1", "        i32.const 1 memory.grow i32.const 16 i32.shl i32.const 1 i32.store8",
                    units={"memory.grow": 1}, pages=1))
    m.append(Module("table_grow1000", "        ref.null func i32.const 1000 table.grow $tab drop",
                    units={"table.grow": 1000}, table=4))
    return m


# Iterations for the two runs whose difference the microbenchmarks time: big enough that the
# difference is tenths of a second, small enough for growth to fit the limits.
def micro_iterations(module, callgrind=False):
    if module.name == "grow1":
        return (200, 1000) if not callgrind else (100, 300)
    if module.name == "table_grow1000":
        return (200, 2000) if not callgrind else (100, 300)
    if module.units:
        return (20_000, 100_000) if not callgrind else (2_000, 6_000)
    return (1_000_000, 5_000_000) if not callgrind else (20_000, 60_000)


# ---- adversarial programs: what a table must not underprice ----

CHASE_WORDS = 1 << 24  # 64 MiB of i32 for the pointer chase and the stream

# Each word holds its own address; Sattolo's shuffle with a 32-bit LCG makes them one random
# cycle: each load depends on the one before and almost always misses the cache. Runs in the set-up, so the base run pays it too.
CHASE_SETUP = f"""
    i32.const 0 local.set $i
    block loop
      local.get $i i32.const 2 i32.shl local.tee $c local.get $c i32.store
      local.get $i i32.const 1 i32.add local.tee $i i32.const {CHASE_WORDS} i32.lt_u br_if 0
    end end
    i32.const {CHASE_WORDS - 1} local.set $i
    block loop
      local.get $a i32.const 1664525 i32.mul i32.const 1013904223 i32.add local.tee $a
      local.get $i i32.rem_u i32.const 2 i32.shl local.tee $c i32.load local.set $d
      local.get $c local.get $i i32.const 2 i32.shl local.tee $c i32.load i32.store
      local.get $c local.get $d i32.store
      local.get $i i32.const 1 i32.sub local.tee $i br_if 0
    end end
    i32.const 0 local.set $p
"""


def adversarial_modules():
    chase_pages = CHASE_WORDS * 4 // 65536 + 1
    return [
        (Module("empty_loop", "", what="nothing but the loop: br_if and its counter"), 200_000_000),
        (Module("br_loop", "        block br 0 end", what="a br to a block's end, once a time round"), 100_000_000),
        (Module("structure_only", repeat(32, lambda i: "block end nop"), what="block, end and nop: priced 0 by the hand-made table"), 20_000_000),
        (Module("locals_only", repeat(32, lambda i: "local.get $a local.set $c"), what="local copies"), 10_000_000),
        (Module("call_heavy", repeat(8, lambda i: "local.get $a call $id local.set $a"), what="calls of a function that returns its argument"), 10_000_000),
        (Module("call_indirect_heavy", repeat(8, lambda i: "local.get $a i32.const 1 call_indirect (type $t1) local.set $a"), what="indirect calls of the same"), 10_000_000),
        (Module("div32_chain", repeat(16, lambda i: "local.get $a local.get $b i32.div_u local.get $a i32.add local.set $a"), what="dependent i32.div_u"), 5_000_000),
        (Module("div64_chain", repeat(16, lambda i: "local.get $x local.get $y i64.rem_u local.get $x i64.add local.set $x"), what="dependent i64.rem_u"), 5_000_000),
        (Module("fdiv_chain", repeat(16, lambda i: "local.get $u local.get $v f64.div f64.sqrt local.set $u"), what="dependent f64.div and f64.sqrt"), 5_000_000),
        (Module("pointer_chase", repeat(8, lambda i: "local.get $p i32.load local.set $p"), setup=CHASE_SETUP,
                pages=chase_pages, what="dependent loads at random over 64 MiB"), 2_000_000),
        (Module("memory_stream", repeat(8, lambda i: f"local.get $p i32.load offset={64 * i} local.get $c i32.add local.set $c")
                + f"\n        local.get $p i32.const 512 i32.add i32.const {CHASE_WORDS * 4 - 1} i32.and local.set $p",
                pages=chase_pages, what="loads a cache line apart, streaming through 64 MiB"), 10_000_000),
        (Module("bulk_copy", "        local.get $p i32.const 65536 i32.const 65536 memory.copy", pages=4,
                units={"memory.copy": 65536}, what="memory.copy of 64 KiB"), 200_000),
        (Module("bulk_small", repeat(8, lambda i: "local.get $p i32.const 0 i32.const 8 memory.fill"),
                units={"memory.fill": 64}, what="memory.fill of 8 bytes: the base price"), 5_000_000),
        (Module("grow_heavy", "        i32.const 1 memory.grow i32.const 16 i32.shl i32.const 1 i32.store8", pages=1,
                units={"memory.grow": 1}, what="memory.grow of one page, touched"), 3000),
        (Module("host_fd_write", "        i32.const 1 i32.const 0 i32.const 1 i32.const 8 call $fd_write local.set $c",
                what="fd_write of one byte to /dev/null"), 1_000_000),
        (Module("host_clock", "        i32.const 1 i64.const 0 i32.const 8 call $clock local.set $c",
                what="clock_time_get"), 2_000_000),
        (Module("host_args", "        i32.const 8 i32.const 12 call $args_sizes local.set $c",
                what="args_sizes_get: the cheapest host call"), 5_000_000),
        (Module("br_table_heavy", repeat(8, lambda i: f"block block block local.get $a i32.const {i} i32.add i32.const 3 i32.and br_table 0 1 2 2 end end end"),
                what="br_table dispatch"), 10_000_000),
    ]


# ---- random mixes ----

def mixed_module(seed):
    """A loop body of 24 to 64 patterns drawn from the microbenchmarks' (loads and stores among
    them), the classes weighted at random: programs no class dominates, for fitting and for
    holding out."""
    rng = random.Random(seed)
    # Patterns are lines of the one-pattern-a-line bodies (not the stack chains, whose lines
    # are not whole).
    pool = [m for m in micro_modules() if m.body and not m.units
            and not m.name.startswith(("grow", "table_grow")) and not m.name.endswith("_stack")]
    weights = [rng.random() ** 3 for _ in pool]
    lines = []
    for _ in range(rng.randint(24, 64)):
        m = rng.choices(pool, weights)[0]
        lines.append(rng.choice(m.body.splitlines()))
    return Module(f"mix{seed}", "\n".join(lines), what=f"a random mix (seed {seed})")


def wat2wasm():
    return debian_tool("wat2wasm", "wabt")


def build(module, out_dir):
    """Writes module.wat and compiles it to module.wasm in out_dir; the .wasm path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    src, dst = out_dir / f"{module.name}.wat", out_dir / f"{module.name}.wasm"
    text = module.text()
    if not (dst.exists() and src.exists() and src.read_text() == text):
        src.write_text(text)
        subprocess.run([wat2wasm(), str(src), "-o", str(dst)], check=True)
    return dst
