/*
 * wc: counts the lines, words and bytes of each file named on the command line (standard input
 * when none is), like the Unix tool. A WASI command: it reaches files only through the
 * directories `ssvm-lite run --dir` grants, e.g. from the repository root:
 *
 *     ssvm-lite run --dir examples examples/wc.wasm examples/wc.c
 *
 * Built by examples/build.sh.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Counts one stream; prints its line and returns 0, or says why it failed and returns 1. */
static int count(FILE *in, const char *name, long totals[3]) {
    long lines = 0, words = 0, bytes = 0;
    int in_word = 0, c;
    while ((c = getc(in)) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        if (isspace(c)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "wc: %s: %s\n", name, strerror(errno));
        return 1;
    }
    printf("%7ld %7ld %7ld %s\n", lines, words, bytes, name);
    totals[0] += lines;
    totals[1] += words;
    totals[2] += bytes;
    return 0;
}

int main(int argc, char **argv) {
    long totals[3] = {0, 0, 0};
    int failed = 0;
    if (argc < 2) return count(stdin, "", totals);
    for (int i = 1; i < argc; i++) {
        FILE *in = fopen(argv[i], "r");
        if (!in) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        failed |= count(in, argv[i], totals);
        fclose(in);
    }
    if (argc > 2) printf("%7ld %7ld %7ld total\n", totals[0], totals[1], totals[2]);
    return failed;
}
