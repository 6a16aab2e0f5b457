"""Runs `run(N)` of a bench kernel under wasmtime (wasmtime-py, Cranelift), as the harness's
other engines do, and prints the result. Used by simd.py; run with the interpreter of the venv
that has wasmtime-py (benches/.tools/wasmtime-py, installed by numpy_program.py or simd.py).

usage: PYTHON wasmtime_kernel.py FILE.wasm N
"""

import sys

import wasmtime


def main(argv):
    if len(argv) != 3:
        print("usage: wasmtime_kernel.py FILE.wasm N", file=sys.stderr)
        return 2
    path, n = argv[1], int(argv[2])
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, path)
    instance = wasmtime.Instance(store, module, [])
    print(instance.exports(store)["run"](store, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
