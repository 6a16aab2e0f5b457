// A function for `ssvm-lite serve` (docs/serve.md) with a heavy start: it sieves the primes below
// two million before it can answer. Served with `--preinit` (or `preinit = true` in a routes
// file), the sieve runs once, in `wizer.initialize`, and every request starts from the state it
// left; without it, every request sieves again.
//
//   /primes?n=1000     the 1000th prime
//   /primes?below=X    how many primes are below X (X at most two million)
//   /primes            how many primes there are below two million, and the largest
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT 2000000

static unsigned char composite[LIMIT / 8 + 1];
static unsigned primes[150000];
static unsigned count;
static int ready;

static int is_composite(unsigned n) { return composite[n / 8] >> (n % 8) & 1; }

// The start-up: sieve of Eratosthenes, then the primes in a list. The bitmap is cleared after,
// so that a snapshot keeps only the list. It reads neither the environment nor arguments.
__attribute__((export_name("wizer.initialize"))) void initialize(void) {
    for (unsigned i = 2; (unsigned long)i * i < LIMIT; i++) {
        if (!is_composite(i)) {
            for (unsigned j = i * i; j < LIMIT; j += i) {
                composite[j / 8] |= 1 << (j % 8);
            }
        }
    }
    for (unsigned i = 2; i < LIMIT; i++) {
        if (!is_composite(i)) {
            primes[count++] = i;
        }
    }
    memset(composite, 0, sizeof composite);
    ready = 1;
}

// Primes below x: the first index whose prime is not below x.
static unsigned below(unsigned long x) {
    unsigned lo = 0, hi = count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (primes[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int number(const char *text, unsigned long max, unsigned long *out) {
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

int main(void) {
    if (!ready) {
        initialize();
    }
    const char *q = getenv("QUERY_STRING");
    unsigned long v;
    if (!q || !*q) {
        printf("Content-Type: text/plain\n\n%u primes below %d, the largest %u\n", count, LIMIT,
               primes[count - 1]);
    } else if (!strncmp(q, "n=", 2) && number(q + 2, count, &v) && v > 0) {
        printf("Content-Type: text/plain\n\n%u\n", primes[v - 1]);
    } else if (!strncmp(q, "below=", 6) && number(q + 6, LIMIT, &v)) {
        printf("Content-Type: text/plain\n\n%u\n", below(v));
    } else {
        printf("Status: 400 Bad Request\nContent-Type: text/plain\n\n"
               "use n=K (1 to %u) or below=X (0 to %d)\n", count, LIMIT);
    }
    return 0;
}
