//! Exact gas metering, all of it (docs/metering.md): the cost table, the metering blocks the
//! lowering builds (`blocks`, the compile half), and the charges, refunds, partial blocks, the
//! out-of-gas stop and its resumption (`run`), histograms and gas profiles (`trace`) that the
//! interpreter uses (the execute half).
//!
//! The compile half depends on nothing of the interpreter; the execute half works on the
//! interpreter's state (`exec::Exec`), whose only metering field is its `Meter`.

mod blocks;
mod cost;
mod run;
mod trace;

pub(crate) use blocks::Blocks;
pub use blocks::{CodeMeter, OpMeter};
pub use cost::{CostTable, CostTableError, PerUnit, Rate};
pub(crate) use run::{
    charge, charge_traced, land, out_of_gas_at, pay, pay_landing, pay_late, per_unit, Account,
    Meter,
};
