/*
 * Prints argc, every argv[i] for i >= 1 (argv[0] on its own line, since it differs between a
 * native and a WASI run), the whole environment sorted by name, and a few getenv() lookups.
 * Each string is printed between [ and ] so that empty strings and spaces show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_getenv(const char *name) {
    const char *v = getenv(name);
    if (v)
        printf("getenv(%s)=[%s]\n", name, v);
    else
        printf("getenv(%s) unset\n", name);
}

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    printf("argv[0]=[%s]\n", argv[0] ? argv[0] : "(null)");
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    if (argv[argc] != NULL) puts("argv[argc] is not NULL");

    size_t n = 0;
    while (environ && environ[n]) n++;
    char **env = malloc((n + 1) * sizeof *env);
    if (n) memcpy(env, environ, n * sizeof *env);
    qsort(env, n, sizeof *env, by_string);
    printf("environ has %zu entries\n", n);
    for (size_t i = 0; i < n; i++) printf("env [%s]\n", env[i]);
    free(env);

    show_getenv("GREETING");
    show_getenv("EMPTY");
    show_getenv("WITH_EQUALS");
    show_getenv("PATH");
    show_getenv("HOME");
    return 0;
}
