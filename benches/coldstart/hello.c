/* Cold-start benchmark: hello world through printf (wasi-libc's stdio, one fd_write). */
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    return 0;
}
