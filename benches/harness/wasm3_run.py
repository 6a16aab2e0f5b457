"""The harness's `wasm3` engine, through the pywasm3 package.

usage: PYTHON wasm3_run.py FILE.wasm N               runs `run(N)` of a kernel, prints the result
       PYTHON wasm3_run.py --wasi FILE.wasm ARGS...  runs the WASI command's `_start`
(PYTHON being an interpreter where pywasm3 is installed). pywasm3 0.5.0 links no WASI imports,
so loading a WASI command fails, naming the first import it misses; it also has no way to pass
ARGS, which are taken only so that every engine has the same command line.
"""

import sys

import wasm3

STACK_BYTES = 1 << 20


def load(path):
    env = wasm3.Environment()
    runtime = env.new_runtime(STACK_BYTES)
    with open(path, "rb") as f:
        runtime.load(env.parse_module(f.read()))
    return runtime


def main(argv):
    if len(argv) >= 3 and argv[1] == "--wasi":
        load(argv[2]).find_function("_start")()
        return 0
    if len(argv) != 3:
        print("usage: wasm3_run.py FILE.wasm N | wasm3_run.py --wasi FILE.wasm ARGS...", file=sys.stderr)
        return 2
    path, n = argv[1], int(argv[2])
    print(load(path).find_function("run")(n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
