//! A deterministic generator of large, valid Wasm 2.0 modules for throughput benchmarks.
//!
//! The code is built from typed expression trees and structured statements, so it is valid by
//! construction and has the shape of compiled code: most instructions are `local.get`,
//! constants, arithmetic and `local.set`; there are loads and stores with realistic memargs,
//! nested blocks, loops with `br_if`, `if`/`else`, `br_table`, direct and indirect calls with
//! multi-value results, globals, bulk memory, reference instructions and a share of SIMD.

use std::borrow::Cow;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, ElementSection, Elements, EntityType,
    ExportKind, ExportSection, Function, FunctionSection, GlobalSection, GlobalType, HeapType,
    ImportSection, Instruction as I, MemArg, MemArgTarget, MemorySection, MemoryType, Module,
    RefType, TableSection, TableType, TypeSection, ValType,
};

/// SplitMix64, so that a seed gives the same module everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

const NUM_TYPES: [ValType; 5] = [
    ValType::I32,
    ValType::I64,
    ValType::F32,
    ValType::F64,
    ValType::V128,
];

struct Sig {
    params: Vec<ValType>,
    results: Vec<ValType>,
}

/// Value types weighted like compiled code: mostly i32, then i64 and f64, a few f32 and v128.
fn value_type(rng: &mut Rng) -> ValType {
    match rng.below(20) {
        0..=9 => ValType::I32,
        10..=13 => ValType::I64,
        14..=16 => ValType::F64,
        17..=18 => ValType::F32,
        _ => ValType::V128,
    }
}

fn memarg(rng: &mut Rng, align: u32) -> MemArg {
    MemArg {
        offset: u64::from(rng.below(4) * 8 + if rng.chance(20) { 1024 } else { 0 }),
        align,
        target: MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// Globals: 0 is a mutable i32, 1 a mutable i64, 2 an immutable f64, 3 a mutable v128.
const GLOBAL_I32: u32 = 0;
const GLOBAL_I64: u32 = 1;
const GLOBAL_F64: u32 = 2;
const GLOBAL_V128: u32 = 3;

struct FuncGen<'a> {
    rng: &'a mut Rng,
    sigs: &'a [Sig],
    /// The type of every function that may be called (imports, earlier functions, this one).
    callable: &'a [u32],
    locals: Vec<ValType>,
    f: Function,
}

impl FuncGen<'_> {
    fn local_of(&mut self, ty: ValType) -> u32 {
        let candidates: Vec<u32> = (0..self.locals.len() as u32)
            .filter(|&i| self.locals[i as usize] == ty)
            .collect();
        candidates[self.rng.below(candidates.len() as u32) as usize]
    }

    /// Pushes one value of type `ty`; `budget` bounds the depth of the expression tree.
    fn expr(&mut self, ty: ValType, budget: u32) {
        if budget == 0 || self.rng.chance(30) {
            return self.leaf(ty);
        }
        let b = budget - 1;
        match ty {
            ValType::I32 => match self.rng.below(16) {
                0..=4 => {
                    self.expr(ValType::I32, b);
                    self.expr(ValType::I32, b);
                    let ops = [
                        I::I32Add,
                        I::I32Sub,
                        I::I32Mul,
                        I::I32And,
                        I::I32Or,
                        I::I32Xor,
                        I::I32Shl,
                        I::I32ShrU,
                        I::I32LtS,
                        I::I32Eq,
                        I::I32GeU,
                    ];
                    let op = ops[self.rng.below(ops.len() as u32) as usize].clone();
                    self.f.instruction(&op);
                }
                5 | 6 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I32Load(memarg(self.rng, 2)));
                }
                7 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I32Load8U(memarg(self.rng, 0)));
                }
                8 => {
                    self.expr(ValType::I64, b);
                    self.expr(ValType::I64, b);
                    self.f.instruction(&I::I64LtU);
                }
                9 => {
                    self.expr(ValType::F64, b);
                    self.expr(ValType::F64, b);
                    self.f.instruction(&I::F64Lt);
                }
                10 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I32Eqz);
                }
                11 => {
                    self.expr(ValType::I64, b);
                    self.f.instruction(&I::I32WrapI64);
                }
                12 => {
                    self.expr(ValType::I32, b);
                    self.expr(ValType::I32, b);
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::Select);
                }
                13 => {
                    self.expr(ValType::V128, b);
                    if self.rng.chance(50) {
                        let lane = self.rng.below(4) as u8;
                        self.f.instruction(&I::I32x4ExtractLane(lane));
                    } else {
                        self.f.instruction(&I::V128AnyTrue);
                    }
                }
                14 => {
                    self.f.instruction(&I::RefNull(HeapType::FUNC));
                    self.f.instruction(&I::RefIsNull);
                }
                _ => {
                    self.expr(ValType::F64, b);
                    self.f.instruction(&I::I32TruncSatF64S);
                }
            },
            ValType::I64 => match self.rng.below(8) {
                0..=3 => {
                    self.expr(ValType::I64, b);
                    self.expr(ValType::I64, b);
                    let ops = [I::I64Add, I::I64Mul, I::I64Xor, I::I64Shl, I::I64Sub];
                    let op = ops[self.rng.below(ops.len() as u32) as usize].clone();
                    self.f.instruction(&op);
                }
                4 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I64ExtendI32U);
                }
                5 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I64Load(memarg(self.rng, 3)));
                }
                6 => {
                    self.expr(ValType::V128, b);
                    let lane = self.rng.below(2) as u8;
                    self.f.instruction(&I::I64x2ExtractLane(lane));
                }
                _ => {
                    self.f.instruction(&I::GlobalGet(GLOBAL_I64));
                }
            },
            ValType::F32 => match self.rng.below(4) {
                0 | 1 => {
                    self.expr(ValType::F32, b);
                    self.expr(ValType::F32, b);
                    self.f.instruction(&if self.rng.chance(50) {
                        I::F32Add
                    } else {
                        I::F32Mul
                    });
                }
                2 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::F32ConvertI32S);
                }
                _ => {
                    self.expr(ValType::F64, b);
                    self.f.instruction(&I::F32DemoteF64);
                }
            },
            ValType::F64 => match self.rng.below(7) {
                0..=2 => {
                    self.expr(ValType::F64, b);
                    self.expr(ValType::F64, b);
                    let ops = [I::F64Add, I::F64Mul, I::F64Div, I::F64Sub];
                    let op = ops[self.rng.below(ops.len() as u32) as usize].clone();
                    self.f.instruction(&op);
                }
                3 => {
                    self.expr(ValType::F64, b);
                    self.f.instruction(&I::F64Sqrt);
                }
                4 => {
                    self.expr(ValType::I64, b);
                    self.f.instruction(&I::F64ConvertI64S);
                }
                5 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::F64Load(memarg(self.rng, 3)));
                }
                _ => {
                    self.f.instruction(&I::GlobalGet(GLOBAL_F64));
                }
            },
            _ => match self.rng.below(10) {
                0..=3 => {
                    self.expr(ValType::V128, b);
                    self.expr(ValType::V128, b);
                    let ops = [
                        I::I32x4Add,
                        I::I16x8Mul,
                        I::F32x4Mul,
                        I::F64x2Add,
                        I::V128And,
                        I::V128Xor,
                        I::I8x16AddSatU,
                        I::I32x4MaxS,
                    ];
                    let op = ops[self.rng.below(ops.len() as u32) as usize].clone();
                    self.f.instruction(&op);
                }
                4 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::I32x4Splat);
                }
                5 => {
                    self.expr(ValType::I32, b);
                    self.f.instruction(&I::V128Load(memarg(self.rng, 4)));
                }
                6 => {
                    self.expr(ValType::V128, b);
                    self.expr(ValType::V128, b);
                    let lanes = std::array::from_fn(|_| self.rng.below(32) as u8);
                    self.f.instruction(&I::I8x16Shuffle(lanes));
                }
                7 => {
                    self.expr(ValType::V128, b);
                    self.expr(ValType::I32, b);
                    let lane = self.rng.below(4) as u8;
                    self.f.instruction(&I::I32x4ReplaceLane(lane));
                }
                8 => {
                    self.expr(ValType::V128, b);
                    self.expr(ValType::V128, b);
                    self.expr(ValType::V128, b);
                    self.f.instruction(&I::V128Bitselect);
                }
                _ => {
                    self.f.instruction(&I::GlobalGet(GLOBAL_V128));
                }
            },
        }
    }

    fn leaf(&mut self, ty: ValType) {
        if self.rng.chance(65) {
            let local = self.local_of(ty);
            self.f.instruction(&I::LocalGet(local));
            return;
        }
        let bits = self.rng.next();
        match ty {
            ValType::I32 => {
                self.f.instruction(&I::I32Const((bits % 4096) as i32 - 64));
            }
            ValType::I64 => {
                self.f.instruction(&I::I64Const(bits as i64 >> 20));
            }
            ValType::F32 => {
                self.f
                    .instruction(&I::F32Const((bits as u16 as f32 / 7.0).into()));
            }
            ValType::F64 => {
                self.f
                    .instruction(&I::F64Const((bits as u32 as f64 / 3.0).into()));
            }
            _ => {
                self.f
                    .instruction(&I::V128Const(i128::from(bits) * 0x1_0001));
            }
        }
    }

    /// Pops the results of a call into locals.
    fn take_results(&mut self, results: &[ValType]) {
        for &ty in results.iter().rev() {
            let local = self.local_of(ty);
            self.f.instruction(&I::LocalSet(local));
        }
    }

    fn stmt(&mut self, nest: u32) {
        let structured = nest < 3;
        match self.rng.below(if structured { 24 } else { 15 }) {
            0..=5 => {
                let ty = value_type(self.rng);
                self.expr(ty, 4);
                let local = self.local_of(ty);
                self.f.instruction(&I::LocalSet(local));
            }
            6 => {
                let ty = value_type(self.rng);
                self.expr(ty, 3);
                let local = self.local_of(ty);
                self.f.instruction(&I::LocalTee(local));
                self.f.instruction(&I::Drop);
            }
            7 | 8 => {
                self.expr(ValType::I32, 2);
                let ty = value_type(self.rng);
                self.expr(ty, 3);
                let store = match ty {
                    ValType::I32 => I::I32Store(memarg(self.rng, 2)),
                    ValType::I64 => I::I64Store(memarg(self.rng, 3)),
                    ValType::F32 => I::F32Store(memarg(self.rng, 2)),
                    ValType::F64 => I::F64Store(memarg(self.rng, 3)),
                    _ => I::V128Store(memarg(self.rng, 4)),
                };
                self.f.instruction(&store);
            }
            9 | 10 => {
                let callee = self.rng.below(self.callable.len() as u32);
                let sig = &self.sigs[self.callable[callee as usize] as usize];
                for &p in &sig.params {
                    self.expr(p, 2);
                }
                self.f.instruction(&I::Call(callee));
                self.take_results(&sig.results);
            }
            11 => {
                let ty = self.rng.below(self.sigs.len() as u32);
                let sig = &self.sigs[ty as usize];
                for &p in &sig.params {
                    self.expr(p, 2);
                }
                self.expr(ValType::I32, 1);
                self.f.instruction(&I::CallIndirect {
                    type_index: ty,
                    table_index: 0,
                });
                self.take_results(&sig.results);
            }
            12 => {
                self.expr(ValType::I32, 3);
                self.f.instruction(&I::GlobalSet(GLOBAL_I32));
            }
            13 => {
                self.expr(ValType::I32, 1);
                self.expr(ValType::I32, 1);
                self.expr(ValType::I32, 1);
                self.f.instruction(&if self.rng.chance(50) {
                    I::MemoryFill(0)
                } else {
                    I::MemoryCopy {
                        src_mem: 0,
                        dst_mem: 0,
                    }
                });
            }
            14 => {
                let ty = value_type(self.rng);
                self.f.instruction(&I::Block(BlockType::Result(ty)));
                self.expr(ty, 3);
                self.f.instruction(&I::End);
                let local = self.local_of(ty);
                self.f.instruction(&I::LocalSet(local));
            }
            15..=17 => {
                self.expr(ValType::I32, 3);
                self.f.instruction(&I::If(BlockType::Empty));
                self.stmts(nest + 1, 1, 4);
                if self.rng.chance(50) {
                    self.f.instruction(&I::Else);
                    self.stmts(nest + 1, 1, 3);
                }
                self.f.instruction(&I::End);
            }
            18..=20 => {
                // block { loop { ...; br_if 1 (exit); ...; br_if 0 (again) } }
                self.f.instruction(&I::Block(BlockType::Empty));
                self.f.instruction(&I::Loop(BlockType::Empty));
                self.stmts(nest + 1, 1, 4);
                self.expr(ValType::I32, 2);
                self.f.instruction(&I::BrIf(1));
                self.stmts(nest + 1, 0, 2);
                self.expr(ValType::I32, 2);
                self.f.instruction(&I::BrIf(0));
                self.f.instruction(&I::End);
                self.f.instruction(&I::End);
            }
            21 => {
                // A switch: three nested blocks and a br_table.
                for _ in 0..3 {
                    self.f.instruction(&I::Block(BlockType::Empty));
                }
                self.expr(ValType::I32, 2);
                self.f
                    .instruction(&I::BrTable(Cow::Borrowed(&[0, 1, 2, 1]), 2));
                self.f.instruction(&I::End);
                self.stmts(nest + 1, 1, 2);
                self.f.instruction(&I::Br(1));
                self.f.instruction(&I::End);
                self.stmts(nest + 1, 1, 2);
                self.f.instruction(&I::End);
            }
            _ => {
                // A value-producing block with an early exit.
                let ty = value_type(self.rng);
                self.f.instruction(&I::Block(BlockType::Result(ty)));
                self.expr(ty, 2);
                self.expr(ValType::I32, 2);
                self.f.instruction(&I::BrIf(0));
                self.f.instruction(&I::Drop);
                self.expr(ty, 2);
                self.f.instruction(&I::End);
                let local = self.local_of(ty);
                self.f.instruction(&I::LocalSet(local));
            }
        }
    }

    fn stmts(&mut self, nest: u32, min: u32, max: u32) {
        let n = min + self.rng.below(max - min + 1);
        for _ in 0..n {
            self.stmt(nest);
        }
    }
}

/// A valid Wasm 2.0 module of at least `target_len` bytes (a few KiB more at most), the same
/// for the same `seed`.
pub fn generate(target_len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let sigs: Vec<Sig> = (0..24)
        .map(|_| Sig {
            params: (0..rng.below(5)).map(|_| value_type(&mut rng)).collect(),
            results: (0..rng.below(3)).map(|_| value_type(&mut rng)).collect(),
        })
        .collect();

    const IMPORTS: u32 = 4;
    let mut callable: Vec<u32> = (0..IMPORTS).map(|i| i % sigs.len() as u32).collect();
    let mut bodies = Vec::new();
    let mut total = 0;
    while total < target_len {
        let ty = rng.below(sigs.len() as u32);
        callable.push(ty);
        let sig = &sigs[ty as usize];
        // Every type gets at least one local so that `local_of` always finds one.
        let mut declared: Vec<(u32, ValType)> = NUM_TYPES
            .iter()
            .map(|&t| (1 + rng.below(if t == ValType::I32 { 6 } else { 3 }), t))
            .collect();
        declared.rotate_left(rng.below(5) as usize);
        let mut locals = sig.params.clone();
        for &(n, t) in &declared {
            locals.extend(std::iter::repeat_n(t, n as usize));
        }
        let mut g = FuncGen {
            rng: &mut rng,
            sigs: &sigs,
            callable: &callable,
            locals,
            f: Function::new(declared),
        };
        g.stmts(0, 4, 40);
        for &r in &sig.results {
            g.expr(r, 3);
        }
        g.f.instruction(&I::End);
        total += g.f.byte_len();
        bodies.push((ty, g.f));
    }

    let mut module = Module::new();
    let mut types = TypeSection::new();
    for s in &sigs {
        types
            .ty()
            .function(s.params.iter().copied(), s.results.iter().copied());
    }
    module.section(&types);

    let mut imports = ImportSection::new();
    for (i, &ty) in callable.iter().take(IMPORTS as usize).enumerate() {
        imports.import("env", &format!("host{i}"), EntityType::Function(ty));
    }
    module.section(&imports);

    let mut functions = FunctionSection::new();
    for (ty, _) in &bodies {
        functions.function(*ty);
    }
    module.section(&functions);

    let count = callable.len() as u64;
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: count,
        maximum: Some(count),
        shared: false,
    });
    module.section(&tables);

    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: Some(256),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);

    let mut globals = GlobalSection::new();
    let global = |val_type, mutable| GlobalType {
        val_type,
        mutable,
        shared: false,
    };
    globals.global(global(ValType::I32, true), &ConstExpr::i32_const(0));
    globals.global(global(ValType::I64, true), &ConstExpr::i64_const(0));
    globals.global(
        global(ValType::F64, false),
        &ConstExpr::f64_const(1.5.into()),
    );
    globals.global(global(ValType::V128, true), &ConstExpr::v128_const(0));
    module.section(&globals);

    let mut exports = ExportSection::new();
    exports.export("main", ExportKind::Func, IMPORTS);
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);

    let mut elements = ElementSection::new();
    let all: Vec<u32> = (0..callable.len() as u32).collect();
    elements.active(
        Some(0),
        &ConstExpr::i32_const(0),
        Elements::Functions(Cow::Owned(all)),
    );
    module.section(&elements);

    let mut code = CodeSection::new();
    for (_, f) in &bodies {
        code.function(f);
    }
    module.section(&code);

    let mut data = DataSection::new();
    data.active(
        0,
        &ConstExpr::i32_const(16),
        (0..=255u8).collect::<Vec<_>>(),
    );
    module.section(&data);

    module.finish()
}

#[cfg(test)]
mod tests {
    use super::generate;
    use wasmparser::{Validator, WasmFeatures};

    #[test]
    fn generated_modules_are_valid_and_deterministic() {
        for seed in 0..8 {
            let bytes = generate(100_000, seed);
            assert!(bytes.len() >= 100_000);
            if let Err(e) = Validator::new_with_features(WasmFeatures::WASM2).validate_all(&bytes) {
                panic!("seed {seed}: generated module is invalid: {e}");
            }
            assert_eq!(bytes, generate(100_000, seed));
        }
    }
}
