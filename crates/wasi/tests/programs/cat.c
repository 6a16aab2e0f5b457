/*
 * cat [FILE]: copies FILE (default: standard input) to standard output with read(2) and
 * write(2) in 64 KiB blocks, handling short writes; binary safe. Reports the byte count on
 * stderr ("cat: N bytes"). Exits 1 when FILE cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
    int in = 0;
    if (argc > 1) {
        in = open(argv[1], O_RDONLY);
        if (in < 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    long long total = 0;
    for (;;) {
        ssize_t got = read(in, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "cat: read: %s\n", strerror(errno));
            return 1;
        }
        if (got == 0) break;
        total += got;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write(1, buf + done, (size_t)(got - done));
            if (put < 0) {
                if (errno == EINTR) continue;
                fprintf(stderr, "cat: write: %s\n", strerror(errno));
                return 1;
            }
            done += put;
        }
    }
    fprintf(stderr, "cat: %lld bytes\n", total);
    return 0;
}
