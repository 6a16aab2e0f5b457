/* The smallest WASI command: prints one line and returns 0. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
