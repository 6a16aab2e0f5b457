//! Modules on which our validator and wasmparser (Wasm 2.0 features) once disagreed, shrunk by
//! the differential test (`tests/differential.rs`), which prints a ready-to-paste entry for this
//! file. Each test asserts that both validators now agree on whether the module is valid.

mod common;

macro_rules! regression {
    ($name:ident, $hex:expr) => {
        #[test]
        fn $name() {
            common::assert_agrees(stringify!($name), &common::unhex($hex));
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
        "010501600001",
        "7f030201000a",
        "06010400420b"
    )
);
