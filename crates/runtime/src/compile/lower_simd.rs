//! Lowering of the SIMD operators: each becomes one `Simd`, `SimdLane`, `SimdLoad` or
//! `SimdStore` instruction naming its opcode, with the operands `simd.rs` gives its kind. A v128
//! takes two slots (docs/ir.md); `v128.const` is a constant operand like the scalar ones.

use super::{Lowerer, Operand};
use crate::compile::ir::Instr;
use crate::simd::{for_each_simd, for_each_simd_access};
use ssvm_binary::Operator;

impl Lowerer<'_> {
    /// Lowers one reachable SIMD operator.
    pub(super) fn lower_simd(&mut self, op: &Operator<'_>) {
        if let Operator::V128Const { value } = *op {
            self.push_wide(Operand::ConstV128(u128::from_le_bytes(value.0)), true);
        } else if !self.lower_simd_access(op) {
            self.lower_simd_op(op);
        }
    }

    /// Lowers `op` if it is a SIMD memory access; whether it was one.
    fn lower_simd_access(&mut self, op: &Operator<'_>) -> bool {
        use Operator as O;
        let opcode = op.opcode();
        macro_rules! access {
            ($($kind:ident $name:ident $($n:literal)? $(|$b:ident| $body:expr)?;)*) => {
                match *op {
                    $(O::$name { .. } => access!(@$kind $name),)*
                    _ => return false,
                }
            };
            (@load $name:ident) => {{
                let O::$name { memarg } = *op else { unreachable!() };
                let (offset, addr64) = self.offset(memarg);
                let addr = self.pop_slot();
                let dst = self.push_slot_wide(true);
                let load = Instr::SimdLoad { op: opcode, dst, addr, offset, vec: 0, lane: 0, memory: memarg.memory, addr64 };
                self.emit_result(load, dst);
            }};
            (@load_lane $name:ident) => {{
                let O::$name { memarg, lane } = *op else { unreachable!() };
                let (offset, addr64) = self.offset(memarg);
                let vec = self.pop_slot();
                let addr = self.pop_slot();
                let dst = self.push_slot_wide(true);
                let load = Instr::SimdLoad { op: opcode, dst, addr, offset, vec, lane, memory: memarg.memory, addr64 };
                self.emit_result(load, dst);
            }};
            (@store $name:ident) => {{
                let O::$name { memarg } = *op else { unreachable!() };
                let (offset, addr64) = self.offset(memarg);
                let value = self.pop_slot();
                let addr = self.pop_slot();
                self.emit(Instr::SimdStore { op: opcode, addr, value, offset, lane: 0, memory: memarg.memory, addr64 });
            }};
            (@store_lane $name:ident) => {{
                let O::$name { memarg, lane } = *op else { unreachable!() };
                let (offset, addr64) = self.offset(memarg);
                let value = self.pop_slot();
                let addr = self.pop_slot();
                self.emit(Instr::SimdStore { op: opcode, addr, value, offset, lane, memory: memarg.memory, addr64 });
            }};
        }
        for_each_simd_access!(access);
        true
    }

    /// Lowers a SIMD operator of `for_each_simd!`: it pops and pushes what its kind says.
    fn lower_simd_op(&mut self, op: &Operator<'_>) {
        use Operator as O;
        let opcode = op.opcode();
        macro_rules! lower {
            ($($kind:ident $name:ident |$($arg:ident),*| $body:expr;)*) => {
                match *op {
                    $(O::$name { .. } => lower!(@$kind $name),)*
                    _ => unreachable!("{} is a SIMD operator", opcode),
                }
            };
            (@simd $wide:expr, $dst:ident, $a:expr, $b:expr, $c:expr) => {{
                let $dst = self.push_slot_wide($wide);
                self.emit_result(Instr::Simd { op: opcode, dst: $dst, a: $a, b: $b, c: $c }, $dst);
            }};
            (@un $name:ident) => {{
                let a = self.pop_slot();
                lower!(@simd true, dst, a, 0, 0)
            }};
            (@test $name:ident) => {{
                let a = self.pop_slot();
                lower!(@simd false, dst, a, 0, 0)
            }};
            (@splat $name:ident) => {{
                let a = self.pop_slot();
                lower!(@simd true, dst, a, 0, 0)
            }};
            (@bin $name:ident) => {{
                let b = self.pop_slot();
                let a = self.pop_slot();
                lower!(@simd true, dst, a, b, 0)
            }};
            (@shift $name:ident) => {{
                let b = self.pop_slot();
                let a = self.pop_slot();
                lower!(@simd true, dst, a, b, 0)
            }};
            (@tern $name:ident) => {{
                let c = self.pop_slot();
                let b = self.pop_slot();
                let a = self.pop_slot();
                lower!(@simd true, dst, a, b, c)
            }};
            (@shuffle $name:ident) => {{
                let O::$name { lanes } = *op else { unreachable!() };
                let m = self.const_slot_v128(u128::from_le_bytes(lanes.0));
                let b = self.pop_slot();
                let a = self.pop_slot();
                lower!(@simd true, dst, a, b, m)
            }};
            (@extract $name:ident) => {{
                let O::$name { lane } = *op else { unreachable!() };
                let a = self.pop_slot();
                let dst = self.push_slot();
                self.emit_result(Instr::SimdLane { op: opcode, dst, a, b: 0, lane }, dst);
            }};
            (@replace $name:ident) => {{
                let O::$name { lane } = *op else { unreachable!() };
                let b = self.pop_slot();
                let a = self.pop_slot();
                let dst = self.push_slot_wide(true);
                self.emit_result(Instr::SimdLane { op: opcode, dst, a, b, lane }, dst);
            }};
        }
        for_each_simd!(lower)
    }
}
