//! Histograms (executions per opcode) and gas profiles (gas per call path), kept by traced code.

use crate::exec::{FuncKind, Vm};
use ssvm_binary::Opcode;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Executions counted so far: whole metering blocks by assembled function id and block, and the
/// instructions counted (+1) or given back (-1) one by one.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    blocks: Vec<Vec<u64>>,
    each: Vec<(Opcode, i64)>,
}

impl Counts {
    /// One more execution of block `block` (of `blocks`) of the function with id `id`.
    #[inline(always)]
    pub(crate) fn block(&mut self, id: u32, block: u32, blocks: usize) {
        match self
            .blocks
            .get_mut(id as usize)
            .and_then(|c| c.get_mut(block as usize))
        {
            Some(c) => *c += 1,
            None => self.block_slow(id as usize, block as usize, blocks),
        }
    }

    #[cold]
    fn block_slow(&mut self, id: usize, block: usize, blocks: usize) {
        if self.blocks.len() <= id {
            self.blocks.resize_with(id + 1, Vec::new);
        }
        let c = &mut self.blocks[id];
        c.resize(c.len().max(blocks).max(block + 1), 0);
        c[block] += 1;
    }

    /// Each of `opcodes` ran (`sign` 1) or was given back (-1).
    pub(crate) fn add_each(&mut self, opcodes: &[Opcode], sign: i64) {
        self.each.extend(opcodes.iter().map(|&op| (op, sign)));
    }

    /// Executions per opcode of the code in `vm`.
    pub(crate) fn histogram(&self, vm: &Vm) -> BTreeMap<Opcode, u64> {
        let mut counts: BTreeMap<Opcode, i64> = BTreeMap::new();
        let mut seen = HashSet::new();
        for f in &vm.funcs {
            let FuncKind::Wasm {
                code: Some(code), ..
            } = &f.kind
            else {
                continue;
            };
            let (Some(meter), Some(blocks)) = (code.meter(), self.blocks.get(code.id as usize))
            else {
                continue;
            };
            if !seen.insert(code.id) {
                continue;
            }
            for (b, &n) in blocks.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                for &op in meter.opcodes(b as u32) {
                    *counts.entry(op).or_default() += n as i64;
                }
            }
        }
        for &(op, sign) in &self.each {
            *counts.entry(op).or_default() += sign;
        }
        counts
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(op, n)| (op, n as u64))
            .collect()
    }
}

/// Gas by call path: a tree of (caller path, function) nodes.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    /// (parent node or `u32::MAX`, store function) of each node.
    nodes: Vec<(u32, u32)>,
    index: HashMap<(u32, u32), u32>,
    /// Gas spent in each node's own function.
    gas: Vec<u64>,
}

impl Profile {
    /// The node for calling store function `func` from node `parent`.
    pub(crate) fn child(&mut self, parent: u32, func: u32) -> u32 {
        if let Some(&n) = self.index.get(&(parent, func)) {
            return n;
        }
        let n = self.nodes.len() as u32;
        self.nodes.push((parent, func));
        self.gas.push(0);
        self.index.insert((parent, func), n);
        n
    }

    /// Adds (`sign` 1) or takes back (-1) `gas` spent in `node`'s own function.
    pub(crate) fn attribute(&mut self, node: u32, gas: u64, sign: i64) {
        let Some(g) = self.gas.get_mut(node as usize) else {
            return;
        };
        *g = if sign > 0 {
            *g + gas
        } else {
            g.saturating_sub(gas)
        };
    }

    /// Each call path with gas spent in it, as `outer;inner;innermost` (functions named by
    /// `name`), sorted.
    pub(crate) fn folded(&self, name: impl Fn(u32) -> String) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (node, &gas) in self.gas.iter().enumerate() {
            if gas == 0 {
                continue;
            }
            let mut path = Vec::new();
            let mut n = node as u32;
            while n != u32::MAX {
                let (parent, addr) = self.nodes[n as usize];
                path.push(name(addr));
                n = parent;
            }
            path.reverse();
            out.push((path.join(";"), gas));
        }
        out.sort();
        out
    }
}
