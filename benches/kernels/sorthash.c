/*
 * Sort, hash map and sieve: the everyday integer work of a service.
 *
 * 1. Sort: n pseudo-random 32-bit keys, sorted with a quicksort (median of three, insertion
 *    sort for short ranges, recursion on the smaller side only); the sorted array is hashed.
 * 2. Hash map: open addressing with linear probing, capacity a power of two >= n. n keys
 *    drawn from a range of n/2 are inserted, counting repeats (so the table is at most half
 *    full), then n other keys are looked up; the hits and the counts found are folded in.
 * 3. Sieve of Eratosthenes up to 8n: the number of primes and their sum.
 *
 * Arrays come from the bump allocator in arena.h, which grows linear memory.
 */
#include "arena.h"

static void insertion_sort(uint32_t *a, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int32_t j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static inline void swap_u32(uint32_t *a, int32_t i, int32_t j) {
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Sorts a[lo..=hi]. */
static void quicksort(uint32_t *a, int32_t lo, int32_t hi) {
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        /* Order a[lo], a[mid], a[hi]; the median ends up at mid. */
        if (a[mid] < a[lo]) swap_u32(a, mid, lo);
        if (a[hi] < a[lo]) swap_u32(a, hi, lo);
        if (a[hi] < a[mid]) swap_u32(a, hi, mid);
        uint32_t pivot = a[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap_u32(a, i, j);
                i++;
                j--;
            }
        }
        /* Now a[lo..=j] <= pivot <= a[i..=hi]. Recurse on the smaller side. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

typedef struct {
    uint32_t key; /* 0 marks an empty slot; keys are never 0 */
    uint32_t count;
} slot;

static inline uint32_t hash_u32(uint32_t k, uint32_t shift) { return (k * 0x9e3779b1u) >> shift; }

KERNEL_EXPORT int64_t run(int32_t n) {
    if (n < 16) n = 16;
    uint32_t count = (uint32_t)n;
    uint64_t h = count;
    uint32_t rng = 0x2545f491u;

    /* 1. Sort. */
    uint32_t *keys = arena_alloc(count * 4u);
    for (uint32_t i = 0; i < count; i++) keys[i] = xorshift32(&rng);
    quicksort(keys, 0, (int32_t)count - 1);
    uint64_t sorted_hash = 0;
    uint32_t in_order = 1;
    for (uint32_t i = 0; i < count; i++) {
        sorted_hash = sorted_hash * 31u + keys[i];
        if (i > 0 && keys[i - 1] > keys[i]) in_order = 0;
    }
    h = mix64(h, sorted_hash);
    h = mix64(h, in_order);

    /* 2. Hash map. */
    uint32_t bits = 1;
    while ((1u << bits) < count) bits++;
    uint32_t capacity = 1u << bits, mask = capacity - 1, shift = 32u - bits;
    slot *table = arena_alloc(capacity * (uint32_t)sizeof(slot));
    uint32_t range = count / 2;
    uint32_t distinct = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t key = xorshift32(&rng) % range + 1u;
        uint32_t s = hash_u32(key, shift);
        while (table[s].key != 0 && table[s].key != key) s = (s + 1) & mask;
        if (table[s].key == 0) {
            table[s].key = key;
            distinct++;
        }
        table[s].count++;
    }
    uint32_t hits = 0;
    uint64_t found = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t key = xorshift32(&rng) % count + 1u; /* about half fall outside the range */
        uint32_t s = hash_u32(key, shift);
        while (table[s].key != 0) {
            if (table[s].key == key) {
                hits++;
                found = found * 7u + table[s].count;
                break;
            }
            s = (s + 1) & mask;
        }
    }
    h = mix64(h, distinct);
    h = mix64(h, hits);
    h = mix64(h, found);

    /* 3. Sieve. composite[i] is 1 when i is not prime; fresh memory is zero. */
    uint32_t limit = 8u * count;
    uint8_t *composite = arena_alloc(limit + 1u);
    uint32_t primes = 0;
    uint64_t prime_sum = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        primes++;
        prime_sum += i;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i) composite[j] = 1;
    }
    h = mix64(h, primes);
    h = mix64(h, prime_sum);
    return checksum(h);
}
