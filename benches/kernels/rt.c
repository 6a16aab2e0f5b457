/*
 * The libc routines clang may emit calls to on its own (for struct copies and for loops it
 * recognises as fills or copies), for the wasm32 build, which links no libc. The linker drops
 * whichever of them a kernel does not use. The native build uses the host libc instead.
 *
 * LLVM does not turn the loops of a function named memset or memcpy into calls to itself.
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t len) {
    unsigned char *d = dst;
    while (len--) *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t len) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (len--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t len) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (len--) *d++ = *s++;
    } else {
        while (len--) d[len] = s[len];
    }
    return dst;
}
