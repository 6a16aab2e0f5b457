//! The compile half of metering: the lowering asks [`Blocks`] where each metering block starts
//! and ends, and what each instruction it emits stands for; the result, [`CodeMeter`], travels
//! with the assembled code to the interpreter.

use super::cost::{Rate, LOCAL_GAS_AT, LOCAL_PER_AT};
use ssvm_binary::{Opcode, Operator};

/// Where an IR instruction (or op) stands in metering: its block, how many of the block's Wasm
/// instructions are complete once it has run, and how many once the instruction it was lowered
/// from has run (less when a later `local.set` was folded into it).
///
/// A function whose declared locals are priced (`[per_unit] "local"`) starts its first block with
/// one more unit before its Wasm instructions, the *entry charge*: their price, with no opcode.
/// Counts of "instructions" of block 0 include it, so an op after it (the zeroing of a large
/// frame) runs only once it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpMeter {
    /// The metering block.
    pub block: u32,
    /// Wasm instructions of the block complete once this has run.
    pub wasm_end: u32,
    /// Wasm instructions of the block complete once the instruction it came from has run.
    pub emit_end: u32,
}

/// The metering of one function: its metering blocks (straight runs of Wasm instructions that,
/// once entered, all execute unless one traps or gas runs out; each is charged as a whole on
/// entry) and the position of each IR instruction (or, once assembled, of each op) in them.
///
/// The blocks' data is kept flat, a few bytes per instruction rather than three vectors per
/// block: large programs have millions of blocks.
#[derive(Debug, Clone, Default)]
pub struct CodeMeter {
    /// Where each block's prices start in `prefix`, and one past the last block's.
    starts: Vec<u32>,
    /// For each block in turn, the price of its first `i` instructions for `i` in `0..=len`.
    prefix: Vec<u64>,
    /// Traced code only (histograms): each block's opcodes in turn; block `b`'s start at
    /// `starts[b] - b` (every block has one more prefix entry than opcodes).
    opcodes: Vec<Opcode>,
    /// The metering position of each instruction.
    pub positions: Vec<OpMeter>,
    /// Whether charges are traced (per-opcode histograms, gas profiles).
    pub traced: bool,
    /// Whether block 0 starts with the entry charge for the declared locals (`OpMeter`).
    entry: bool,
}

impl CodeMeter {
    /// The number of metering blocks.
    pub fn block_count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// `prefix(b)[i]`: the price of block `b`'s first `i` instructions; its last entry is the
    /// block's price.
    pub fn prefix(&self, block: u32) -> &[u64] {
        let b = block as usize;
        &self.prefix[self.starts[b] as usize..self.starts[b + 1] as usize]
    }

    /// The price of block `block`, all its instructions.
    pub fn cost(&self, block: u32) -> u64 {
        self.prefix(block).last().copied().unwrap_or(0)
    }

    /// The number of Wasm instructions in block `block`.
    pub fn len(&self, block: u32) -> u32 {
        self.prefix(block).len() as u32 - 1
    }

    /// The same blocks, with the positions of other instructions (the assembled ops').
    pub(crate) fn with_positions(&self, positions: Vec<OpMeter>) -> CodeMeter {
        CodeMeter {
            starts: self.starts.clone(),
            prefix: self.prefix.clone(),
            opcodes: self.opcodes.clone(),
            positions,
            traced: self.traced,
            entry: self.entry,
        }
    }

    /// Units of block `block` before its first Wasm instruction: 1 for the entry charge.
    fn entry_units(&self, block: u32) -> usize {
        usize::from(self.entry && block == 0)
    }

    /// Block `block`'s opcodes, in order (the entry charge has none): traced code only, empty
    /// otherwise.
    pub fn opcodes(&self, block: u32) -> &[Opcode] {
        if !self.traced {
            return &[];
        }
        let b = block as usize;
        // Every block has one more prefix entry than units; block 0 may have a unit without an
        // opcode.
        let before = if b > 0 { usize::from(self.entry) } else { 0 };
        let start = self.starts[b] as usize - b - before;
        &self.opcodes[start..start + self.len(block) as usize - self.entry_units(block)]
    }

    /// The opcodes of units `from..to` of block `block` (traced code only).
    pub fn opcodes_between(&self, block: u32, from: u32, to: u32) -> &[Opcode] {
        let skip = self.entry_units(block);
        let (from, to) = (from as usize, to as usize);
        &self.opcodes(block)[from.saturating_sub(skip)..to.saturating_sub(skip)]
    }
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
            | O::BrOnNull { .. }
            | O::BrOnNonNull { .. }
            | O::BrTable { .. }
            | O::Return {}
            | O::Unreachable {}
            | O::Call { .. }
            | O::CallIndirect { .. }
            | O::ReturnCall { .. }
            | O::ReturnCallIndirect { .. }
            | O::CallRef { .. }
            | O::ReturnCallRef { .. }
            | O::Throw { .. }
            | O::ThrowRef {}
    )
}

/// The block being filled: its index and the running price of its instructions so far.
struct Open {
    id: u32,
    sum: u64,
}

/// Builds the metering blocks of one function while it is lowered.
pub(crate) struct Blocks<'p> {
    /// The price of every opcode (`Opcode as usize`).
    prices: &'p [u64],
    /// The price of the declared locals.
    per_local: Rate,
    traced: bool,
    open: Option<Open>,
    meter: CodeMeter,
    /// Whether the open block ends after the instruction being lowered.
    ends_here: bool,
}

impl<'p> Blocks<'p> {
    /// Blocks priced by `prices` (`CostTable::compile_prices`: the opcodes', then the per-local
    /// rate).
    pub(crate) fn new(prices: &'p [u64], traced: bool) -> Self {
        Blocks {
            prices,
            per_local: prices
                .get(LOCAL_GAS_AT..=LOCAL_PER_AT)
                .and_then(|rate| Rate::new(rate[0], rate[1]))
                .unwrap_or(Rate::ZERO),
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
    /// new block's index (the lowering emits its charge). The function's first block starts
    /// with the entry charge for its `declared` locals (parameters are not counted), when they
    /// cost anything: the work of zeroing them is static, so it is priced with the entry.
    pub(crate) fn open(&mut self, declared: u32) -> Option<u32> {
        if self.open.is_some() {
            return None;
        }
        let m = &mut self.meter;
        let id = m.block_count() as u32;
        if m.starts.is_empty() {
            m.starts.push(0);
        }
        m.prefix.push(0);
        let entry = if id == 0 {
            self.per_local.price(u64::from(declared))
        } else {
            0
        };
        if entry > 0 {
            m.prefix.push(entry);
            m.entry = true;
        }
        m.starts.push(m.prefix.len() as u32);
        self.open = Some(Open { id, sum: entry });
        Some(id)
    }

    /// Charges a reachable operator in the open block. `label_joins` says, for an `end`,
    /// whether its label is a branch target (then a new block starts after it).
    pub(crate) fn charge(&mut self, op: &Operator<'_>, label_joins: bool) {
        let opcode = op.opcode();
        let open = self.open.as_mut().expect("`open` was called first");
        open.sum = open.sum.saturating_add(self.prices[opcode as usize]);
        let m = &mut self.meter;
        m.prefix.push(open.sum);
        *m.starts.last_mut().expect("a block is open") = m.prefix.len() as u32;
        if self.traced {
            m.opcodes.push(opcode);
        }
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
            Some(b) => (b.id, self.meter.len(b.id)),
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
        if let Some(b) = &self.open {
            let len = self.meter.len(b.id);
            if let Some(m) = self.meter.positions.get_mut(at) {
                m.wasm_end = len;
            }
        }
    }

    /// Closes the open block: its prices are all recorded already.
    pub(crate) fn close(&mut self) {
        self.open = None;
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
