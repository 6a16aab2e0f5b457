/*
 * Shared by every benchmark kernel.
 *
 * Each kernel is one freestanding C file that exports `int64_t run(int32_t n)`: it does work
 * that grows with n and returns a checksum that depends on all of that work, so that a compiler
 * cannot drop any of it and so that every engine can be checked to have computed the same thing.
 * Checksums are always non-negative (the top bit is cleared) so that every engine prints them the
 * same way whether it shows i64 results as signed or unsigned.
 *
 * The same file builds to wasm32 (no libc; see rt.c) and natively with the host compiler
 * (linked with native_main.c), and both builds must return the same checksum.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define KERNEL_EXPORT __attribute__((export_name("run")))
#else
#define KERNEL_EXPORT
#endif

/* The entry point every kernel defines. */
KERNEL_EXPORT int64_t run(int32_t n);

/* Folds v into the running hash h (order-sensitive). */
static inline uint64_t mix64(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 29);
}

/* The checksum a kernel returns: the hash with its top bit cleared. */
static inline int64_t checksum(uint64_t h) { return (int64_t)(h >> 1); }

/* xorshift32: a tiny deterministic generator; the state must never be zero. */
static inline uint32_t xorshift32(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

#endif
