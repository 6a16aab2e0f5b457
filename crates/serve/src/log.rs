//! Structured logs: one JSON object per line on standard error, with a time, a level, a message
//! and the event's fields, so that log collectors parse them without patterns.

use serde_json::{Map, Value};
use std::io::Write;
use std::time::SystemTime;

/// How much is logged, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    /// Adds one line per request.
    Debug,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Where events go and which are kept; `None` logs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log {
    pub max: Option<Level>,
}

impl Log {
    /// The log for `--log-level NAME`: `off`, `error`, `warn`, `info` or `debug`.
    pub fn from_name(name: &str) -> Option<Log> {
        let max = match name {
            "off" => None,
            "error" => Some(Level::Error),
            "warn" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => return None,
        };
        Some(Log { max })
    }

    pub fn enabled(&self, level: Level) -> bool {
        self.max.is_some_and(|max| level <= max)
    }

    /// Writes the event `msg` with `fields` (a JSON object) when `level` is enabled.
    pub fn event(&self, level: Level, msg: &str, fields: Value) {
        if !self.enabled(level) {
            return;
        }
        let mut line = Map::new();
        line.insert(
            "time".into(),
            crate::clock::rfc3339(SystemTime::now()).into(),
        );
        line.insert("level".into(), level.name().into());
        line.insert("msg".into(), msg.into());
        if let Value::Object(fields) = fields {
            line.extend(fields);
        }
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        // One write per line, so that lines of concurrent events do not interleave.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    pub fn error(&self, msg: &str, fields: Value) {
        self.event(Level::Error, msg, fields);
    }

    pub fn warn(&self, msg: &str, fields: Value) {
        self.event(Level::Warn, msg, fields);
    }

    pub fn info(&self, msg: &str, fields: Value) {
        self.event(Level::Info, msg, fields);
    }

    pub fn debug(&self, msg: &str, fields: Value) {
        self.event(Level::Debug, msg, fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_filter_and_names_parse() {
        let info = Log::from_name("info").unwrap();
        assert!(info.enabled(Level::Error) && info.enabled(Level::Info));
        assert!(!info.enabled(Level::Debug));
        let off = Log::from_name("off").unwrap();
        assert!(!off.enabled(Level::Error));
        assert_eq!(Log::from_name("loud"), None);
    }
}
