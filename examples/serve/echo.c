// A function for `ssvm-lite serve` (docs/serve.md): answers with the request it was given, in
// CGI form over WASI: the request line, the environment the server set, then the body.
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

static const char *var(const char *name) {
    const char *v = getenv(name);
    return v ? v : "";
}

int main(void) {
    // The CGI header section: header lines, then a blank line.
    fputs("Content-Type: text/plain; charset=utf-8\n\n", stdout);
    const char *query = var("QUERY_STRING");
    printf("%s %s%s%s%s\n", var("REQUEST_METHOD"), var("SCRIPT_NAME"), var("PATH_INFO"),
           *query ? "?" : "", query);
    // The whole environment, in the order the server gave it.
    for (char **e = environ; *e; e++) {
        printf("%s\n", *e);
    }
    putchar('\n');
    // The body, from standard input.
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        fwrite(buf, 1, n, stdout);
    }
    return 0;
}
