#!/usr/bin/env python3
"""Runs a WASI reactor under wasmtime (wasmtime-py), as `wasmtime run --invoke NAME` would:
`_initialize` first when the module exports it, then NAME; function imports that WASI does not
define trap when called (`--trap-unknown-imports`). Used by numpy_program.py as the reference
runtime; run with the interpreter of the venv that has wasmtime-py.

usage: wasmtime_reactor.py MODULE CACHE NAME STDIN STDOUT [HOST_DIR::GUEST_DIR ...]

CACHE is where the compiled module is kept: Cranelift takes minutes on a module of 100 MB, so it
is compiled once and read back on later runs (the file is rewritten when it does not load).

The guest's standard output goes to the file STDOUT (standard error is inherited), its standard
input comes from the file STDIN; NAME's results are printed on our standard output, one per
line, as ssvm-lite and wasmtime print them.
"""

import sys

import wasmtime


def compiled(engine, module_path, cache):
    """The module, from the cache when it holds this engine's compilation of it."""
    try:
        return wasmtime.Module.deserialize_file(engine, cache)
    except (OSError, wasmtime.WasmtimeError):
        module = wasmtime.Module.from_file(engine, module_path)
        with open(cache, "wb") as f:
            f.write(module.serialize())
        return module


def main(argv):
    module_path, cache, name, stdin, stdout, *dirs = argv
    config = wasmtime.Config()
    config.wasm_exceptions = True
    engine = wasmtime.Engine(config)
    module = compiled(engine, module_path, cache)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [module_path]
    wasi.stdin_file = stdin
    wasi.stdout_file = stdout
    wasi.inherit_stderr()
    for spec in dirs:
        host, _, guest = spec.partition("::")
        wasi.preopen_dir(host, guest or host)
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.define_unknown_imports_as_traps(module)
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    if "_initialize" in exports:
        exports["_initialize"](store)
    result = exports[name](store)
    results = [] if result is None else list(result) if isinstance(result, list) else [result]
    for value in results:
        print(value)


if __name__ == "__main__":
    main(sys.argv[1:])
