"""The harness's `wasm3` engine: runs `run(N)` of a kernel under wasm3, through the pywasm3
package, and prints the result on one line.

usage: PYTHON wasm3_run.py FILE.wasm N   (PYTHON being an interpreter where pywasm3 is installed)
"""

import sys

import wasm3

STACK_BYTES = 1 << 20


def main(argv):
    if len(argv) != 3:
        print("usage: wasm3_run.py FILE.wasm N", file=sys.stderr)
        return 2
    path, n = argv[1], int(argv[2])
    env = wasm3.Environment()
    runtime = env.new_runtime(STACK_BYTES)
    with open(path, "rb") as f:
        runtime.load(env.parse_module(f.read()))
    print(runtime.find_function("run")(n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
