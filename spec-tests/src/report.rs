//! Tallies of directive outcomes and the runner's printed report.

use std::fmt::{self, Write as _};

/// What became of one directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The directive's expectation held.
    Passed,
    /// An `assert_malformed` on a quoted text module whose text does not even encode: the text
    /// was checked to be rejected, the binary validator was not involved.
    PassedAtTextLevel,
    /// An `assert_malformed` on a quoted text module that `wast` encodes although the spec's text
    /// format rejects it: our decoder rejected the binary as malformed. The spec's message names
    /// a text-format error, so only the kind was compared.
    PassedKindOnly,
    /// An expectation listed by file and line in `superseded.rs` (a `wasm-v1` `assert_malformed`
    /// whose message Wasm 2.0 changed, an `assert_trap` naming an element index): ours gave the
    /// message listed for it.
    PassedSuperseded,
    /// The runner does not check this directive yet.
    Skipped,
    /// Not run: the directive's module uses instructions the interpreter does not execute yet
    /// (SIMD) or a later proposal ssvm-lite does not implement, or the directive depends on
    /// such a module. Counted as skipped.
    SkippedUnsupported,
    /// The expectation did not hold.
    Failed {
        /// What the directive expected.
        expected: String,
        /// What happened instead.
        actual: String,
    },
}

/// The outcome of one directive of a `.wast` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The directive's name as written in the `.wast` file (`module`, `assert_invalid`, ...).
    pub kind: &'static str,
    /// 1-based line of the directive in its file.
    pub line: usize,
    /// What became of it.
    pub verdict: Verdict,
}

/// Numbers of passed, failed and skipped directives.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Directives whose expectation held.
    pub passed: usize,
    /// Directives whose expectation did not hold.
    pub failed: usize,
    /// Directives not checked.
    pub skipped: usize,
}

impl Counts {
    /// Counts one verdict.
    pub fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Passed
            | Verdict::PassedAtTextLevel
            | Verdict::PassedKindOnly
            | Verdict::PassedSuperseded => self.passed += 1,
            Verdict::Skipped | Verdict::SkippedUnsupported => self.skipped += 1,
            Verdict::Failed { .. } => self.failed += 1,
        }
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// A directive whose expectation did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The `.wast` file, as `suite/name.wast`.
    pub file: String,
    /// 1-based line of the directive.
    pub line: usize,
    /// The directive's name.
    pub kind: &'static str,
    /// What the directive expected.
    pub expected: String,
    /// What happened instead.
    pub actual: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FAIL {}:{} ({})", self.file, self.line, self.kind)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  actual:   {}", self.actual)
    }
}

/// A directive that was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The `.wast` file, as `suite/name.wast`.
    pub file: String,
    /// 1-based line of the directive.
    pub line: usize,
    /// The directive's name.
    pub kind: &'static str,
    /// Whether it was skipped for using what the interpreter does not execute yet (or depending
    /// on such a module), rather than because the runner does not check its kind.
    pub unsupported: bool,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = if self.unsupported {
            "uses what ssvm-lite does not implement"
        } else {
            "a directive the runner does not check"
        };
        write!(f, "SKIP {}:{} ({}): {why}", self.file, self.line, self.kind)
    }
}

/// The directive kinds in the order the table lists them; kinds not listed come after, by name.
const KIND_ORDER: &[&str] = &[
    "wast",
    "module",
    "module_definition",
    "module_instance",
    "assert_malformed",
    "assert_invalid",
    "register",
    "invoke",
    "assert_return",
    "assert_trap",
    "assert_exhaustion",
    "assert_unlinkable",
    "assert_uninstantiable",
    "assert_exception",
];

/// Everything the runner saw, over all files.
#[derive(Debug, Default)]
pub struct Report {
    by_kind: Vec<(&'static str, Counts)>,
    total: Counts,
    failures: Vec<Failure>,
    skips: Vec<Skip>,
    text_level_malformed: usize,
    kind_only_malformed: usize,
    superseded_malformed: usize,
    unsupported_skipped: usize,
}

impl Report {
    /// Records the outcomes of one file's directives and returns that file's counts.
    pub fn add_file(&mut self, file: &str, checked: &[Checked]) -> Counts {
        let mut counts = Counts::default();
        for c in checked {
            counts.add(&c.verdict);
            self.total.add(&c.verdict);
            self.kind_counts(c.kind).add(&c.verdict);
            match &c.verdict {
                Verdict::PassedAtTextLevel => self.text_level_malformed += 1,
                Verdict::PassedKindOnly => self.kind_only_malformed += 1,
                Verdict::PassedSuperseded => self.superseded_malformed += 1,
                Verdict::SkippedUnsupported | Verdict::Skipped => {
                    let unsupported = c.verdict == Verdict::SkippedUnsupported;
                    self.unsupported_skipped += usize::from(unsupported);
                    self.skips.push(Skip {
                        file: file.to_string(),
                        line: c.line,
                        kind: c.kind,
                        unsupported,
                    });
                }
                Verdict::Failed { expected, actual } => self.failures.push(Failure {
                    file: file.to_string(),
                    line: c.line,
                    kind: c.kind,
                    expected: expected.clone(),
                    actual: actual.clone(),
                }),
                Verdict::Passed => {}
            }
        }
        counts
    }

    fn kind_counts(&mut self, kind: &'static str) -> &mut Counts {
        let at = match self.by_kind.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => {
                self.by_kind.push((kind, Counts::default()));
                self.by_kind.sort_by_key(|(k, _)| kind_rank(k));
                self.by_kind
                    .iter()
                    .position(|(k, _)| *k == kind)
                    .unwrap_or(0)
            }
        };
        &mut self.by_kind[at].1
    }

    /// The counts over all files.
    pub fn total(&self) -> Counts {
        self.total
    }

    /// Every failure, in the order seen.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// How many `assert_malformed` quoted modules were rejected already as text.
    pub fn text_level_malformed(&self) -> usize {
        self.text_level_malformed
    }

    /// How many `assert_malformed` quoted modules that `wast` encoded were rejected as malformed
    /// by our decoder, comparing only the kind (see [`Verdict::PassedKindOnly`]).
    pub fn kind_only_malformed(&self) -> usize {
        self.kind_only_malformed
    }

    /// How many listed expectations (see [`Verdict::PassedSuperseded`]) gave the message listed
    /// for them.
    pub fn superseded_malformed(&self) -> usize {
        self.superseded_malformed
    }

    /// How many directives were skipped because their module uses what the interpreter does not
    /// execute yet (see [`Verdict::SkippedUnsupported`]).
    pub fn unsupported_skipped(&self) -> usize {
        self.unsupported_skipped
    }

    /// The failures, at most `limit` of them (all when `None`), then a line saying how many were
    /// left out.
    pub fn failures_text(&self, limit: Option<usize>) -> String {
        capped(&self.failures, limit, "failures")
    }

    /// The skipped directives, at most `limit` of them (all when `None`), then a line saying how
    /// many were left out.
    pub fn skips_text(&self, limit: Option<usize>) -> String {
        capped(&self.skips, limit, "skipped directives")
    }

    /// Failures grouped by the expected message, most frequent first (ties by message).
    pub fn failures_by_expected(&self) -> Vec<(String, usize)> {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for failure in &self.failures {
            match groups.iter_mut().find(|(e, _)| *e == failure.expected) {
                Some((_, n)) => *n += 1,
                None => groups.push((failure.expected.clone(), 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        groups
    }

    /// The table of counts by directive kind.
    pub fn table(&self) -> String {
        let width = self
            .by_kind
            .iter()
            .map(|(k, _)| k.len())
            .chain(["directive".len()])
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>7}  {:>7}",
            "directive", "passed", "failed", "skipped"
        );
        for (kind, c) in &self.by_kind {
            let _ = writeln!(
                out,
                "{kind:<width$}  {:>7}  {:>7}  {:>7}",
                c.passed, c.failed, c.skipped
            );
        }
        out
    }
}

/// One line per item, at most `limit` of them (all when `None`), then a line saying how many
/// `what` were left out.
fn capped<T: fmt::Display>(items: &[T], limit: Option<usize>, what: &str) -> String {
    let shown = limit.unwrap_or(usize::MAX).min(items.len());
    let mut out = String::new();
    for item in &items[..shown] {
        let _ = writeln!(out, "{item}");
    }
    if shown < items.len() {
        let _ = writeln!(
            out,
            "... {} more {what} not shown (--verbose shows all)",
            items.len() - shown
        );
    }
    out
}

fn kind_rank(kind: &str) -> (usize, &str) {
    let at = KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len());
    (at, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(kind: &'static str, line: usize, verdict: Verdict) -> Checked {
        Checked {
            kind,
            line,
            verdict,
        }
    }

    fn failed(expected: &str, actual: &str) -> Verdict {
        Verdict::Failed {
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    #[test]
    fn counts_display_as_the_summary_line() {
        let c = Counts {
            passed: 3,
            failed: 1,
            skipped: 20,
        };
        assert_eq!(c.to_string(), "3 passed, 1 failed, 20 skipped");
        assert_eq!(
            Counts::default().to_string(),
            "0 passed, 0 failed, 0 skipped"
        );
    }

    #[test]
    fn file_counts_and_totals_add_up() {
        let mut report = Report::default();
        let a = report.add_file(
            "wasm-v2/a.wast",
            &[
                checked("module", 1, Verdict::Passed),
                checked("assert_malformed", 2, Verdict::PassedAtTextLevel),
                checked("assert_return", 3, Verdict::Skipped),
                checked(
                    "assert_invalid",
                    4,
                    failed("invalid: type mismatch", "valid"),
                ),
                checked("assert_malformed", 5, Verdict::PassedKindOnly),
                checked("assert_return", 6, Verdict::SkippedUnsupported),
            ],
        );
        assert_eq!(a.to_string(), "3 passed, 1 failed, 2 skipped");
        let b = report.add_file("wasm-v2/b.wast", &[checked("module", 7, Verdict::Passed)]);
        assert_eq!(b.to_string(), "1 passed, 0 failed, 0 skipped");
        assert_eq!(report.total().to_string(), "4 passed, 1 failed, 2 skipped");
        assert_eq!(report.unsupported_skipped(), 1);
        assert_eq!(report.text_level_malformed(), 1);
        assert_eq!(report.kind_only_malformed(), 1);
        assert_eq!(
            report.skips_text(None),
            "\
SKIP wasm-v2/a.wast:3 (assert_return): a directive the runner does not check
SKIP wasm-v2/a.wast:6 (assert_return): uses what ssvm-lite does not implement
"
        );
        assert_eq!(report.skips_text(Some(1)).lines().count(), 2);
        assert_eq!(
            report.failures(),
            &[Failure {
                file: "wasm-v2/a.wast".into(),
                line: 4,
                kind: "assert_invalid",
                expected: "invalid: type mismatch".into(),
                actual: "valid".into(),
            }]
        );
    }

    #[test]
    fn table_lists_kinds_in_a_fixed_order() {
        let mut report = Report::default();
        report.add_file(
            "f.wast",
            &[
                checked("assert_return", 1, Verdict::Skipped),
                checked("zz_new_kind", 2, Verdict::Skipped),
                checked("assert_invalid", 3, failed("x", "y")),
                checked("module", 4, Verdict::Passed),
                checked("module", 5, Verdict::Passed),
            ],
        );
        let expected = "\
directive        passed   failed  skipped
module                2        0        0
assert_invalid        0        1        0
assert_return         0        0        1
zz_new_kind           0        0        1
";
        assert_eq!(report.table(), expected);
    }

    #[test]
    fn failures_are_capped_with_a_note() {
        let mut report = Report::default();
        let many: Vec<Checked> = (1..=3)
            .map(|line| checked("assert_invalid", line, failed("invalid: e", "valid")))
            .collect();
        report.add_file("f.wast", &many);
        let text = report.failures_text(Some(2));
        assert_eq!(
            text,
            "\
FAIL f.wast:1 (assert_invalid)
  expected: invalid: e
  actual:   valid
FAIL f.wast:2 (assert_invalid)
  expected: invalid: e
  actual:   valid
... 1 more failures not shown (--verbose shows all)
"
        );
        assert_eq!(report.failures_text(None).lines().count(), 9);
        assert_eq!(report.failures_text(Some(10)).lines().count(), 9);
    }

    #[test]
    fn failures_group_by_expected_message() {
        let mut report = Report::default();
        report.add_file(
            "f.wast",
            &[
                checked("assert_invalid", 1, failed("invalid: b", "valid")),
                checked("assert_invalid", 2, failed("invalid: a", "valid")),
                checked("assert_invalid", 3, failed("invalid: b", "valid")),
                checked("assert_invalid", 4, failed("invalid: c", "valid")),
            ],
        );
        assert_eq!(
            report.failures_by_expected(),
            vec![
                ("invalid: b".to_string(), 2),
                ("invalid: a".to_string(), 1),
                ("invalid: c".to_string(), 1),
            ]
        );
    }
}
