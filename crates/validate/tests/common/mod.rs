//! Shared helpers of the validator's property tests: a seeded RNG, Wasm 2.0 `wasm-smith`
//! modules, mutations that turn them into malformed or invalid ones, the comparison with
//! `wasmparser`, a shrinker, and where failing inputs are written.
//!
//! Environment variables (all optional):
//!
//! * `SSVM_PROPTEST_CASES=N`: how many seeds (or proptest cases) each property runs; each test
//!   documents its default, chosen so that the files finish quickly under `cargo test --release`.
//! * `SSVM_PROPTEST_SEED=S`: the first seed (default 0). Seeds are consecutive, so a failure
//!   reported for seed `S` reproduces with `SSVM_PROPTEST_SEED=S SSVM_PROPTEST_CASES=1`.
//! * `SSVM_DIFF_KEEP_GOING=1` (differential tests): do not stop at the first disagreement;
//!   print a summary of all of them, grouped by wasmparser's message.

#![allow(dead_code)]

use arbitrary::Unstructured;
use std::fmt::Write as _;
use std::ops::{Range, RangeInclusive};
use std::path::PathBuf;
use std::time::Duration;
use wasmparser::{BinaryReader, FunctionBody, Validator, WasmFeatures};

pub const CASES_VAR: &str = "SSVM_PROPTEST_CASES";
pub const SEED_VAR: &str = "SSVM_PROPTEST_SEED";
pub const KEEP_GOING_VAR: &str = "SSVM_DIFF_KEEP_GOING";

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// The number of cases to run: `SSVM_PROPTEST_CASES`, or `default`.
pub fn cases(default: u64) -> u64 {
    env_u64(CASES_VAR).unwrap_or(default)
}

/// The seeds to run: `SSVM_PROPTEST_SEED ..` for `cases(default)` seeds.
pub fn seeds(default: u64) -> Range<u64> {
    let first = env_u64(SEED_VAR).unwrap_or(0);
    first..first + cases(default)
}

pub fn keep_going() -> bool {
    std::env::var_os(KEEP_GOING_VAR).is_some_and(|v| v != "0")
}

/// SplitMix64: small, fast, and the same on every platform, so seeds reproduce.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn range(&mut self, r: RangeInclusive<usize>) -> usize {
        r.start() + self.below(r.end() - r.start() + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The features of WebAssembly 2.0, with tail calls, relaxed SIMD, multi-memory, exception
/// handling, extended constant expressions, typed function references and memory64, for
/// wasmparser. GC is on too: ours has its types, and refuses its instructions as unsupported
/// (`Verdicts::only_gc`).
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::GC
        | WasmFeatures::MEMORY64
}

/// A `wasm-smith` configuration for WebAssembly 2.0 (SIMD, bulk memory, reference types,
/// multi-value, saturating float-to-int, sign extension) with tail calls, relaxed SIMD,
/// multi-memory, exception handling, extended constant expressions and memory64, nothing else
/// later, with sizes and knobs drawn from `rng` so that different seeds stress different parts of the validator.
pub fn smith_config(rng: &mut Rng) -> wasm_smith::Config {
    let mut c = wasm_smith::Config {
        // Wasm 2.0 proposals.
        simd_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        // Of the later proposals, those ssvm-lite implements.
        tail_call_enabled: true,
        extended_const_enabled: true,
        relaxed_simd_enabled: true,
        exceptions_enabled: true,
        // Everything else after Wasm 2.0.
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        gc_enabled: false,
        memory64_enabled: true,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        // Multi-memory: several memories, as several tables.
        max_memories: rng.range(1..=3),
        max_tables: rng.range(0..=3),
        ..wasm_smith::Config::default()
    };
    c.max_types = rng.range(1..=20);
    c.max_imports = rng.range(0..=6);
    c.max_funcs = rng.range(1..=16);
    c.max_globals = rng.range(0..=8);
    c.max_exports = rng.range(0..=8);
    c.max_element_segments = rng.range(0..=4);
    c.max_elements = rng.range(0..=8);
    c.max_data_segments = rng.range(0..=4);
    c.max_instructions = *rng.pick(&[4, 16, 50, 100, 300]);
    // wasm-smith adds optional items while a coin says so, which makes most modules tiny;
    // minimums drawn below the maximums give a spread of sizes.
    c.min_types = rng.range(0..=c.max_types);
    c.min_funcs = rng.range(0..=c.max_funcs);
    c.min_globals = rng.range(0..=c.max_globals);
    c.min_element_segments = rng.range(0..=c.max_element_segments);
    c.min_data_segments = rng.range(0..=c.max_data_segments);
    c.min_memories = rng.range(0..=1) as u32;
    c.min_tables = rng.range(0..=c.max_tables) as u32;
    c.max_nesting_depth = rng.range(0..=8);
    c.min_uleb_size = if rng.chance(1, 6) {
        rng.range(2..=5) as u8
    } else {
        1
    };
    c.max_memory32_bytes = *rng.pick(&[0, 1 << 16, 1 << 24, 1 << 32]);
    c.max_table_elements = *rng.pick(&[0, 10, 1000]);
    c.memory_max_size_required = rng.chance(1, 4);
    c.table_max_size_required = rng.chance(1, 4);
    c.disallow_traps = rng.chance(1, 8);
    c.canonicalize_nans = rng.chance(1, 8);
    c.allow_floats = !rng.chance(1, 10);
    c.export_everything = rng.chance(1, 8);
    c.generate_custom_sections = rng.chance(1, 4);
    c.allow_start_export = rng.chance(1, 2);
    c.bulk_memory_enabled = true;
    c
}

/// Which instructions a generated module leans towards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Every instruction kind.
    Mixed,
    /// Mostly SIMD: vector, variable, parametric and control instructions.
    Simd,
    /// `wasm-smith` may put raw bytes in function bodies (`allow_invalid_funcs`).
    InvalidFuncs,
}

/// The module for `seed`: a deterministic `wasm-smith` module with a configuration drawn from
/// the seed. `None` when `wasm-smith` cannot build one from the data (rare).
pub fn smith_module(seed: u64, flavor: Flavor) -> Option<Vec<u8>> {
    // A configuration's minimums cannot always be met; try a few derived configurations.
    (0..4).find_map(|attempt| smith_attempt(seed, attempt, flavor))
}

fn smith_attempt(seed: u64, attempt: u64, flavor: Flavor) -> Option<Vec<u8>> {
    use wasm_smith::{InstructionKind, InstructionKinds};
    let mut rng = Rng::new(seed ^ attempt.wrapping_mul(0x9e37_79b9));
    let mut config = smith_config(&mut rng);
    match flavor {
        Flavor::Mixed => {}
        Flavor::Simd => {
            config.allowed_instructions = InstructionKinds::new(&[
                InstructionKind::Vector,
                InstructionKind::Variable,
                InstructionKind::Parametric,
                InstructionKind::Control,
            ]);
            config.min_memories = 1;
            config.max_instructions = config.max_instructions.max(50);
        }
        Flavor::InvalidFuncs => config.allow_invalid_funcs = true,
    }
    let len = *rng.pick(&[256, 2048, 8192, 16384, 32768, 65536]);
    let data = rng.bytes(len);
    let module = wasm_smith::Module::new(config, &mut Unstructured::new(&data)).ok()?;
    Some(module.to_bytes())
}

// ----------------------------------------------------------------------------------------------
// Module layout: sections, function bodies, operators.

pub fn write_leb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut result = 0u64;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        result |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(result);
        }
    }
    None
}

/// A section: its id, where it starts (the id byte) and its payload.
#[derive(Clone, Debug)]
pub struct Section {
    pub id: u8,
    pub start: usize,
    pub payload: Range<usize>,
}

impl Section {
    pub fn whole(&self) -> Range<usize> {
        self.start..self.payload.end
    }
}

/// The sections of a module, or `None` if the bytes do not split into sections.
pub fn sections(bytes: &[u8]) -> Option<Vec<Section>> {
    if bytes.len() < 8 {
        return None;
    }
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let size = read_leb(bytes, &mut pos)? as usize;
        let end = pos.checked_add(size)?;
        if end > bytes.len() {
            return None;
        }
        out.push(Section {
            id,
            start,
            payload: pos..end,
        });
        pos = end;
    }
    Some(out)
}

/// A function body: its content (after the size), where its operators start, and the byte range
/// of each operator, as far as wasmparser can read them (the rest, if any, is one last range).
#[derive(Clone, Debug)]
pub struct Body {
    pub range: Range<usize>,
    pub code_start: usize,
    pub ops: Vec<Range<usize>>,
}

/// The bodies of the code section `code`, or `None` if they do not split.
pub fn bodies(bytes: &[u8], code: &Section) -> Option<Vec<Body>> {
    let mut pos = code.payload.start;
    let count = read_leb(bytes, &mut pos)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let size = read_leb(bytes, &mut pos)? as usize;
        let range = pos..pos.checked_add(size)?;
        if range.end > code.payload.end {
            return None;
        }
        pos = range.end;
        let body = FunctionBody::new(BinaryReader::new(&bytes[range.clone()], range.start as u64));
        let mut ops = Vec::new();
        let mut code_start = range.end;
        if let Ok(mut reader) = body.get_operators_reader() {
            code_start = reader.original_position() as usize;
            let mut at = code_start;
            while !reader.eof() {
                if reader.read().is_err() {
                    break;
                }
                let next = reader.original_position() as usize;
                ops.push(at..next);
                at = next;
            }
            if at < range.end {
                ops.push(at..range.end);
            }
        }
        out.push(Body {
            range,
            code_start,
            ops,
        });
    }
    Some(out)
}

/// `bytes` with the payload of section `index` replaced.
pub fn replace_section(
    bytes: &[u8],
    sections: &[Section],
    index: usize,
    payload: &[u8],
) -> Vec<u8> {
    let s = &sections[index];
    let mut out = bytes[..s.start].to_vec();
    out.push(s.id);
    write_leb(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out.extend_from_slice(&bytes[s.payload.end..]);
    out
}

/// A code section payload holding `bodies`.
pub fn code_payload(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    write_leb(bodies.len() as u64, &mut out);
    for b in bodies {
        write_leb(b.len() as u64, &mut out);
        out.extend_from_slice(b);
    }
    out
}

/// Whether wasmparser reads `body` (locals and operators) to its end without a format error.
pub fn body_parses(body: &[u8]) -> bool {
    let Ok(mut reader) = FunctionBody::new(BinaryReader::new(body, 0)).get_operators_reader()
    else {
        return false;
    };
    while !reader.eof() {
        if reader.read().is_err() {
            return false;
        }
    }
    reader.finish().is_ok()
}

/// The encoding of every opcode of our table: prefix (if any) and LEB128 code.
pub fn opcode_encodings() -> Vec<Vec<u8>> {
    ssvm_binary::Opcode::ALL
        .iter()
        .map(|op| {
            let (prefix, code) = op.encoding();
            let mut out = Vec::new();
            if prefix != 0 {
                out.push(prefix);
            }
            write_leb(code.into(), &mut out);
            out
        })
        .collect()
}

/// The length of the opcode (prefix and sub-opcode) at the start of an instruction.
fn opcode_len(op: &[u8]) -> usize {
    match op.first() {
        Some(0xfc | 0xfd) => {
            let mut pos = 1;
            read_leb(op, &mut pos).map_or(op.len(), |_| pos)
        }
        Some(_) => 1,
        None => 0,
    }
}

// ----------------------------------------------------------------------------------------------
// Mutations.

const VALTYPE_BYTES: [u8; 7] = [0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f];

/// One random mutation of `bytes`, with a description. Most keep the module well-formed but
/// likely invalid (instruction-level changes inside function bodies); the rest break the format.
pub fn mutate(bytes: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let layout = sections(bytes);
    let code = layout
        .as_ref()
        .and_then(|s| s.iter().position(|s| s.id == 10));
    let roll = rng.below(100);
    if let (Some(secs), Some(ci), true) = (&layout, code, roll < 70) {
        if let Some(result) = mutate_body(bytes, secs, ci, rng) {
            return result;
        }
    }
    if let (Some(secs), true) = (&layout, roll >= 90) {
        if let Some(result) = mutate_sections(bytes, secs, rng) {
            return result;
        }
    }
    mutate_bytes(
        bytes,
        code.and_then(|ci| layout.map(|s| s[ci].payload.clone())),
        rng,
    )
}

/// Byte-level damage, half the time inside the code section when there is one.
fn mutate_bytes(bytes: &[u8], code: Option<Range<usize>>, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut out = bytes.to_vec();
    let area = match code {
        Some(r) if !r.is_empty() && rng.chance(1, 2) => r,
        _ => 0..bytes.len(),
    };
    let pos = area.start + rng.below(area.len().max(1));
    match rng.below(7) {
        0 => {
            let at = rng.below(bytes.len() + 1);
            out.truncate(at);
            (out, format!("truncate to {at} bytes"))
        }
        1 | 2 if pos < out.len() => {
            let bit = rng.below(8);
            out[pos] ^= 1 << bit;
            (out, format!("flip bit {bit} of byte {pos:#x}"))
        }
        3 if pos < out.len() => {
            let v = rng.next_u64() as u8;
            out[pos] = v;
            (out, format!("set byte {pos:#x} to {v:#04x}"))
        }
        6 => {
            // Another value type where one is (or a byte that looks like one): signatures,
            // locals, globals, block types.
            let typed: Vec<usize> = (0..out.len())
                .filter(|&i| VALTYPE_BYTES.contains(&out[i]))
                .collect();
            if typed.is_empty() {
                return (out, "no value type to change".into());
            }
            let at = *rng.pick(&typed);
            let v = *rng.pick(&VALTYPE_BYTES);
            out[at] = v;
            (out, format!("set value type at {at:#x} to {v:#04x}"))
        }
        4 => {
            let n = rng.range(1..=8);
            let ins = rng.bytes(n);
            let at = pos.min(out.len());
            out.splice(at..at, ins.iter().copied());
            (out, format!("insert {ins:02x?} at {at:#x}"))
        }
        _ => {
            let at = pos.min(out.len());
            let n = rng.range(1..=4).min(out.len() - at);
            out.drain(at..at + n);
            (out, format!("delete {n} bytes at {at:#x}"))
        }
    }
}

/// Remove, duplicate or swap sections, or add a custom section.
fn mutate_sections(bytes: &[u8], secs: &[Section], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    if secs.is_empty() {
        return None;
    }
    let i = rng.below(secs.len());
    let s = &secs[i];
    let mut out = bytes.to_vec();
    Some(match rng.below(4) {
        0 => {
            out.drain(s.whole());
            (out, format!("remove section {i} (id {})", s.id))
        }
        1 => {
            let copy = bytes[s.whole()].to_vec();
            out.splice(s.payload.end..s.payload.end, copy);
            (out, format!("duplicate section {i} (id {})", s.id))
        }
        2 if i + 1 < secs.len() => {
            let a = bytes[s.whole()].to_vec();
            let b = bytes[secs[i + 1].whole()].to_vec();
            let mut swapped = b;
            swapped.extend(a);
            out.splice(s.start..secs[i + 1].payload.end, swapped);
            (
                out,
                format!(
                    "swap sections {i} and {} (ids {} {})",
                    i + 1,
                    s.id,
                    secs[i + 1].id
                ),
            )
        }
        _ => {
            let names: [&[u8]; 4] = [b"name", b"x", b"producers", b""];
            let name = *rng.pick(&names);
            let junk_len = rng.range(0..=12);
            let junk = rng.bytes(junk_len);
            let mut payload = Vec::new();
            write_leb(name.len() as u64, &mut payload);
            payload.extend_from_slice(name);
            payload.extend_from_slice(&junk);
            let mut section = vec![0];
            write_leb(payload.len() as u64, &mut section);
            section.extend(payload);
            out.splice(s.start..s.start, section);
            (
                out,
                format!(
                    "insert custom section {:?} before section {i}",
                    String::from_utf8_lossy(name)
                ),
            )
        }
    })
}

/// Instruction-level changes to one function body; the code section is re-encoded.
fn mutate_body(
    bytes: &[u8],
    secs: &[Section],
    ci: usize,
    rng: &mut Rng,
) -> Option<(Vec<u8>, String)> {
    let bodies = bodies(bytes, &secs[ci])?;
    let candidates: Vec<usize> = (0..bodies.len())
        .filter(|&i| !bodies[i].ops.is_empty())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let f = *rng.pick(&candidates);
    let body = &bodies[f];
    let ops: Vec<&[u8]> = body.ops.iter().map(|r| &bytes[r.clone()]).collect();
    let locals = &bytes[body.range.start..body.code_start];
    let i = rng.below(ops.len());
    let mut new_ops: Vec<Vec<u8>> = ops.iter().map(|o| o.to_vec()).collect();
    let mut new_locals = locals.to_vec();
    let what = match rng.below(9) {
        0 | 1 => {
            // Another opcode with the same immediate bytes; prefer one that still parses.
            let encodings = opcode_encodings();
            let imms = &ops[i][opcode_len(ops[i])..];
            let mut chosen = Vec::new();
            for _ in 0..16 {
                let mut op = rng.pick(&encodings).clone();
                op.extend_from_slice(imms);
                new_ops[i] = op.clone();
                chosen = op;
                if body_parses(&assemble(&new_locals, &new_ops)) {
                    break;
                }
            }
            format!("replace op {i} {:02x?} with {chosen:02x?}", ops[i])
        }
        2 => {
            new_ops.remove(i);
            format!("delete op {i} {:02x?}", ops[i])
        }
        3 => {
            new_ops.insert(i, ops[i].to_vec());
            format!("duplicate op {i} {:02x?}", ops[i])
        }
        4 => {
            // An instruction from anywhere in the module, with its immediates.
            let g = &bodies[*rng.pick(&candidates)];
            let src = &bytes[g.ops[rng.below(g.ops.len())].clone()];
            new_ops.insert(i, src.to_vec());
            format!("insert {src:02x?} before op {i}")
        }
        5 if i + 1 < ops.len() => {
            new_ops.swap(i, i + 1);
            format!("swap ops {i} and {}", i + 1)
        }
        6 | 7 if opcode_len(ops[i]) < ops[i].len() => {
            // Nudge one immediate byte by one: an index, depth, alignment, lane or type one
            // past (or before) what was valid.
            let at = rng.range(opcode_len(ops[i])..=ops[i].len() - 1);
            let b = ops[i][at];
            let low = if rng.chance(1, 2) {
                (b & 0x7f).wrapping_add(1)
            } else {
                (b & 0x7f).wrapping_sub(1)
            };
            new_ops[i][at] = (b & 0x80) | (low & 0x7f);
            format!("nudge op {i} {:02x?} to {:02x?}", ops[i], new_ops[i])
        }
        _ => {
            let groups = rng.below(4);
            new_locals.clear();
            write_leb(groups as u64, &mut new_locals);
            for _ in 0..groups {
                write_leb(rng.range(0..=3) as u64, &mut new_locals);
                new_locals.push(*rng.pick(&VALTYPE_BYTES));
            }
            format!("set locals to {new_locals:02x?}")
        }
    };
    let mut all: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| bytes[b.range.clone()].to_vec())
        .collect();
    all[f] = assemble(&new_locals, &new_ops);
    let out = replace_section(bytes, secs, ci, &code_payload(&all));
    Some((out, format!("function body {f}: {what}")))
}

fn assemble(locals: &[u8], ops: &[Vec<u8>]) -> Vec<u8> {
    let mut out = locals.to_vec();
    for op in ops {
        out.extend_from_slice(op);
    }
    out
}

// ----------------------------------------------------------------------------------------------
// The oracle.

/// wasmparser's verdict with the Wasm 2.0 features.
pub fn wasmparser_verdict(bytes: &[u8]) -> Result<(), wasmparser::BinaryReaderError> {
    Validator::new_with_features(features())
        .validate_all(bytes)
        .map(|_| ())
}

/// Whether wasmparser's error is one of its implementation limits (more than 50 000 locals,
/// 1 000 params, 100 000-byte names, ...) rather than a rule of the specification: modules
/// that only break such a limit are valid Wasm 2.0 and our validator may accept them.
///
/// Its "size is out of bounds" messages are listed one by one: "select types size is out of
/// bounds" (more than 10 types) is not a limit, since a `select` with more than one type is
/// invalid.
pub fn is_implementation_limit(message: &str) -> bool {
    const LIMITS: &[&str] = &[
        "count exceeds limit of",
        "function params size is out of bounds",
        "function returns size is out of bounds",
        "br_table size is out of bounds",
        "string size out of bounds",
        "too many locals: locals exceed maximum",
        "number of elements is out of bounds",
        "effective type size exceeds the limit",
    ];
    LIMITS.iter().any(|l| message.contains(l))
}

/// Both validators' verdicts on one module.
pub struct Verdicts {
    pub ours: Result<(), ssvm_validate::Error>,
    pub theirs: Result<(), wasmparser::BinaryReaderError>,
    pub ours_time: Duration,
}

impl Verdicts {
    pub fn of(bytes: &[u8]) -> Verdicts {
        let start = std::time::Instant::now();
        let ours = ssvm_validate::validate(bytes).map(|_| ());
        let ours_time = start.elapsed();
        Verdicts {
            ours,
            theirs: wasmparser_verdict(bytes),
            ours_time,
        }
    }

    pub fn agree(&self) -> bool {
        self.ours.is_ok() == self.theirs.is_ok()
    }

    /// A disagreement only because wasmparser enforces an implementation limit.
    pub fn only_implementation_limit(&self) -> bool {
        match (&self.ours, &self.theirs) {
            (Ok(()), Err(e)) => is_implementation_limit(e.message()),
            _ => false,
        }
    }

    /// A disagreement only because the module uses a GC instruction (`ref.eq`, an 0xFB one),
    /// which ours reports as unsupported.
    pub fn only_gc(&self) -> bool {
        match (&self.ours, &self.theirs) {
            (Err(e), Ok(())) => {
                e.kind == ssvm_validate::ErrorKind::Unsupported
                    && e.message.contains("the GC proposal is not supported")
            }
            _ => false,
        }
    }

    /// A disagreement that counts.
    pub fn disagree(&self) -> bool {
        !self.agree() && !self.only_implementation_limit() && !self.only_gc()
    }

    /// Which side accepted, as a short key: `ours-accepts` or `wasmparser-accepts`.
    pub fn direction(&self) -> &'static str {
        match (&self.ours, &self.theirs) {
            (Ok(()), Err(_)) => "ours accepts, wasmparser rejects",
            (Err(_), Ok(())) => "ours rejects, wasmparser accepts",
            (Ok(()), Ok(())) => "both accept",
            (Err(_), Err(_)) => "both reject",
        }
    }

    pub fn describe(&self) -> String {
        let ours = match &self.ours {
            Ok(()) => "accepts".to_string(),
            Err(e) => format!("rejects ({:?}): {e}", e.kind),
        };
        let theirs = match &self.theirs {
            Ok(()) => "accepts".to_string(),
            Err(e) => format!("rejects: {} (at offset {:#x})", e.message(), e.offset()),
        };
        format!("  ours:       {ours}\n  wasmparser: {theirs}")
    }

    /// wasmparser's message with numbers blanked, to group disagreements.
    pub fn group_key(&self) -> String {
        let message = match (&self.ours, &self.theirs) {
            (_, Err(e)) => e.message().to_string(),
            (Err(e), Ok(())) => format!("(ours) {}", e.message),
            _ => String::new(),
        };
        let blanked: String = message
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        format!("{}: {blanked}", self.direction())
    }
}

/// Panics with both verdicts unless they agree (implementation limits excepted).
pub fn assert_agrees(name: &str, bytes: &[u8]) {
    let v = Verdicts::of(bytes);
    if v.disagree() {
        let path = save_failure("regression", name, bytes);
        panic!(
            "{name}: {}\n{}\n  module: {} ({} bytes)",
            v.direction(),
            v.describe(),
            path.display(),
            bytes.len()
        );
    }
}

// ----------------------------------------------------------------------------------------------
// Shrinking and reporting.

/// Shrinks `bytes` while `keep` holds: drops sections, replaces function bodies with
/// `unreachable`, deletes runs of instructions, then runs of bytes. At most `budget` calls of
/// `keep`.
pub fn shrink(bytes: &[u8], keep: &dyn Fn(&[u8]) -> bool, mut budget: usize) -> Vec<u8> {
    let mut best = bytes.to_vec();
    let try_candidate = |best: &mut Vec<u8>, candidate: Vec<u8>, budget: &mut usize| -> bool {
        if *budget == 0 || candidate.len() >= best.len() {
            return false;
        }
        *budget -= 1;
        if keep(&candidate) {
            *best = candidate;
            true
        } else {
            false
        }
    };
    loop {
        let before = best.len();
        // Whole sections.
        if let Some(secs) = sections(&best) {
            for s in secs.iter().rev() {
                let mut c = best.clone();
                c.drain(s.whole());
                try_candidate(&mut best, c, &mut budget);
            }
        }
        // Whole bodies, then runs of instructions.
        let mut f = 0;
        while let Some(secs) = sections(&best) {
            let Some(ci) = secs.iter().position(|s| s.id == 10) else {
                break;
            };
            let Some(bs) = bodies(&best, &secs[ci]) else {
                break;
            };
            if f >= bs.len() {
                break;
            }
            let mut all: Vec<Vec<u8>> = bs.iter().map(|b| best[b.range.clone()].to_vec()).collect();
            let original = all[f].clone();
            all[f] = vec![0x00, 0x00, 0x0b];
            if original != all[f] {
                let c = replace_section(&best, &secs, ci, &code_payload(&all));
                if try_candidate(&mut best, c, &mut budget) {
                    f += 1;
                    continue;
                }
            }
            all[f] = original;
            // Only the code section changes below: keep what surrounds it.
            let prefix = best[..secs[ci].start].to_vec();
            let suffix = best[secs[ci].payload.end..].to_vec();
            let body = &bs[f];
            let mut ops: Vec<Vec<u8>> = body.ops.iter().map(|r| best[r.clone()].to_vec()).collect();
            let locals = best[body.range.start..body.code_start].to_vec();
            let mut chunk = ops.len().div_ceil(2).max(1);
            while chunk >= 1 && budget > 0 {
                let mut i = 0;
                while i < ops.len() && budget > 0 {
                    let mut fewer = ops.clone();
                    fewer.drain(i..(i + chunk).min(ops.len()));
                    let mut all2 = all.clone();
                    all2[f] = assemble(&locals, &fewer);
                    let payload = code_payload(&all2);
                    let mut c = prefix.clone();
                    c.push(10);
                    write_leb(payload.len() as u64, &mut c);
                    c.extend(payload);
                    c.extend_from_slice(&suffix);
                    if keep(&c) {
                        best = c;
                        ops = fewer;
                        all = all2;
                    } else {
                        i += chunk;
                    }
                    budget = budget.saturating_sub(1);
                }
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
            f += 1;
        }
        // Runs of bytes.
        let mut chunk = (best.len() / 4).max(1);
        while chunk >= 1 && budget > 0 {
            let mut i = 8.min(best.len());
            while i < best.len() && budget > 0 {
                let mut c = best.clone();
                c.drain(i..(i + chunk).min(best.len()));
                if !try_candidate(&mut best, c, &mut budget) {
                    i += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk /= 2;
        }
        if best.len() >= before || budget == 0 {
            return best;
        }
    }
}

/// Where failing inputs go: `target/tmp/<kind>/<name>.wasm`.
pub fn save_failure(kind: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(kind);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}.wasm"));
    if let Err(e) = std::fs::write(&path, bytes) {
        eprintln!("could not write {}: {e}", path.display());
    }
    path
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'_')
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// A ready-to-paste entry for `tests/regressions.rs`.
pub fn regression_snippet(name: &str, bytes: &[u8]) -> String {
    let h = hex(bytes);
    let mut lines = String::new();
    for chunk in h.as_bytes().chunks(96) {
        let _ = writeln!(
            lines,
            "        \"{}\",",
            std::str::from_utf8(chunk).unwrap()
        );
    }
    format!("regression!(\n    {name},\n    concat!(\n{lines}    )\n);")
}

/// Time allowed to reject or accept `len` bytes: one second, or 10 ms per KiB for big inputs.
/// A linear validator needs well under 1% of this even on a loaded machine; anything
/// super-linear on inputs that size blows through it.
pub fn time_budget(len: usize) -> Duration {
    Duration::from_millis((len as u64 / 1024 * 10).max(1000))
}
