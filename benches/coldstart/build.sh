#!/usr/bin/env bash
# Rebuilds the cold-start programs: benches/coldstart/NAME.c -> benches/coldstart/NAME.wasm, a
# WASI command (committed), and, when a host C compiler is present, a native build
# benches/coldstart/native/NAME (not committed).
#
# usage: benches/coldstart/build.sh [--no-native | --native-only] [NAME...]
#
# --native-only rebuilds only the native programs (needs only the host cc); the cold-start
# harness (benches/harness/coldstart.py) uses it, so that it measures the committed .wasm files
# without needing clang.
#
# Needs Debian's clang-19, lld-19 (for wasm-ld), wasi-libc and libclang-rt-19-dev-wasm32. When
# they are missing and this runs as root where apt-get exists, it installs them; otherwise it
# stops and says what to install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

native=1
wasm=1
names=()
for arg in "$@"; do
    case "$arg" in
        --no-native) native=0 ;;
        --native-only) wasm=0 ;;
        -h|--help) sed -n '2,14p' "$here/build.sh" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) names+=("$arg") ;;
    esac
done
if [ ${#names[@]} -eq 0 ]; then
    names=(nothing hello)
fi

# shellcheck source=../../scripts/wasm-toolchain.sh
source "$here/../../scripts/wasm-toolchain.sh"
if [ "$wasm" = 1 ]; then
    need_wasm_toolchain --wasi
fi

# A WASI command (`_start`) with wasi-libc; --strip-all drops the name section and debug info,
# so the module is as small as a deployed one would be.
WASI_FLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-all)
NATIVE_FLAGS=(-O2 -Wall -Wextra)

[ "$native" = 0 ] || mkdir -p native
for name in "${names[@]}"; do
    src="$name.c"
    [ -f "$src" ] || { echo "build.sh: no program $src" >&2; exit 2; }
    if [ "$wasm" = 1 ]; then
        "$CLANG" "${WASI_FLAGS[@]}" -o "$name.wasm" "$src"
        echo "built benches/coldstart/$name.wasm ($(wc -c <"$name.wasm") bytes)"
    fi
    if [ "$native" = 1 ]; then
        if command -v cc >/dev/null; then
            cc "${NATIVE_FLAGS[@]}" -o "native/$name" "$src"
            echo "built benches/coldstart/native/$name"
        elif [ "$wasm" = 0 ]; then
            echo "build.sh: no host cc to build native/$name" >&2
            exit 1
        else
            echo "build.sh: no host cc, skipping the native build of $name" >&2
        fi
    fi
done
