#!/usr/bin/env bash
# Rebuilds the example WASI program: examples/wc.c -> examples/wc.wasm (committed, so that
# running it needs no C toolchain).
#
# Needs Debian's clang-19, lld-19, wasi-libc and libclang-rt-19-dev-wasm32; when they are
# missing and this runs as root where apt-get exists, it installs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

packages=(clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)
if ! command -v clang-19 >/dev/null || [ ! -e /usr/include/wasm32-wasi/stdio.h ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
    else
        echo "build.sh: needs ${packages[*]} (Debian packages)" >&2
        exit 1
    fi
fi

clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug -o wc.wasm wc.c
echo "built examples/wc.wasm"
