//! Embedding ssvm-lite: a host function written as a Rust closure, imported by a module, and a
//! typed call of the module's export.
//!
//! Run it with `cargo run --release -p ssvm-runtime --example host_function`.

use ssvm_runtime::{Engine, FuncType, Linker, Module, Store, Val, ValType};

/// The module. ssvm-lite runs binary modules; the example writes it as text and encodes it with
/// the `wast` crate (a dev-dependency) to stay readable.
const MODULE: &str = r#"
(module
  (import "host" "log" (func $log (param i32)))
  (func (export "sum_to") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $log (local.get $acc))
    (local.get $acc)))
"#;

fn wasm(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("the example's text lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("the example's text parses");
    module.encode().expect("the example's text encodes")
}

fn main() -> Result<(), ssvm_runtime::Error> {
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm(MODULE))?;

    // The store's data is what host functions can reach: here, the values logged so far.
    let mut store = Store::new(&engine, Vec::<i32>::new());
    let mut linker = Linker::<Vec<i32>>::new();
    let log_type = FuncType {
        params: Box::new([ValType::I32]),
        results: Box::new([]),
    };
    linker.func_new("host", "log", log_type, |mut caller, args, _results| {
        if let Val::I32(v) = args[0] {
            caller.data_mut().push(v);
        }
        Ok(())
    });

    let instance = linker.instantiate(&mut store, &module)?;
    let sum_to = instance.get_typed_func::<i32, i32, _>(&store, "sum_to")?;
    let total = sum_to.call(&mut store, 100)?;
    println!("sum_to(100) = {total}; the host saw {:?}", store.data());
    assert_eq!(total, 5050);
    assert_eq!(store.data(), &[5050]);
    Ok(())
}
