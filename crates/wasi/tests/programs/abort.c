/* Calls abort() after flushing one line: in wasi-libc abort() is a trap (`unreachable`). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    puts("about to abort");
    fflush(stdout);
    abort();
}
