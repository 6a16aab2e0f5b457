/*
 * symlinks [DIR]: symbolic and hard links below DIR (default "."): symlink + readlink, open
 * and read through a symlink, lstat (symlink, size = length of the target text) against stat
 * (the target), a dangling symlink (open/stat ENOENT, lstat/readlink fine), a symlink to a
 * directory used as a path prefix and listed, a relative symlink with ".." that stays inside,
 * O_NOFOLLOW (ELOOP), EEXIST when the link name exists, EINVAL from readlink of a non-link, a
 * symlink loop (ELOOP), rename of a symlink, unlink of a symlink (not its target), and link()
 * (hard link: same contents, st_nlink 2).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

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

static void cat_file(const char *label, const char *path, int flags) {
    char buf[128] = {0};
    errno = 0;
    int fd = open(path, O_RDONLY | flags);
    if (fd < 0) {
        printf("open %s: failed errno %s\n", label, errno_name(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("open %s: read %zd bytes: %s", label, n, buf);
}

static void show_readlink(const char *label, const char *path) {
    char buf[256];
    errno = 0;
    ssize_t n = readlink(path, buf, sizeof buf);
    if (n < 0)
        printf("readlink %s: failed errno %s\n", label, errno_name(errno));
    else
        printf("readlink %s: %zd bytes: %.*s\n", label, n, (int)n, buf);
}

static const char *kind(mode_t m) {
    return S_ISLNK(m) ? "symlink" : S_ISDIR(m) ? "directory" : S_ISREG(m) ? "file" : "other";
}

static void show_stat(const char *label, const char *path, int follow) {
    struct stat st;
    errno = 0;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r != 0)
        printf("%s %s: failed errno %s\n", follow ? "stat" : "lstat", label, errno_name(errno));
    else if (S_ISDIR(st.st_mode)) /* a directory's size depends on the file system */
        printf("%s %s: %s\n", follow ? "stat" : "lstat", label, kind(st.st_mode));
    else
        printf("%s %s: %s size %lld\n", follow ? "stat" : "lstat", label, kind(st.st_mode),
               (long long)st.st_size);
}

int main(int argc, char **argv) {
    if (argc > 1) base_dir = argv[1];

    touch(P("target.txt"), "target contents\n");
    errno = 0;
    result("symlink target.txt <- link", symlink("target.txt", P("link")));
    show_readlink("link", P("link"));
    cat_file("link", P("link"), 0);
    show_stat("link", P("link"), 0);
    show_stat("link", P("link"), 1);
    cat_file("link with O_NOFOLLOW", P("link"), O_NOFOLLOW);
    char small[4];
    ssize_t n = readlink(P("link"), small, sizeof small);
    printf("readlink into a 4-byte buffer: %zd bytes: %.*s\n", n, (int)(n > 0 ? n : 0), small);
    errno = 0;
    result("symlink over an existing name", symlink("whatever", P("target.txt")));
    show_readlink("target.txt (not a link)", P("target.txt"));

    /* dangling */
    errno = 0;
    result("symlink nowhere <- dangling", symlink("nowhere", P("dangling")));
    show_readlink("dangling", P("dangling"));
    cat_file("dangling", P("dangling"), 0);
    show_stat("dangling", P("dangling"), 0);
    show_stat("dangling", P("dangling"), 1);

    /* symlink to a directory */
    result("mkdir dir", mkdir(P("dir"), 0755));
    result("symlink dir <- dirlink", symlink("dir", P("dirlink")));
    touch(P("dirlink/inner.txt"), "inner through dirlink\n");
    cat_file("dir/inner.txt", P("dir/inner.txt"), 0);
    show_stat("dirlink", P("dirlink"), 1);
    show_stat("dirlink", P("dirlink"), 0);
    DIR *d = opendir(P("dirlink"));
    if (d) {
        struct dirent *e;
        int count = 0;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                printf("opendir dirlink lists: %s\n", e->d_name);
                count++;
            }
        }
        printf("opendir dirlink: %d entries\n", count);
        closedir(d);
    } else {
        printf("opendir dirlink: failed errno %s\n", errno_name(errno));
    }

    /* a relative link with ".." that stays inside, and a chain of links */
    result("symlink ../target.txt <- dir/up", symlink("../target.txt", P("dir/up")));
    cat_file("dir/up", P("dir/up"), 0);
    result("symlink dir/up <- chain", symlink("dir/up", P("chain")));
    cat_file("chain (link to a link)", P("chain"), 0);
    cat_file("dirlink/up", P("dirlink/up"), 0);

    /* loops */
    result("symlink loop2 <- loop1", symlink("loop2", P("loop1")));
    result("symlink loop1 <- loop2", symlink("loop1", P("loop2")));
    cat_file("loop1", P("loop1"), 0);
    result("symlink self <- self", symlink("self", P("self")));
    show_stat("self", P("self"), 1);
    cat_file("self/x", P("self/x"), 0);

    /* rename and unlink of links */
    result("rename link -> link2", rename(P("link"), P("link2")));
    show_readlink("link2", P("link2"));
    show_stat("link", P("link"), 0);
    result("unlink link2", unlink(P("link2")));
    show_stat("link2", P("link2"), 0);
    cat_file("target.txt after unlinking the link", P("target.txt"), 0);
    result("unlink dirlink", unlink(P("dirlink")));
    show_stat("dir", P("dir"), 1);

    /* hard links */
    errno = 0;
    result("link target.txt -> hard.txt", link(P("target.txt"), P("hard.txt")));
    cat_file("hard.txt", P("hard.txt"), 0);
    struct stat st;
    if (stat(P("hard.txt"), &st) == 0) printf("hard.txt st_nlink: %lld\n", (long long)st.st_nlink);
    touch(P("hard.txt"), "changed through hard.txt\n");
    cat_file("target.txt after writing hard.txt", P("target.txt"), 0);
    errno = 0;
    result("link onto an existing name", link(P("target.txt"), P("hard.txt")));
    errno = 0;
    result("link a missing file", link(P("missing"), P("hard2.txt")));
    return finish();
}
