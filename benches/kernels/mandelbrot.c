/*
 * Mandelbrot set: an n x n grid over [-1.5, 0.5] x [-1.0, 1.0], at most 64 iterations of
 * z = z^2 + c per point, escaping when |z|^2 > 4. Tight f64 multiply/add loops with a
 * data-dependent exit.
 *
 * The checksum folds, row by row, how many points stayed bounded, the sum of the iteration
 * counts, and a bit pattern of the row (one bit per point, in set or not).
 */
#include "kernel.h"

#define MAX_ITER 64

KERNEL_EXPORT int64_t run(int32_t n) {
    uint64_t h = (uint64_t)n;
    double scale = 2.0 / (double)n;
    for (int32_t y = 0; y < n; y++) {
        double ci = (double)y * scale - 1.0;
        uint32_t inside = 0, iters = 0;
        uint64_t bits = 0;
        for (int32_t x = 0; x < n; x++) {
            double cr = (double)x * scale - 1.5;
            double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
            int32_t i = 0;
            while (i < MAX_ITER && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                i++;
            }
            iters += (uint32_t)i;
            uint64_t in = i == MAX_ITER;
            inside += (uint32_t)in;
            bits = (bits << 1 | bits >> 63) ^ in;
        }
        h = mix64(h, ((uint64_t)inside << 32) | iters);
        h = mix64(h, bits);
    }
    return checksum(h);
}
