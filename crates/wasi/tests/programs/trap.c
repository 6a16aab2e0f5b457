/*
 * Traps (`unreachable`) inside a named function that is never inlined, two calls deep below
 * main, after flushing one line to stdout. The runtime must exit with 3, print
 * "error: trap: ..." and a backtrace naming deliberately_trapping_function.
 */
#include <stdio.h>

__attribute__((noinline)) void deliberately_trapping_function(int depth) {
    if (depth >= 0) __builtin_trap();
    puts("not reached");
}

__attribute__((noinline)) void calls_the_trapping_function(int depth) {
    deliberately_trapping_function(depth);
    puts("not reached either");
}

int main(int argc, char **argv) {
    (void)argv;
    puts("about to trap");
    fflush(stdout);
    calls_the_trapping_function(argc);
    return 0;
}
