//! The cost table: what each Wasm instruction, each unit of bulk work and each host-function call
//! costs in gas, and the TOML file format it is read from (`docs/metering.md` describes the
//! format and the shipped default table).
//!
//! The text is TOML, read with the `toml` crate: a top-level `default`, and the sections
//! `[instr]`, `[per_unit]`, `[host]` and `[host_per_unit]` of `key = non-negative integer`
//! entries; a per-unit price may also be a rate, `{ gas = G, per = K }`. Anything else is refused
//! with the 1-based line and the offending key, rather than silently ignored.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use ssvm_binary::Opcode;
use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

/// Prices of Wasm instructions, of per-unit work and of host-function calls
/// (docs/metering.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostTable {
    /// Indexed by `Opcode as usize`; always `Opcode::ALL.len()` long.
    instr: Vec<u64>,
    per_unit: PerUnit,
    /// Keyed `"module::name"`.
    host: HashMap<String, u64>,
    /// Keyed `"module::name/unit"`: the price of a host function's units of work.
    host_per_unit: HashMap<String, Rate>,
}

/// A per-unit price: `gas` for every `per` units of work, rounded up, so `n` units cost
/// ceil(n × gas / per). Work that costs less than a gas a unit (a byte copied takes hundredths
/// of a nanosecond) is priced fairly without a price of 0, which would leave it unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    gas: u64,
    /// Never 0.
    per: u64,
}

impl Rate {
    /// No price.
    pub const ZERO: Rate = Rate::per_unit(0);

    /// `gas` for each unit.
    pub const fn per_unit(gas: u64) -> Rate {
        Rate { gas, per: 1 }
    }

    /// `gas` for every `per` units; `None` when `per` is 0.
    pub const fn new(gas: u64, per: u64) -> Option<Rate> {
        if per == 0 {
            None
        } else {
            Some(Rate { gas, per })
        }
    }

    /// The gas of every `per()` units.
    pub fn gas(self) -> u64 {
        self.gas
    }

    /// The units `gas()` pays for (at least 1).
    pub fn per(self) -> u64 {
        self.per
    }

    /// What `units` units of work cost: ceil(units × gas / per), `u64::MAX` when that does not
    /// fit (no limit can pay it).
    #[inline]
    pub fn price(self, units: u64) -> u64 {
        if self.per == 1 {
            return units.saturating_mul(self.gas);
        }
        let total = (u128::from(units) * u128::from(self.gas)).div_ceil(u128::from(self.per));
        u64::try_from(total).unwrap_or(u64::MAX)
    }
}

impl Default for Rate {
    fn default() -> Rate {
        Rate::ZERO
    }
}

impl From<u64> for Rate {
    fn from(gas: u64) -> Rate {
        Rate::per_unit(gas)
    }
}

/// Per-unit prices, charged for the work a bulk instruction actually does, on top of the
/// instruction's own price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerUnit {
    /// Per page added by a successful `memory.grow`.
    pub memory_grow: Rate,
    /// Per byte written by `memory.fill`.
    pub memory_fill: Rate,
    /// Per byte copied by `memory.copy`.
    pub memory_copy: Rate,
    /// Per byte copied by `memory.init`.
    pub memory_init: Rate,
    /// Per element added by a successful `table.grow`.
    pub table_grow: Rate,
    /// Per element written by `table.fill`.
    pub table_fill: Rate,
    /// Per element copied by `table.copy`.
    pub table_copy: Rate,
    /// Per element copied by `table.init`.
    pub table_init: Rate,
    /// Per declared local (not parameter) of a function, charged at its entry with its first
    /// metering block: what setting the frame's locals to zero costs.
    pub local: Rate,
}

/// The instructions that do per-unit work: the keys of `[per_unit]` are their names in the
/// opcode table.
const PER_UNIT_OPS: [Opcode; 8] = [
    Opcode::MemoryGrow,
    Opcode::MemoryFill,
    Opcode::MemoryCopy,
    Opcode::MemoryInit,
    Opcode::TableGrow,
    Opcode::TableFill,
    Opcode::TableCopy,
    Opcode::TableInit,
];

/// The `[per_unit]` key of the per-local price (the other keys are instruction names).
const LOCAL_KEY: &str = "local";

impl PerUnit {
    /// The price `[per_unit]` key `key` sets, if it is one.
    fn field_mut(&mut self, key: &str) -> Option<&mut Rate> {
        if key == LOCAL_KEY {
            return Some(&mut self.local);
        }
        let op = PER_UNIT_OPS.into_iter().find(|op| op.name() == key)?;
        Some(match op {
            Opcode::MemoryGrow => &mut self.memory_grow,
            Opcode::MemoryFill => &mut self.memory_fill,
            Opcode::MemoryCopy => &mut self.memory_copy,
            Opcode::MemoryInit => &mut self.memory_init,
            Opcode::TableGrow => &mut self.table_grow,
            Opcode::TableFill => &mut self.table_fill,
            Opcode::TableCopy => &mut self.table_copy,
            Opcode::TableInit => &mut self.table_init,
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

/// Where `CostTable::compile_prices` puts the per-local rate: its gas, then its units.
pub(crate) const LOCAL_GAS_AT: usize = Opcode::ALL.len();
pub(crate) const LOCAL_PER_AT: usize = LOCAL_GAS_AT + 1;

/// The shipped default table's text.
const DEFAULT_TABLE: &str = include_str!("../../../../docs/default-cost-table.toml");

/// The price of every instruction not listed when a file has no `default`.
const IMPLICIT_DEFAULT: u64 = 1;

impl CostTable {
    /// Every instruction costs `cost`; per-unit work and host functions cost nothing.
    pub fn uniform(cost: u64) -> CostTable {
        CostTable {
            instr: vec![cost; Opcode::ALL.len()],
            per_unit: PerUnit::default(),
            host: HashMap::new(),
            host_per_unit: HashMap::new(),
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
        Reader::read(text)
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

    /// What the compiler prices statically: every opcode's price in `Opcode::ALL` order, then
    /// (at `LOCAL_GAS_AT` and `LOCAL_PER_AT`) the per-local rate, which a function's entry
    /// charges.
    pub(crate) fn compile_prices(&self) -> Box<[u64]> {
        let mut prices = self.instr.clone();
        prices.push(self.per_unit.local.gas);
        prices.push(self.per_unit.local.per);
        prices.into()
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

    /// The price of the `unit`s of work (bytes, items, nanoseconds: the host function's
    /// documentation names its units) of host function `module::name`: zero when not listed.
    pub fn host_per_unit(&self, module: &str, name: &str, unit: &str) -> Rate {
        if self.host_per_unit.is_empty() {
            return Rate::ZERO;
        }
        self.host_per_unit
            .get(&format!("{module}::{name}/{unit}"))
            .copied()
            .unwrap_or(Rate::ZERO)
    }

    /// Sets the price of the `unit`s of work of host function `module::name`.
    pub fn set_host_per_unit(&mut self, module: &str, name: &str, unit: &str, rate: Rate) {
        self.host_per_unit
            .insert(format!("{module}::{name}/{unit}"), rate);
    }
}

/// A cost table's TOML text, read with the `toml` crate's span-keeping parser so that every
/// error names its line.
struct Reader<'t> {
    text: &'t str,
    default: Option<u64>,
    instr: Vec<Option<u64>>,
    per_unit: PerUnit,
    host: HashMap<String, u64>,
    host_per_unit: HashMap<String, Rate>,
    /// Every opcode with its name, sorted by name (`select` names two): looking each `[instr]`
    /// key up in the opcode table one by one was most of the time a table took to read.
    by_name: Vec<(&'static str, Opcode)>,
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

/// A table's entries in the order they are written (so the first error is the one reported).
fn in_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

impl<'t> Reader<'t> {
    fn read(text: &'t str) -> Result<CostTable, CostTableError> {
        let mut r = Reader {
            text,
            default: None,
            instr: vec![None; Opcode::ALL.len()],
            per_unit: PerUnit::default(),
            host: HashMap::new(),
            host_per_unit: HashMap::new(),
            by_name: Opcode::ALL.iter().map(|&op| (op.name(), op)).collect(),
        };
        r.by_name.sort_unstable_by_key(|&(name, _)| name);
        let root = DeTable::parse(text).map_err(|e| {
            let line = e.span().map_or(1, |s| r.line(s.start));
            let source = text.lines().nth(line - 1).unwrap_or("").trim();
            CostTableError::at(
                line,
                format!("invalid TOML: {}: {source}", e.message().trim_end()),
            )
        })?;
        for (key, value) in in_order(root.get_ref()) {
            let name: &str = key.get_ref();
            let section = match name {
                "default" => {
                    r.default = Some(r.integer(key, value)?);
                    continue;
                }
                "instr" => Section::Instr,
                "per_unit" => Section::PerUnit,
                "host" => Section::Host,
                "host_per_unit" => Section::HostPerUnit,
                _ if matches!(value.get_ref(), DeValue::Table(_)) => {
                    return Err(r.error(
                        key,
                        format!(
                            "unknown section [{name}] (expected [instr], [per_unit], [host] or \
                             [host_per_unit])"
                        ),
                    ))
                }
                _ => {
                    return Err(r.error(
                        key,
                        format!(
                            "unknown top-level key {name:?} (only \"default\" may come before \
                             the first section header)"
                        ),
                    ))
                }
            };
            let DeValue::Table(table) = value.get_ref() else {
                return Err(r.error(key, format!("{name:?} must be a section ([{name}])")));
            };
            for (key, value) in in_order(table) {
                let price = match section {
                    Section::PerUnit | Section::HostPerUnit => r.rate(key, value)?,
                    Section::Instr | Section::Host => Rate::per_unit(r.integer(key, value)?),
                };
                r.entry(section, key, price)?;
            }
        }
        let default = r.default.unwrap_or(IMPLICIT_DEFAULT);
        Ok(CostTable {
            instr: r.instr.iter().map(|c| c.unwrap_or(default)).collect(),
            per_unit: r.per_unit,
            host: r.host,
            host_per_unit: r.host_per_unit,
        })
    }

    /// The 1-based line of byte offset `at`.
    fn line(&self, at: usize) -> usize {
        let at = at.min(self.text.len());
        self.text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error<T>(&self, at: &Spanned<T>, message: String) -> CostTableError {
        CostTableError::at(self.line(at.span().start), message)
    }

    /// A price: a non-negative integer (up to `u64::MAX`, beyond TOML's own `i64` range).
    fn integer(
        &self,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<u64, CostTableError> {
        let name: &str = key.get_ref();
        let source = self.text[value.span()].trim();
        let found = match value.get_ref() {
            DeValue::Integer(i) => {
                let digits = i.as_str().replace('_', "");
                if digits.starts_with('-') {
                    return Err(self.error(
                        value,
                        format!("the value of {name:?} must not be negative: {source}"),
                    ));
                }
                return u64::from_str_radix(digits.trim_start_matches('+'), i.radix()).map_err(
                    |_| {
                        self.error(
                            value,
                            format!(
                                "the value of {name:?} is too large (the most is {}): {source}",
                                u64::MAX
                            ),
                        )
                    },
                );
            }
            DeValue::Table(_) if !source.starts_with('{') => {
                let dotted = self.text[key.span().start..]
                    .split('=')
                    .next()
                    .unwrap_or("");
                return Err(self.error(
                    key,
                    format!(
                        "dotted keys are not supported: {} (quote a name that contains dots, \
                         as in \"i32.add\" = 2)",
                        dotted.trim_end()
                    ),
                ));
            }
            DeValue::String(_) => "a string",
            DeValue::Float(_) => "a float",
            DeValue::Boolean(_) => "a boolean",
            DeValue::Datetime(_) => "a date-time",
            DeValue::Array(_) => "an array",
            DeValue::Table(_) => "an inline table",
        };
        Err(self.error(
            value,
            format!("the value of {name:?} must be a non-negative integer, not {found}: {source}"),
        ))
    }

    /// A per-unit price: an integer (gas a unit) or a rate, `{ gas = G, per = K }` with K ≥ 1.
    fn rate(
        &self,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<Rate, CostTableError> {
        let source = self.text[value.span()].trim();
        let fields = match value.get_ref() {
            DeValue::Table(fields) if source.starts_with('{') => fields,
            // An integer, or anything else (a dotted key among them) that `integer` names.
            _ => return self.integer(key, value).map(Rate::per_unit),
        };
        let name: &str = key.get_ref();
        let (mut gas, mut per) = (None, None);
        for (field, number) in in_order(fields) {
            let field_name: &str = field.get_ref();
            let slot = match field_name {
                "gas" => &mut gas,
                "per" => &mut per,
                other => {
                    return Err(self.error(
                        field,
                        format!(
                            "unknown field {other:?} in the rate of {name:?} (a rate is \
                             {{ gas = G, per = K }}): {source}"
                        ),
                    ))
                }
            };
            *slot = Some(self.integer(field, number)?);
        }
        let (Some(gas), Some(per)) = (gas, per) else {
            return Err(self.error(
                value,
                format!("the rate of {name:?} needs both fields, {{ gas = G, per = K }}: {source}"),
            ));
        };
        Rate::new(gas, per).ok_or_else(|| {
            self.error(
                value,
                format!("the rate of {name:?} must pay for at least 1 unit (per = 0): {source}"),
            )
        })
    }

    /// Records `key = price` of `section` (a plain price for `[instr]` and `[host]`).
    fn entry(
        &mut self,
        section: Section,
        key: &Spanned<DeString<'_>>,
        price: Rate,
    ) -> Result<(), CostTableError> {
        let name: &str = key.get_ref();
        match section {
            Section::Instr => {
                // `select` names two opcodes (0x1B and 0x1C): one entry prices every opcode of
                // that name.
                let first = self.by_name.partition_point(|&(n, _)| n < name);
                let named = self.by_name[first..]
                    .iter()
                    .take_while(|&&(n, _)| n == name);
                let mut found = false;
                for &(_, op) in named {
                    self.instr[op as usize] = Some(price.gas);
                    found = true;
                }
                if !found {
                    return Err(self.error(key, format!("unknown instruction name {name:?}")));
                }
            }
            Section::PerUnit => match self.per_unit.field_mut(name) {
                Some(field) => *field = price,
                None => {
                    let keys = PER_UNIT_OPS.map(|op| format!("{:?}", op.name())).join(", ");
                    return Err(self.error(
                        key,
                        format!(
                            "unknown per-unit key {name:?} (expected one of {keys}, \
                             {LOCAL_KEY:?})"
                        ),
                    ));
                }
            },
            Section::Host => {
                if !name.contains("::") {
                    return Err(self.error(
                        key,
                        format!("host key {name:?} is not of the form \"module::name\""),
                    ));
                }
                self.host.insert(name.to_owned(), price.gas);
            }
            Section::HostPerUnit => {
                let well_formed = name
                    .split_once("::")
                    .and_then(|(_, rest)| rest.split_once('/'))
                    .is_some_and(|(f, unit)| !f.is_empty() && !unit.is_empty());
                if !well_formed {
                    return Err(self.error(
                        key,
                        format!(
                            "host per-unit key {name:?} is not of the form \"module::name/unit\""
                        ),
                    ));
                }
                self.host_per_unit.insert(name.to_owned(), price);
            }
        }
        Ok(())
    }
}

/// The sections of a cost table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Instr,
    PerUnit,
    Host,
    HostPerUnit,
}
