//! Runs the directives of one `.wast` file: module checks against the decoder and validator,
//! and execution against the runtime (see `script.rs`).

use crate::matcher::message_matches;
use crate::report::{Checked, Verdict};
use crate::script::Script;
use ssvm_validate::{Error, ErrorKind};
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

/// Parses `text` (a whole `.wast` file) and checks each of its directives, in order, with one
/// store for the whole file.
///
/// A file that does not parse gives one failed `wast` entry.
///
/// With `metered`, modules are compiled with metering (every instruction priced 1, no limit):
/// metered code must behave exactly like unmetered code. With `eager`, every function is compiled
/// at load, so that the lowering of functions a script never calls is run too.
pub fn run_file(text: &str, metered: bool, eager: bool) -> Vec<Checked> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => return vec![parse_failure(e, text)],
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(wast) => wast,
        Err(e) => return vec![parse_failure(e, text)],
    };
    let mut script = match guarded(|| Script::new(metered, eager)) {
        Ok(script) => script,
        Err(panic) => {
            return vec![Checked {
                kind: "wast",
                line: 1,
                verdict: failed("a store with the spectest module", panic_text(&panic)),
            }]
        }
    };
    wast.directives
        .into_iter()
        .map(|d| check_directive(d, text, &mut script))
        .collect()
}

fn parse_failure(mut e: wast::Error, text: &str) -> Checked {
    e.set_text(text);
    Checked {
        kind: "wast",
        line: e.span().linecol_in(text).0 + 1,
        verdict: Verdict::Failed {
            expected: "a .wast file that parses".into(),
            actual: format!("wast parse error: {}", e.message()),
        },
    }
}

/// Checks one directive. A panic anywhere in it (the runtime is young) is caught and reported as
/// the directive's failure.
fn check_directive(directive: WastDirective<'_>, text: &str, script: &mut Script) -> Checked {
    let line = directive.span().linecol_in(text).0 + 1;
    let kind = directive_kind(&directive);
    let verdict = guarded(AssertUnwindSafe(|| verdict(directive, line, script)))
        .unwrap_or_else(|panic| failed("no panic", panic_text(&panic)));
    Checked {
        kind,
        line,
        verdict,
    }
}

fn panic_text(message: &str) -> String {
    format!("PANIC (a runtime or runner bug): {message}")
}

fn verdict(directive: WastDirective<'_>, line: usize, script: &mut Script) -> Verdict {
    match directive {
        WastDirective::Module(module) => {
            let name = module.name();
            script.module(line, name, encode(module))
        }
        WastDirective::ModuleDefinition(module) => {
            let name = module.name();
            script.module_definition(line, name, encode(module))
        }
        WastDirective::ModuleInstance {
            instance, module, ..
        } => script.module_instance(line, instance, module),
        WastDirective::AssertMalformed {
            module, message, ..
        } => check_malformed(module, message),
        WastDirective::AssertInvalid {
            module, message, ..
        } => check_invalid(module, message),
        WastDirective::Register { name, module, .. } => script.register(name, module),
        WastDirective::Invoke(call) => script.invoke(&call),
        WastDirective::AssertTrap {
            exec: WastExecute::Wat(module),
            message,
            ..
        } => script.assert_uninstantiable(encode(QuoteWat::Wat(module)), message),
        WastDirective::AssertTrap { exec, message, .. } => script.assert_trap(&exec, message),
        WastDirective::AssertReturn { exec, results, .. } => script.assert_return(&exec, &results),
        WastDirective::AssertExhaustion { call, message, .. } => {
            script.assert_trap(&WastExecute::Invoke(call), message)
        }
        WastDirective::AssertUnlinkable {
            module, message, ..
        } => script.assert_unlinkable(encode(QuoteWat::Wat(module)), message),
        WastDirective::AssertException { exec, .. } => script.assert_exception(&exec),
        WastDirective::AssertInvalidCustom { .. }
        | WastDirective::AssertMalformedCustom { .. }
        | WastDirective::AssertSuspension { .. }
        | WastDirective::Thread(_)
        | WastDirective::Wait { .. } => Verdict::Skipped,
    }
}

/// The name a directive is tallied under.
fn directive_kind(directive: &WastDirective<'_>) -> &'static str {
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
pub enum Encoded {
    Binary(Vec<u8>),
    /// A component: outside what ssvm-lite runs.
    Component,
    /// The text did not encode; `quoted` says whether it was `(module quote ...)` text.
    Error {
        message: String,
        quoted: bool,
    },
}

pub fn encode(mut module: QuoteWat<'_>) -> Encoded {
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
        // A later proposal's encoding says nothing about the text: not known, skipped; but an
        // opcode that is illegal in Wasm 3.0 (legacy exception handling, whose error starts
        // with those words) is malformed there.
        return match validate(&bytes) {
            Outcome::Rejected(e) if e.kind == ErrorKind::Malformed => Verdict::PassedKindOnly,
            Outcome::Rejected(e)
                if e.kind == ErrorKind::Unsupported && e.message.starts_with("illegal opcode") =>
            {
                Verdict::PassedKindOnly
            }
            Outcome::Rejected(e) if e.kind == ErrorKind::Unsupported => Verdict::SkippedUnsupported,
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

/// A module rejected as unsupported (a later proposal's encoding) passes when its message
/// starts with the expected words: for Wasm 2.0 such bytes are malformed or invalid, and ours
/// keeps the spec's words before naming the proposal. With other words it is skipped as
/// unsupported: whether the module is malformed or invalid in that proposal is not known.
fn expect_error(bytes: &[u8], kind: ErrorKind, message: &str, expected: String) -> Verdict {
    match validate(bytes) {
        Outcome::Rejected(e)
            if (e.kind == kind || e.kind == ErrorKind::Unsupported)
                && message_matches(message, &e.message) =>
        {
            Verdict::Passed
        }
        Outcome::Rejected(e) if e.kind == ErrorKind::Unsupported => Verdict::SkippedUnsupported,
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
                format!("{}: {e}", kind_name(e.kind))
            }
            Outcome::Panicked(message) => format!("PANIC (a validator bug): {message}"),
        }
    }
}

/// An error kind in one word, as failures are described: `malformed: ...`.
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Malformed => "malformed",
        ErrorKind::Invalid => "invalid",
        ErrorKind::Unsupported => "unsupported",
    }
}

thread_local! {
    /// How many [`guarded`] calls are running, so the panic hook captures instead of printing.
    static GUARDS: Cell<u32> = const { Cell::new(0) };
    /// The message of the last panic inside a guarded call.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook that, during [`guarded`] calls, records the panic (with its location)
/// instead of printing it; other panics go to the previous hook as usual.
pub fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if GUARDS.with(Cell::get) > 0 {
            PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(info.to_string().replace('\n', " ")));
        } else {
            previous(info);
        }
    }));
}

/// Runs `f`, turning a panic into `Err` with the panic's message (and location, when the hook of
/// [`install_panic_hook`] is installed).
pub fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    GUARDS.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDS.with(|g| g.set(g.get() - 1));
    result.map_err(|payload| {
        PANIC_MESSAGE
            .with(|m| m.borrow_mut().take())
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into())
    })
}

/// Runs the validator on `bytes`, turning a panic into [`Outcome::Panicked`].
fn validate(bytes: &[u8]) -> Outcome {
    match guarded(|| ssvm_validate::validate(bytes).map(|_| ())) {
        Ok(Ok(())) => Outcome::Valid,
        Ok(Err(e)) => Outcome::Rejected(e),
        Err(message) => Outcome::Panicked(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(text: &str) -> Vec<(&'static str, usize, Verdict)> {
        run_file(text, false, false)
            .into_iter()
            .map(|c| (c.kind, c.line, c.verdict))
            .collect()
    }

    fn passed(v: &[(&'static str, usize, Verdict)]) -> Vec<bool> {
        v.iter().map(|(_, _, v)| *v == Verdict::Passed).collect()
    }

    #[test]
    fn an_unsupported_rejection_passes_with_the_spec_words_and_is_skipped_without() {
        // A shared memory: "integer too large" in Wasm 2.0, the threads proposal's otherwise.
        let right = r#"(assert_malformed (module binary "\00asm\01\00\00\00" "\05\04\01\03\01\01") "integer too large")"#;
        assert_eq!(
            verdicts(right),
            vec![("assert_malformed", 1, Verdict::Passed)]
        );
        let other = r#"(assert_malformed (module binary "\00asm\01\00\00\00" "\05\04\01\03\01\01") "unexpected end")"#;
        assert_eq!(
            verdicts(other),
            vec![("assert_malformed", 1, Verdict::SkippedUnsupported)]
        );
        // A module that needs a proposal (a shared memory, threads) is skipped, not failed.
        let module = r#"(module binary "\00asm\01\00\00\00" "\05\04\01\03\01\01")"#;
        assert_eq!(
            verdicts(module),
            vec![("module", 1, Verdict::SkippedUnsupported)]
        );
    }

    #[test]
    fn modules_instantiate_and_functions_run() {
        let text = r#"(module (func (export "f")))
(assert_return (invoke "f"))
(module $m (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_return (invoke $m "add" (i32.const -1) (i32.const 1)) (i32.const 0))
(invoke "add" (i32.const 1) (i32.const 1))
"#;
        let v = verdicts(text);
        assert_eq!(
            v.iter().map(|(k, l, _)| (*k, *l)).collect::<Vec<_>>(),
            vec![
                ("module", 1),
                ("assert_return", 2),
                ("module", 3),
                ("assert_return", 5),
                ("assert_return", 6),
                ("invoke", 7),
            ]
        );
        assert_eq!(passed(&v), vec![true; 6], "{v:?}");
    }

    #[test]
    fn a_wrong_result_fails_with_both_values() {
        let text = r#"(module (func (export "one") (result i32) i32.const 1))
(assert_return (invoke "one") (i32.const 2))"#;
        assert_eq!(
            verdicts(text)[1].2,
            Verdict::Failed {
                expected: "i32:2".into(),
                actual: "i32:1".into()
            }
        );
    }

    #[test]
    fn traps_are_checked_by_message() {
        let text = r#"(module (func (export "u") unreachable)
  (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_u))
(assert_trap (invoke "u") "unreachable")
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0)) "unreachable")
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")"#;
        let v = verdicts(text);
        assert_eq!(passed(&v), vec![true, true, true, false, false], "{v:?}");
        assert_eq!(
            v[4].2,
            Verdict::Failed {
                expected: "trap: integer divide by zero".into(),
                actual: "returned i32:1".into()
            }
        );
    }

    #[test]
    fn spectest_imports_and_registered_instances_link() {
        let text = r#"(module
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (global (export "g") i32 (global.get 0))
  (func (export "p") i32.const 7 call 0))
(assert_return (get "g") (i32.const 666))
(assert_return (invoke "p"))
(register "M")
(module (import "M" "g" (global i32)) (global (export "h") i32 (global.get 0)))
(assert_return (get "h") (i32.const 666))
(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "M" "g" (global i64))) "incompatible import type")"#;
        let v = verdicts(text);
        assert_eq!(passed(&v), vec![true; 8], "{v:?}");
    }

    #[test]
    fn exhaustion_and_unlinkable_fail_when_nothing_goes_wrong() {
        let text = r#"(module (func $f (export "f") call $f) (func (export "g")))
(assert_exhaustion (invoke "f") "call stack exhausted")
(assert_exhaustion (invoke "g") "call stack exhausted")
(assert_unlinkable (module (import "spectest" "print" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print" (func (param i32)))) "unknown import")"#;
        let v = verdicts(text);
        assert_eq!(passed(&v), vec![true, true, false, false, false], "{v:?}");
        assert_eq!(v[1].0, "assert_exhaustion");
        assert_eq!(
            v[3].2,
            Verdict::Failed {
                expected: "link error: unknown import".into(),
                actual: "instantiated".into()
            }
        );
        // An incompatible import is not an unknown one.
        assert!(
            matches!(&v[4].2, Verdict::Failed { actual, .. } if actual.contains("incompatible"))
        );
    }

    #[test]
    fn an_uninstantiable_module_traps_at_its_start() {
        let text = r#"(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_trap (module (func $s) (start $s)) "unreachable")"#;
        let v = verdicts(text);
        assert_eq!(v[0], ("assert_uninstantiable", 1, Verdict::Passed));
        assert!(matches!(v[1].2, Verdict::Failed { .. }));
    }

    #[test]
    fn directives_on_a_module_that_failed_fail_without_running() {
        let text = r#"(module (func (export "f")))
(module (import "spectest" "nope" (func)) (func (export "f")))
(assert_return (invoke "f"))"#;
        let v = verdicts(text);
        assert!(matches!(v[1].2, Verdict::Failed { .. }));
        assert_eq!(
            v[2].2,
            Verdict::Failed {
                expected: "nothing".into(),
                actual: "not run: the module directive of line 2 failed".into()
            }
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
        // `wast` encodes a 2^32-page minimum, which Wasm 3.0 reads (a u64) and calls invalid,
        // not malformed: the kind differs, so it fails (wasm-v2 memory.wast lists these in
        // superseded.rs).
        let text = r#"(assert_malformed (module quote "(memory 0x1_0000_0000)") "i32 constant out of range")"#;
        assert!(matches!(verdicts(text)[0].2, Verdict::Failed { .. }));
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
    fn guarded_turns_a_panic_into_its_message() {
        install_panic_hook();
        let result: Result<(), String> = guarded(|| panic!("boom"));
        assert!(result.is_err_and(|m| m.contains("boom")));
        let nested = guarded(|| guarded(|| panic!("inner")).map(|()| 1));
        assert!(nested.is_ok_and(|inner| inner.is_err_and(|m| m.contains("inner"))));
        assert_eq!(guarded(|| 5), Ok(5));
    }
}
