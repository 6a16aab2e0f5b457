//! Validator for WebAssembly 2.0 modules.
//!
//! [`validate`] decodes and validates a module in one call; errors say whether the module is
//! malformed (breaks the binary format) or invalid (breaks the validation rules), what is wrong,
//! at which byte offset, and in which function.

// Decoding and validation are pure byte and type checks: nothing here needs `unsafe`.
#![forbid(unsafe_code)]

mod func;
mod module;
mod types;

pub use module::Context;
use ssvm_binary::{DecodeError, FuncType, FunctionBody, Module, Operator, ValType};
use std::fmt;
pub use types::{
    group_shape, heap_matches, val_matches, Link, ShapeComposite, ShapeField, ShapeStorage,
    ShapeVal, TypeShape,
};

/// Whether a module broke the binary format or the validation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes do not follow the binary format.
    Malformed,
    /// The module is well-formed but breaks a validation rule.
    Invalid,
    /// The module uses a proposal beyond Wasm 2.0 that ssvm-lite does not implement; the
    /// message names it. (For Wasm 2.0 alone such a module is malformed or invalid, and where
    /// the spec tests check that, the message starts with the spec's words.)
    Unsupported,
}

/// Why a module was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Whether the module is malformed or invalid.
    pub kind: ErrorKind,
    /// What is wrong, in the spec test suite's words where it has them.
    pub message: String,
    /// Byte offset in the module.
    pub offset: usize,
    /// The index of the function whose body holds the error, if any.
    pub function: Option<u32>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset 0x{:x}", self.message, self.offset)?;
        if let Some(index) = self.function {
            write!(f, " in function {index}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Error {
        Error {
            kind: match e.unsupported {
                Some(_) => ErrorKind::Unsupported,
                None => ErrorKind::Malformed,
            },
            message: e.message,
            offset: e.offset,
            function: None,
        }
    }
}

/// Decodes and validates `bytes`, returning the decoded module when it is valid.
pub fn validate(bytes: &[u8]) -> Result<Module<'_>, Error> {
    let module = Module::decode(bytes)?;
    validate_module(&module)?;
    Ok(module)
}

/// Receives each function body while it is validated: the hook through which a compiler lowers
/// code in the same pass as validation. Every method but `operator` defaults to doing nothing.
pub trait FunctionSink<'a> {
    /// The body of function `index` (imported functions counted) of type `ty` starts.
    fn begin(&mut self, index: u32, ty: &FuncType) -> Result<(), Error> {
        let _ = (index, ty);
        Ok(())
    }

    /// The body declares `count` locals of type `ty` (after the parameters).
    fn locals(&mut self, count: u32, ty: ValType) -> Result<(), Error> {
        let _ = (count, ty);
        Ok(())
    }

    /// `op`, at byte `offset`, has just been validated.
    fn operator(&mut self, op: &Operator<'a>, offset: usize) -> Result<(), Error>;

    /// The body ended.
    fn end(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// The sink of plain validation: ignores everything.
impl<'a> FunctionSink<'a> for () {
    #[inline(always)]
    fn operator(&mut self, _: &Operator<'a>, _: usize) -> Result<(), Error> {
        Ok(())
    }
}

/// Validates a decoded module.
pub fn validate_module(module: &Module<'_>) -> Result<(), Error> {
    validate_module_with(module, &mut ()).map(drop)
}

/// Validates the body of function `index` (imported functions counted) of a module that
/// [`validate_module_with`] accepted and gave `ctx` for, handing its operators to `sink`: how a
/// compiler lowers a body only when it is first needed.
pub fn validate_function_with<'a, S: FunctionSink<'a>>(
    ctx: &Context,
    index: u32,
    body: &FunctionBody<'a>,
    sink: &mut S,
) -> Result<(), Error> {
    module::validate_function(&mut func::FuncValidator::new(ctx), index, body, sink)
}

/// Validates a decoded module, handing every function body's operators to `sink` as they are
/// validated. Returns the context the bodies were validated in, with which
/// [`validate_function_with`] validates one of them again later.
pub fn validate_module_with<'a, S: FunctionSink<'a>>(
    module: &Module<'a>,
    sink: &mut S,
) -> Result<Context, Error> {
    module::validate_module(module, sink).map_err(|e| module_error(module, e))
}

/// As [`validate_module_with`], with the bodies validated on up to `threads` threads at once,
/// each handing the operators of a contiguous run of bodies to a sink of its own, made by
/// `sink`. Returns the sinks in body order; the error is the one `validate_module_with` gives
/// (the first in module order).
pub fn validate_module_in_parallel<'a, S, F>(
    module: &Module<'a>,
    threads: usize,
    sink: F,
) -> Result<(Context, Vec<S>), Error>
where
    S: FunctionSink<'a> + Send,
    F: Fn() -> S,
{
    let ctx = module::validate_outside_bodies(module).map_err(|e| module_error(module, e))?;
    let runs = body_runs(module, threads.max(1));
    let mut sinks: Vec<S> = runs.iter().map(|_| sink()).collect();
    let results: Option<Vec<Result<(), Error>>> = std::thread::scope(|scope| {
        let ctx = &ctx;
        let workers: Vec<_> = runs
            .iter()
            .cloned()
            .zip(sinks.iter_mut())
            .map(|(run, sink)| {
                std::thread::Builder::new().spawn_scoped(scope, move || {
                    module::validate_bodies(ctx, module, run, sink)
                })
            })
            .collect();
        let mut results = Some(Vec::with_capacity(workers.len()));
        for worker in workers {
            match worker {
                Ok(w) => {
                    let result = w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                    if let Some(r) = &mut results {
                        r.push(result);
                    }
                }
                // The system would not start a thread: validate on this one instead, below.
                Err(_) => results = None,
            }
        }
        results
    });
    let Some(results) = results else {
        let mut one = sink();
        module::validate_bodies(&ctx, module, 0..module.code.len(), &mut one)
            .map_err(|e| module_error(module, e))?;
        return Ok((ctx, vec![one]));
    };
    // The runs are in order and each stopped at its first error: the first error is the
    // module's first.
    if let Some(e) = results.into_iter().find_map(Result::err) {
        return Err(module_error(module, e));
    }
    Ok((ctx, sinks))
}

/// Splits the bodies into at most `threads` contiguous runs of about the same size in bytes.
fn body_runs(module: &Module<'_>, threads: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = module.code.iter().map(|b| b.bytes.len()).sum();
    let share = total.div_ceil(threads).max(1);
    let mut runs = Vec::with_capacity(threads);
    let (mut start, mut size) = (0, 0);
    for (i, body) in module.code.iter().enumerate() {
        size += body.bytes.len();
        if size >= share && runs.len() + 1 < threads {
            runs.push(start..i + 1);
            (start, size) = (i + 1, 0);
        }
    }
    runs.push(start..module.code.len());
    runs
}

/// The error of a module whose validation failed with `e`. Validation reads function bodies
/// lazily, but a malformed body makes the whole module malformed, whatever else is invalid:
/// then the first malformed body is reported instead.
fn module_error(module: &Module<'_>, e: Error) -> Error {
    if e.kind != ErrorKind::Malformed {
        if let Some((index, body_error)) = first_malformed_body(module) {
            return Error {
                function: Some(index),
                ..Error::from(body_error)
            };
        }
    }
    e
}

/// The first function body that breaks the binary format, with its function index.
fn first_malformed_body(module: &Module<'_>) -> Option<(u32, DecodeError)> {
    let imported = module.imported(ssvm_binary::ExternKind::Func) as u32;
    module.code.iter().enumerate().find_map(|(i, body)| {
        body.check_encoding()
            .err()
            .map(|e| (imported + i as u32, e))
    })
}

/// A malformed-module error at `offset`, for the format rules checked while validating bodies.
pub(crate) fn malformed(message: impl Into<String>, offset: usize) -> Error {
    Error {
        kind: ErrorKind::Malformed,
        message: message.into(),
        offset,
        function: None,
    }
}

/// An invalid-module error at `offset`.
pub(crate) fn invalid(message: impl Into<String>, offset: usize) -> Error {
    Error {
        kind: ErrorKind::Invalid,
        message: message.into(),
        offset,
        function: None,
    }
}
