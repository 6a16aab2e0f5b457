# Sourced by the build scripts that compile C to WebAssembly (benches/kernels, benches/coldstart,
# examples, crates/wasi/tests/programs): `need_wasm_toolchain` makes sure Debian's clang-19 and
# wasm-ld-19 are there, and with `--wasi` also wasi-libc and the wasm32 compiler runtime. What is
# missing is installed with apt-get when running as root where apt-get exists; otherwise the
# caller stops with a message naming the packages.

CLANG=clang-19

need_wasm_toolchain() {
    local packages=()
    if ! command -v "$CLANG" >/dev/null || ! command -v wasm-ld-19 >/dev/null; then
        packages+=(clang-19 lld-19)
    fi
    if [ "${1:-}" = --wasi ]; then
        [ -f /usr/lib/wasm32-wasi/libc.a ] || packages+=(wasi-libc)
        if ! command -v "$CLANG" >/dev/null ||
           [ ! -f "$("$CLANG" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]; then
            packages+=(libclang-rt-19-dev-wasm32)
        fi
    fi
    [ ${#packages[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${packages[*]} with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
    else
        echo "${packages[*]} are needed: install these Debian packages" \
             "(apt-get install ${packages[*]}, as root)" >&2
        exit 1
    fi
}
