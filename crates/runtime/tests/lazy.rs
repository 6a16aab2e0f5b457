//! Lazy compilation (`Config::lazy_compilation`, the default): bodies are validated at load and
//! lowered on their first call. What a user sees must not change: the same load errors, the same
//! results, gas, histograms and gas profiles as compiling everything at load.

mod common;
use common::wat;
use ssvm_runtime::{Config, CostTable, Engine, Linker, Module, Store, Val};
use std::sync::Arc;

fn engine(lazy: bool, metered: bool, traced: bool) -> Engine {
    Engine::new(Config {
        lazy_compilation: lazy,
        cost_table: metered.then(|| Arc::new(CostTable::default_table())),
        histogram: traced,
        gas_profile: traced,
        ..Config::default()
    })
}

fn load_error(lazy: bool, text: &str) -> String {
    match Module::new(&engine(lazy, false, false), &wat(text)) {
        Ok(_) => "loaded".into(),
        Err(e) => e.to_string(),
    }
}

/// Mutual recursion, an indirect call and a function never called.
const PROGRAM: &str = r#"
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $even $odd)
  (func $even (type $t)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 1
    else
      local.get 0
      i32.const 1
      i32.sub
      i32.const 1
      call_indirect (type $t)
    end)
  (func $odd (type $t)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0
      i32.const 1
      i32.sub
      call $even
    end)
  (func $never (result i32)
    i32.const 1
    i32.const 0
    i32.div_u)
  (func (export "run") (param i32) (result i32)
    local.get 0
    call $even))
"#;

fn run(engine: &Engine, module: &Module, n: i32) -> (Val, u64, Vec<(String, u64)>, String) {
    let mut store = Store::new(engine, ());
    store.set_gas_limit(u64::MAX);
    let instance = Linker::new()
        .instantiate(&mut store, module)
        .expect("instantiates");
    let f = instance.get_func(&store, "run").expect("exported");
    let mut results = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(n)], &mut results)
        .expect("returns");
    let histogram = format!("{:?}", store.histogram());
    (results[0], store.gas_used(), store.gas_profile(), histogram)
}

#[test]
fn lazy_and_eager_runs_are_the_same() {
    for (metered, traced) in [(false, false), (true, false), (true, true)] {
        let eager = engine(false, metered, traced);
        let lazy = engine(true, metered, traced);
        let bytes = wat(PROGRAM);
        let eager_module = Module::new(&eager, &bytes).expect("loads");
        let lazy_module = Module::new(&lazy, &bytes).expect("loads");
        for n in [0, 1, 7, 100] {
            let a = run(&eager, &eager_module, n);
            let b = run(&lazy, &lazy_module, n);
            assert_eq!(a, b, "n = {n}, metered {metered}, traced {traced}");
        }
        if metered {
            assert!(run(&lazy, &lazy_module, 7).1 > 0);
        }
    }
}

#[test]
fn a_module_is_compiled_once_for_all_its_instances_and_threads() {
    let engine = engine(true, true, false);
    let module = Module::new(&engine, &wat(PROGRAM)).expect("loads");
    let expected = run(&engine, &module, 25);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || run(&engine, &module, 25))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("no panic"), expected);
    }
}

#[test]
fn invalid_bodies_are_refused_at_load_even_when_never_called() {
    let invalid = r#"(module (func (export "ok")) (func (result i32) i64.const 1))"#;
    assert_eq!(load_error(true, invalid), load_error(false, invalid));
    assert!(load_error(true, invalid).contains("type mismatch"));
}

/// A module of one exported function of type `[] -> []` declaring `locals` i32 locals, encoded
/// by hand (the text format spells each local out).
fn with_locals(locals: u32) -> Vec<u8> {
    let mut count = Vec::new();
    let mut n = locals;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            count.push(byte);
            break;
        }
        count.push(byte | 0x80);
    }
    let mut body = vec![1];
    body.extend_from_slice(&count);
    body.extend_from_slice(&[0x7f, 0x0b]);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type section: [] -> []
    m.extend_from_slice(&[3, 2, 1, 0]); // function section: one function of type 0
    m.extend_from_slice(&[7, 5, 1, 1, b'f', 0, 0]); // export "f"
    m.extend_from_slice(&[10, body.len() as u8 + 2, 1, body.len() as u8]);
    m.extend_from_slice(&body);
    m
}

#[test]
fn a_function_too_large_for_a_frame_is_refused_at_load() {
    let error = |lazy: bool, locals: u32| match Module::new(
        &engine(lazy, false, false),
        &with_locals(locals),
    ) {
        Ok(_) => "loaded".to_string(),
        Err(e) => e.to_string(),
    };
    assert_eq!(error(true, 20_000_000), error(false, 20_000_000));
    assert!(error(true, 20_000_000).contains("exceeds the interpreter's limit"));
    assert_eq!(error(true, 1000), "loaded");
}

/// A module of more than a megabyte of code (validated on several threads when the engine
/// allows it), whose function `bad` (if any) is invalid.
fn large_module(bad: Option<usize>) -> Vec<u8> {
    let mut text = String::from("(module\n");
    for i in 0..3000 {
        text.push_str(&format!("(func $f{i} (export \"f{i}\") (result i32)\n"));
        for _ in 0..60 {
            text.push_str("i32.const 1 i32.const 2 i32.add drop\n");
        }
        text.push_str(if bad == Some(i) {
            "i64.const 1)\n"
        } else {
            "i32.const 7)\n"
        });
    }
    text.push(')');
    wat(&text)
}

#[test]
fn large_modules_validate_on_threads_with_the_same_verdict() {
    let engines = [true, false].map(|parallel| {
        Engine::new(Config {
            parallel_compilation: parallel,
            ..Config::default()
        })
    });
    for bad in [None, Some(0), Some(1700), Some(2999)] {
        let bytes = large_module(bad);
        assert!(bytes.len() > 1 << 20, "{} bytes", bytes.len());
        let verdicts = engines
            .clone()
            .map(|engine| match Module::new(&engine, &bytes) {
                Ok(module) => {
                    let mut store = Store::new(&engine, ());
                    let instance = Linker::new()
                        .instantiate(&mut store, &module)
                        .expect("instantiates");
                    let f = instance.get_func(&store, "f2999").expect("exported");
                    let mut results = [Val::I32(0)];
                    f.call(&mut store, &[], &mut results).expect("returns");
                    format!("{:?}", results[0])
                }
                Err(e) => e.to_string(),
            });
        assert_eq!(verdicts[0], verdicts[1], "bad function {bad:?}");
        match bad {
            None => assert_eq!(verdicts[0], "I32(7)"),
            Some(i) => assert!(
                verdicts[0].contains("type mismatch"),
                "{i}: {}",
                verdicts[0]
            ),
        }
    }
}
