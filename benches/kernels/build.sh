#!/usr/bin/env bash
# Rebuilds every benchmark kernel: benches/kernels/NAME.c -> benches/kernels/NAME.wasm (committed)
# and, when a host C compiler is present, a native build benches/kernels/native/NAME (not
# committed) whose checksum must match the Wasm one.
#
# usage: benches/kernels/build.sh [--no-native | --native-only | --wasi-only | --simd-only] [--wasi] [NAME...]
#
# --native-only rebuilds only the native programs (needs only the host cc); the benchmark
# harness uses it, so that it measures the committed .wasm files without needing clang.
# --wasi also builds each kernel as a WASI command benches/kernels/wasi/NAME.wasm (committed):
# the kernel linked with native_main.c and wasi-libc, so that `ssvm-lite run wasi/NAME.wasm N`
# prints the checksum as the native build does; --wasi-only builds only those.
# --simd-only builds only benches/.tools/simd/NAME.wasm (not committed): the plain kernel with
# -msimd128, so that clang vectorises what it can (benches/harness/simd.py compares the two).
#
# Needs Debian's clang-19 and lld-19 (for wasm-ld), and for --wasi also wasi-libc and
# libclang-rt-19-dev-wasm32. When they are missing and this runs as root where apt-get exists,
# it installs them; otherwise it stops and says what to install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

native=1
wasm=1
wasi=0
simd=0
names=()
for arg in "$@"; do
    case "$arg" in
        --no-native) native=0 ;;
        --native-only) wasm=0 ;;
        --wasi) wasi=1 ;;
        --wasi-only) wasi=1; wasm=0; native=0 ;;
        --simd-only) simd=1; wasm=0; native=0 ;;
        -h|--help) sed -n '2,18p' "$here/build.sh" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) names+=("$arg") ;;
    esac
done
if [ ${#names[@]} -eq 0 ]; then
    names=(fib nbody fannkuch mandelbrot binarytrees sorthash coremark)
fi

# shellcheck source=../../scripts/wasm-toolchain.sh
source "$here/../../scripts/wasm-toolchain.sh"
if [ "$wasi" = 1 ]; then
    need_wasm_toolchain --wasi
elif [ "$wasm" = 1 ] || [ "$simd" = 1 ]; then
    need_wasm_toolchain
fi

# Generic wasm32 (clang 19: sign-ext, mutable-globals, multivalue, reference-types; no SIMD,
# no bulk memory, so rt.c supplies memset/memcpy). No libc, no entry point: the module only
# exports `run` and its memory.
#
# -ffp-contract=off everywhere: by default clang turns a*b+c into llvm.fmuladd, which its
# optimiser may constant-fold with a single rounding (as a fused multiply-add), and gcc fuses
# them on CPUs with FMA. Either would make floating-point checksums (nbody) differ between
# the Wasm and the native build; with it every operation is rounded on its own, as Wasm does.
WASM_FLAGS=(--target=wasm32 -O2 -ffp-contract=off -nostdlib -Wall -Wextra
            -Wl,--no-entry -Wl,--export=run -Wl,-z,stack-size=1048576)
NATIVE_FLAGS=(-O2 -ffp-contract=off -fno-math-errno -Wall -Wextra)
# A WASI command (`_start`) with wasi-libc, which supplies memset/memcpy, so no rt.c. arena.h
# grows memory with memory.grow on its own, beside wasi-libc's malloc, which nothing here calls.
# --strip-debug drops wasi-libc's DWARF but keeps the name section for backtraces.
WASI_FLAGS=(--target=wasm32-wasi -O2 -ffp-contract=off -Wall -Wextra
            -Wl,-z,stack-size=1048576 -Wl,--strip-debug)

mkdir -p native
[ "$wasi" = 0 ] || mkdir -p wasi
[ "$simd" = 0 ] || mkdir -p ../.tools/simd
for name in "${names[@]}"; do
    src="$name.c"
    [ -f "$src" ] || { echo "build.sh: no kernel $src" >&2; exit 2; }
    if [ "$wasm" = 1 ]; then
        "$CLANG" "${WASM_FLAGS[@]}" -o "$name.wasm" "$src" rt.c
        echo "built benches/kernels/$name.wasm ($(wc -c <"$name.wasm") bytes)"
    fi
    if [ "$simd" = 1 ]; then
        "$CLANG" "${WASM_FLAGS[@]}" -msimd128 -o "../.tools/simd/$name.wasm" "$src" rt.c
        echo "built benches/.tools/simd/$name.wasm ($(wc -c <"../.tools/simd/$name.wasm") bytes)"
    fi
    if [ "$wasi" = 1 ]; then
        "$CLANG" "${WASI_FLAGS[@]}" -o "wasi/$name.wasm" "$src" native_main.c
        echo "built benches/kernels/wasi/$name.wasm ($(wc -c <"wasi/$name.wasm") bytes)"
    fi
    if [ "$native" = 1 ]; then
        if command -v cc >/dev/null; then
            cc "${NATIVE_FLAGS[@]}" -o "native/$name" "$src" native_main.c -lm
            echo "built benches/kernels/native/$name"
        elif [ "$wasm" = 0 ]; then
            echo "build.sh: no host cc to build native/$name" >&2
            exit 1
        else
            echo "build.sh: no host cc, skipping the native build of $name" >&2
        fi
    fi
done
