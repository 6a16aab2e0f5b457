//! `--preinit`: a function's start-up run once, when the module is loaded, and every request
//! started from the state it left (the idea of Wizer). The module's export `wizer.initialize` is
//! called in an instance of a copy of the module that also exports its globals and memories;
//! then a new module is written with that instance's state baked in: mutable globals
//! initialised to their values, memories as large as they became, their non-zero bytes as
//! active data segments, no start function. Each request instantiates that module, so its
//! start-up costs a copy of the snapshot instead of a run of the initialisation.
//!
//! Not captured: tables (their element segments apply again), passive data segments (refused),
//! imported globals and memories (refused). wasi-libc caches the environment and arguments the
//! first time they are read, so an initialisation must not read them (nor leave stdio buffered).

use crate::function::LoadError;
use ssvm_runtime::{Engine, Extern, Linker, Module, Store, Val};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::time::{Duration, Instant};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasmparser::{DataKind, Parser, Payload};

/// The export run once to initialise, Wizer's name for it.
pub const INIT_EXPORT: &str = "wizer.initialize";

const GLOBAL_EXPORT: &str = "ssvm-preinit:global:";
const MEMORY_EXPORT: &str = "ssvm-preinit:memory:";

/// Zero runs shorter than this stay inside a data segment (fewer, larger segments).
const SEGMENT_GAP: usize = 64;

/// What the snapshot took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The module with the initialised state.
    pub bytes: Vec<u8>,
    /// Gas the initialisation used (paid once, at load).
    pub init_gas: u64,
    pub init_time: Duration,
    /// Bytes of linear memory kept in data segments.
    pub data_bytes: u64,
}

/// What the first pass finds.
#[derive(Default)]
struct Shape {
    globals: u32,
    /// Whether each defined global is mutable.
    mutable: Vec<bool>,
    memories: u32,
    has_data: bool,
}

fn invalid(e: impl std::fmt::Display) -> LoadError {
    LoadError::Invalid(format!("--preinit: {e}"))
}

fn refused(what: &str) -> LoadError {
    LoadError::Unservable(format!("--preinit: {what}"))
}

fn shape(bytes: &[u8]) -> Result<Shape, LoadError> {
    let mut s = Shape::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(invalid)? {
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    match import.map_err(invalid)?.ty {
                        wasmparser::TypeRef::Global(_) => {
                            return Err(refused("modules importing globals are not supported"))
                        }
                        wasmparser::TypeRef::Memory(_) => {
                            return Err(refused("modules importing memories are not supported"))
                        }
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    s.mutable.push(g.map_err(invalid)?.ty.mutable);
                    s.globals += 1;
                }
            }
            Payload::MemorySection(r) => s.memories = r.count(),
            Payload::DataSection(r) => {
                s.has_data = true;
                for d in r {
                    if !matches!(d.map_err(invalid)?.kind, DataKind::Active { .. }) {
                        return Err(refused("passive data segments are not supported"));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

/// `bytes` with every defined global and memory exported under our names.
fn instrument(bytes: &[u8], s: &Shape) -> Result<Vec<u8>, LoadError> {
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        if let Payload::ExportSection(r) = &payload {
            let mut exports = wasm_encoder::ExportSection::new();
            for e in r.clone() {
                let e = e.map_err(invalid)?;
                if e.name.starts_with("ssvm-preinit:") {
                    return Err(refused("an export name starts with `ssvm-preinit:`"));
                }
                exports.export(
                    e.name,
                    RoundtripReencoder.export_kind(e.kind).map_err(invalid)?,
                    e.index,
                );
            }
            for i in 0..s.globals {
                exports.export(
                    &format!("{GLOBAL_EXPORT}{i}"),
                    wasm_encoder::ExportKind::Global,
                    i,
                );
            }
            for i in 0..s.memories {
                exports.export(
                    &format!("{MEMORY_EXPORT}{i}"),
                    wasm_encoder::ExportKind::Memory,
                    i,
                );
            }
            out.section(&exports);
        } else if let Some((id, range)) = payload.as_section() {
            out.section(&wasm_encoder::RawSection {
                id,
                data: &bytes[range.start as usize..range.end as usize],
            });
        }
    }
    Ok(out.finish())
}

/// The constant expression of a snapshot value.
fn constant(v: Val) -> Result<wasm_encoder::ConstExpr, LoadError> {
    use wasm_encoder::{ConstExpr, HeapType};
    Ok(match v {
        Val::I32(x) => ConstExpr::i32_const(x),
        Val::I64(x) => ConstExpr::i64_const(x),
        Val::F32(bits) => ConstExpr::f32_const(f32::from_bits(bits).into()),
        Val::F64(bits) => ConstExpr::f64_const(f64::from_bits(bits).into()),
        Val::FuncRef(None) => ConstExpr::ref_null(HeapType::FUNC),
        Val::ExternRef(None) => ConstExpr::ref_null(HeapType::EXTERN),
        _ => {
            return Err(refused(
                "a mutable global holds a reference or a v128 after initialising",
            ))
        }
    })
}

/// The non-zero stretches of `memory`, as (offset, bytes), zero runs shorter than
/// [`SEGMENT_GAP`] kept inside.
fn segments(memory: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = memory[at..].iter().position(|&b| b != 0).map(|p| p + at) {
        let mut end = start;
        let mut zeros = 0;
        for (i, &b) in memory[start..].iter().enumerate() {
            if b == 0 {
                zeros += 1;
                if zeros >= SEGMENT_GAP {
                    break;
                }
            } else {
                zeros = 0;
                end = start + i + 1;
            }
        }
        out.push((start, &memory[start..end]));
        at = end;
    }
    out
}

/// `bytes` with `globals` (one per defined global; `None` for an immutable one) and `memories`
/// baked in, and no start function.
fn rewrite(
    bytes: &[u8],
    s: &Shape,
    globals: &[Option<Val>],
    memories: &[Vec<u8>],
) -> Result<Vec<u8>, LoadError> {
    let mut data = wasm_encoder::DataSection::new();
    for (index, memory) in memories.iter().enumerate() {
        for (offset, chunk) in segments(memory) {
            let at = wasm_encoder::ConstExpr::i32_const(offset as i32);
            data.active(index as u32, &at, chunk.iter().copied());
        }
    }
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::GlobalSection(r) => {
                let mut section = wasm_encoder::GlobalSection::new();
                for (g, snapshot) in r.clone().into_iter().zip(globals) {
                    let g = g.map_err(invalid)?;
                    let init = match snapshot {
                        Some(v) => constant(*v)?,
                        None => RoundtripReencoder
                            .const_expr(g.init_expr)
                            .map_err(invalid)?,
                    };
                    section.global(
                        RoundtripReencoder.global_type(g.ty).map_err(invalid)?,
                        &init,
                    );
                }
                out.section(&section);
            }
            Payload::MemorySection(r) => {
                let mut section = wasm_encoder::MemorySection::new();
                for (m, now) in r.clone().into_iter().zip(memories) {
                    let mut ty = RoundtripReencoder
                        .memory_type(m.map_err(invalid)?)
                        .map_err(invalid)?;
                    ty.minimum = (now.len() / ssvm_runtime::PAGE_SIZE) as u64;
                    section.memory(ty);
                }
                out.section(&section);
            }
            // Its effects are in the snapshot.
            Payload::StartSection { .. } => {}
            Payload::DataCountSection { .. } => {
                out.section(&wasm_encoder::DataCountSection { count: data.len() });
            }
            Payload::DataSection(_) => {
                out.section(&data);
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &bytes[range.start as usize..range.end as usize],
                    });
                    if matches!(payload, Payload::CodeSectionStart { .. }) && !s.has_data {
                        out.section(&data);
                    }
                }
            }
        }
    }
    Ok(out.finish())
}

/// Runs `bytes`' initialisation in `engine` (with `gas_limit`) and gives back the module that
/// starts where it ended.
pub fn snapshot(
    bytes: &[u8],
    engine: &Engine,
    linker: &Linker<WasiCtx>,
    gas_limit: u64,
    arg0: &str,
    env: &[(String, String)],
) -> Result<Snapshot, LoadError> {
    let shape = shape(bytes)?;
    let instrumented = instrument(bytes, &shape)?;
    let module = Module::new(engine, &instrumented).map_err(invalid)?;
    let null = || crate::stdio::dev_null().map_err(|e| LoadError::Io(e.to_string()));
    let mut builder = WasiCtxBuilder::new();
    builder
        .arg(arg0)
        .stdin(null()?)
        .stdout(null()?)
        .stderr(null()?);
    for (k, v) in env {
        builder.env(k, v);
    }
    let ctx = builder.build().map_err(|e| LoadError::Io(e.to_string()))?;
    let mut store = Store::new(engine, ctx);
    store.set_gas_limit(gas_limit);
    let started = Instant::now();
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| refused(&format!("cannot instantiate: {e}")))?;
    let init = instance.get_func(&store, INIT_EXPORT).ok_or_else(|| {
        refused(&format!(
            "the module exports no `{INIT_EXPORT}` function to run once"
        ))
    })?;
    init.call(&mut store, &[], &mut [])
        .map_err(|e| refused(&format!("`{INIT_EXPORT}` failed: {e}")))?;
    let init_time = started.elapsed();
    let get = |name: String| instance.get_export(&store, &name);
    let mut globals = Vec::new();
    for (i, &mutable) in shape.mutable.iter().enumerate() {
        globals.push(match get(format!("{GLOBAL_EXPORT}{i}")) {
            Some(Extern::Global(g)) if mutable => Some(g.get(&store)),
            _ => None,
        });
    }
    let mut memories = Vec::new();
    for i in 0..shape.memories {
        match get(format!("{MEMORY_EXPORT}{i}")) {
            Some(Extern::Memory(m)) => memories.push(m.data(&store).to_vec()),
            _ => return Err(refused("a memory is missing after initialising")),
        }
    }
    let bytes = rewrite(bytes, &shape, &globals, &memories)?;
    let data_bytes = memories
        .iter()
        .flat_map(|m| segments(m))
        .map(|(_, chunk)| chunk.len() as u64)
        .sum();
    Ok(Snapshot {
        bytes,
        init_gas: store.gas_used(),
        init_time,
        data_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_non_zero_bytes_and_bridge_short_gaps() {
        let mut m = vec![0u8; 1000];
        m[10] = 1;
        m[20] = 2; // 9 zeros between: one segment
        m[500] = 3; // a long gap: a second segment
        let s = segments(&m);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, 10);
        assert_eq!(s[0].1.len(), 11);
        assert_eq!(s[1], (500, &[3u8][..]));
        assert!(segments(&[0; 100]).is_empty());
        assert_eq!(segments(&[5; 3]), vec![(0, &[5u8; 3][..])]);
    }
}
