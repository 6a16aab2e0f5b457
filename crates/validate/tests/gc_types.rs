//! The GC proposal's type system, without its instructions: struct and array types and their
//! declared subtyping, the `any` hierarchy of abstract heap types, and the subtyping of value
//! types across all four hierarchies, seen through what a module may do with them (globals,
//! results, `ref.null`, `select`, `br_on_null`, tables).

use ssvm_validate::{validate, ErrorKind};

fn check(wat: &str) -> Result<(), ssvm_validate::Error> {
    let buf = wast::parser::ParseBuffer::new(wat).expect("the test module lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("the test module parses");
    validate(&module.encode().expect("the test module encodes")).map(|_| ())
}

fn valid(wat: &str) {
    if let Err(e) = check(wat) {
        panic!("{wat}\nmust be valid: {e}");
    }
}

/// `wat` must be invalid (not unsupported), with a message that starts with `words`.
fn invalid(wat: &str, words: &str) {
    let e = check(wat).expect_err(wat);
    assert_eq!(e.kind, ErrorKind::Invalid, "{wat}: {e}");
    assert!(e.message.starts_with(words), "{wat}: {e}");
}

/// A module whose function returns `from` where `to` is its result type.
fn returns(from: &str, to: &str) -> String {
    format!(
        "(module (type $f (func)) (type $s (struct)) (type $a (array i8))
           (func (param {from}) (result {to}) (local.get 0)))"
    )
}

#[test]
fn the_any_hierarchy_is_a_lattice_with_none_at_the_bottom() {
    let below = [
        ("nullref", "i31ref"),
        ("nullref", "structref"),
        ("nullref", "arrayref"),
        ("nullref", "(ref null $s)"),
        ("nullref", "(ref null $a)"),
        ("nullref", "anyref"),
        ("i31ref", "eqref"),
        ("structref", "eqref"),
        ("arrayref", "eqref"),
        ("eqref", "anyref"),
        ("(ref $s)", "structref"),
        ("(ref $s)", "eqref"),
        ("(ref $s)", "(ref any)"),
        ("(ref $a)", "arrayref"),
        ("(ref i31)", "(ref null i31)"),
        ("(ref none)", "(ref $s)"),
        ("nullfuncref", "(ref null $f)"),
        ("(ref $f)", "funcref"),
        ("nullexternref", "externref"),
        ("nullexnref", "exnref"),
    ];
    for (sub, sup) in below {
        valid(&returns(sub, sup));
    }
    let not_below = [
        ("anyref", "eqref"),
        ("eqref", "i31ref"),
        ("structref", "arrayref"),
        ("i31ref", "structref"),
        ("structref", "(ref null $s)"),
        ("(ref $s)", "arrayref"),
        ("(ref $s)", "(ref $a)"),
        ("(ref $s)", "funcref"),
        ("(ref $f)", "anyref"),
        ("anyref", "externref"),
        ("externref", "anyref"),
        ("nullref", "funcref"),
        ("nullref", "(ref null $f)"),
        ("nullfuncref", "(ref null $s)"),
        ("nullfuncref", "anyref"),
        ("nullexternref", "nullref"),
        ("nullref", "exnref"),
        ("structref", "(ref struct)"),
    ];
    for (sub, sup) in not_below {
        invalid(&returns(sub, sup), "type mismatch");
    }
}

#[test]
fn nulls_of_every_abstract_type_in_globals_tables_and_code() {
    valid(
        "(module
           (type $s (struct (field i32)))
           (global anyref (ref.null any))
           (global anyref (ref.null none))
           (global eqref (ref.null i31))
           (global structref (ref.null $s))
           (global (ref null $s) (ref.null none))
           (global arrayref (ref.null array))
           (global nullref (ref.null none))
           (global nullexnref (ref.null noexn))
           (table 2 anyref)
           (table 1 (ref null $s) (ref.null none))
           (func (result i32) (ref.is_null (ref.null eq)))
           (func (param anyref) (result (ref any))
             (block $null (br_on_null $null (local.get 0)) (return))
             (unreachable))
           (func (param eqref) (result (ref eq)) (ref.as_non_null (local.get 0)))
           (func (param structref arrayref i32) (result eqref)
             (select (result eqref) (local.get 0) (local.get 1) (local.get 2)))
           (func (result anyref) (table.get 0 (i32.const 0))))",
    );
    // A null is of its hierarchy only.
    invalid("(module (global anyref (ref.null func)))", "type mismatch");
    invalid("(module (global funcref (ref.null none)))", "type mismatch");
    // A table of a non-nullable type needs an initial value.
    invalid("(module (table 1 (ref any)))", "type mismatch");
    // Only function references may fill a table through function indices.
    invalid(
        "(module (func $f) (table anyref (elem $f)))",
        "type mismatch",
    );
}

#[test]
fn struct_and_array_subtypes_follow_the_field_rules() {
    let ok = [
        // Width: a subtype may add fields.
        "(type $a (sub (struct (field i32)))) (type (sub $a (struct (field i32) (field i64))))",
        // Depth: an immutable field is covariant.
        "(type $a (sub (struct (field anyref)))) (type (sub $a (struct (field eqref))))",
        "(type $a (sub (array arrayref))) (type (sub $a (array (ref null $a))))",
        // A mutable field is invariant: the same type is fine.
        "(type $a (sub (struct (field (mut i8))))) (type (sub $a (struct (field (mut i8)))))",
        // Supertypes in the same recursion group, declared earlier.
        "(rec (type $a (sub (struct))) (type (sub $a (struct (field (ref $a))))))",
        // A type of the group may name a later one of the same group.
        "(rec (type $a (struct (field (ref null $b)))) (type $b (array (ref null $a))))",
    ];
    for types in ok {
        valid(&format!("(module {types})"));
    }
    let sub_type = [
        // A mutable field may not change type, even to a subtype.
        "(type $a (sub (struct (field (mut anyref))))) (type (sub $a (struct (field (mut eqref)))))",
        // Nor its mutability.
        "(type $a (sub (struct (field i32)))) (type (sub $a (struct (field (mut i32)))))",
        "(type $a (sub (array (mut i32)))) (type (sub $a (array i32)))",
        // An immutable field is not contravariant.
        "(type $a (sub (struct (field eqref)))) (type (sub $a (struct (field anyref))))",
        // A subtype keeps every field.
        "(type $a (sub (struct (field i32) (field i32)))) (type (sub $a (struct (field i32))))",
        // Packed types match only themselves.
        "(type $a (sub (array i8))) (type (sub $a (array i16)))",
        "(type $a (sub (array i8))) (type (sub $a (array i32)))",
        // Of another kind.
        "(type $a (sub (struct))) (type (sub $a (array i32)))",
        "(type $a (sub (func))) (type (sub $a (struct)))",
        "(type $a (sub (array i32))) (type (sub $a (func)))",
        // A final supertype.
        "(type $a (struct)) (type (sub $a (struct)))",
    ];
    for types in sub_type {
        invalid(&format!("(module {types})"), "sub type");
    }
    // A supertype is declared before its subtype; a type index names a type of its group
    // or an earlier one.
    invalid(
        "(module (rec (type (sub 1 (struct))) (type (sub (struct)))))",
        "unknown type",
    );
    invalid(
        "(module (type (struct (field (ref 1)))) (type (struct)))",
        "unknown type",
    );
    invalid("(module (type (array (ref null 5))))", "unknown type");
}

#[test]
fn declared_subtyping_of_structs_carries_to_references() {
    let types = "(type $a (sub (struct (field i32))))
                 (type $b (sub $a (struct (field i32) (field f32))))
                 (type $c (sub final $b (struct (field i32) (field f32) (field i8))))
                 (type $d (struct (field i32) (field f32)))";
    valid(&format!(
        "(module {types} (func (param (ref $c)) (result (ref null $a)) (local.get 0)))"
    ));
    // Same structure without the declaration is no subtype.
    invalid(
        &format!("(module {types} (func (param (ref $d)) (result (ref $a)) (local.get 0)))"),
        "type mismatch",
    );
    // Nor is the way up a way down.
    invalid(
        &format!("(module {types} (func (param (ref $a)) (result (ref $b)) (local.get 0)))"),
        "type mismatch",
    );
}

#[test]
fn struct_types_are_no_function_types() {
    let s = "(type $s (struct)) (type $f (func))";
    for body in [
        "(func (type $s))",
        "(func (call_indirect (type $s) (i32.const 0))) (table 1 funcref)",
        "(func (param (ref $s)) (call_ref $s (local.get 0)))",
        "(func (block (type $s)))",
        "(tag (type $s))",
    ] {
        let wat = format!("(module {s} {body})");
        let e = check(&wat).expect_err(&wat);
        assert_eq!(e.kind, ErrorKind::Invalid, "{wat}: {e}");
    }
}

#[test]
fn struct_types_take_part_in_type_equivalence() {
    // Groups of the same shape are the same types, across groups of one module.
    valid(
        "(module
           (rec (type $f1 (func)) (type (struct (field (ref $f1)))))
           (rec (type $f2 (func)) (type (struct (field (ref $f2)))))
           (func $f (type $f2))
           (global (ref $f1) (ref.func $f)))",
    );
    // A different field, a different position, or a different mutability: different types.
    for (g1, g2) in [
        ("(struct (field i32))", "(struct (field i64))"),
        ("(struct (field i32))", "(struct (field (mut i32)))"),
        ("(array i8)", "(array i16)"),
        ("(array i8)", "(struct (field i8))"),
    ] {
        invalid(
            &format!(
                "(module (rec (type $f1 (func)) (type {g1})) (rec (type $f2 (func)) (type {g2}))
                   (func $f (type $f2)) (global (ref $f1) (ref.func $f)))"
            ),
            "type mismatch",
        );
    }
}
