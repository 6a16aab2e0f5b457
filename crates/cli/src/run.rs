//! `ssvm-lite run` and `ssvm-lite compile --dump-ir`.

use crate::{
    print_err, EXIT_BAD_MODULE, EXIT_OK, EXIT_TRAP, EXIT_UNINSTANTIABLE, EXIT_USAGE_OR_IO,
};
use ssvm_runtime::{Engine, Error, Linker, Module, Store, Val, ValType};
use std::io::Write;
use std::path::Path;

/// Reads and compiles `file`, or says why not and gives the exit code.
fn load(engine: &Engine, file: &Path) -> Result<Module, u8> {
    let bytes = std::fs::read(file).map_err(|e| {
        print_err(&format!("error: cannot read {}: {e}", file.display()));
        EXIT_USAGE_OR_IO
    })?;
    Module::new(engine, &bytes).map_err(|e| {
        print_err(&format!("error: {e}"));
        EXIT_BAD_MODULE
    })
}

/// Parses a command-line argument as a value of type `ty`.
pub fn parse_value(text: &str, ty: ValType) -> Result<Val, String> {
    fn int(text: &str) -> Option<i128> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let value = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => digits.parse::<i128>().ok()?,
        };
        Some(if negative { -value } else { value })
    }
    let bad = || format!("`{text}` is not a valid {ty}");
    match ty {
        ValType::I32 => match int(text) {
            Some(v) if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) => {
                Ok(Val::I32(v as i64 as i32))
            }
            _ => Err(bad()),
        },
        ValType::I64 => match int(text) {
            Some(v) if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v) => {
                Ok(Val::I64(v as i64))
            }
            _ => Err(bad()),
        },
        ValType::F32 => text
            .parse::<f32>()
            .map(|f| Val::F32(f.to_bits()))
            .map_err(|_| bad()),
        ValType::F64 => text
            .parse::<f64>()
            .map(|f| Val::F64(f.to_bits()))
            .map_err(|_| bad()),
        other => Err(format!(
            "parameters of type {other} cannot be given on the command line"
        )),
    }
}

/// `ssvm-lite run [--invoke NAME] FILE ARGS...`.
pub fn run(invoke: Option<&str>, file: &Path, args: &[String]) -> u8 {
    let engine = Engine::default();
    let module = match load(&engine, file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let mut store = Store::new(&engine, ());
    let instance = match Linker::new().instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(Error::Trap(t)) => {
            print_err(&format!("error: trap: {t}"));
            return EXIT_TRAP;
        }
        Err(e) => {
            print_err(&format!(
                "error: cannot instantiate {}: {e}",
                file.display()
            ));
            return EXIT_UNINSTANTIABLE;
        }
    };
    let name = invoke.unwrap_or("_start");
    let Some(func) = instance.get_func(&store, name) else {
        print_err(&format!(
            "error: {} exports no function named `{name}`",
            file.display()
        ));
        return EXIT_USAGE_OR_IO;
    };
    let ty = func.ty(&store).clone();
    if args.len() != ty.params.len() {
        print_err(&format!(
            "error: `{name}` takes {} arguments ({ty}), {} given",
            ty.params.len(),
            args.len()
        ));
        return EXIT_USAGE_OR_IO;
    }
    let mut values = Vec::with_capacity(args.len());
    for (text, &t) in args.iter().zip(ty.params.iter()) {
        match parse_value(text, t) {
            Ok(v) => values.push(v),
            Err(e) => {
                print_err(&format!("error: {e}"));
                return EXIT_USAGE_OR_IO;
            }
        }
    }
    let mut results: Vec<Val> = ty.results.iter().map(|&t| Val::default_for(t)).collect();
    match func.call(&mut store, &values, &mut results) {
        Ok(()) => {
            let mut out = std::io::stdout().lock();
            for r in &results {
                let _ = writeln!(out, "{r}");
            }
            EXIT_OK
        }
        Err(Error::Trap(t)) => {
            print_err(&format!("error: trap: {t}"));
            EXIT_TRAP
        }
        Err(e) => {
            print_err(&format!("error: {e}"));
            EXIT_USAGE_OR_IO
        }
    }
}

/// `ssvm-lite compile --dump-ir FILE [--func N]`.
pub fn dump_ir(file: &Path, only: Option<u32>) -> u8 {
    let engine = Engine::default();
    let module = match load(&engine, file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let count = module.function_count();
    if let Some(n) = only {
        if n >= count {
            print_err(&format!(
                "error: there is no function {n} (the module has {count})"
            ));
            return EXIT_USAGE_OR_IO;
        }
    }
    let mut out = std::io::stdout().lock();
    for index in 0..count {
        if only.is_some_and(|n| n != index) {
            continue;
        }
        let Some(code) = module.compiled_function(index) else {
            continue;
        };
        let _ = writeln!(
            out,
            "func {index} {} {}: params {}, locals {}, frame {} slots",
            module.function_name(index),
            module
                .function_type(index)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            code.params,
            code.locals,
            code.frame_size
        );
        let _ = write!(out, "{code}");
    }
    EXIT_OK
}
