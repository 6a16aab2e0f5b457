/*
 * Recursive Fibonacci: nothing but calls, returns, compares and adds. Measures the cost of a
 * Wasm-to-Wasm call and return. run(n) returns fib(n) (fib(0) = 0, fib(1) = 1).
 */
#include "kernel.h"

static __attribute__((noinline)) int64_t fib(int32_t n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

KERNEL_EXPORT int64_t run(int32_t n) { return fib(n); }
