#!/usr/bin/env bash
# Rebuilds the example functions of `ssvm-lite serve`: examples/serve/NAME.c ->
# examples/serve/NAME.wasm, WASI commands (committed, so that serving them needs no C
# toolchain).
#
# Needs Debian's clang-19, lld-19, wasi-libc and libclang-rt-19-dev-wasm32; when they are
# missing and this runs as root where apt-get exists, it installs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# shellcheck source=../../scripts/wasm-toolchain.sh
source ../../scripts/wasm-toolchain.sh
need_wasm_toolchain --wasi

for name in echo mandelbrot primes; do
    "$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug -o "$name.wasm" "$name.c"
    echo "built examples/serve/$name.wasm ($(wc -c <"$name.wasm") bytes)"
done
