#!/usr/bin/env bash
# Rebuilds the WASI test programs: crates/wasi/tests/programs/NAME.c -> NAME.wasm (committed;
# the tests in crates/cli/tests/wasi.rs run those and never need clang).
#
# usage: crates/wasi/tests/programs/build.sh [--native DIR] [NAME...]
#
# --native DIR also builds, with the host cc, a native Linux program DIR/NAME of every portable
# program (all but sandbox, trap and abort), to run by hand and compare with the WASI output:
# that is how the expected output in wasi.rs was derived (see README.md).
#
# Needs Debian's clang-19, lld-19 (wasm-ld), wasi-libc and libclang-rt-19-dev-wasm32. When they
# are missing and this runs as root where apt-get exists, it installs them; otherwise it stops
# and says what to install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

native_dir=""
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --native)
            [ $# -ge 2 ] || { echo "build.sh: --native needs a directory" >&2; exit 2; }
            native_dir="$2"; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
        *) names+=("$1") ;;
    esac
    shift
done
if [ -n "$native_dir" ]; then
    mkdir -p "$native_dir"
    native_dir="$(cd "$native_dir" && pwd)"
fi
cd "$here"
if [ ${#names[@]} -eq 0 ]; then
    names=(hello files dirs symlinks clocks random args cat exit trap abort sandbox)
fi
# Programs that only make sense under WASI (no native build).
wasi_only=" sandbox trap abort "

# shellcheck source=../../../../scripts/wasm-toolchain.sh
source "$here/../../../../scripts/wasm-toolchain.sh"
need_wasm_toolchain --wasi

# WASI commands (`_start`) linked with wasi-libc. --strip-debug drops the DWARF that wasi-libc
# carries but keeps the name section, so that trap backtraces can name functions.
WASI_FLAGS=(--target=wasm32-wasi -O2 -std=c99 -Wall -Wextra -Werror -Wl,--strip-debug)
NATIVE_FLAGS=(-O2 -std=c99 -Wall -Wextra -Werror)

for name in "${names[@]}"; do
    src="$name.c"
    [ -f "$src" ] || { echo "build.sh: no program $src" >&2; exit 2; }
    "$CLANG" "${WASI_FLAGS[@]}" -o "$name.wasm" "$src"
    echo "built crates/wasi/tests/programs/$name.wasm ($(wc -c <"$name.wasm") bytes)"
    if [ -n "$native_dir" ] && [ "${wasi_only/ $name /}" = "$wasi_only" ]; then
        cc "${NATIVE_FLAGS[@]}" -o "$native_dir/$name" "$src"
        echo "built $native_dir/$name"
    fi
done
