//! Oracle test for the opcode table (`crates/binary/src/opcodes.rs`).
//!
//! The independent source of truth is `wasmparser`'s own operator list (`for_each_operator!`)
//! restricted to the Wasm 2.0 proposals, tail calls, relaxed SIMD and exception handling. For every such operator (several times,
//! with different immediates) the test:
//!
//! 1. builds a `wasmparser::Operator` with sample immediates and encodes it with `wasm-encoder`
//!    (`reencode`), checking that `wasmparser` reads the bytes back to the same instruction;
//! 2. decodes the bytes with `ssvm_binary::Operator::decode` and checks the opcode's spec name,
//!    its `encoding()`, that exactly the instruction's bytes were consumed, and that the decoded
//!    immediates carry the same values in the same order;
//! 3. for opcodes with a fixed `signature()`, builds a function `(params) -> (results)` whose
//!    body is `local.get 0 .. local.get n-1; op; end` and checks that `wasmparser` validates it,
//!    which pins the operand types, their order and the results;
//! 4. for memory accesses and lane instructions, checks that `max_align()` and `lanes()` are the
//!    exact bounds: `wasmparser` accepts the bound (minus one for lanes) and rejects one past it.
//!
//! All mismatches are collected and reported together, with the row to fix.

use ssvm_binary::{
    BlockType, BrTable, CatchKind, HeapType, Ieee32, Ieee64, MemArg, MemIdx, Opcode, Operator,
    Reader, RefType, SelectType, Shuffle, Signature, TryTable, ValType, V128,
};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::Encode;
use wasmparser as wp;

/// The number of SIMD instructions in Wasm 2.0 (the fixed-width SIMD proposal).
const WASM2_SIMD_COUNT: usize = 236;

/// The number of relaxed-SIMD instructions (0xFD 0x100 to 0x113).
const RELAXED_SIMD_COUNT: usize = 20;

/// How many different immediate choices each operator is tried with.
const VARIANTS: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Distinct, non-trivial immediates (multi-byte LEBs, different values per field) so that a
    /// wrong immediate order or type shows up in the decoded values.
    Distinct,
    /// Immediates that make the instruction valid in the test module of `check_valid`: every
    /// index 0, and the alignment and lane given.
    Valid,
}

struct Sampler {
    mode: Mode,
    variant: usize,
    counter: u32,
    align: u8,
    lane: u8,
    has_memarg: bool,
    has_lane: bool,
}

impl Sampler {
    fn new(mode: Mode, variant: usize) -> Sampler {
        Sampler {
            mode,
            variant,
            counter: 0,
            align: 0,
            lane: 0,
            has_memarg: false,
            has_lane: false,
        }
    }

    fn begin(&mut self) {
        self.counter = 0;
        self.has_memarg = false;
        self.has_lane = false;
    }
}

/// Builds a `wasmparser` immediate and the numbers it stands for (see `Semantic`).
trait Sample: Sized {
    fn sample(field: &str, s: &mut Sampler) -> (Self, Vec<i128>);
}

impl Sample for u32 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        // Memory indices too (multi-memory): the valid test module has one memory.
        let v = if s.mode == Mode::Valid {
            0
        } else {
            s.counter += 1;
            // Two-byte LEBs, different for each field of the same instruction.
            200 + 37 * s.counter + 1000 * s.variant as u32
        };
        (v, vec![v.into()])
    }
}

impl Sample for u8 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        s.has_lane = true;
        let v = match s.mode {
            Mode::Valid => s.lane,
            Mode::Distinct => 1,
        };
        (v, vec![v.into()])
    }
}

impl Sample for [u8; 16] {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        s.has_lane = true;
        let v = match s.mode {
            Mode::Valid => [s.lane; 16],
            Mode::Distinct => std::array::from_fn(|i| ((i * 7 + s.variant) % 32) as u8),
        };
        (v, v.iter().map(|&b| b.into()).collect())
    }
}

impl Sample for i32 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let v = [-123_456, 0, i32::MAX, i32::MIN][s.variant % 4];
        (v, vec![v.into()])
    }
}

impl Sample for i64 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let v = [-1_234_567_890_123, 1, i64::MAX, i64::MIN][s.variant % 4];
        (v, vec![v.into()])
    }
}

impl Sample for wp::Ieee32 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let v = [1.5f32, -0.0, f32::INFINITY, f32::from_bits(0x7fa0_0001)][s.variant % 4];
        (v.into(), vec![v.to_bits().into()])
    }
}

impl Sample for wp::Ieee64 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let v = [
            -2.25f64,
            0.0,
            f64::NEG_INFINITY,
            f64::from_bits(0x7ff4_0000_0000_0001),
        ][s.variant % 4];
        (v.into(), vec![v.to_bits().into()])
    }
}

impl Sample for wp::V128 {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let bytes: [u8; 16] = std::array::from_fn(|i| (i * 17 + s.variant) as u8);
        (
            u128::from_le_bytes(bytes).into(),
            bytes.iter().map(|&b| b.into()).collect(),
        )
    }
}

impl Sample for wp::MemArg {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        s.has_memarg = true;
        // Memory 0 without the memory-index flag, the others with it (multi-memory).
        let (align, offset, memory) = match s.mode {
            Mode::Valid => (s.align, 16, 0),
            Mode::Distinct => (
                s.variant as u8 % 3,
                [70_000, 0, u32::MAX as u64, 5][s.variant % 4],
                [0, 1, 300, 2][s.variant % 4],
            ),
        };
        let m = wp::MemArg {
            align,
            max_align: 0,
            offset,
            target: wp::MemArgTarget::Memory(memory),
            ordering: None,
        };
        (m, vec![align.into(), offset.into(), memory.into()])
    }
}

fn wp_valtype_byte(t: wp::ValType) -> i128 {
    match t {
        wp::ValType::I32 => 0x7f,
        wp::ValType::I64 => 0x7e,
        wp::ValType::F32 => 0x7d,
        wp::ValType::F64 => 0x7c,
        wp::ValType::V128 => 0x7b,
        t if t == wp::ValType::FUNCREF => 0x70,
        t if t == wp::ValType::EXTERNREF => 0x6f,
        t => panic!("not a Wasm 2.0 value type: {t:?}"),
    }
}

const WP_VALTYPES: [wp::ValType; 7] = [
    wp::ValType::I32,
    wp::ValType::I64,
    wp::ValType::F32,
    wp::ValType::F64,
    wp::ValType::V128,
    wp::ValType::FUNCREF,
    wp::ValType::EXTERNREF,
];

/// Block types are numbered for comparison: empty is -64 (its s33 value), a value type its
/// byte, a type index 1_000_000 plus the index.
impl Sample for wp::BlockType {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        match s.variant % 4 {
            0 => (wp::BlockType::Empty, vec![-64]),
            1 => (wp::BlockType::Type(wp::ValType::I64), vec![0x7e]),
            2 => (wp::BlockType::Type(wp::ValType::EXTERNREF), vec![0x6f]),
            _ => (wp::BlockType::FuncType(300), vec![1_000_300]),
        }
    }
}

impl Sample for wp::ValType {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let t = WP_VALTYPES[s.variant % WP_VALTYPES.len()];
        // Typed `select` is compared as (number of types, type).
        (t, vec![1, wp_valtype_byte(t)])
    }
}

impl Sample for Vec<wp::ValType> {
    fn sample(_: &str, _: &mut Sampler) -> (Self, Vec<i128>) {
        // Only `TypedSelectMulti` has this immediate; it is not Wasm 2.0 and is skipped.
        (vec![wp::ValType::I32, wp::ValType::I32], vec![])
    }
}

impl Sample for wp::HeapType {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        if s.variant.is_multiple_of(2) {
            (wp::HeapType::FUNC, vec![0x70])
        } else {
            (wp::HeapType::EXTERN, vec![0x6f])
        }
    }
}

/// `br_table` encodings (opcode, count, targets, default) for each variant.
static BR_TABLES: [&[u8]; 4] = [
    &[0x0e, 0x00, 0x05],
    &[0x0e, 0x03, 0x01, 0x80, 0x02, 0x03, 0x07],
    &[0x0e, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0x0e, 0x02, 0x90, 0x4e, 0x02, 0x00],
];

impl<'a> Sample for wp::BrTable<'a> {
    fn sample(_: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let bytes = match s.mode {
            Mode::Valid => BR_TABLES[0],
            Mode::Distinct => BR_TABLES[s.variant % BR_TABLES.len()],
        };
        let mut reader = wp::OperatorsReader::new(wp::BinaryReader::new(bytes, 0));
        let Ok(wp::Operator::BrTable { targets }) = reader.read() else {
            panic!("bad br_table sample {bytes:02x?}");
        };
        let mut numbers = vec![i128::from(targets.len())];
        for t in targets.targets() {
            numbers.push(t.expect("sample target").into());
        }
        numbers.push(targets.default().into());
        (targets, numbers)
    }
}

/// `try_table`: a block type and catch clauses of every kind, numbered as our `TryTable` is:
/// the block type, the count, then each clause's kind, tag (for the kinds that have one) and
/// label.
impl Sample for wp::TryTable {
    fn sample(field: &str, s: &mut Sampler) -> (Self, Vec<i128>) {
        let (ty, mut numbers) = wp::BlockType::sample(field, s);
        let catches = match s.mode {
            Mode::Valid => Vec::new(),
            Mode::Distinct => {
                let n = |s: &mut Sampler| u32::sample(field, s).0;
                let all = [
                    wp::Catch::One {
                        tag: n(s),
                        label: n(s),
                    },
                    wp::Catch::OneRef {
                        tag: n(s),
                        label: n(s),
                    },
                    wp::Catch::All { label: n(s) },
                    wp::Catch::AllRef { label: n(s) },
                ];
                all[..s.variant % 5].to_vec()
            }
        };
        numbers.push(catches.len() as i128);
        for c in &catches {
            match *c {
                wp::Catch::One { tag, label } => numbers.extend([0, tag.into(), label.into()]),
                wp::Catch::OneRef { tag, label } => numbers.extend([1, tag.into(), label.into()]),
                wp::Catch::All { label } => numbers.extend([2, label.into()]),
                wp::Catch::AllRef { label } => numbers.extend([3, label.into()]),
            }
        }
        (wp::TryTable { ty, catches }, numbers)
    }
}

/// One Wasm 2.0 operator from `wasmparser`'s list, with sample immediates.
struct WpOp<'a> {
    proposal: &'static str,
    variant: &'static str,
    /// The spec text name derived from `wasmparser`'s `visit_*` method name.
    text: String,
    op: wp::Operator<'a>,
    /// Each immediate: its role (see `field_role`) and the numbers it stands for.
    imms: Vec<(String, Vec<i128>)>,
    has_memarg: bool,
    has_lane: bool,
}

/// Spec text name from a `visit_*` name: `visit_i32_trunc_sat_f32_s` is `i32.trunc_sat_f32_s`;
/// control instructions (`br_if`, `call_indirect`) have no namespace and keep their underscores.
fn text_name(visit: &str) -> String {
    const NAMESPACES: &[&str] = &[
        "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
        "local", "global", "memory", "table", "ref", "data", "elem",
    ];
    let name = visit.strip_prefix("visit_").expect("visit_ prefix");
    if name == "typed_select" {
        return "select".into();
    }
    match name.split_once('_') {
        Some((head, tail)) if NAMESPACES.contains(&head) => format!("{head}.{tail}"),
        _ => name.to_string(),
    }
}

macro_rules! define_wasm2_ops {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        /// Every operator of `wasmparser`'s list that belongs to a Wasm 2.0 proposal.
        fn wasm2_ops<'a>(s: &mut Sampler) -> Vec<WpOp<'a>> {
            let mut out = Vec::new();
            $( wasm2_op!(out s @$proposal $op $({ $($arg: $argty),* })? => $visit); )*
            out
        }
    };
}

macro_rules! wasm2_op {
    ($out:ident $s:ident @mvp $($rest:tt)*) => { wasm2_op!(@keep $out $s mvp $($rest)*) };
    ($out:ident $s:ident @sign_extension $($rest:tt)*) => { wasm2_op!(@keep $out $s sign_extension $($rest)*) };
    ($out:ident $s:ident @saturating_float_to_int $($rest:tt)*) => { wasm2_op!(@keep $out $s saturating_float_to_int $($rest)*) };
    ($out:ident $s:ident @bulk_memory $($rest:tt)*) => { wasm2_op!(@keep $out $s bulk_memory $($rest)*) };
    ($out:ident $s:ident @reference_types $($rest:tt)*) => { wasm2_op!(@keep $out $s reference_types $($rest)*) };
    ($out:ident $s:ident @simd $($rest:tt)*) => { wasm2_op!(@keep $out $s simd $($rest)*) };
    ($out:ident $s:ident @tail_call $($rest:tt)*) => { wasm2_op!(@keep $out $s tail_call $($rest)*) };
    ($out:ident $s:ident @relaxed_simd $($rest:tt)*) => { wasm2_op!(@keep $out $s relaxed_simd $($rest)*) };
    ($out:ident $s:ident @exceptions $($rest:tt)*) => { wasm2_op!(@keep $out $s exceptions $($rest)*) };
    ($out:ident $s:ident @function_references $($rest:tt)*) => { wasm2_op!(@keep $out $s function_references $($rest)*) };
    ($out:ident $s:ident @$other:ident $($rest:tt)*) => {};
    (@keep $out:ident $s:ident $proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident) => {{
        $s.begin();
        #[allow(unused_mut)]
        let mut imms: Vec<(String, Vec<i128>)> = Vec::new();
        let op = wp::Operator::$op $({ $($arg: {
            let (value, numbers) = <$argty as Sample>::sample(stringify!($arg), $s);
            imms.push((field_role(stringify!($arg)), numbers));
            value
        }),* })?;
        $out.push(WpOp {
            proposal: stringify!($proposal),
            variant: stringify!($op),
            text: text_name(stringify!($visit)),
            op,
            imms,
            has_memarg: $s.has_memarg,
            has_lane: $s.has_lane,
        });
    }};
}

wp::for_each_operator!(define_wasm2_ops);

/// The numbers our decoded immediates stand for, comparable with `Sample`'s.
trait Semantic {
    fn push(&self, out: &mut Vec<i128>);
}

impl Semantic for u32 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push((*self).into());
    }
}
impl Semantic for i32 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push((*self).into());
    }
}
impl Semantic for i64 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push((*self).into());
    }
}
impl Semantic for u8 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push((*self).into());
    }
}
impl Semantic for Ieee32 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.0.into());
    }
}
impl Semantic for Ieee64 {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.0.into());
    }
}
impl Semantic for V128 {
    fn push(&self, out: &mut Vec<i128>) {
        out.extend(self.0.iter().map(|&b| i128::from(b)));
    }
}
impl Semantic for Shuffle {
    fn push(&self, out: &mut Vec<i128>) {
        out.extend(self.0.iter().map(|&b| i128::from(b)));
    }
}
impl Semantic for MemArg {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.align.into());
        out.push(self.offset.into());
        out.push(self.memory.into());
    }
}
impl Semantic for MemIdx {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.0.into());
    }
}

fn our_valtype_byte(t: ValType) -> i128 {
    match t {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        ValType::V128 => 0x7b,
        ValType::FUNCREF => 0x70,
        ValType::EXTERNREF => 0x6f,
        ValType::EXNREF => 0x69,
        other => panic!("no sample is of type {other}"),
    }
}

impl Semantic for BlockType {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(match *self {
            BlockType::Empty => -64,
            BlockType::Value(t) => our_valtype_byte(t),
            BlockType::Func(i) => 1_000_000 + i128::from(i),
        });
    }
}
impl Semantic for HeapType {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(our_valtype_byte(ValType::Ref(RefType::null(*self))));
    }
}
impl Semantic for SelectType {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.count.into());
        if let Some(t) = self.ty {
            out.push(our_valtype_byte(t));
        }
    }
}
impl Semantic for TryTable<'_> {
    fn push(&self, out: &mut Vec<i128>) {
        self.ty.push(out);
        out.push(self.len().into());
        for c in self.catches() {
            let kind = match c.kind {
                CatchKind::Tag => 0,
                CatchKind::TagRef => 1,
                CatchKind::All => 2,
                CatchKind::AllRef => 3,
            };
            out.push(kind);
            if c.kind.has_tag() {
                out.push(c.tag.into());
            }
            out.push(c.label.into());
        }
    }
}
impl Semantic for BrTable<'_> {
    fn push(&self, out: &mut Vec<i128>) {
        out.push(self.len().into());
        out.extend(self.targets().map(i128::from));
        out.push(self.default.into());
    }
}

/// What an immediate field is, from its name in either table, so that two fields swapped
/// between the name and the decoding order show up: `elem_index` and `elem` are both `elem`,
/// `dst_table` and `dst` both `dst`.
fn field_role(name: &str) -> String {
    let name = name.strip_suffix("_index").unwrap_or(name);
    let name = name.strip_prefix("relative_").unwrap_or(name);
    match name {
        "function" => "func".into(),
        "blockty" | "hty" => "ty".into(),
        "try_table" => "catches".into(),
        n if n.starts_with("dst") => "dst".into(),
        n if n.starts_with("src") => "src".into(),
        n => n.into(),
    }
}

macro_rules! define_our_imms {
    ($(
        $prefix:literal $code:literal $variant:ident { $($field:ident : $ty:ty),* }
        $name:literal $sig:tt $align:tt $lanes:tt;
    )*) => {
        /// The immediates of a decoded operator, in table order, with their roles.
        fn our_imms(op: &Operator<'_>) -> Vec<(String, Vec<i128>)> {
            #[allow(unused_mut)]
            let mut out = Vec::new();
            match op {
                $(Operator::$variant { $($field),* } => { $({
                    let mut numbers = Vec::new();
                    Semantic::push($field, &mut numbers);
                    out.push((field_role(stringify!($field)), numbers));
                })* })*
            }
            out
        }
    };
}

ssvm_binary::for_each_operator!(define_our_imms);

/// Reads one instruction with wasmparser (inside an `if`, so that `else` and `end` are in
/// place), returning its re-encoding and the natural alignment wasmparser assigned to its
/// memarg; `None` unless it takes exactly all of `bytes`.
fn wp_parse(bytes: &[u8]) -> Option<(Vec<u8>, Option<u8>)> {
    let mut buf = vec![0x04, 0x40];
    buf.extend_from_slice(bytes);
    let mut reader = wp::OperatorsReader::new(wp::BinaryReader::new(&buf, 0));
    reader.read().ok()?;
    let op = reader.read().ok()?;
    if !reader.eof() {
        return None;
    }
    let text = format!("{op:?}");
    let max_align = text.find("max_align: ").and_then(|at| {
        let digits: String = text[at + "max_align: ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    });
    Some((encode(&op), max_align))
}

fn encode(op: &wp::Operator<'_>) -> Vec<u8> {
    let inst = RoundtripReencoder
        .instruction(op.clone())
        .unwrap_or_else(|e| panic!("wasm-encoder cannot encode {op:?}: {e}"));
    let mut bytes = Vec::new();
    inst.encode(&mut bytes);
    bytes
}

/// The prefix and (sub-)opcode at the start of an encoded instruction.
fn leading_opcode(bytes: &[u8]) -> (u8, u32) {
    match bytes[0] {
        p @ (0xfc | 0xfd) => {
            let mut r = wp::BinaryReader::new(&bytes[1..], 1);
            (p, r.read_var_u32().expect("sub-opcode"))
        }
        b => (0, b.into()),
    }
}

fn wp_valtype(t: ValType) -> wasm_encoder::ValType {
    match t {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
        ValType::V128 => wasm_encoder::ValType::V128,
        ValType::FUNCREF => wasm_encoder::ValType::FUNCREF,
        ValType::EXTERNREF => wasm_encoder::ValType::EXTERNREF,
        ValType::EXNREF => wasm_encoder::ValType::EXNREF,
        other => panic!("no fixed signature has type {other}"),
    }
}

/// A module with one memory, one funcref table, one passive element segment, one passive data
/// segment (with a data count section) and one function of type `sig` whose body is
/// `local.get 0 .. local.get n-1; op; end`. Validated by wasmparser with the Wasm 2.0 features.
fn check_valid(sig: &Signature, op: &[u8]) -> Result<(), String> {
    use wasm_encoder::*;
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function(
        sig.params.iter().map(|&t| wp_valtype(t)),
        sig.results.iter().map(|&t| wp_valtype(t)),
    );
    module.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    module.section(&funcs);
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: 1,
        maximum: None,
        shared: false,
    });
    module.section(&tables);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut elements = ElementSection::new();
    elements.passive(Elements::Functions(Cow::Borrowed(&[0])));
    module.section(&elements);
    module.section(&DataCountSection { count: 1 });
    let mut body = vec![0u8]; // no locals
    for i in 0..sig.params.len() {
        Instruction::LocalGet(i as u32).encode(&mut body);
    }
    body.extend_from_slice(op);
    body.push(0x0b);
    let mut code = CodeSection::new();
    code.raw(&body);
    module.section(&code);
    let mut data = DataSection::new();
    data.passive([1u8, 2, 3]);
    module.section(&data);
    let bytes = module.finish();
    wp::Validator::new_with_features(wp::WasmFeatures::WASM2 | wp::WasmFeatures::RELAXED_SIMD)
        .validate_all(&bytes)
        .map(|_| ())
        .map_err(|e| e.message().to_string())
}

fn sig_text(sig: &Signature) -> String {
    let list = |v: &[ValType]| v.iter().map(|t| format!(" {t}")).collect::<String>();
    format!(
        "({} ->{})",
        list(sig.params).trim_start(),
        list(sig.results)
    )
}

fn row(op: Opcode) -> String {
    let (prefix, code) = op.encoding();
    format!("0x{prefix:02X} 0x{code:02X} {op:?} \"{}\"", op.name())
}

#[test]
fn opcode_table_matches_wasmparser() {
    let mut failures: Vec<String> = Vec::new();
    // Which wasmparser operator each of our opcodes decoded from.
    let mut hits: BTreeMap<Opcode, HashSet<&'static str>> = BTreeMap::new();
    let mut wp_for_opcode: HashMap<Opcode, &'static str> = HashMap::new();
    let mut simd_count = 0;
    let mut relaxed_count = 0;

    for variant in 0..VARIANTS {
        let mut sampler = Sampler::new(Mode::Distinct, variant);
        let ops = wasm2_ops(&mut sampler);
        if variant == 0 {
            simd_count = ops.iter().filter(|o| o.proposal == "simd").count();
            relaxed_count = ops.iter().filter(|o| o.proposal == "relaxed_simd").count();
        }
        for wop in ops {
            if wop.variant == "TypedSelectMulti" {
                continue; // a select with several types is not Wasm 2.0
            }
            let bytes = encode(&wop.op);
            // wasm-encoder and wasmparser must agree, or the oracle itself is wrong.
            let wp_max_align = match wp_parse(&bytes) {
                Some((back, max_align)) if back == bytes => max_align,
                other => panic!(
                    "oracle broken: {} encodes to {bytes:02x?}, which wasmparser reads back as {other:?}",
                    wop.variant
                ),
            };

            let mut r = Reader::new(&bytes, 0);
            let ours = match Operator::decode(&mut r) {
                Ok(op) => op,
                Err(e) => {
                    let (p, c) = leading_opcode(&bytes);
                    failures.push(format!(
                        "`{}` (prefix 0x{p:02X}, code 0x{c:02X}, bytes {bytes:02x?}) does not decode: \
                         {} at {}",
                        wop.text, e.message, e.offset
                    ));
                    continue;
                }
            };
            let opcode = ours.opcode();
            hits.entry(opcode).or_default().insert(wop.variant);
            wp_for_opcode.insert(opcode, wop.variant);
            if opcode.name() != wop.text {
                failures.push(format!(
                    "bytes {bytes:02x?} encode `{}` but decode as row {}",
                    wop.text,
                    row(opcode)
                ));
                continue;
            }
            if opcode.encoding() != leading_opcode(&bytes) {
                let (p, c) = leading_opcode(&bytes);
                failures.push(format!(
                    "`{}` is encoded 0x{p:02X} 0x{c:02X} but encoding() says {:02X?}",
                    wop.text,
                    opcode.encoding()
                ));
            }
            if !r.is_empty() {
                failures.push(format!(
                    "`{}`: decoding consumed {} of the {} bytes {bytes:02x?} (immediates wrong in row {})",
                    wop.text,
                    bytes.len() - r.remaining(),
                    bytes.len(),
                    row(opcode)
                ));
                continue;
            }
            let imms = our_imms(&ours);
            if imms != wop.imms {
                failures.push(format!(
                    "`{}`: immediates decode as {imms:?}, expected {:?} (bytes {bytes:02x?}, row {})",
                    wop.text,
                    wop.imms,
                    row(opcode)
                ));
            }
            if wop.has_memarg != opcode.max_align().is_some() {
                failures.push(format!(
                    "`{}` has a memarg: {}, but max_align() is {:?}",
                    wop.text,
                    wop.has_memarg,
                    opcode.max_align()
                ));
            }
            if wop.has_memarg {
                let expected = wp_max_align.map(u32::from);
                if opcode.max_align() != expected {
                    failures.push(format!(
                        "`{}`: max_align() is {:?}, wasmparser's natural alignment is {expected:?}",
                        wop.text,
                        opcode.max_align()
                    ));
                }
            }
            if wop.has_lane != opcode.lanes().is_some() {
                failures.push(format!(
                    "`{}` has a lane immediate: {}, but lanes() is {:?}",
                    wop.text,
                    wop.has_lane,
                    opcode.lanes()
                ));
            }
        }
    }

    // Every row must be hit, by exactly one wasmparser operator.
    for &op in Opcode::ALL {
        match hits.get(&op) {
            None => failures.push(format!(
                "row {} is never produced by any Wasm 2.0 instruction (wrong code or name?)",
                row(op)
            )),
            Some(set) if set.len() > 1 => failures.push(format!(
                "row {} is decoded from several instructions: {set:?}",
                row(op)
            )),
            _ => {}
        }
    }

    let ours_simd = Opcode::ALL
        .iter()
        .filter(|o| o.encoding().0 == 0xfd)
        .count();
    assert_eq!(
        (simd_count, relaxed_count),
        (WASM2_SIMD_COUNT, RELAXED_SIMD_COUNT),
        "wasmparser's simd or relaxed_simd list changed"
    );
    if ours_simd != WASM2_SIMD_COUNT + RELAXED_SIMD_COUNT {
        failures.push(format!(
            "the table has {ours_simd} SIMD (0xFD) rows, Wasm 2.0 and relaxed SIMD have {}",
            WASM2_SIMD_COUNT + RELAXED_SIMD_COUNT
        ));
    }

    // Fixed signatures, natural alignments and lane bounds, checked by validating.
    for &op in Opcode::ALL {
        let Some(wasmparser_variant) = wp_for_opcode.get(&op) else {
            continue;
        };
        let valid_op = |align: u8, lane: u8| -> Vec<u8> {
            let mut s = Sampler::new(Mode::Valid, 0);
            s.align = align;
            s.lane = lane;
            let wop = wasm2_ops(&mut s)
                .into_iter()
                .find(|w| w.variant == *wasmparser_variant)
                .expect("operator found before");
            encode(&wop.op)
        };
        let align = op.max_align().unwrap_or(0) as u8;
        let lane = op.lanes().map_or(0, |l| l - 1);
        match op.signature() {
            Some(sig) => {
                if let Err(e) = check_valid(&sig, &valid_op(align, lane)) {
                    failures.push(format!(
                        "row {} {}: wasmparser rejects `{}` with this signature: {e}",
                        row(op),
                        sig_text(&sig),
                        op.name()
                    ));
                    continue;
                }
                if op.max_align().is_some() {
                    match check_valid(&sig, &valid_op(align + 1, lane)) {
                        Err(e) if e.contains("alignment") => {}
                        other => failures.push(format!(
                            "row {}: max_align {align} is not the bound, alignment {} gives {other:?}",
                            row(op),
                            align + 1
                        )),
                    }
                }
                if let Some(lanes) = op.lanes() {
                    match check_valid(&sig, &valid_op(align, lanes)) {
                        Err(e) if e.contains("lane") || e.contains("index out of bounds") => {}
                        other => failures.push(format!(
                            "row {}: lanes {lanes} is not the bound, lane {lanes} gives {other:?}",
                            row(op)
                        )),
                    }
                }
            }
            None => {
                // Only instructions typed by context may be `special`; a numeric instruction
                // always has a fixed type.
                const NUMERIC: &[&str] = &[
                    "i32.", "i64.", "f32.", "f64.", "v128.", "i8x16.", "i16x8.", "i32x4.",
                    "i64x2.", "f32x4.", "f64x2.",
                ];
                if NUMERIC.iter().any(|p| op.name().starts_with(p)) {
                    failures.push(format!(
                        "row {} is `special` but numeric instructions have fixed signatures",
                        row(op)
                    ));
                }
            }
        }
    }

    let mut seen = HashSet::new();
    failures.retain(|f| seen.insert(f.clone()));
    assert!(
        failures.is_empty(),
        "{} opcode-table mismatches:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn no_encoding_appears_twice() {
    let mut seen: HashMap<(u8, u32), Opcode> = HashMap::new();
    let mut dups = Vec::new();
    for &op in Opcode::ALL {
        if let Some(prev) = seen.insert(op.encoding(), op) {
            dups.push(format!("{} and {}", row(prev), row(op)));
        }
        assert!(matches!(op.encoding().0, 0x00 | 0xfc | 0xfd), "{}", row(op));
    }
    assert!(dups.is_empty(), "duplicate encodings:\n{}", dups.join("\n"));
    // Names are unique except `select`, which has an untyped and a typed form.
    let mut names: HashMap<&str, usize> = HashMap::new();
    for &op in Opcode::ALL {
        *names.entry(op.name()).or_default() += 1;
    }
    names.retain(|&n, &mut c| c > 1 && n != "select");
    assert!(names.is_empty(), "duplicate names: {names:?}");
    assert_eq!(
        Opcode::ALL
            .iter()
            .filter(|o| o.encoding().0 == 0xfd)
            .count(),
        WASM2_SIMD_COUNT + RELAXED_SIMD_COUNT
    );
}

#[test]
fn well_known_signatures() {
    use ValType::*;
    let sig = |name: &str| {
        Opcode::ALL
            .iter()
            .find(|o| o.name() == name)
            .unwrap_or_else(|| panic!("no `{name}`"))
            .signature()
    };
    let fixed = |params: &'static [ValType], results: &'static [ValType]| {
        Some(Signature { params, results })
    };
    assert_eq!(sig("nop"), fixed(&[], &[]));
    assert_eq!(sig("i32.add"), fixed(&[I32, I32], &[I32]));
    assert_eq!(sig("i64.eqz"), fixed(&[I64], &[I32]));
    assert_eq!(sig("i64.shl"), fixed(&[I64, I64], &[I64]));
    assert_eq!(sig("f32.convert_i64_u"), fixed(&[I64], &[F32]));
    assert_eq!(sig("f64.promote_f32"), fixed(&[F32], &[F64]));
    assert_eq!(sig("i32.wrap_i64"), fixed(&[I64], &[I32]));
    assert_eq!(sig("f64.le"), fixed(&[F64, F64], &[I32]));
    assert_eq!(sig("i64.store32"), fixed(&[I32, I64], &[]));
    assert_eq!(sig("memory.grow"), fixed(&[I32], &[I32]));
    assert_eq!(sig("memory.copy"), fixed(&[I32, I32, I32], &[]));
    assert_eq!(sig("v128.store"), fixed(&[I32, V128], &[]));
    assert_eq!(sig("v128.bitselect"), fixed(&[V128, V128, V128], &[V128]));
    assert_eq!(sig("i64x2.splat"), fixed(&[I64], &[V128]));
    assert_eq!(sig("f64x2.extract_lane"), fixed(&[V128], &[F64]));
    assert_eq!(sig("i8x16.shl"), fixed(&[V128, I32], &[V128]));
    assert_eq!(sig("v128.any_true"), fixed(&[V128], &[I32]));
    assert_eq!(sig("v128.load16_lane"), fixed(&[I32, V128], &[V128]));
    assert_eq!(sig("call"), None);
    assert_eq!(sig("select"), None);
    assert_eq!(sig("table.grow"), None);
    for op in Opcode::ALL {
        assert_eq!(op.to_string(), op.name());
    }
}
