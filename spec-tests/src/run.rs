//! Runs the directives of one `.wast` file against the decoder and validator.

use crate::matcher::message_matches;
use crate::report::{Checked, Verdict};
use ssvm_validate::{Error, ErrorKind};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

/// Parses `text` (a whole `.wast` file) and checks each of its directives.
///
/// A file that does not parse gives one failed `wast` entry.
pub fn run_file(text: &str) -> Vec<Checked> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buf| {
        let wast = parser::parse::<Wast>(&buf)?;
        Ok(wast
            .directives
            .into_iter()
            .map(|d| check_directive(d, text))
            .collect::<Vec<_>>())
    });
    match parsed {
        Ok(checked) => checked,
        Err(mut e) => {
            e.set_text(text);
            vec![Checked {
                kind: "wast",
                line: e.span().linecol_in(text).0 + 1,
                verdict: Verdict::Failed {
                    expected: "a .wast file that parses".into(),
                    actual: format!("wast parse error: {}", e.message()),
                },
            }]
        }
    }
}

fn check_directive(directive: WastDirective<'_>, text: &str) -> Checked {
    let line = directive.span().linecol_in(text).0 + 1;
    let (kind, verdict) = match directive {
        WastDirective::Module(module) => ("module", check_valid(module)),
        WastDirective::ModuleDefinition(module) => ("module_definition", check_valid(module)),
        WastDirective::AssertMalformed {
            module, message, ..
        } => ("assert_malformed", check_malformed(module, message)),
        WastDirective::AssertInvalid {
            module, message, ..
        } => ("assert_invalid", check_invalid(module, message)),
        other => (skipped_kind(&other), Verdict::Skipped),
    };
    Checked {
        kind,
        line,
        verdict,
    }
}

/// The name of a directive the runner does not check yet.
fn skipped_kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module_definition",
        WastDirective::ModuleInstance { .. } => "module_instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        // `(assert_trap (module ...) "...")` is how the suites write "uninstantiable".
        WastDirective::AssertTrap {
            exec: WastExecute::Wat(_),
            ..
        } => "assert_uninstantiable",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// What the module's binary came to, or why there is none.
enum Encoded {
    Binary(Vec<u8>),
    /// A component: outside what ssvm-lite runs.
    Component,
    /// The text did not encode; `quoted` says whether it was `(module quote ...)` text.
    Error {
        message: String,
        quoted: bool,
    },
}

fn encode(mut module: QuoteWat<'_>) -> Encoded {
    let quoted = match &module {
        QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..) => {
            return Encoded::Component;
        }
        QuoteWat::Wat(Wat::Module(_)) => false,
        QuoteWat::QuoteModule(..) => true,
    };
    match module.encode() {
        Ok(bytes) => Encoded::Binary(bytes),
        Err(e) => Encoded::Error {
            message: e.message(),
            quoted,
        },
    }
}

/// `module`: must validate.
fn check_valid(module: QuoteWat<'_>) -> Verdict {
    let bytes = match encode(module) {
        Encoded::Binary(bytes) => bytes,
        Encoded::Component => return Verdict::Skipped,
        Encoded::Error { message, .. } => return cannot_encode("valid", &message),
    };
    match validate(&bytes) {
        Outcome::Valid => Verdict::Passed,
        other => failed("valid", other.describe()),
    }
}

/// `assert_malformed`: must be rejected as malformed with the given message.
///
/// A quoted text module (`(module quote ...)`) is malformed as text: when `wast` refuses to
/// encode it, that is the check. When `wast` is more lenient than the spec and encodes it, our
/// decoder must still reject the binary as malformed, whatever its message.
fn check_malformed(module: QuoteWat<'_>, message: &str) -> Verdict {
    let expected = format!("malformed: {message}");
    let quoted = matches!(module, QuoteWat::QuoteModule(..));
    let bytes = match encode(module) {
        Encoded::Binary(bytes) => bytes,
        Encoded::Component => return Verdict::Skipped,
        Encoded::Error { quoted: true, .. } => return Verdict::PassedAtTextLevel,
        Encoded::Error {
            message: why,
            quoted: false,
        } => return cannot_encode(&expected, &why),
    };
    if quoted {
        // The spec's message names a text-format error ("i32 constant out of range", "multiple
        // start sections") that `wast` let through; no binary decoder can say those words, so
        // only the kind is checked.
        return match validate(&bytes) {
            Outcome::Rejected(e) if e.kind == ErrorKind::Malformed => Verdict::PassedKindOnly,
            other => failed(&expected, other.describe()),
        };
    }
    expect_error(&bytes, ErrorKind::Malformed, message, expected)
}

/// `assert_invalid`: must be rejected as invalid with the given message.
fn check_invalid(module: QuoteWat<'_>, message: &str) -> Verdict {
    let expected = format!("invalid: {message}");
    let bytes = match encode(module) {
        Encoded::Binary(bytes) => bytes,
        Encoded::Component => return Verdict::Skipped,
        Encoded::Error { message: why, .. } => return cannot_encode(&expected, &why),
    };
    expect_error(&bytes, ErrorKind::Invalid, message, expected)
}

fn expect_error(bytes: &[u8], kind: ErrorKind, message: &str, expected: String) -> Verdict {
    match validate(bytes) {
        Outcome::Rejected(e) if e.kind == kind && message_matches(message, &e.message) => {
            Verdict::Passed
        }
        other => failed(&expected, other.describe()),
    }
}

fn cannot_encode(expected: &str, why: &str) -> Verdict {
    failed(expected, format!("the test module did not encode: {why}"))
}

fn failed(expected: &str, actual: String) -> Verdict {
    Verdict::Failed {
        expected: expected.to_string(),
        actual,
    }
}

/// What `ssvm_validate::validate` did with a module.
enum Outcome {
    Valid,
    Rejected(Error),
    /// The validator panicked: a bug in it. Holds the panic message.
    Panicked(String),
}

impl Outcome {
    fn describe(self) -> String {
        match self {
            Outcome::Valid => "valid".into(),
            Outcome::Rejected(e) => {
                let kind = match e.kind {
                    ErrorKind::Malformed => "malformed",
                    ErrorKind::Invalid => "invalid",
                };
                format!("{kind}: {e}")
            }
            Outcome::Panicked(message) => format!("PANIC (a validator bug): {message}"),
        }
    }
}

thread_local! {
    /// Set while a validator call runs, so the panic hook captures instead of printing.
    static IN_VALIDATOR: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic inside a validator call.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook that, during validator calls, records the panic (with its location)
/// instead of printing it; other panics go to the previous hook as usual.
pub fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if IN_VALIDATOR.with(Cell::get) {
            PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(info.to_string().replace('\n', " ")));
        } else {
            previous(info);
        }
    }));
}

/// Runs the validator on `bytes`, turning a panic into [`Outcome::Panicked`].
fn validate(bytes: &[u8]) -> Outcome {
    IN_VALIDATOR.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        ssvm_validate::validate(bytes).map(|_| ())
    }));
    IN_VALIDATOR.with(|f| f.set(false));
    match result {
        Ok(Ok(())) => Outcome::Valid,
        Ok(Err(e)) => Outcome::Rejected(e),
        Err(payload) => {
            let message = PANIC_MESSAGE
                .with(|m| m.borrow_mut().take())
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Outcome::Panicked(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(text: &str) -> Vec<(&'static str, usize, Verdict)> {
        run_file(text)
            .into_iter()
            .map(|c| (c.kind, c.line, c.verdict))
            .collect()
    }

    #[test]
    fn valid_modules_pass_and_execution_is_skipped() {
        let text = "(module (func (export \"f\")))\n(assert_return (invoke \"f\"))\n";
        assert_eq!(
            verdicts(text),
            vec![
                ("module", 1, Verdict::Passed),
                ("assert_return", 2, Verdict::Skipped),
            ]
        );
    }

    #[test]
    fn quoted_text_that_does_not_encode_passes_at_text_level() {
        let text = "\n(assert_malformed (module quote \"(func (nop\") \"unexpected token\")";
        assert_eq!(
            verdicts(text),
            vec![("assert_malformed", 2, Verdict::PassedAtTextLevel)]
        );
    }

    #[test]
    fn quoted_text_that_encodes_is_checked_by_kind_only() {
        // `wast` encodes a 2^32-page minimum; the decoder must call the binary malformed.
        let text = r#"(assert_malformed (module quote "(memory 0x1_0000_0000)") "i32 constant out of range")"#;
        assert_eq!(
            verdicts(text),
            vec![("assert_malformed", 1, Verdict::PassedKindOnly)]
        );
        // A quoted module that is in fact a valid binary still fails.
        let valid = r#"(assert_malformed (module quote "(memory 1)") "whatever")"#;
        assert!(matches!(verdicts(valid)[0].2, Verdict::Failed { .. }));
    }

    #[test]
    fn binary_malformed_module_is_checked_by_the_decoder() {
        let text =
            r#"(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")"#;
        assert_eq!(
            verdicts(text),
            vec![("assert_malformed", 1, Verdict::Passed)]
        );
        let wrong = r#"(assert_malformed (module binary "\00asm\02\00\00\00") "magic header not detected")"#;
        match &verdicts(wrong)[0].2 {
            Verdict::Failed { expected, actual } => {
                assert_eq!(expected, "malformed: magic header not detected");
                assert!(
                    actual.starts_with("malformed: unknown binary version"),
                    "{actual}"
                );
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_file_that_does_not_parse_is_one_failure() {
        let v = verdicts("(module)\n(assert_what)");
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].0, v[0].1), ("wast", 2));
        assert!(matches!(v[0].2, Verdict::Failed { .. }));
    }

    #[test]
    fn validate_turns_a_panic_into_an_outcome() {
        install_panic_hook();
        IN_VALIDATOR.with(|f| f.set(true));
        let result = panic::catch_unwind(|| panic!("boom"));
        IN_VALIDATOR.with(|f| f.set(false));
        assert!(result.is_err());
        let message = PANIC_MESSAGE.with(|m| m.borrow_mut().take());
        assert!(message.is_some_and(|m| m.contains("boom")));
    }
}
