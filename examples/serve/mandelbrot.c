// A function for `ssvm-lite serve` (docs/serve.md) that does real work from its query string:
// renders the Mandelbrot set as text, or as a PGM image with `format=pgm`.
//
//   /mandelbrot?width=64&height=24&iterations=256&x=-0.5&y=0&zoom=1&format=text
//
// Every parameter is optional; a bad one is answered with `Status: 400` and the reason.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct params {
    long width, height, iterations;
    double x, y, zoom;
    int pgm;
};

static int bad(const char *why, const char *value) {
    printf("Status: 400 Bad Request\nContent-Type: text/plain\n\n%s: `%s`\n", why, value);
    return 0;
}

// Parses `value` as a whole number in [lo, hi].
static int whole(const char *value, long lo, long hi, long *out) {
    char *end;
    long v = strtol(value, &end, 10);
    if (end == value || *end || v < lo || v > hi) {
        return 0;
    }
    *out = v;
    return 1;
}

static int real(const char *value, double *out) {
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || v != v) {
        return 0;
    }
    *out = v;
    return 1;
}

// Reads `key=value&...` into `p`; on a bad parameter answers 400 and returns 0.
static int parse(char *query, struct params *p) {
    for (char *pair = strtok(query, "&"); pair; pair = strtok(NULL, "&")) {
        char *value = strchr(pair, '=');
        if (!value) {
            return bad("a parameter needs a value", pair);
        }
        *value++ = '\0';
        int ok;
        if (!strcmp(pair, "width")) {
            ok = whole(value, 1, 400, &p->width);
        } else if (!strcmp(pair, "height")) {
            ok = whole(value, 1, 400, &p->height);
        } else if (!strcmp(pair, "iterations")) {
            ok = whole(value, 1, 100000, &p->iterations);
        } else if (!strcmp(pair, "x")) {
            ok = real(value, &p->x);
        } else if (!strcmp(pair, "y")) {
            ok = real(value, &p->y);
        } else if (!strcmp(pair, "zoom")) {
            ok = real(value, &p->zoom) && p->zoom > 0;
        } else if (!strcmp(pair, "format")) {
            ok = !strcmp(value, "text") || !strcmp(value, "pgm");
            p->pgm = !strcmp(value, "pgm");
        } else {
            return bad("unknown parameter", pair);
        }
        if (!ok) {
            return bad(pair, value);
        }
    }
    return 1;
}

// Iterations before the orbit of c = (cr, ci) escapes, at most `limit`.
static long escape(double cr, double ci, long limit) {
    double zr = 0, zi = 0;
    long i = 0;
    while (i < limit && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        i++;
    }
    return i;
}

int main(void) {
    struct params p = {64, 24, 256, -0.5, 0.0, 1.0, 0};
    const char *q = getenv("QUERY_STRING");
    char *query = strdup(q ? q : "");
    if (!query || !parse(query, &p)) {
        return 0;
    }
    // The view is 3 units wide at zoom 1; text cells are about twice as tall as wide.
    double scale = 3.0 / p.zoom / (double)p.width;
    double aspect = p.pgm ? 1.0 : 2.0;
    if (p.pgm) {
        printf("Content-Type: image/x-portable-graymap\n\nP5\n%ld %ld\n255\n", p.width, p.height);
    } else {
        fputs("Content-Type: text/plain; charset=utf-8\n\n", stdout);
    }
    static const char shades[] = " .:-=+*#%@";
    for (long row = 0; row < p.height; row++) {
        // Pixel centres: half a cell off the axes.
        double ci = p.y + ((double)row + 0.5 - (double)p.height / 2) * scale * aspect;
        for (long col = 0; col < p.width; col++) {
            double cr = p.x + ((double)col + 0.5 - (double)p.width / 2) * scale;
            long n = escape(cr, ci, p.iterations);
            if (p.pgm) {
                putchar(n == p.iterations ? 0 : (int)(255 - 255 * n / p.iterations));
            } else {
                // Most points escape within a few iterations: shade by n / (n + 16), so that
                // the bands near the set get the darker characters.
                putchar(n == p.iterations ? '@' : shades[(9 * n) / (n + 16)]);
            }
        }
        if (!p.pgm) {
            putchar('\n');
        }
    }
    return 0;
}
