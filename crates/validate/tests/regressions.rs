//! Modules on which our validator and wasmparser (Wasm 2.0 features) once disagreed, shrunk by
//! the differential test (`tests/differential.rs`), which prints a ready-to-paste entry for this
//! file. Each test asserts that both validators now agree on whether the module is valid; the
//! hand-written ones also name the error ours must give.

mod common;

use ssvm_validate::ErrorKind;

macro_rules! regression {
    ($name:ident, $hex:expr) => {
        #[test]
        fn $name() {
            common::assert_agrees(stringify!($name), &common::unhex($hex));
        }
    };
    ($name:ident, $hex:expr, $kind:expr, $message:expr) => {
        #[test]
        fn $name() {
            let bytes = common::unhex($hex);
            common::assert_agrees(stringify!($name), &bytes);
            let e = ssvm_validate::validate(&bytes).expect_err("rejected");
            assert_eq!((e.kind, e.message.as_str()), ($kind, $message), "{e}");
        }
    };
}

// Examples of the format (no disagreement was found so far): the empty module, and a function
// `[] -> [i32]` whose body is `i64.const 0`.
regression!(empty_module, "0061736d01000000");
regression!(
    result_type_mismatch,
    concat!(
        "0061736d01000000",
        "0105016000017f",   // type 0: [] -> [i32]
        "03020100",         // function 0 of type 0
        "0a0601040042000b"  // body: no locals, i64.const 0, end
    ),
    ErrorKind::Invalid,
    "type mismatch"
);

// A `select` with 11 result types: invalid in Wasm 2.0 (only one is allowed), which wasmparser
// reports as "select types size is out of bounds", a message that once passed for an
// implementation limit and excused any verdict of ours.
regression!(
    select_with_eleven_types,
    concat!(
        "0061736d01000000",
        "0105016000017f",               // type 0: [] -> [i32]
        "03020100",                     // function 0 of type 0
        "0a170115",                     // one body of 21 bytes
        "00410041004100",               // no locals, three i32.const 0
        "1c0b7f7f7f7f7f7f7f7f7f7f7f0b"  // select (result i32 x 11), end
    ),
    ErrorKind::Invalid,
    "invalid result arity"
);

#[test]
fn only_limits_of_the_implementation_are_exempt() {
    for limit in [
        "function params size is out of bounds",
        "function returns size is out of bounds",
        "br_table size is out of bounds",
        "locals count exceeds limit of 50000",
    ] {
        assert!(common::is_implementation_limit(limit), "{limit}");
    }
    for rule in [
        "select types size is out of bounds",
        "type mismatch",
        "invalid result arity",
    ] {
        assert!(!common::is_implementation_limit(rule), "{rule}");
    }
}
