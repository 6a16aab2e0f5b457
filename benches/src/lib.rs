//! Shared code of the `ssvm-lite` benchmarks.
//!
//! [`large_module`] builds a deterministic, valid Wasm 2.0 module of a requested size whose
//! functions look like compiled code: locals, arithmetic on all number types, loads and stores,
//! nested blocks, loops, `if`/`else`, `br_table`, direct and indirect calls, bulk memory and SIMD.

pub mod large_module;
