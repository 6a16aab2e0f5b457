/*
 * Shared by the WASI test programs. Plain C99 + POSIX: every program except sandbox.c,
 * trap.c and abort.c also builds natively (build.sh --native DIR) and prints the same lines
 * there, which is how the expected output in crates/cli/tests/wasi.rs was derived.
 */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The symbolic name of an errno value (portable subset), "E?<n>" for the rest. */
__attribute__((unused)) static const char *errno_name(int e) {
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EILSEQ: return "EILSEQ";
    case EOVERFLOW: return "EOVERFLOW";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
#if defined(ENOTSUP)
    case ENOTSUP: return "ENOTSUP";
#endif
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "E?%d", e);
        return buf;
    }
    }
}

static int failures;

/* Prints "what: ok" when cond holds, otherwise "what: FAILED" (and counts the failure). */
#define CHECK(what, cond)                                                      \
    do {                                                                       \
        int check_ok_ = (cond);                                                \
        printf("%s: %s\n", (what), check_ok_ ? "ok" : "FAILED");               \
        if (!check_ok_) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s (errno %s)\n", __FILE__,  \
                    __LINE__, #cond, errno_name(errno));                       \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* Dies with a message when a set-up step fails (the step is not itself under test). */
#define MUST(expr)                                                             \
    do {                                                                       \
        if (!(expr)) {                                                         \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__,      \
                    #expr, errno_name(errno));                                 \
            exit(99);                                                          \
        }                                                                      \
    } while (0)

/* The base directory every path is relative to: argv[1] when given, else ".". */
static const char *base_dir = ".";

/* base_dir + "/" + name, in one of a few rotating static buffers. */
__attribute__((unused)) static const char *P(const char *name) {
    static char bufs[4][4096];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", base_dir, name);
    return b;
}

/* Exit status: 0 when every CHECK passed, 1 otherwise. */
__attribute__((unused)) static int finish(void) {
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
    return failures ? 1 : 0;
}

#endif
