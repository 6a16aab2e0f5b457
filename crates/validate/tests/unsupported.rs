//! Modules valid only with a proposal ssvm-lite does not implement are rejected with
//! `ErrorKind::Unsupported`, a message that names the proposal, and (where the Wasm 2.0 tests
//! check such a module) the spec's words first.

use ssvm_validate::{validate, Error, ErrorKind};

/// The error of validating the text module `wat`, which must be rejected.
fn error(wat: &str) -> Error {
    let buf = wast::parser::ParseBuffer::new(wat).expect("the test module lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("the test module parses");
    let bytes = module.encode().expect("the test module encodes");
    validate(&bytes).expect_err("the module must be rejected")
}

#[test]
fn decoder_errors_of_proposals_are_unsupported() {
    // The legacy encoding of exception handling (`try_table` replaced it): illegal in Wasm 3.0.
    let e = error("(module (func try end))");
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
    assert!(
        e.message.starts_with(
            "illegal opcode: the legacy exception-handling proposal is not supported (try)"
        ),
        "{e}"
    );
    // The current encoding is valid.
    let buf = wast::parser::ParseBuffer::new(
        "(module (tag $e (param i32)) (func (result i32)
           (block $h (result i32) (try_table (catch $e $h) (throw $e (i32.const 1)))
             (i32.const 0))))",
    )
    .expect("lexes");
    let bytes = wast::parser::parse::<wast::Wat>(&buf)
        .expect("parses")
        .encode()
        .expect("encodes");
    validate(&bytes).expect("valid with exception handling");
    // The GC proposal's types are valid (crates/validate/tests/gc_types.rs), its
    // instructions stay unsupported, in bodies and in constant expressions.
    for (wat, what) in [
        (
            "(module (type $s (struct)) (func (drop (struct.new $s))))",
            "an instruction with the 0xFB prefix",
        ),
        (
            "(module (func (param anyref) (drop (ref.test i31ref (local.get 0)))))",
            "an instruction with the 0xFB prefix",
        ),
        (
            "(module (func (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1))))",
            "ref.eq",
        ),
        (
            "(module (global i31ref (ref.i31 (i32.const 1))))",
            "an instruction with the 0xFB prefix",
        ),
    ] {
        let e = error(wat);
        assert_eq!(e.kind, ErrorKind::Unsupported, "{e}");
        let message = format!("the GC proposal is not supported ({what})");
        assert!(e.message.contains(&message), "{wat}: {e}");
    }
}

#[test]
fn typed_function_references_are_valid_and_typed() {
    let module = |wat: &str| {
        let buf = wast::parser::ParseBuffer::new(wat).expect("lexes");
        let mut m = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
        validate(&m.encode().expect("encodes")).map(|_| ())
    };
    module(
        "(module (type $t (func (result i32)))
           (func $f (type $t) (i32.const 1)) (elem declare func $f)
           (func (result i32) (call_ref $t (ref.as_non_null (ref.func $f))))
           (func (param (ref null $t)) (result i32)
             (block $null (br_on_null $null (local.get 0)) (return (call_ref $t)))
             (i32.const 0)))",
    )
    .expect("call_ref, br_on_null and ref.as_non_null are valid");
    // A non-nullable local must be set before it is read, on every path.
    let e = module(
        "(module (func (param funcref) (local (ref func))
           (block (local.set 1 (ref.as_non_null (local.get 0)))) (drop (local.get 1))))",
    )
    .expect_err("a local set only inside a block is unset after it");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Invalid, "uninitialized local")
    );
    // A nullable reference is not a non-nullable one.
    let e = module("(module (func (param funcref) (result (ref func)) (local.get 0)))")
        .expect_err("funcref is not (ref func)");
    assert_eq!(e.message, "type mismatch");
    // A table of a non-nullable type needs an initial value.
    let e = module("(module (table 1 (ref func)))").expect_err("no initial value");
    assert_eq!(e.message, "type mismatch");
}

#[test]
fn a_malformed_body_is_still_malformed() {
    // One body breaks the binary format (an illegal opcode), no proposal's.
    let bytes = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0\x0a\x05\x01\x03\0\x27\x0b";
    let e = validate(bytes).expect_err("malformed");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Malformed, "illegal opcode 27")
    );
}

#[test]
fn several_memories_are_valid_and_each_memory_index_is_checked() {
    // Multi-memory is implemented: what used to be unsupported here is valid, or invalid for
    // the reason Wasm 3.0 gives.
    let bytes = |wat: &str| {
        let buf = wast::parser::ParseBuffer::new(wat).expect("the test module lexes");
        let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("the test module parses");
        module.encode().expect("the test module encodes")
    };
    let two = r#"(module (import "m" "a" (memory 1)) (memory 1) (memory 1)
        (func (drop (i32.load 2 (i32.const 0))) (memory.copy 0 2 (i32.const 0) (i32.const 0) (i32.const 0))))"#;
    validate(&bytes(two)).expect("three memories, each used");
    let e = error("(module (memory 1) (func (drop (i32.load 1 (i32.const 0)))))");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Invalid, "unknown memory 1")
    );
    let e = error("(module (memory 1) (func (drop (memory.grow 1 (i32.const 0)))))");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Invalid, "unknown memory 1")
    );
}

#[test]
fn integer_arithmetic_in_constant_expressions_is_valid_and_typed() {
    let ok = |wat: &str| {
        let buf = wast::parser::ParseBuffer::new(wat).expect("the test module lexes");
        let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("the test module parses");
        let bytes = module.encode().expect("encodes");
        validate(&bytes).map(drop)
    };
    ok("(module (global i64 (i64.mul (i64.const 2) (i64.sub (i64.const 3) (i64.const 1)))))")
        .expect("extended-const arithmetic is valid");
    let e = error("(module (global i64 (i64.add (i32.const 2) (i64.const 3))))");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Invalid, "type mismatch")
    );
    let e = error("(module (global i32 (i32.add (i32.const 2))))");
    assert_eq!(e.message, "type mismatch");
    // Other instructions are not constant in any proposal.
    let e = error("(module (global i32 (i32.div_s (i32.const 2) (i32.const 1))))");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (ErrorKind::Invalid, "constant expression required")
    );
}
