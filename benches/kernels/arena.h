/*
 * A bump allocator over memory obtained in chunks: on wasm32 each chunk comes from
 * `memory.grow`, natively from a large zeroed static array. There is no free; kernels that
 * recycle objects keep their own free lists on top of it (see binarytrees.c).
 */
#ifndef BENCH_ARENA_H
#define BENCH_ARENA_H

#include "kernel.h"

#define ARENA_CHUNK (1u << 20)

static unsigned char *arena_cur;
static unsigned char *arena_end;

#if defined(__wasm__)
/* Grows linear memory by at least `bytes` and returns the start of the new pages. */
static unsigned char *arena_chunk(uint32_t *bytes) {
    uint32_t pages = (*bytes + 65535u) / 65536u;
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1) __builtin_trap();
    *bytes = pages * 65536u;
    return (unsigned char *)(old * 65536u);
}
#else
#define NATIVE_HEAP_SIZE (1u << 30)
static unsigned char native_heap[NATIVE_HEAP_SIZE];
static uint32_t native_heap_used;

static unsigned char *arena_chunk(uint32_t *bytes) {
    if (*bytes > NATIVE_HEAP_SIZE - native_heap_used) __builtin_trap();
    unsigned char *p = native_heap + native_heap_used;
    native_heap_used += *bytes;
    return p;
}
#endif

/* Returns `bytes` (rounded up to 8) of fresh zeroed memory, 8-byte aligned. */
static void *arena_alloc(uint32_t bytes) {
    bytes = (bytes + 7u) & ~7u;
    if ((size_t)(arena_end - arena_cur) < bytes) {
        uint32_t chunk = bytes > ARENA_CHUNK ? bytes : ARENA_CHUNK;
        arena_cur = arena_chunk(&chunk);
        arena_end = arena_cur + chunk;
    }
    void *p = arena_cur;
    arena_cur += bytes;
    return p;
}

#endif
