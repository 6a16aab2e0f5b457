/*
 * Fannkuch-redux: for every permutation of 0..n-1, count the prefix reversals ("pancake
 * flips") it takes until 0 comes first. Small int arrays, loads and stores, short loops and
 * unpredictable branches. n must be between 3 and 12.
 *
 * The permutations are visited in the usual order (rotate the first r elements, with a counter
 * per position) so the results match the well-known values. The checksum is
 * 100 * (alternating sum of flip counts: even-numbered permutations add, odd ones subtract)
 * + (the maximum number of flips).
 */
#include "kernel.h"

#define MAX_N 12

KERNEL_EXPORT int64_t run(int32_t n) {
    if (n < 3 || n > MAX_N) __builtin_trap();
    int32_t perm[MAX_N], next[MAX_N], counter[MAX_N];
    for (int32_t i = 0; i < n; i++) next[i] = i;

    int32_t max_flips = 0;
    int64_t alternating = 0;
    uint32_t visited = 0;
    int32_t r = n;
    for (;;) {
        for (; r != 1; r--) counter[r - 1] = r;

        /* Flip the current permutation until 0 is in front. */
        for (int32_t i = 0; i < n; i++) perm[i] = next[i];
        int32_t flips = 0;
        for (int32_t k = perm[0]; k != 0; k = perm[0]) {
            for (int32_t lo = 0, hi = k; lo < hi; lo++, hi--) {
                int32_t t = perm[lo];
                perm[lo] = perm[hi];
                perm[hi] = t;
            }
            flips++;
        }
        if (flips > max_flips) max_flips = flips;
        alternating += (visited & 1) ? -flips : flips;
        visited++;

        /* Step to the next permutation: rotate the first r+1 elements left by one. */
        for (;;) {
            if (r == n) {
                /* Readable: n = 7 gives 22816 (sum 228, at most 16 flips). */
                return alternating * 100 + max_flips;
            }
            int32_t first = next[0];
            for (int32_t i = 0; i < r; i++) next[i] = next[i + 1];
            next[r] = first;
            if (--counter[r] > 0) break;
            r++;
        }
    }
}
