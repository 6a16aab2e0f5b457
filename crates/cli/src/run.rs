//! `ssvm-lite run` and `ssvm-lite compile --dump-ir`.

use crate::args::{GasOptions, WasiOptions};
use crate::report::GasReport;
use crate::{
    print_err, EXIT_BAD_MODULE, EXIT_OK, EXIT_OUT_OF_GAS, EXIT_TRAP, EXIT_UNINSTANTIABLE,
    EXIT_USAGE_OR_IO,
};
use ssvm_runtime::{Config, CostTable, Engine, Error, Linker, Module, Store, Val, ValType};
use ssvm_wasi::{WasiCtx, WasiCtxBuilder};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

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

/// The engine for `run`: metered when any gas option asks for it.
fn engine(gas: &GasOptions) -> Result<Engine, u8> {
    if !gas.metered() {
        return Ok(Engine::default());
    }
    let table = match &gas.cost_table {
        Some(path) => CostTable::from_file(path).map_err(|e| {
            print_err(&format!("error: cost table {}: {e}", path.display()));
            EXIT_USAGE_OR_IO
        })?,
        None => CostTable::default_table(),
    };
    Ok(Engine::new(Config {
        cost_table: Some(Arc::new(table)),
        histogram: gas.histogram,
        gas_profile: gas.profile.is_some(),
        ..Config::default()
    }))
}

/// The guest's WASI context: arguments (for `_start`), environment and preopened directories.
fn wasi_context(
    wasi: &WasiOptions,
    file: &Path,
    invoke: Option<&str>,
    args: &[String],
) -> Result<WasiCtx, String> {
    let mut builder = WasiCtxBuilder::new();
    builder.arg(file.to_string_lossy());
    if invoke.is_none() {
        for a in args {
            builder.arg(a.as_str());
        }
    }
    for (name, value) in &wasi.env {
        builder.env(name, value);
    }
    for (host, guest) in &wasi.dirs {
        builder
            .preopen_dir(host, guest)
            .map_err(|e| format!("--dir {}: {e}", host.display()))?;
    }
    builder.build().map_err(|e| e.to_string())
}

/// `ssvm-lite run [OPTIONS] FILE ARGS...`.
pub fn run(
    invoke: Option<&str>,
    gas: &GasOptions,
    wasi: &WasiOptions,
    file: &Path,
    args: &[String],
) -> u8 {
    let engine = match engine(gas) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let module = match load(&engine, file) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let ctx = match wasi_context(wasi, file, invoke, args) {
        Ok(ctx) => ctx,
        Err(e) => {
            print_err(&format!("error: {e}"));
            return EXIT_USAGE_OR_IO;
        }
    };
    let mut store = Store::new(&engine, ctx);
    if let Some(limit) = gas.limit {
        store.set_gas_limit(limit);
    }
    let outcome = instantiate_and_call(&mut store, &module, invoke, file, args);
    let code = match &outcome {
        Ok(()) => EXIT_OK,
        // Only the low 8 bits of a status reach the parent process.
        Err(Stopped::Exit(status)) => *status as u8,
        Err(Stopped::Usage) => return EXIT_USAGE_OR_IO,
        Err(Stopped::Uninstantiable) => return EXIT_UNINSTANTIABLE,
        Err(Stopped::Trap(t)) => {
            let mut message = format!("error: trap: {t}");
            let backtrace = store.trap_backtrace();
            if !backtrace.is_empty() {
                message.push_str("\nwasm backtrace:");
                for (i, name) in backtrace.iter().enumerate() {
                    message.push_str(&format!("\n  {i:>2}: {name}"));
                }
            }
            print_err(&message);
            EXIT_TRAP
        }
        Err(Stopped::OutOfGas) => {
            print_err(&format!(
                "error: out of gas: used {} of the limit {}",
                store.gas_used(),
                gas.limit.map_or_else(|| "(none)".into(), |l| l.to_string())
            ));
            EXIT_OUT_OF_GAS
        }
    };
    if let Some(path) = &gas.profile {
        let folded: String = store
            .gas_profile()
            .into_iter()
            .map(|(path, gas)| format!("{path} {gas}\n"))
            .collect();
        if let Err(e) = std::fs::write(path, folded) {
            print_err(&format!(
                "error: cannot write the gas profile to {}: {e}",
                path.display()
            ));
            return EXIT_USAGE_OR_IO;
        }
    }
    if let Some(target) = &gas.report {
        let report = GasReport {
            outcome: match &outcome {
                Ok(()) => "ok",
                Err(Stopped::Exit(_)) => "exit",
                Err(Stopped::OutOfGas) => "out_of_gas",
                _ => "trap",
            },
            exit_code: match &outcome {
                Ok(()) if invoke.is_none() => Some(0),
                Err(Stopped::Exit(status)) => Some(*status),
                _ => None,
            },
            trap: match &outcome {
                Err(Stopped::Trap(t)) => Some(t.clone()),
                _ => None,
            },
            gas_limit: gas.limit,
            gas_used: store.gas_used(),
            counts: gas.histogram.then(|| {
                store
                    .histogram()
                    .into_iter()
                    .map(|(op, n)| (op.name(), n))
                    .collect()
            }),
        };
        if let Err(e) = report.write_to(target) {
            print_err(&format!(
                "error: cannot write the gas report to {target}: {e}"
            ));
            return EXIT_USAGE_OR_IO;
        }
    }
    code
}

/// Why `run` did not complete.
enum Stopped {
    /// Already reported: bad arguments, no such export.
    Usage,
    /// Already reported: the module could not be instantiated.
    Uninstantiable,
    /// The guest called `proc_exit` with this status.
    Exit(i32),
    Trap(String),
    OutOfGas,
}

fn stopped(e: Error) -> Stopped {
    match e {
        Error::Trap(t) => Stopped::Trap(t.to_string()),
        Error::OutOfGas { .. } => Stopped::OutOfGas,
        Error::Exit(status) => Stopped::Exit(status),
        other => {
            print_err(&format!("error: {other}"));
            Stopped::Usage
        }
    }
}

fn instantiate_and_call(
    store: &mut Store<WasiCtx>,
    module: &Module,
    invoke: Option<&str>,
    file: &Path,
    args: &[String],
) -> Result<(), Stopped> {
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx| ctx);
    let instance = match linker.instantiate(store, module) {
        Ok(i) => i,
        Err(e @ (Error::Trap(_) | Error::OutOfGas { .. } | Error::Exit(_))) => {
            return Err(stopped(e))
        }
        Err(e) => {
            print_err(&format!(
                "error: cannot instantiate {}: {e}",
                file.display()
            ));
            return Err(Stopped::Uninstantiable);
        }
    };
    let Some(name) = invoke else {
        // A WASI command: `_start` takes the arguments through WASI.
        let Some(start) = instance.get_func(store, "_start") else {
            print_err(&format!(
                "error: {} exports no `_start` function (a WASI command); use --invoke NAME \
                 to call another export",
                file.display()
            ));
            return Err(Stopped::Usage);
        };
        return start.call(store, &[], &mut []).map_err(stopped);
    };
    let Some(func) = instance.get_func(store, name) else {
        print_err(&format!(
            "error: {} exports no function named `{name}`",
            file.display()
        ));
        return Err(Stopped::Usage);
    };
    let ty = func.ty(store).clone();
    if args.len() != ty.params.len() {
        print_err(&format!(
            "error: `{name}` takes {} arguments ({ty}), {} given",
            ty.params.len(),
            args.len()
        ));
        return Err(Stopped::Usage);
    }
    let mut values = Vec::with_capacity(args.len());
    for (text, &t) in args.iter().zip(ty.params.iter()) {
        match parse_value(text, t) {
            Ok(v) => values.push(v),
            Err(e) => {
                print_err(&format!("error: {e}"));
                return Err(Stopped::Usage);
            }
        }
    }
    let mut results: Vec<Val> = ty.results.iter().map(|&t| Val::default_for(t)).collect();
    func.call(store, &values, &mut results).map_err(stopped)?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        let _ = writeln!(out, "{r}");
    }
    Ok(())
}

/// `ssvm-lite compile --dump-ir FILE [--func N]`.
pub fn dump_ir(file: &Path, only: Option<u32>, metered: bool) -> u8 {
    let engine = Engine::new(Config {
        cost_table: metered.then(|| Arc::new(CostTable::default_table())),
        keep_ir: true,
        ..Config::default()
    });
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
