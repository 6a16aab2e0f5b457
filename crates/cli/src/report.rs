//! The gas report of `ssvm-lite run --gas-report` (docs/cli.md): one JSON object, written with
//! `serde_json`.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::io::Write as _;

/// What a metered run came to.
#[derive(Serialize)]
pub struct GasReport {
    /// `ok`, `exit`, `trap` or `out_of_gas`.
    pub outcome: &'static str,
    /// The guest's exit code, for `exit` (WASI).
    pub exit_code: Option<i32>,
    /// The trap's message, for `trap`.
    pub trap: Option<String>,
    pub gas_limit: Option<u64>,
    pub gas_used: u64,
    /// Executions per spec opcode name, with `--histogram`, in this order.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "in_order")]
    pub counts: Option<Vec<(&'static str, u64)>>,
}

/// Name-count pairs as one JSON object, keeping their order.
fn in_order<S: Serializer>(
    counts: &Option<Vec<(&'static str, u64)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let counts = counts.as_deref().unwrap_or_default();
    let mut map = s.serialize_map(Some(counts.len()))?;
    for (name, n) in counts {
        map.serialize_entry(name, n)?;
    }
    map.end()
}

impl GasReport {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> std::io::Result<String> {
        serde_json::to_string(self).map_err(std::io::Error::other)
    }

    /// Writes the report to `out`.
    pub fn write_to(&self, out: &mut Output) -> std::io::Result<()> {
        let line = self.to_json()? + "\n";
        match out {
            Output::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Output::File(f) => f.write_all(line.as_bytes()),
        }
    }
}

/// Where a report goes: standard error, or a file created before the run, so that a path that
/// cannot be written fails before the work rather than after it.
pub enum Output {
    /// Standard error (`-`).
    Stderr,
    /// A file, created when the run was set up.
    File(std::fs::File),
}

impl Output {
    /// `-` for standard error, else the file `target`, created (or emptied) now.
    pub fn create(target: &str) -> std::io::Result<Output> {
        if target == "-" {
            Ok(Output::Stderr)
        } else {
            std::fs::File::create(target).map(Output::File)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_every_field_and_escapes_strings() {
        let report = GasReport {
            outcome: "trap",
            exit_code: None,
            trap: Some("a \"quoted\"\nmessage\\".into()),
            gas_limit: Some(10),
            gas_used: 7,
            counts: Some(vec![("i32.add", 3), ("end", 1)]),
        };
        assert_eq!(
            report.to_json().unwrap(),
            r#"{"outcome":"trap","exit_code":null,"trap":"a \"quoted\"\nmessage\\","gas_limit":10,"gas_used":7,"counts":{"i32.add":3,"end":1}}"#
        );
    }
}
