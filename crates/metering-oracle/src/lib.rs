//! An independent oracle for ssvm-lite's gas metering.
//!
//! It shares no code with the runtime's metering: [`instrument`] rewrites a module (with
//! `wasmparser` and `wasm-encoder`) so that it counts its own gas, inserting before every
//! instruction of every function body a charge to an exported global, a per-opcode counter and,
//! with a gas limit, an out-of-gas check. It accepts Wasm 2.0 with tail calls, relaxed SIMD,
//! multi-memory, memory64 (64-bit memories and tables), exception handling, extended constant
//! expressions and typed function references. [`run`] instruments a module, runs it on `ssvm-runtime`
//! with metering off, and reports the outcome, the gas used and the per-opcode counts.
//!
//! The semantics are those of "Metering: the definition of exact" in the design document:
//!
//! - A charge placed at an instruction's position is executed exactly when control passes through
//!   that position: `block`, `loop`, `if` when reached (a branch to a `loop` re-enters its body
//!   after the charge); `else` and `end` only on fall-through (their charge sits at the end of the
//!   arm); a function's final `end` only when the body falls off its end.
//! - The charge comes before the instruction, so a trapping instruction is charged and nothing
//!   after it is.
//! - Per-unit work (`memory.fill/copy/init` bytes, `table.fill/copy/init` elements, pages or
//!   elements of a successful `memory.grow`/`table.grow`) is charged after the instruction
//!   succeeds, from the operand saved in a scratch local. The operand has the address type of
//!   the memory or table, the full `i64` of a 64-bit one; `memory.copy` and `table.copy` between
//!   a 32-bit and a 64-bit one count with an `i32` (the smaller address type), and
//!   `memory.init` and `table.init` always do. A grow failed when it returns -1 of its address
//!   type.
//! - `call` of an imported function charges the `call` price plus the host's price, as one
//!   charge; so does `return_call` (a tail call is a call that also leaves the frame: its charge
//!   sits before it like any other, and nothing after it in the caller runs).
//! - Entering a function charges its declared locals (not its parameters) times the per-local
//!   rate, before its first instruction; with a limit, an entry that does not fit stops there.
//! - With a limit, an instruction whose charge (base plus per-unit × n, assuming a grow succeeds)
//!   would make the total exceed the limit sets the exported flag [`OUT_OF_GAS_EXPORT`] and
//!   executes `unreachable` instead: nothing of it happens and the total stays at the sum before.
//!   The comparison is made without computing per-unit × n, so a 64-bit count whose charge is
//!   above 2^64 - 1 exceeds every limit rather than wrapping.
//!
//! Readings of the definition where it leaves room:
//!
//! - An `if` with an `else` charges one terminator per run: `else` when the then-arm falls through
//!   (control then continues after the `end` without executing it), `end` when the else-arm does.
//! - The `call` of a host function and the host's price are one charge: out of gas is decided on
//!   their sum.
//! - Every imported function is priced as a host function, even when the linker supplies a Wasm
//!   function of another instance (whose code this instrumentation does not see).
//! - Without a limit, the gas total wraps around at 2^64.
//!
//! What is refused (an `Err` naming the reason): modules not valid with the features above, modules
//! that already export a name starting with `__oracle_`, and modules in which a `call_indirect`
//! (or `return_call_indirect`, `call_ref`, `return_call_ref`) might reach an imported function with a non-zero host price (the price of the callee is not
//! known statically there; see [`instrument`]).

mod instrument;
mod names;
mod run;

pub use instrument::instrument;
pub use names::spec_name;
pub use run::{run, Instrumented, Outcome, Report};

/// Export name of the mutable `i64` global holding the gas used so far (as an unsigned number).
pub const GAS_EXPORT: &str = "__oracle_gas";
/// Export name of the mutable `i64` global holding the gas limit (present only with a limit).
pub const LIMIT_EXPORT: &str = "__oracle_limit";
/// Export name of the mutable `i32` global set to 1 when execution stopped for lack of gas.
pub const OUT_OF_GAS_EXPORT: &str = "__oracle_out_of_gas";
/// Prefix of the export names of the per-opcode counters: `__oracle_count_i32.add` is the
/// mutable `i64` global counting executions of `i32.add`.
pub const COUNT_PREFIX: &str = "__oracle_count_";

/// What executing instructions costs.
pub struct Prices<'a> {
    /// The base price of an instruction, by spec text name (`"i32.add"`, `"br_table"`,
    /// `"select"` for both forms of `select`, `"end"`, ...).
    pub instr: &'a dyn Fn(&str) -> u64,
    /// Prices per unit of work actually done.
    pub per_unit: PerUnitRates,
    /// The price of one call of the imported function `module::name`, on top of the `call`.
    pub host: &'a dyn Fn(&str, &str) -> u64,
}

/// Prices per unit of work actually done by the instructions whose work is proportional to an
/// operand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerUnitRates {
    /// Per page added by a successful `memory.grow`.
    pub memory_grow: UnitRate,
    /// Per byte written by `memory.fill`.
    pub memory_fill: UnitRate,
    /// Per byte copied by `memory.copy`.
    pub memory_copy: UnitRate,
    /// Per byte copied by `memory.init`.
    pub memory_init: UnitRate,
    /// Per element added by a successful `table.grow`.
    pub table_grow: UnitRate,
    /// Per element written by `table.fill`.
    pub table_fill: UnitRate,
    /// Per element copied by `table.copy`.
    pub table_copy: UnitRate,
    /// Per element copied by `table.init`.
    pub table_init: UnitRate,
    /// Per declared local (not parameter) of a function, charged when the function is entered,
    /// before its first instruction.
    pub local: UnitRate,
}

/// A price for units of work: `gas` for every `per` units, rounded up, so that `n` units cost
/// ceil(n × gas / per). `per` must be at least 1, and `gas × per + per` must fit an `i64` (the
/// instrumented code's arithmetic): [`Instrumented::new`] refuses other rates (`local`'s too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRate {
    /// The gas of every `per` units.
    pub gas: u64,
    /// The units `gas` pays for.
    pub per: u64,
}

impl UnitRate {
    /// `gas` for each unit.
    pub const fn per_unit(gas: u64) -> UnitRate {
        UnitRate { gas, per: 1 }
    }

    /// What `units` units cost, unbounded.
    pub fn price(self, units: u64) -> u128 {
        (u128::from(units) * u128::from(self.gas)).div_ceil(u128::from(self.per.max(1)))
    }
}

impl Default for UnitRate {
    fn default() -> UnitRate {
        UnitRate::per_unit(0)
    }
}
