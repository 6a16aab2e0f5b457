/*
 * Randomness (random_get): getentropy() and arc4random_buf() fill buffers, two 32-byte draws
 * differ, and a 1 MiB draw looks uniform (every byte value occurs, and the counts are within a
 * generous band). Prints only properties.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "common.h"

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static unsigned char big[1 << 20];

int main(void) {
    unsigned char a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK("getentropy 32 bytes", getentropy(a, sizeof a) == 0);
    CHECK("getentropy 32 bytes again", getentropy(b, sizeof b) == 0);
    CHECK("first draw not all zero", !all_zero(a, sizeof a));
    CHECK("two getentropy draws differ", memcmp(a, b, sizeof a) != 0);

    unsigned char c[256];
    memset(c, 0, sizeof c);
    CHECK("getentropy 256 bytes", getentropy(c, sizeof c) == 0);
    CHECK("256-byte draw not all zero", !all_zero(c, sizeof c));
    CHECK("getentropy 0 bytes", getentropy(c, 0) == 0);

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    arc4random_buf(a, sizeof a);
    arc4random_buf(b, sizeof b);
    CHECK("arc4random_buf not all zero", !all_zero(a, sizeof a));
    CHECK("two arc4random_buf draws differ", memcmp(a, b, sizeof a) != 0);

    /* 1 MiB: each value is expected 4096 times (sd ~ 64); accept 3000..5200. */
    arc4random_buf(big, sizeof big);
    unsigned long counts[256] = {0};
    for (size_t i = 0; i < sizeof big; i++) counts[big[i]]++;
    unsigned long lo = counts[0], hi = counts[0];
    for (int i = 1; i < 256; i++) {
        if (counts[i] < lo) lo = counts[i];
        if (counts[i] > hi) hi = counts[i];
    }
    CHECK("1 MiB arc4random_buf looks uniform", lo >= 3000 && hi <= 5200);

    uint32_t x = arc4random(), y = arc4random(), z = arc4random();
    CHECK("three arc4random() values not all equal", !(x == y && y == z));
    CHECK("arc4random_uniform(10) < 10", arc4random_uniform(10) < 10);
    return finish();
}
