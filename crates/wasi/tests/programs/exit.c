/*
 * exit N: prints a line on stdout and one on stderr, registers an atexit handler, and calls
 * exit(N), so that proc_exit(N) must become the process exit status and buffered stdout must
 * have been flushed first. Without an argument it returns 0 from main.
 */
#include <stdio.h>
#include <stdlib.h>

static void at_exit_handler(void) { puts("atexit handler ran"); }

int main(int argc, char **argv) {
    atexit(at_exit_handler);
    if (argc < 2) {
        puts("returning 0 from main");
        return 0;
    }
    int n = atoi(argv[1]);
    printf("exiting with %d\n", n);
    fprintf(stderr, "exit: about to exit(%d)\n", n);
    exit(n);
}
