/*
 * dirs [DIR]: directories below DIR (default "."): mkdir (and EEXIST), nested mkdir,
 * opendir/readdir listings (names sorted, "." and ".." left out, with d_type), rename of a
 * file and of a directory, rename over an existing file, unlink, rmdir, ENOTEMPTY for a
 * non-empty directory, ENOTDIR for rmdir of a file, stat says directory, and fdopendir/rewinddir.
 * Leaves DIR/kept/ holding kept/inner.txt ("inner\n") for the host to check.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type_name(unsigned char t) {
    switch (t) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "symlink";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

/* Prints "ls NAME: a(file) b(dir) ..." sorted, without "." and "..". */
static void list_dir(DIR *d, const char *label) {
    char *names[64];
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == 64) break;
        size_t len = strlen(e->d_name) + 16;
        names[n] = malloc(len);
        snprintf(names[n], len, "%s(%s)", e->d_name, type_name(e->d_type));
        n++;
    }
    if (errno) printf("readdir error %s\n", errno_name(errno));
    qsort(names, (size_t)n, sizeof names[0], by_string);
    printf("ls %s:", label);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("%s\n", n ? "" : " (empty)");
}

static void ls(const char *label, const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("ls %s: opendir failed errno %s\n", label, errno_name(errno));
        return;
    }
    list_dir(d, label);
    closedir(d);
}

static void touch(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    MUST(close(fd) == 0);
}

static void result(const char *what, int r) {
    printf("%s: %s", what, r == 0 ? "ok" : "failed");
    if (r != 0) printf(" errno %s", errno_name(errno));
    printf("\n");
}

static void cat_file(const char *label, const char *path) {
    char buf[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("cat %s: open failed errno %s\n", label, errno_name(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("cat %s: %zd bytes: %s", label, n, buf);
}

int main(int argc, char **argv) {
    if (argc > 1) base_dir = argv[1];
    struct stat st;

    ls("base at start", base_dir);
    errno = 0;
    result("mkdir d", mkdir(P("d"), 0755));
    errno = 0;
    result("mkdir d again", mkdir(P("d"), 0755));
    MUST(stat(P("d"), &st) == 0);
    printf("stat d: %s\n", S_ISDIR(st.st_mode) ? "directory" : "not a directory");
    errno = 0;
    result("mkdir d/e", mkdir(P("d/e"), 0755));
    errno = 0;
    result("mkdir d/e/f", mkdir(P("d/e/f"), 0755));
    errno = 0;
    result("mkdir x/y with x missing", mkdir(P("x/y"), 0755));
    touch(P("d/a.txt"), "alpha\n");
    touch(P("d/b.txt"), "beta\n");
    touch(P("d/e/c.txt"), "gamma\n");
    touch(P("d/e/f/deep.txt"), "deep\n");
    ls("d", P("d"));
    ls("d/e", P("d/e"));
    ls("d/e/f", P("d/e/f"));
    MUST(stat(P("d/a.txt"), &st) == 0);
    printf("stat d/a.txt: %s size %lld\n", S_ISDIR(st.st_mode) ? "directory" : "file",
           (long long)st.st_size);

    /* fdopendir + rewinddir: the same listing twice through one stream */
    int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
    CHECK("open d O_DIRECTORY", dfd >= 0);
    MUST(fstat(dfd, &st) == 0);
    printf("fstat d: %s\n", S_ISDIR(st.st_mode) ? "directory" : "not a directory");
    DIR *dd = fdopendir(dfd);
    CHECK("fdopendir", dd != NULL);
    list_dir(dd, "d via fdopendir");
    rewinddir(dd);
    list_dir(dd, "d after rewinddir");
    closedir(dd);

    errno = 0;
    int r = open(P("d/a.txt"), O_RDONLY | O_DIRECTORY);
    printf("open file with O_DIRECTORY: %s errno %s\n", r < 0 ? "failed" : "ok", errno_name(errno));
    if (r >= 0) close(r);
    errno = 0;
    r = open(P("d/a.txt/x"), O_RDONLY);
    printf("open file/x: %s errno %s\n", r < 0 ? "failed" : "ok", errno_name(errno));
    if (r >= 0) close(r);
    errno = 0;
    DIR *bad = opendir(P("d/a.txt"));
    printf("opendir on a file: %s errno %s\n", bad ? "ok" : "failed", errno_name(errno));
    if (bad) closedir(bad);
    errno = 0;
    bad = opendir(P("nonexistent"));
    printf("opendir missing: %s errno %s\n", bad ? "ok" : "failed", errno_name(errno));
    if (bad) closedir(bad);

    /* renames */
    errno = 0;
    result("rename d/a.txt -> d/a2.txt", rename(P("d/a.txt"), P("d/a2.txt")));
    errno = 0;
    result("rename d/e -> d/e2", rename(P("d/e"), P("d/e2")));
    ls("d after renames", P("d"));
    ls("d/e2", P("d/e2"));
    errno = 0;
    r = stat(P("d/e"), &st);
    printf("stat d/e after rename: %s errno %s\n", r ? "failed" : "ok", errno_name(errno));
    errno = 0;
    result("rename d/b.txt over d/a2.txt", rename(P("d/b.txt"), P("d/a2.txt")));
    cat_file("d/a2.txt", P("d/a2.txt"));
    errno = 0;
    result("rename d/e2/c.txt -> d/moved.txt (across dirs)",
           rename(P("d/e2/c.txt"), P("d/moved.txt")));
    errno = 0;
    result("rename missing", rename(P("d/missing"), P("d/other")));
    ls("d", P("d"));

    /* unlink and rmdir */
    errno = 0;
    result("unlink d/a2.txt", unlink(P("d/a2.txt")));
    errno = 0;
    result("unlink d/a2.txt again", unlink(P("d/a2.txt")));
    errno = 0;
    r = unlink(P("d/e2"));
    printf("unlink a directory: %s\n", r ? "failed" : "ok");
    errno = 0;
    result("rmdir d (not empty)", rmdir(P("d")));
    errno = 0;
    result("rmdir d/moved.txt (a file)", rmdir(P("d/moved.txt")));
    errno = 0;
    result("rmdir d/e2/f (not empty)", rmdir(P("d/e2/f")));
    result("unlink d/e2/f/deep.txt", unlink(P("d/e2/f/deep.txt")));
    result("rmdir d/e2/f", rmdir(P("d/e2/f")));
    result("rmdir d/e2", rmdir(P("d/e2")));
    result("unlink d/moved.txt", unlink(P("d/moved.txt")));
    ls("d at the end", P("d"));
    result("rmdir d", rmdir(P("d")));
    errno = 0;
    r = stat(P("d"), &st);
    printf("stat d after rmdir: %s errno %s\n", r ? "failed" : "ok", errno_name(errno));
    errno = 0;
    result("rmdir missing", rmdir(P("d")));

    result("mkdir kept", mkdir(P("kept"), 0755));
    touch(P("kept/inner.txt"), "inner\n");
    ls("base at the end", base_dir);
    return finish();
}
