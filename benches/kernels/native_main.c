/*
 * Native driver for a kernel: `./kernel N` calls run(N) and prints the checksum in decimal,
 * the same line a Wasm engine prints for `run(N)`, so the two can be compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int64_t run(int32_t n);

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    int32_t n = (int32_t)strtol(argv[1], NULL, 10);
    printf("%lld\n", (long long)run(n));
    return 0;
}
