//! What lowering a function needs after its module was validated: the bodies' bytes and the
//! types. A module keeps one so that each body is lowered on its first call (lazy compilation).
//! The bodies were validated at load, so they are lowered without validating them again: the
//! operators go straight from the decoder to the lowerer.

use super::ir::CompiledFunc;
use super::lower::{Lowerer, MAX_FRAME_SLOTS};
use crate::bytes::ModuleBytes;
use ssvm_binary::{FuncType, FunctionBody, Module, Operator, ValType};
use ssvm_validate::{Error, FunctionSink};
use std::sync::Arc;

/// The function bodies of a validated module and how to lower them.
#[derive(Debug)]
pub(crate) struct Source {
    /// The module's bytes, holding at least the code section's bodies.
    bytes: ModuleBytes,
    /// Each body's module offset and length.
    bodies: Box<[(u32, u32)]>,
    types: Arc<[FuncType]>,
    /// Type index of every function, imported ones first.
    functions: Arc<[u32]>,
    /// With metering: the price of every opcode, in `Opcode::ALL` order.
    prices: Option<Box<[u64]>>,
    traced: bool,
    /// Which globals are v128s (`Lowerer::v128_globals`).
    v128_globals: Arc<[bool]>,
    /// The type index of every tag (`Lowerer::tags`).
    tags: Arc<[u32]>,
    /// Which memories are 64-bit (`Lowerer::memories64`).
    memories64: Arc<[bool]>,
}

impl Source {
    /// The bodies of `module` (decoded and validated), from `bytes`.
    pub(crate) fn new(
        bytes: ModuleBytes,
        module: &Module<'_>,
        types: Arc<[FuncType]>,
        functions: Arc<[u32]>,
        prices: Option<Box<[u64]>>,
        traced: bool,
        v128_globals: Arc<[bool]>,
    ) -> Source {
        Source {
            bytes,
            bodies: module
                .code
                .iter()
                .map(|b| (b.offset as u32, b.bytes.len() as u32))
                .collect(),
            types,
            functions,
            prices,
            traced,
            v128_globals,
            tags: tag_types(module),
            memories64: memories64(module),
        }
    }

    /// The number of bodies.
    pub(crate) fn len(&self) -> usize {
        self.bodies.len()
    }

    /// The number of imported functions, which come before the bodies' in the index space.
    pub(crate) fn imported_funcs(&self) -> u32 {
        (self.functions.len() - self.bodies.len()) as u32
    }

    /// Lowers body `i` (counted from the module's first own function). The bodies that could
    /// fail to lower (`LoadCheck`) were lowered at load, so an error here is a bug.
    pub(crate) fn lower(&self, i: usize) -> Result<CompiledFunc, Error> {
        let (start, len) = self.bodies[i];
        let (start, len) = (start as usize, len as usize);
        let body = FunctionBody::checked(self.bytes.get(start..start + len), start);
        let index = self.functions.len() - self.bodies.len() + i;
        let ty = &self.types[self.functions[index] as usize];
        let mut lowerer = Lowerer::new(
            &self.types,
            &self.functions,
            self.prices.as_deref(),
            self.traced,
        );
        lowerer.v128_globals = &self.v128_globals;
        lowerer.tags = &self.tags;
        lowerer.memories64 = &self.memories64;
        let failed = |mut e: Error| {
            e.function = Some(index as u32);
            e
        };
        lowerer.begin(index as u32, ty).map_err(failed)?;
        let mut declared = Ok(());
        let mut ops = body
            .read_locals(|n, t| {
                declared = declared.clone().and(lowerer.locals(n, t));
                Ok(())
            })
            .map_err(|e| failed(e.into()))?;
        declared.map_err(failed)?;
        while !ops.is_empty() {
            let at = ops.offset();
            let op = ops.read().map_err(|e| failed(e.into()))?;
            lowerer.operator(&op, at).map_err(failed)?;
        }
        lowerer.end().map_err(failed)?;
        match lowerer.unsupported {
            Some(e) => Err(failed(e)),
            None => Ok(lowerer.compiled.pop().expect("one body was lowered")),
        }
    }
}

/// The type index of every tag of `module`, imported ones first (`Lowerer::tags`).
pub(crate) fn tag_types(module: &Module<'_>) -> Arc<[u32]> {
    module
        .imports
        .iter()
        .filter_map(|i| match i.desc {
            ssvm_binary::ImportDesc::Tag(t) => Some(t),
            _ => None,
        })
        .chain(module.tags.iter().copied())
        .collect()
}

/// Which memories of `module` (imported ones first) are 64-bit (`Lowerer::memories64`); empty
/// when none is.
pub(crate) fn memories64(module: &Module<'_>) -> Arc<[bool]> {
    let wide: Vec<bool> = module
        .imports
        .iter()
        .filter_map(|i| match i.desc {
            ssvm_binary::ImportDesc::Memory(m) => Some(m.limits.is64),
            _ => None,
        })
        .chain(module.memories.iter().map(|m| m.limits.is64))
        .collect();
    if wide.contains(&true) {
        wide.into()
    } else {
        Arc::from(&[][..])
    }
}

/// The sink of validation at load, when bodies are lowered lazily: it finds the bodies whose
/// lowering may fail (a frame that may exceed the interpreter's limit), so that they are lowered
/// at load and a module that cannot run is refused there, as eager compilation refuses it.
#[derive(Debug)]
pub(crate) struct LoadCheck {
    /// The bodies to lower at load, by function index (imports counted).
    pub(crate) eager: Vec<u32>,
    /// The most values any of the module's types passes or returns: the most operands one
    /// operator may push.
    arity: u64,
    index: u32,
    locals: u64,
    operators: u64,
}

impl LoadCheck {
    /// The check for a module with these types.
    pub(crate) fn new(types: &[FuncType]) -> LoadCheck {
        let arity = types
            .iter()
            .map(|t| t.params.len().max(t.results.len()) as u64)
            .max()
            .unwrap_or(0);
        LoadCheck {
            eager: Vec::new(),
            arity: arity.max(1),
            index: 0,
            locals: 0,
            operators: 0,
        }
    }
}

impl<'a> FunctionSink<'a> for LoadCheck {
    fn begin(&mut self, index: u32, ty: &FuncType) -> Result<(), Error> {
        self.index = index;
        self.locals = ty.params.len() as u64;
        self.operators = 0;
        Ok(())
    }

    fn locals(&mut self, count: u32, ty: ValType) -> Result<(), Error> {
        let _ = ty;
        self.locals += u64::from(count);
        Ok(())
    }

    #[inline]
    fn operator(&mut self, _: &Operator<'a>, _: usize) -> Result<(), Error> {
        self.operators += 1;
        Ok(())
    }

    fn end(&mut self) -> Result<(), Error> {
        // A frame holds the locals, at most one constant per operator, and operands: at most
        // `arity` pushed per operator, and the results; each value takes two slots at most (a
        // v128 takes two).
        let bound = 2 * (self.locals + self.operators * (1 + self.arity) + self.arity);
        if bound > u64::from(MAX_FRAME_SLOTS) {
            self.eager.push(self.index);
        }
        Ok(())
    }
}
