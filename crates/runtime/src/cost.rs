//! The cost table: what each Wasm instruction, each unit of bulk work and each host-function call
//! costs in gas, and the TOML file format it is read from (DESIGN.md "Metering";
//! `docs/metering.md` describes the format and the shipped default table).
//!
//! The parser is a small line-based reader for the subset of TOML that a cost table needs: a
//! top-level `default`, and the sections `[instr]`, `[per_unit]` and `[host]` of
//! `key = non-negative integer` lines. Anything else is refused with the 1-based line and the
//! offending key or text, rather than silently ignored.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use ssvm_binary::Opcode;

/// Prices of Wasm instructions, of per-unit work and of host-function calls (DESIGN.md
/// "Metering").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTable {
    /// Indexed by `Opcode as usize`; always `Opcode::ALL.len()` long.
    instr: Vec<u64>,
    per_unit: PerUnit,
    /// Keyed `"module::name"`.
    host: HashMap<String, u64>,
}

/// Per-unit prices, charged for the work a bulk instruction actually does, on top of the
/// instruction's own price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerUnit {
    /// Per page added by a successful `memory.grow`.
    pub memory_grow: u64,
    /// Per byte written by `memory.fill`.
    pub memory_fill: u64,
    /// Per byte copied by `memory.copy`.
    pub memory_copy: u64,
    /// Per byte copied by `memory.init`.
    pub memory_init: u64,
    /// Per element added by a successful `table.grow`.
    pub table_grow: u64,
    /// Per element written by `table.fill`.
    pub table_fill: u64,
    /// Per element copied by `table.copy`.
    pub table_copy: u64,
    /// Per element copied by `table.init`.
    pub table_init: u64,
}

/// The keys of `[per_unit]`, in the order of [`PerUnit`]'s fields.
const PER_UNIT_KEYS: [&str; 8] = [
    "memory.grow",
    "memory.fill",
    "memory.copy",
    "memory.init",
    "table.grow",
    "table.fill",
    "table.copy",
    "table.init",
];

impl PerUnit {
    fn field_mut(&mut self, key: &str) -> Option<&mut u64> {
        Some(match key {
            "memory.grow" => &mut self.memory_grow,
            "memory.fill" => &mut self.memory_fill,
            "memory.copy" => &mut self.memory_copy,
            "memory.init" => &mut self.memory_init,
            "table.grow" => &mut self.table_grow,
            "table.fill" => &mut self.table_fill,
            "table.copy" => &mut self.table_copy,
            "table.init" => &mut self.table_init,
            _ => return None,
        })
    }
}

/// A cost table that could not be read: the 1-based line (none for I/O errors) and what is wrong,
/// naming the offending key or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTableError {
    /// The 1-based line of the error, when it is in the text.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl CostTableError {
    fn at(line: usize, message: impl Into<String>) -> CostTableError {
        CostTableError {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for CostTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CostTableError {}

/// The shipped default table's text.
const DEFAULT_TABLE: &str = include_str!("../../../docs/default-cost-table.toml");

/// The price of every instruction not listed when a file has no `default`.
const IMPLICIT_DEFAULT: u64 = 1;

impl CostTable {
    /// Every instruction costs `cost`; per-unit work and host functions cost nothing.
    pub fn uniform(cost: u64) -> CostTable {
        CostTable {
            instr: vec![cost; Opcode::ALL.len()],
            per_unit: PerUnit::default(),
            host: HashMap::new(),
        }
    }

    /// The table shipped in `docs/default-cost-table.toml`.
    pub fn default_table() -> CostTable {
        static DEFAULT: OnceLock<CostTable> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                CostTable::parse(DEFAULT_TABLE)
                    .unwrap_or_else(|e| panic!("docs/default-cost-table.toml: {e}"))
            })
            .clone()
    }

    /// Reads a cost table from its TOML text (see `docs/metering.md` for the format).
    pub fn parse(text: &str) -> Result<CostTable, CostTableError> {
        Parser::default().parse(text)
    }

    /// Reads a cost table from a file; an error reading the file names its path.
    pub fn from_file(path: &Path) -> Result<CostTable, CostTableError> {
        let text = std::fs::read_to_string(path).map_err(|e| CostTableError {
            line: None,
            message: format!("cannot read cost table {}: {e}", path.display()),
        })?;
        CostTable::parse(&text)
    }

    /// The price of one execution of `op`.
    #[inline]
    pub fn instr(&self, op: Opcode) -> u64 {
        self.instr[op as usize]
    }

    /// Sets the price of one execution of `op` (only this opcode: `select`'s two encodings are
    /// set separately here).
    pub fn set_instr(&mut self, op: Opcode, cost: u64) {
        self.instr[op as usize] = cost;
    }

    /// The per-unit prices.
    pub fn per_unit(&self) -> PerUnit {
        self.per_unit
    }

    /// Replaces the per-unit prices.
    pub fn set_per_unit(&mut self, p: PerUnit) {
        self.per_unit = p;
    }

    /// The price of one call of host function `module::name`, beyond its `call`: 0 when not
    /// listed.
    pub fn host(&self, module: &str, name: &str) -> u64 {
        if self.host.is_empty() {
            return 0;
        }
        self.host
            .get(&format!("{module}::{name}"))
            .copied()
            .unwrap_or(0)
    }

    /// Sets the price of one call of host function `module::name`.
    pub fn set_host(&mut self, module: &str, name: &str, cost: u64) {
        self.host.insert(format!("{module}::{name}"), cost);
    }
}

/// The section a key-value line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Section {
    Top,
    Instr,
    PerUnit,
    Host,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Top => "top level",
            Section::Instr => "[instr]",
            Section::PerUnit => "[per_unit]",
            Section::Host => "[host]",
        }
    }
}

#[derive(Default)]
struct Parser {
    default: Option<u64>,
    instr: Vec<Option<u64>>,
    per_unit: PerUnit,
    host: HashMap<String, u64>,
    /// The line of each section header seen.
    headers: Vec<(Section, usize)>,
    /// The line of each key seen, per section: for duplicate keys.
    keys: HashMap<(Section, String), usize>,
}

impl Parser {
    fn parse(mut self, text: &str) -> Result<CostTable, CostTableError> {
        self.instr = vec![None; Opcode::ALL.len()];
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut section = Section::Top;
        for (index, line) in text.lines().enumerate() {
            let mut c = Cursor {
                s: line,
                pos: 0,
                line: index + 1,
            };
            c.skip_ws();
            if c.at_line_end() {
                continue;
            }
            if c.peek() == Some('[') {
                section = self.header(&mut c)?;
                continue;
            }
            let key_start = c.pos;
            let (key, _) = c.key()?;
            c.skip_ws();
            match c.peek() {
                Some('.') => {
                    let dotted = line[key_start..].split('=').next().unwrap_or("").trim_end();
                    return Err(c.error(format!(
                        "dotted keys are not supported: {dotted} (quote a name that contains \
                         dots, as in \"i32.add\" = 2)"
                    )));
                }
                Some('=') => c.pos += 1,
                _ => return Err(c.error(format!("missing \"=\" after key {key:?}"))),
            }
            c.skip_ws();
            let value = c.value(&key)?;
            c.skip_ws();
            if !c.at_line_end() {
                return Err(c.error(format!(
                    "unexpected text after the value of {key:?}: {}",
                    c.rest().trim_end()
                )));
            }
            if let Some(first) = self.keys.insert((section, key.clone()), c.line) {
                return Err(c.error(format!(
                    "duplicate key {key:?} in {} (first on line {first})",
                    section.name()
                )));
            }
            self.entry(section, &key, value, c.line)?;
        }
        let default = self.default.unwrap_or(IMPLICIT_DEFAULT);
        Ok(CostTable {
            instr: self.instr.iter().map(|c| c.unwrap_or(default)).collect(),
            per_unit: self.per_unit,
            host: self.host,
        })
    }

    /// A `[section]` line.
    fn header(&mut self, c: &mut Cursor<'_>) -> Result<Section, CostTableError> {
        let start = c.pos;
        c.pos += 1;
        if c.peek() == Some('[') {
            return Err(c.error(format!(
                "arrays of tables are not supported: {}",
                c.s[start..].trim_end()
            )));
        }
        c.skip_ws();
        let (name, raw) = c.key()?;
        c.skip_ws();
        match c.peek() {
            Some(']') => c.pos += 1,
            Some('.') => {
                let text = c.s[start..].split(']').next().unwrap_or("");
                return Err(c.error(format!(
                    "dotted keys are not supported: {}]",
                    text.trim_end()
                )));
            }
            _ => {
                return Err(c.error(format!(
                    "missing \"]\" in section header {}",
                    c.s[start..].trim_end()
                )))
            }
        }
        c.skip_ws();
        if !c.at_line_end() {
            return Err(c.error(format!(
                "unexpected text after section header [{raw}]: {}",
                c.rest().trim_end()
            )));
        }
        let section = match name.as_str() {
            "instr" => Section::Instr,
            "per_unit" => Section::PerUnit,
            "host" => Section::Host,
            _ => {
                return Err(c.error(format!(
                    "unknown section [{raw}] (expected [instr], [per_unit] or [host])"
                )))
            }
        };
        if let Some(&(_, first)) = self.headers.iter().find(|(s, _)| *s == section) {
            return Err(c.error(format!(
                "section {} appears twice (first on line {first})",
                section.name()
            )));
        }
        self.headers.push((section, c.line));
        Ok(section)
    }

    /// Records `key = value` of `section`.
    fn entry(
        &mut self,
        section: Section,
        key: &str,
        value: u64,
        line: usize,
    ) -> Result<(), CostTableError> {
        match section {
            Section::Top => {
                if key != "default" {
                    return Err(CostTableError::at(
                        line,
                        format!(
                            "unknown top-level key {key:?} (only \"default\" may come before \
                             the first section header)"
                        ),
                    ));
                }
                self.default = Some(value);
            }
            Section::Instr => {
                // `select` names two opcodes (0x1B and 0x1C): one entry prices every opcode of
                // that name.
                let mut found = false;
                for &op in Opcode::ALL.iter().filter(|op| op.name() == key) {
                    self.instr[op as usize] = Some(value);
                    found = true;
                }
                if !found {
                    return Err(CostTableError::at(
                        line,
                        format!("unknown instruction name {key:?}"),
                    ));
                }
            }
            Section::PerUnit => match self.per_unit.field_mut(key) {
                Some(field) => *field = value,
                None => {
                    return Err(CostTableError::at(
                        line,
                        format!(
                            "unknown per-unit key {key:?} (expected one of {})",
                            PER_UNIT_KEYS.map(|k| format!("{k:?}")).join(", ")
                        ),
                    ))
                }
            },
            Section::Host => {
                if !key.contains("::") {
                    return Err(CostTableError::at(
                        line,
                        format!("host key {key:?} is not of the form \"module::name\""),
                    ));
                }
                self.host.insert(key.to_owned(), value);
            }
        }
        Ok(())
    }
}

/// A position in one line.
struct Cursor<'a> {
    s: &'a str,
    /// Byte offset into `s`.
    pos: usize,
    /// 1-based line number.
    line: usize,
}

impl<'a> Cursor<'a> {
    fn error(&self, message: impl Into<String>) -> CostTableError {
        CostTableError::at(self.line, message)
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// At the end of the line or at a comment.
    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some('#'))
    }

    /// A bare, basic-string or literal-string key: its value and its source text.
    fn key(&mut self) -> Result<(String, String), CostTableError> {
        let start = self.pos;
        let key = match self.peek() {
            Some('"' | '\'') => self.string()?,
            _ => {
                let rest = self.rest();
                let len = rest
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                    .unwrap_or(rest.len());
                if len == 0 {
                    return Err(self.error(format!("expected a key, found {}", rest.trim_end())));
                }
                self.pos += len;
                rest[..len].to_owned()
            }
        };
        Ok((key, self.s[start..self.pos].to_owned()))
    }

    /// A one-line basic (`"..."`, with escapes) or literal (`'...'`) string.
    fn string(&mut self) -> Result<String, CostTableError> {
        let rest = self.rest();
        let quote = rest.as_bytes()[0];
        if rest.as_bytes().starts_with(&[quote; 3]) {
            return Err(self.error(format!(
                "multi-line strings are not supported: {}",
                rest.trim_end()
            )));
        }
        let line = self.line;
        let unterminated =
            || CostTableError::at(line, format!("unterminated string {}", rest.trim_end()));
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1);
        while let Some((i, ch)) = chars.next() {
            if ch == char::from(quote) {
                self.pos += i + 1;
                return Ok(out);
            }
            if ch == '\\' && quote == b'"' {
                let Some((_, esc)) = chars.next() else {
                    return Err(unterminated());
                };
                out.push(match esc {
                    '"' => '"',
                    '\\' => '\\',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'u' | 'U' => {
                        let len = if esc == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(len).map(|(_, h)| h).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == len && !hex.starts_with('+'))
                            .and_then(char::from_u32)
                            .ok_or_else(|| {
                                CostTableError::at(
                                    line,
                                    format!("invalid escape \\{esc}{hex} in string"),
                                )
                            })?
                    }
                    _ => {
                        return Err(CostTableError::at(
                            line,
                            format!("invalid escape \\{esc} in string"),
                        ))
                    }
                });
            } else {
                out.push(ch);
            }
        }
        Err(unterminated())
    }

    /// A non-negative integer value of `key`: decimal (an optional `+`), or `0x`/`0o`/`0b`, with
    /// `_` between digits.
    fn value(&mut self, key: &str) -> Result<u64, CostTableError> {
        let line = self.line;
        let bad = |what: String| CostTableError::at(line, format!("value of {key:?}: {what}"));
        let rest = self.rest();
        match self.peek() {
            None | Some('#') => return Err(bad("missing value".into())),
            Some('[') => {
                return Err(bad(format!(
                    "arrays are not supported: {}",
                    rest.trim_end()
                )))
            }
            Some('{') => {
                return Err(bad(format!(
                    "inline tables are not supported: {}",
                    rest.trim_end()
                )))
            }
            Some('"' | '\'') => {
                let text = self.string().map_err(|e| bad(e.message))?;
                return Err(bad(format!(
                    "expected a non-negative integer, found the string {text:?}"
                )));
            }
            _ => {}
        }
        let len = rest.find([' ', '\t', '#']).unwrap_or(rest.len());
        let token = &rest[..len];
        self.pos += len;
        let unsigned = token.strip_prefix('+').unwrap_or(token);
        let (digits, radix) = match unsigned.get(..2) {
            Some("0x") if unsigned.len() == token.len() => (&unsigned[2..], 16),
            Some("0o") if unsigned.len() == token.len() => (&unsigned[2..], 8),
            Some("0b") if unsigned.len() == token.len() => (&unsigned[2..], 2),
            _ => (unsigned, 10),
        };
        if token.starts_with('-') {
            return Err(bad(format!("negative numbers are not allowed: {token}")));
        }
        let lower = unsigned.to_ascii_lowercase();
        let is_float = radix == 10
            && (matches!(lower.as_str(), "inf" | "nan")
                || (lower.starts_with(|ch: char| ch.is_ascii_digit())
                    && lower.contains(['.', 'e'])
                    && lower.chars().all(|ch| "0123456789_.e+-".contains(ch))));
        if is_float {
            return Err(bad(format!("floats are not allowed: {token}")));
        }
        let well_formed = !digits.is_empty()
            && !digits.starts_with('_')
            && !digits.ends_with('_')
            && !digits.contains("__")
            && digits.chars().all(|ch| ch == '_' || ch.is_digit(radix));
        if !well_formed {
            return Err(bad(format!(
                "expected a non-negative integer, found {token}"
            )));
        }
        if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
            return Err(bad(format!("leading zeros are not allowed: {token}")));
        }
        let mut value: u64 = 0;
        for digit in digits.chars().filter_map(|ch| ch.to_digit(radix)) {
            value = value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(digit)))
                .ok_or_else(|| {
                    bad(format!(
                        "{token} is too large (the largest price is {})",
                        u64::MAX
                    ))
                })?;
        }
        Ok(value)
    }
}
