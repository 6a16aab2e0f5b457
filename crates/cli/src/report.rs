//! The gas report of `ssvm-lite run --gas-report` (DESIGN.md "Metering"): one JSON object.

use std::fmt::Write as _;
use std::io::Write as _;

/// What a metered run came to.
pub struct GasReport {
    /// `ok`, `exit`, `trap` or `out_of_gas`.
    pub outcome: &'static str,
    /// The guest's exit code, for `exit` (WASI).
    pub exit_code: Option<i32>,
    /// The trap's message, for `trap`.
    pub trap: Option<String>,
    pub gas_limit: Option<u64>,
    pub gas_used: u64,
    /// Executions per spec opcode name, with `--histogram`.
    pub counts: Option<Vec<(&'static str, u64)>>,
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_option<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "null".to_string(), |v| v.to_string())
}

impl GasReport {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"outcome\": {}, \"exit_code\": {}, \"trap\": {}, \"gas_limit\": {}, \"gas_used\": {}",
            json_string(self.outcome),
            json_option(self.exit_code),
            self.trap.as_deref().map_or_else(|| "null".into(), json_string),
            json_option(self.gas_limit),
            self.gas_used
        );
        if let Some(counts) = &self.counts {
            out.push_str(", \"counts\": {");
            for (i, (name, n)) in counts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}: {n}", json_string(name));
            }
            out.push('}');
        }
        out.push('}');
        out
    }

    /// Writes the report to `out`.
    pub fn write_to(&self, out: &mut Output) -> std::io::Result<()> {
        let line = self.to_json() + "\n";
        match out {
            Output::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Output::File(f) => f.write_all(line.as_bytes()),
        }
    }
}

/// Where a report goes: standard error, or a file created before the run, so that a path that
/// cannot be written fails before the work rather than after it.
pub enum Output {
    Stderr,
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
            report.to_json(),
            r#"{"outcome": "trap", "exit_code": null, "trap": "a \"quoted\"\nmessage\\", "gas_limit": 10, "gas_used": 7, "counts": {"i32.add": 3, "end": 1}}"#
        );
    }
}
