//! What the spec-test runner shares with other test tools: the `spectest` module the official
//! suites import (the metering oracle links it too).

use ssvm_runtime::{
    Extern, FuncType, Global, GlobalType, Limits, Linker, Memory, RefType, Store, Table, TableType,
    Val, ValType,
};

/// Defines the `spectest` module the suites import: print functions that do nothing, four
/// immutable globals of value 666 (666.6 for floats), a funcref table of 10 to 20 elements and a
/// memory of 1 to 2 pages.
///
/// Should the runtime refuse one of them, it is left out and the modules importing it fail with
/// "unknown import", which names it.
pub fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType {
            params: params.into(),
            results: Box::new([]),
        };
        linker.func_new("spectest", name, ty, |_, _, _| Ok(()));
    }
    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::F32(666.6f32.to_bits())),
        ("global_f64", Val::F64(666.6f64.to_bits())),
    ];
    for (name, value) in globals {
        let ty = GlobalType {
            content: value.ty(),
            mutable: false,
        };
        if let Ok(g) = Global::new(store, ty, value) {
            linker.define("spectest", name, Extern::Global(g));
        }
    }
    let table = TableType {
        element: RefType::FUNCREF,
        limits: Limits::new(10, Some(20)),
    };
    if let Ok(t) = Table::new(store, table) {
        linker.define("spectest", "table", Extern::Table(t));
    }
    if let Ok(m) = Memory::new(store, 1, Some(2)) {
        linker.define("spectest", "memory", Extern::Memory(m));
    }
}
