#!/usr/bin/env bash
# Rebuilds the example WASI program: examples/wc.c -> examples/wc.wasm (committed, so that
# running it needs no C toolchain).
#
# Needs Debian's clang-19, lld-19, wasi-libc and libclang-rt-19-dev-wasm32; when they are
# missing and this runs as root where apt-get exists, it installs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# shellcheck source=../scripts/wasm-toolchain.sh
source ../scripts/wasm-toolchain.sh
need_wasm_toolchain --wasi

"$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug -o wc.wasm wc.c
echo "built examples/wc.wasm"
