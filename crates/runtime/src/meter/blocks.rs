//! The compile half of metering: the lowering asks [`Blocks`] where each metering block starts
//! and ends, and what each instruction it emits stands for; the result, [`CodeMeter`], travels
//! with the assembled code to the interpreter.

use ssvm_binary::{Opcode, Operator};

/// A metering block: a straight run of Wasm instructions that, once entered, all execute unless
/// one traps or gas runs out. It is charged as a whole on entry.
#[derive(Debug, Clone, Default)]
pub struct MeterBlock {
    /// The price of all its instructions.
    pub cost: u64,
    /// `prefix[i]`: the price of its first `i` instructions (`prefix[len] == cost`).
    pub prefix: Vec<u64>,
    /// Its instructions' opcodes, in order.
    pub opcodes: Vec<Opcode>,
}

/// Where an IR instruction (or op) stands in metering: its block, how many of the block's Wasm
/// instructions are complete once it has run, and how many once the instruction it was lowered
/// from has run (less when a later `local.set` was folded into it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpMeter {
    /// The metering block.
    pub block: u32,
    /// Wasm instructions of the block complete once this has run.
    pub wasm_end: u32,
    /// Wasm instructions of the block complete once the instruction it came from has run.
    pub emit_end: u32,
}

/// The metering of one function: its blocks and the position of each IR instruction (or, once
/// assembled, of each op) in them.
#[derive(Debug, Clone, Default)]
pub struct CodeMeter {
    /// The metering blocks.
    pub blocks: Vec<MeterBlock>,
    /// The metering position of each instruction.
    pub positions: Vec<OpMeter>,
    /// Whether charges are traced (per-opcode histograms, gas profiles).
    pub traced: bool,
}

/// Whether the straight-line metering block must end after this (charged) operator: branches,
/// calls, and operators after which the next position is a branch target. An `end` is decided by
/// its label, which only the lowering knows (`Blocks::charge`'s `label_joins`).
fn ends_block(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Loop { .. }
            | O::If { .. }
            | O::Else {}
            | O::Br { .. }
            | O::BrIf { .. }
            | O::BrTable { .. }
            | O::Return {}
            | O::Unreachable {}
            | O::Call { .. }
            | O::CallIndirect { .. }
    )
}

/// The block being filled: its index and the prices of its instructions so far.
struct Open {
    id: u32,
    costs: Vec<u64>,
    opcodes: Vec<Opcode>,
}

/// Builds the metering blocks of one function while it is lowered.
pub(crate) struct Blocks<'p> {
    /// The price of every opcode (`Opcode as usize`).
    prices: &'p [u64],
    traced: bool,
    open: Option<Open>,
    meter: CodeMeter,
    /// Whether the open block ends after the instruction being lowered.
    ends_here: bool,
}

impl<'p> Blocks<'p> {
    pub(crate) fn new(prices: &'p [u64], traced: bool) -> Self {
        Blocks {
            prices,
            traced,
            open: None,
            meter: CodeMeter {
                traced,
                ..CodeMeter::default()
            },
            ends_here: false,
        }
    }

    /// A reachable operator is about to be charged: opens a block if none is open, and gives the
    /// new block's index (the lowering emits its charge).
    pub(crate) fn open(&mut self) -> Option<u32> {
        if self.open.is_some() {
            return None;
        }
        let id = self.meter.blocks.len() as u32;
        self.meter.blocks.push(MeterBlock::default());
        self.open = Some(Open {
            id,
            costs: Vec::new(),
            opcodes: Vec::new(),
        });
        Some(id)
    }

    /// Charges a reachable operator in the open block. `label_joins` says, for an `end`,
    /// whether its label is a branch target (then a new block starts after it).
    pub(crate) fn charge(&mut self, op: &Operator<'_>, label_joins: bool) {
        let opcode = op.opcode();
        let open = self.open.as_mut().expect("`open` was called first");
        open.costs.push(self.prices[opcode as usize]);
        open.opcodes.push(opcode);
        self.ends_here = match op {
            Operator::End {} => label_joins,
            _ => ends_block(op),
        };
    }

    /// The operator charged last has been lowered: closes its block if it ends there.
    pub(crate) fn lowered(&mut self) {
        if std::mem::take(&mut self.ends_here) {
            self.close();
        }
    }

    /// Records the position of an instruction just emitted: in the open block, after the Wasm
    /// instructions charged so far.
    pub(crate) fn emitted(&mut self) {
        let (block, wasm_end) = match &self.open {
            Some(b) => (b.id, b.costs.len() as u32),
            None => (u32::MAX, 0),
        };
        self.meter.positions.push(OpMeter {
            block,
            wasm_end,
            emit_end: wasm_end,
        });
    }

    /// The instruction emitted at `at` now also completes the Wasm instruction charged last (a
    /// `local.set` or `br_if` folded into it).
    pub(crate) fn extend(&mut self, at: usize) {
        if let (Some(b), Some(m)) = (&self.open, self.meter.positions.get_mut(at)) {
            m.wasm_end = b.costs.len() as u32;
        }
    }

    /// Closes the open block, recording its prices.
    pub(crate) fn close(&mut self) {
        if let Some(b) = self.open.take() {
            let mut prefix = Vec::with_capacity(b.costs.len() + 1);
            let mut sum = 0u64;
            prefix.push(0);
            for &c in &b.costs {
                sum = sum.saturating_add(c);
                prefix.push(sum);
            }
            self.meter.blocks[b.id as usize] = MeterBlock {
                cost: sum,
                prefix,
                opcodes: b.opcodes,
            };
        }
    }

    /// The function's metering, once its last instruction is lowered.
    pub(crate) fn finish(&mut self) -> CodeMeter {
        self.close();
        std::mem::replace(
            &mut self.meter,
            CodeMeter {
                traced: self.traced,
                ..CodeMeter::default()
            },
        )
    }
}
