//! `ssvm-lite run` and `ssvm-lite compile --dump-ir`.

use crate::args::{GasOptions, RunLimits, UnknownImports, WasiOptions};
use crate::report::{GasReport, Output};
use crate::{
    backtrace, diagnose, print_err, EXIT_BAD_MODULE, EXIT_OK, EXIT_OUT_OF_GAS, EXIT_TIMEOUT,
    EXIT_TRAP, EXIT_UNINSTANTIABLE, EXIT_UNSUPPORTED, EXIT_USAGE_OR_IO,
};
use ssvm_runtime::{Config, CostTable, Engine, Error, Linker, Module, Store, Trap, Val, ValType};
use ssvm_validate::ErrorKind;
use ssvm_wasi::{Limits, WasiCtx, WasiCtxBuilder};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Reads and compiles `file`, or says why not and gives the exit code.
fn load(engine: &Engine, file: &Path) -> Result<Module, u8> {
    let bytes = Arc::new(std::fs::read(file).map_err(|e| {
        print_err(&format!("error: cannot read {}: {e}", file.display()));
        EXIT_USAGE_OR_IO
    })?);
    // Shared, not copied, when the module needs most of the file after load.
    Module::from_shared(engine, bytes.clone()).map_err(|e| {
        let (line, code) = load_error(file, &bytes, &e);
        print_err(&line);
        code
    })
}

/// The error line and exit code for `file`, whose `bytes` did not load with `e`.
pub fn load_error(file: &Path, bytes: &[u8], e: &Error) -> (String, u8) {
    match e {
        Error::Validation(v) if v.kind == ErrorKind::Unsupported => {
            (diagnose::module_error(file, bytes, v), EXIT_UNSUPPORTED)
        }
        Error::Validation(v) => (diagnose::module_error(file, bytes, v), EXIT_BAD_MODULE),
        // The message names what is not supported: no "unsupported:" lead before it.
        Error::Unsupported(what) => (
            format!("error: {}: {what}", file.display()),
            EXIT_UNSUPPORTED,
        ),
        other => (
            format!("error: {}: {other}", file.display()),
            EXIT_BAD_MODULE,
        ),
    }
}

/// A float argument of `bits` (32 or 64) bits, as its bits: decimal, `inf`, `-inf`, `nan`,
/// `-nan` or `nan:0xPAYLOAD` (the text format's spellings). A decimal too large for the type
/// is refused rather than taken as infinity.
fn float_bits(text: &str, bits: u32) -> Result<u64, String> {
    let mantissa = if bits == 32 { 23 } else { 52 };
    let exponent = ((1u64 << (bits - 1 - mantissa)) - 1) << mantissa;
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (1u64 << (bits - 1), rest),
        None => (0, text.strip_prefix('+').unwrap_or(text)),
    };
    let ty = if bits == 32 { "f32" } else { "f64" };
    let bad = || format!("`{text}` is not a valid {ty}");
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(sign | exponent);
    }
    if lower == "nan" {
        return Ok(sign | exponent | 1 << (mantissa - 1));
    }
    if let Some(hex) = lower.strip_prefix("nan:0x") {
        return match u64::from_str_radix(hex, 16) {
            Ok(payload) if payload != 0 && payload >> mantissa == 0 => {
                Ok(sign | exponent | payload)
            }
            _ => Err(bad()),
        };
    }
    let (finite, value) = if bits == 32 {
        let f: f32 = text.parse().map_err(|_| bad())?;
        (f.is_finite(), u64::from(f.to_bits()))
    } else {
        let f: f64 = text.parse().map_err(|_| bad())?;
        (f.is_finite(), f.to_bits())
    };
    if !finite {
        let most = if bits == 32 {
            format!("{:e}", f32::MAX)
        } else {
            format!("{:e}", f64::MAX)
        };
        return Err(format!(
            "`{text}` is out of range for {ty} (the largest finite {ty} is {most})"
        ));
    }
    Ok(value)
}

/// A result as `run --invoke` prints it: floats in the spellings arguments take (`inf`, `nan`,
/// `nan:0x...` for a NaN with another payload), a v128 as an unsigned number, everything else
/// as the runtime shows it.
pub fn format_value(v: &Val) -> String {
    fn float(bits: u64, width: u32, shown: String) -> String {
        let mantissa = if width == 32 { 23 } else { 52 };
        let exponent = ((1u64 << (width - 1 - mantissa)) - 1) << mantissa;
        let sign = if bits >> (width - 1) & 1 == 1 {
            "-"
        } else {
            ""
        };
        let payload = bits & ((1 << mantissa) - 1);
        if bits & exponent != exponent {
            shown
        } else if payload == 0 {
            format!("{sign}inf")
        } else if payload == 1 << (mantissa - 1) {
            format!("{sign}nan")
        } else {
            format!("{sign}nan:{payload:#x}")
        }
    }
    match *v {
        Val::F32(bits) => float(u64::from(bits), 32, f32::from_bits(bits).to_string()),
        Val::F64(bits) => float(bits, 64, f64::from_bits(bits).to_string()),
        // As wasmtime's `run --invoke` prints it: the 128 bits as one unsigned number.
        Val::V128(bits) => bits.to_string(),
        ref other => other.to_string(),
    }
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
        ValType::F32 => float_bits(text, 32).map(|b| Val::F32(b as u32)),
        ValType::F64 => float_bits(text, 64).map(Val::F64),
        // As wasmtime takes it: the 128 bits as one unsigned number (here also in hex).
        ValType::V128 => match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u128::from_str_radix(hex, 16),
            None => text.parse::<u128>(),
        }
        .map(Val::V128)
        .map_err(|_| bad()),
        other => Err(format!(
            "parameters of type {other} cannot be given on the command line"
        )),
    }
}

/// The engine for `run`: metered when any gas option asks for it, interruptible with a
/// timeout, and within the limits asked for.
fn engine(gas: &GasOptions, limits: &RunLimits) -> Result<Engine, u8> {
    let defaults = Config::default();
    let cost_table = match (&gas.cost_table, gas.metered()) {
        (_, false) => None,
        (Some(path), true) => Some(Arc::new(cost_table(path)?)),
        (None, true) => Some(Arc::new(CostTable::default_table())),
    };
    let max_stack_slots = limits.max_stack.map_or(defaults.max_stack_slots, |bytes| {
        u32::try_from(bytes / 8).unwrap_or(u32::MAX)
    });
    Ok(Engine::new(Config {
        cost_table,
        histogram: gas.histogram,
        gas_profile: gas.profile.is_some(),
        interruptible: limits.timeout.is_some(),
        max_memory_bytes: limits.max_memory.unwrap_or(defaults.max_memory_bytes),
        max_table_elements: limits
            .max_table_elements
            .unwrap_or(defaults.max_table_elements),
        max_stack_slots,
        ..defaults
    }))
}

/// Reads the cost table at `path`. A file with no price in it (nothing but blank lines and
/// comments: an empty download, say) is refused rather than billed at the implicit defaults.
fn cost_table(path: &Path) -> Result<CostTable, u8> {
    let fail = |message: String| {
        print_err(&message);
        EXIT_USAGE_OR_IO
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!(
            "error: cannot read cost table {}: {e}",
            path.display()
        ))
    })?;
    let no_prices = text.lines().all(|line| {
        let line = line.trim_start_matches('\u{feff}').trim();
        line.is_empty() || line.starts_with('#')
    });
    if no_prices {
        return Err(fail(format!(
            "error: cost table {} is empty: it sets no price (`default = 1` prices every \
             instruction at 1)",
            path.display()
        )));
    }
    CostTable::parse(&text).map_err(|e| fail(format!("error: cost table {}: {e}", path.display())))
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
    builder.limits(Limits {
        max_output: wasi.max_output,
        max_dir_files: wasi.max_dir_files,
        max_dir_bytes: wasi.max_dir_bytes,
    });
    if wasi.trace {
        builder.trace(std::io::stderr());
    }
    builder.build().map_err(|e| e.to_string())
}

/// `ssvm-lite run [OPTIONS] FILE ARGS...`.
pub fn run(
    invoke: Option<&str>,
    gas: &GasOptions,
    wasi: &WasiOptions,
    limits: &RunLimits,
    unknown_imports: UnknownImports,
    file: &Path,
    args: &[String],
) -> u8 {
    let engine = match engine(gas, limits) {
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
    // The diagnostics' files, created now: a path that cannot be written fails before the run.
    let mut report_out = match gas.report.as_deref().map(Output::create).transpose() {
        Ok(out) => out,
        Err(e) => {
            print_err(&format!(
                "error: cannot create the gas report {}: {e}",
                gas.report.as_deref().unwrap_or_default()
            ));
            return EXIT_USAGE_OR_IO;
        }
    };
    let mut profile_out = match gas.profile.as_ref().map(std::fs::File::create).transpose() {
        Ok(out) => out,
        Err(e) => {
            print_err(&format!(
                "error: cannot create the gas profile {}: {e}",
                gas.profile.as_deref().unwrap_or(Path::new("")).display()
            ));
            return EXIT_USAGE_OR_IO;
        }
    };
    let mut store = Store::new(&engine, ctx);
    if let Some(limit) = gas.limit {
        store.set_gas_limit(limit);
    }
    if let Some(timeout) = limits.timeout {
        // The timer outlives nothing it needs: at worst it interrupts a store that is gone.
        let handle = store.interrupt_handle();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            handle.interrupt();
        });
    }
    let outcome = instantiate_and_call(&mut store, &module, invoke, unknown_imports, file, args);
    let code = match &outcome {
        Ok(()) => EXIT_OK,
        // Only the low 8 bits of a status reach the parent process.
        Err(Stopped::Exit(status)) => *status as u8,
        Err(Stopped::Usage) => return EXIT_USAGE_OR_IO,
        Err(Stopped::Uninstantiable) => return EXIT_UNINSTANTIABLE,
        Err(Stopped::Trap(t)) => {
            let mut message = format!("error: trap: {t}");
            let depth = store.trap_backtrace_depth();
            let (frames, hidden) = backtrace::lines(store.trap_backtrace_frames(), depth, |&f| {
                store.frame_name(f)
            });
            if !frames.is_empty() {
                if hidden > 0 {
                    message.push_str(&format!("\nwasm backtrace ({depth} frames):"));
                } else {
                    message.push_str("\nwasm backtrace:");
                }
                for line in frames {
                    message.push('\n');
                    message.push_str(&line);
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
        Err(Stopped::Timeout) => {
            print_err(&format!(
                "error: timed out after {:?} (--timeout)",
                limits.timeout.unwrap_or_default()
            ));
            EXIT_TIMEOUT
        }
    };
    limits_notes(wasi, store.data().limits_reached());
    if let (Some(path), Some(out)) = (&gas.profile, &mut profile_out) {
        let folded: String = store
            .gas_profile()
            .into_iter()
            .map(|(path, gas)| format!("{path} {gas}\n"))
            .collect();
        if let Err(e) = out.write_all(folded.as_bytes()) {
            print_err(&format!(
                "error: cannot write the gas profile to {}: {e}",
                path.display()
            ));
            return EXIT_USAGE_OR_IO;
        }
    }
    if let (Some(target), Some(out)) = (&gas.report, &mut report_out) {
        let report = GasReport {
            outcome: match &outcome {
                Ok(()) => "ok",
                Err(Stopped::Exit(_)) => "exit",
                Err(Stopped::OutOfGas) => "out_of_gas",
                Err(Stopped::Timeout) => "timeout",
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
        if let Err(e) = report.write_to(out) {
            print_err(&format!(
                "error: cannot write the gas report to {target}: {e}"
            ));
            return EXIT_USAGE_OR_IO;
        }
    }
    code
}

/// Tells the operator which of the WASI caps the guest ran into (the guest itself got errnos).
fn limits_notes(wasi: &WasiOptions, reached: ssvm_wasi::Reached) {
    let caps = [
        (reached.output, "--max-output", wasi.max_output, "EFBIG"),
        (
            reached.dir_files,
            "--max-dir-files",
            wasi.max_dir_files,
            "EDQUOT",
        ),
        (
            reached.dir_bytes,
            "--max-dir-bytes",
            wasi.max_dir_bytes,
            "EDQUOT",
        ),
    ];
    for (hit, option, cap, errno) in caps {
        if let (true, Some(cap)) = (hit, cap) {
            print_err(&format!(
                "note: the program reached {option} {cap}: what did not fit was refused \
                 ({errno})"
            ));
        }
    }
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
    /// The timeout interrupted the guest.
    Timeout,
}

fn stopped(e: Error) -> Stopped {
    match e {
        Error::Trap(Trap::Interrupted) => Stopped::Timeout,
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
    unknown_imports: UnknownImports,
    file: &Path,
    args: &[String],
) -> Result<(), Stopped> {
    let mut linker = Linker::new();
    ssvm_wasi::add_to_linker(&mut linker, |ctx| ctx);
    match unknown_imports {
        UnknownImports::Refuse => {}
        UnknownImports::Trap => {
            linker.define_unknown_imports_as_traps(module);
        }
        UnknownImports::DefaultValues => {
            linker.define_unknown_imports_as_default_values(module);
        }
    }
    if let Err(e) = ssvm_wasi::check_memory(module) {
        print_err(&format!(
            "error: cannot instantiate {}: {e}",
            file.display()
        ));
        return Err(Stopped::Uninstantiable);
    }
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
    // A WASI reactor initialises itself in `_initialize` before any other export is called
    // (after the arguments are checked), as wasmtime's `run --invoke` does.
    if name != "_initialize" {
        if let Some(init) = instance.get_func(store, "_initialize") {
            init.call(store, &[], &mut []).map_err(stopped)?;
        }
    }
    let mut results: Vec<Val> = ty.results.iter().map(|&t| Val::default_for(t)).collect();
    func.call(store, &values, &mut results).map_err(stopped)?;
    let mut out = std::io::stdout().lock();
    for r in &results {
        let _ = writeln!(out, "{}", format_value(r));
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
