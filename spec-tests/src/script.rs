//! The runtime side of one `.wast` file: a store, a linker with the `spectest` module and the
//! registered instances, the current and the named module instances, and the directives that
//! instantiate and run them.

use crate::matcher::{link_matches, trap_matches};
use crate::report::Verdict;
use crate::run::Encoded;
use crate::values::{arg_value, describe_ret, describe_val, join, ret_matches};
use ssvm_runtime::{Engine, Error, Instance, Linker, Module, Store, Trap, Val};
use ssvm_validate::ErrorKind;
use std::collections::HashMap;
use wast::token::Id;
use wast::{WastExecute, WastInvoke, WastRet};

/// Whether compiling a module failed because it uses what ssvm-lite does not implement: a
/// later proposal's encoding, or instructions the interpreter does not execute yet (SIMD).
/// Such modules are skipped, with everything that depends on them.
fn is_unsupported(e: &Error) -> bool {
    match e {
        Error::Unsupported(_) => true,
        Error::Validation(v) => v.kind == ErrorKind::Unsupported,
        _ => false,
    }
}

/// What a module directive left behind for the directives that use its instance.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Instantiated.
    Ready(Instance),
    /// Skipped: the module uses what the interpreter does not execute yet, or is a component.
    Unsupported,
    /// The directive at this line did not give an instance (a failure).
    Failed(usize),
}

/// Why a directive stopped before its check: the verdict it gets.
type Stop = Verdict;

/// The state the directives of one `.wast` file share.
pub struct Script {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The instance of the last `module` (or `module instance`) directive.
    current: Option<Slot>,
    /// Instances by their `$name`.
    named: HashMap<String, Slot>,
    /// Modules of `module definition $name` directives, and of the last one.
    definitions: HashMap<String, Result<Module, Slot>>,
    last_definition: Option<Result<Module, Slot>>,
    /// Names `register`ed from modules that did not instantiate: a module importing from one of
    /// them cannot be checked either.
    unusable_names: HashMap<String, Slot>,
}

impl Script {
    /// A new store with the `spectest` module defined in its linker; `metered` compiles with
    /// every instruction priced 1, `eager` compiles every function at load rather than on its
    /// first call.
    pub fn new(metered: bool, eager: bool) -> Script {
        let engine = Engine::new(ssvm_runtime::Config {
            cost_table: metered.then(|| std::sync::Arc::new(ssvm_runtime::CostTable::uniform(1))),
            lazy_compilation: !eager,
            ..ssvm_runtime::Config::default()
        });
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new();
        spec_tests::define_spectest(&mut store, &mut linker);
        Script {
            engine,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            unusable_names: HashMap::new(),
        }
    }

    /// `module`: compiles and instantiates; a failure to do either fails the directive.
    pub fn module(&mut self, line: usize, name: Option<Id<'_>>, module: Encoded) -> Verdict {
        // Should this panic halfway, the directives that use this module are not run against
        // the previous one.
        self.set_current(name, Slot::Failed(line));
        let (slot, verdict) = match self.compile(module, "valid") {
            Ok(module) => self.instantiate_into_slot(line, &module),
            Err(stop) => (slot_of_stop(line, &stop), stop),
        };
        self.set_current(name, slot);
        verdict
    }

    /// `module definition`: compiles only; `module instance` instantiates it later.
    pub fn module_definition(
        &mut self,
        line: usize,
        name: Option<Id<'_>>,
        module: Encoded,
    ) -> Verdict {
        let (definition, verdict) = match self.compile(module, "valid") {
            Ok(module) => (Ok(module), Verdict::Passed),
            Err(stop) => (Err(slot_of_stop(line, &stop)), stop),
        };
        if let Some(name) = name {
            self.definitions
                .insert(name.name().to_string(), definition.clone());
        }
        self.last_definition = Some(definition);
        verdict
    }

    /// `module instance $i $m`: instantiates a module definition.
    pub fn module_instance(
        &mut self,
        line: usize,
        instance: Option<Id<'_>>,
        module: Option<Id<'_>>,
    ) -> Verdict {
        self.set_current(instance, Slot::Failed(line));
        let definition = match module {
            Some(id) => self.definitions.get(id.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let (slot, verdict) = match definition {
            Some(Ok(module)) => self.instantiate_into_slot(line, &module),
            Some(Err(slot)) => (slot, dependent("instantiated", slot)),
            None => (
                Slot::Failed(line),
                failed("instantiated", "no such module definition".into()),
            ),
        };
        self.set_current(instance, slot);
        verdict
    }

    /// `register "name" $m`: makes the instance's exports importable as module `name`.
    pub fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Verdict {
        match self.slot(module) {
            Some(Slot::Ready(instance)) => {
                self.unusable_names.remove(name);
                self.linker.instance(&self.store, name, instance);
                Verdict::Passed
            }
            Some(slot) => {
                self.unusable_names.insert(name.to_string(), slot);
                dependent("registered", slot)
            }
            None => failed("registered", "no module instance to register".into()),
        }
    }

    /// `invoke` as a directive of its own: must return without trapping.
    pub fn invoke(&mut self, call: &WastInvoke<'_>) -> Verdict {
        match self.call(call, "returns") {
            Ok(Ok(_)) => Verdict::Passed,
            Ok(Err(e)) => failed("returns", describe_error(&e)),
            Err(stop) => stop,
        }
    }

    /// `assert_return`: the action's results must match, in number, type and value.
    pub fn assert_return(&mut self, exec: &WastExecute<'_>, results: &[WastRet<'_>]) -> Verdict {
        let expected = join(results.iter().map(describe_ret));
        let outcome = match exec {
            WastExecute::Invoke(call) => self.call(call, &expected),
            WastExecute::Get { module, global, .. } => self.get(*module, global, &expected),
            WastExecute::Wat(_) => {
                return failed(
                    &expected,
                    "an assert_return of a module: not understood".into(),
                )
            }
        };
        match outcome {
            Ok(Ok(values)) => {
                let same = values.len() == results.len()
                    && results.iter().zip(&values).all(|(e, a)| ret_matches(e, a));
                if same {
                    Verdict::Passed
                } else {
                    failed(&expected, join(values.iter().map(describe_val)))
                }
            }
            Ok(Err(e)) => failed(&expected, describe_error(&e)),
            Err(stop) => stop,
        }
    }

    /// `assert_trap` of an action, and `assert_exhaustion`: must trap with the message.
    pub fn assert_trap(&mut self, exec: &WastExecute<'_>, message: &str) -> Verdict {
        let expected = format!("trap: {message}");
        let outcome = match exec {
            WastExecute::Invoke(call) => self.call(call, &expected),
            WastExecute::Get { module, global, .. } => self.get(*module, global, &expected),
            WastExecute::Wat(_) => {
                return failed(&expected, "a module here is assert_uninstantiable".into())
            }
        };
        match outcome {
            Ok(Err(Error::Trap(trap))) if trap_matches(message, trap.message()) => Verdict::Passed,
            Ok(Ok(values)) => failed(
                &expected,
                format!("returned {}", join(values.iter().map(describe_val))),
            ),
            Ok(Err(e)) => failed(&expected, describe_error(&e)),
            Err(stop) => stop,
        }
    }

    /// `assert_exception`: the action must end with an exception no handler caught.
    pub fn assert_exception(&mut self, exec: &WastExecute<'_>) -> Verdict {
        let expected = "an uncaught exception";
        let outcome = match exec {
            WastExecute::Invoke(call) => self.call(call, expected),
            _ => {
                return failed(
                    expected,
                    "an assert_exception of no call: not understood".into(),
                )
            }
        };
        match outcome {
            Ok(Err(Error::Trap(Trap::UncaughtException(_)))) => Verdict::Passed,
            Ok(Ok(values)) => failed(
                expected,
                format!("returned {}", join(values.iter().map(describe_val))),
            ),
            Ok(Err(e)) => failed(expected, describe_error(&e)),
            Err(stop) => stop,
        }
    }

    /// `assert_trap (module ...)` ("uninstantiable"): compiles, and instantiation must trap.
    pub fn assert_uninstantiable(&mut self, module: Encoded, message: &str) -> Verdict {
        let expected = format!("trap at instantiation: {message}");
        let module = match self.compile(module, &expected) {
            Ok(module) => module,
            Err(stop) => return stop,
        };
        match self.instantiate(&module, &expected) {
            Ok(Err(Error::Trap(trap))) if trap_matches(message, trap.message()) => Verdict::Passed,
            Ok(Ok(_)) => failed(&expected, "instantiated".into()),
            Ok(Err(e)) => failed(&expected, describe_error(&e)),
            Err(stop) => stop,
        }
    }

    /// `assert_unlinkable`: compiles, and instantiation must fail to link.
    pub fn assert_unlinkable(&mut self, module: Encoded, message: &str) -> Verdict {
        let expected = format!("link error: {message}");
        let module = match self.compile(module, &expected) {
            Ok(module) => module,
            Err(stop) => return stop,
        };
        match self.instantiate(&module, &expected) {
            Ok(Err(Error::Link(m))) if link_matches(message, &m) => Verdict::Passed,
            Ok(Ok(_)) => failed(&expected, "instantiated".into()),
            Ok(Err(e)) => failed(&expected, describe_error(&e)),
            Err(stop) => stop,
        }
    }

    fn set_current(&mut self, name: Option<Id<'_>>, slot: Slot) {
        self.current = Some(slot);
        if let Some(name) = name {
            self.named.insert(name.name().to_string(), slot);
        }
    }

    fn slot(&self, module: Option<Id<'_>>) -> Option<Slot> {
        match module {
            Some(id) => self.named.get(id.name()).copied(),
            None => self.current,
        }
    }

    /// The instance an action names (or the current one).
    fn instance(&self, module: Option<Id<'_>>, expected: &str) -> Result<Instance, Stop> {
        match self.slot(module) {
            Some(Slot::Ready(instance)) => Ok(instance),
            Some(slot) => Err(dependent(expected, slot)),
            None => Err(failed(
                expected,
                match module {
                    Some(id) => format!("no module instance named ${}", id.name()),
                    None => "no module instance".into(),
                },
            )),
        }
    }

    /// Compiles an encoded module. A component is skipped.
    fn compile(&self, module: Encoded, expected: &str) -> Result<Module, Stop> {
        let bytes = match module {
            Encoded::Binary(bytes) => bytes,
            Encoded::Component => return Err(Verdict::Skipped),
            Encoded::Error { message, .. } => {
                return Err(failed(
                    expected,
                    format!("the test module did not encode: {message}"),
                ))
            }
        };
        match Module::new(&self.engine, &bytes) {
            Ok(module) => Ok(module),
            Err(e) => {
                if is_unsupported(&e) {
                    Err(Verdict::SkippedUnsupported)
                } else {
                    Err(failed(expected, describe_error(&e)))
                }
            }
        }
    }

    /// Instantiates `module` with the linker, unless it imports from a registered name whose
    /// module did not instantiate.
    fn instantiate(
        &mut self,
        module: &Module,
        expected: &str,
    ) -> Result<Result<Instance, Error>, Stop> {
        for import in module.imports() {
            if let Some(&slot) = self.unusable_names.get(&import.module) {
                return Err(dependent(expected, slot));
            }
        }
        Ok(self.linker.instantiate(&mut self.store, module))
    }

    /// Instantiates `module` for a `module` or `module instance` directive at `line`.
    fn instantiate_into_slot(&mut self, line: usize, module: &Module) -> (Slot, Verdict) {
        match self.instantiate(module, "instantiated") {
            Ok(Ok(instance)) => (Slot::Ready(instance), Verdict::Passed),
            Ok(Err(e)) => (
                Slot::Failed(line),
                failed("instantiated", describe_error(&e)),
            ),
            Err(stop) => (slot_of_stop(line, &stop), stop),
        }
    }

    /// Calls the exported function `call` names with its arguments.
    fn call(
        &mut self,
        call: &WastInvoke<'_>,
        expected: &str,
    ) -> Result<Result<Vec<Val>, Error>, Stop> {
        let instance = self.instance(call.module, expected)?;
        let Some(func) = instance.get_func(&self.store, call.name) else {
            return Err(failed(
                expected,
                format!("no exported function named {:?}", call.name),
            ));
        };
        let args = call
            .args
            .iter()
            .map(arg_value)
            .collect::<Result<Vec<Val>, String>>()
            .map_err(|why| failed(expected, format!("{why}: not understood by the runner")))?;
        let mut results: Vec<Val> = func
            .ty(&self.store)
            .results
            .iter()
            .map(|&t| Val::default_for(t))
            .collect();
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    /// Reads the exported global `name`.
    fn get(
        &mut self,
        module: Option<Id<'_>>,
        name: &str,
        expected: &str,
    ) -> Result<Result<Vec<Val>, Error>, Stop> {
        let instance = self.instance(module, expected)?;
        match instance.get_global(&self.store, name) {
            Some(global) => Ok(Ok(vec![global.get(&self.store)])),
            None => Err(failed(
                expected,
                format!("no exported global named {name:?}"),
            )),
        }
    }
}

/// The slot a module directive leaves when it stopped early with `stop`.
fn slot_of_stop(line: usize, stop: &Verdict) -> Slot {
    match stop {
        Verdict::Skipped | Verdict::SkippedUnsupported => Slot::Unsupported,
        _ => Slot::Failed(line),
    }
}

/// The verdict of a directive that uses a module instance that does not exist.
fn dependent(expected: &str, slot: Slot) -> Verdict {
    match slot {
        Slot::Ready(_) => Verdict::Passed,
        Slot::Unsupported => Verdict::SkippedUnsupported,
        Slot::Failed(line) => failed(
            expected,
            format!("not run: the module directive of line {line} failed"),
        ),
    }
}

fn failed(expected: &str, actual: String) -> Verdict {
    Verdict::Failed {
        expected: expected.to_string(),
        actual,
    }
}

/// A runtime error in words, led by its kind: `invalid: ...`, `trap: ...`, `link error: ...`.
pub fn describe_error(e: &Error) -> String {
    match e {
        Error::Validation(e) => {
            format!("{}: {e}", crate::run::kind_name(e.kind))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_and_failed_modules_make_their_dependents_skip_or_fail() {
        assert_eq!(
            dependent("i32:1", Slot::Unsupported),
            Verdict::SkippedUnsupported
        );
        assert_eq!(
            dependent("i32:1", Slot::Failed(12)),
            failed(
                "i32:1",
                "not run: the module directive of line 12 failed".into()
            )
        );
        assert!(matches!(
            slot_of_stop(3, &Verdict::SkippedUnsupported),
            Slot::Unsupported
        ));
        assert!(matches!(
            slot_of_stop(3, &failed("valid", "invalid: x".into())),
            Slot::Failed(3)
        ));
    }
}
