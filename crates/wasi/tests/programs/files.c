/*
 * files [DIR]: regular-file I/O below DIR (default "."): create, write, read back, lseek
 * (SEEK_SET/CUR/END, past the end, negative), ftruncate (shrink and grow), fstat/stat sizes,
 * pread/pwrite (and that they leave the offset alone), readv/writev, O_APPEND, O_EXCL, O_TRUNC,
 * ENOENT for a missing file, fsync/fdatasync, buffered stdio (fopen/fgets/fseek/ftell) and a
 * 256 KiB write/read. Leaves DIR/result.txt holding "files: done\n" for the host to check, and
 * removes everything else it created.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

static long long file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long long)st.st_size;
}

static long long fd_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return (long long)st.st_size;
}

/* Reads exactly n bytes at offset off with pread, or returns -1. */
static ssize_t pread_all(int fd, char *buf, size_t n, off_t off) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);
        if (r <= 0) return r < 0 ? -1 : (ssize_t)got;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Calls writev (or readv) until every iovec is done or it returns <= 0; the total moved. */
static ssize_t rwv_all(int fd, struct iovec *iov, int n, int writing) {
    ssize_t total = 0;
    while (n > 0) {
        if (iov->iov_len == 0) {
            iov++, n--;
            continue;
        }
        ssize_t r = writing ? writev(fd, iov, n) : readv(fd, iov, n);
        if (r <= 0) break;
        total += r;
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return total;
}

static ssize_t writev_all(int fd, struct iovec *iov, int n) { return rwv_all(fd, iov, n, 1); }
static ssize_t readv_all(int fd, struct iovec *iov, int n) { return rwv_all(fd, iov, n, 0); }

static unsigned char big[256 * 1024], big2[256 * 1024];

int main(int argc, char **argv) {
    if (argc > 1) base_dir = argv[1];
    char f[4096];
    snprintf(f, sizeof f, "%s", P("f.txt"));
    char buf[128];

    /* create + write */
    int fd = open(f, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK("create f.txt", fd >= 0);
    CHECK("write 12 bytes", write(fd, "hello world\n", 12) == 12);
    printf("fstat size after write: %lld\n", fd_size(fd));
    CHECK("close", close(fd) == 0);
    printf("stat size: %lld\n", file_size(f));
    struct stat st;
    MUST(stat(f, &st) == 0);
    CHECK("stat says regular file", S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));

    /* read back and seek */
    fd = open(f, O_RDWR);
    CHECK("open O_RDWR", fd >= 0);
    memset(buf, 0, sizeof buf);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("read %zd bytes: %s", n, buf);
    printf("read at EOF returns %zd\n", read(fd, buf, 10));
    printf("lseek(0, SEEK_CUR) = %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("lseek(6, SEEK_SET) = %lld\n", (long long)lseek(fd, 6, SEEK_SET));
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, 5);
    printf("read %zd bytes at 6: %s\n", n, buf);
    printf("lseek(-6, SEEK_END) = %lld\n", (long long)lseek(fd, -6, SEEK_END));
    printf("lseek(2, SEEK_CUR) = %lld\n", (long long)lseek(fd, 2, SEEK_CUR));
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, 3);
    printf("read %zd bytes at 8: %s\n", n, buf);
    errno = 0;
    off_t neg = lseek(fd, -100, SEEK_SET);
    printf("lseek(-100, SEEK_SET) = %lld errno %s\n", (long long)neg, errno_name(errno));
    printf("offset after failed lseek = %lld\n", (long long)lseek(fd, 0, SEEK_CUR));

    /* ftruncate shrink and grow */
    CHECK("ftruncate to 5", ftruncate(fd, 5) == 0);
    printf("size after shrink: %lld\n", fd_size(fd));
    memset(buf, 0, sizeof buf);
    n = pread_all(fd, buf, 5, 0);
    printf("content after shrink: %.*s\n", (int)n, buf);
    CHECK("ftruncate to 10", ftruncate(fd, 10) == 0);
    printf("size after grow: %lld\n", fd_size(fd));
    memset(buf, 'x', sizeof buf);
    n = pread_all(fd, buf, 10, 0);
    int zeros = 1;
    for (int i = 5; i < 10; i++) zeros &= buf[i] == 0;
    printf("pread %zd bytes after grow, bytes 5..9 zero: %s\n", n, zeros ? "yes" : "no");

    /* write past the end leaves a hole of zeros */
    printf("lseek(20, SEEK_SET) = %lld\n", (long long)lseek(fd, 20, SEEK_SET));
    CHECK("write X at 20", write(fd, "X", 1) == 1);
    printf("size after write past end: %lld\n", fd_size(fd));
    memset(buf, 'x', sizeof buf);
    n = pread_all(fd, buf, 21, 0);
    zeros = 1;
    for (int i = 5; i < 20; i++) zeros &= buf[i] == 0;
    printf("pread %zd bytes, hole zero: %s, last byte %c\n", n, zeros ? "yes" : "no", buf[20]);

    /* pwrite/pread do not move the offset */
    off_t before = lseek(fd, 3, SEEK_SET);
    CHECK("pwrite HE at 0", pwrite(fd, "HE", 2, 0) == 2);
    memset(buf, 0, sizeof buf);
    CHECK("pread 5 at 0", pread(fd, buf, 5, 0) == 5);
    printf("pread after pwrite: %s\n", buf);
    printf("offset unchanged by pread/pwrite: %s\n",
           lseek(fd, 0, SEEK_CUR) == before ? "yes" : "no");
    CHECK("pwrite past end", pwrite(fd, "YZ", 2, 30) == 2);
    printf("size after pwrite past end: %lld\n", fd_size(fd));
    CHECK("fsync", fsync(fd) == 0);
    CHECK("fdatasync", fdatasync(fd) == 0);
    CHECK("close", close(fd) == 0);
    printf("stat size after close: %lld\n", file_size(f));

    /* O_APPEND: every write goes to the end whatever the offset */
    fd = open(f, O_WRONLY | O_APPEND);
    CHECK("open O_APPEND", fd >= 0);
    CHECK("append A", write(fd, "A", 1) == 1);
    lseek(fd, 0, SEEK_SET);
    CHECK("append B after lseek to 0", write(fd, "B", 1) == 1);
    errno = 0;
    CHECK("read on a write-only fd fails", read(fd, buf, 1) < 0);
    CHECK("close", close(fd) == 0);
    printf("size after appends: %lld\n", file_size(f));
    fd = open(f, O_RDONLY);
    memset(buf, 0, sizeof buf);
    n = pread_all(fd, buf, 34, 0);
    printf("head %.5s, tail %.4s\n", buf, buf + 30);
    errno = 0;
    CHECK("write on a read-only fd fails", write(fd, "Z", 1) < 0);
    close(fd);

    /* O_EXCL, O_TRUNC, missing files */
    errno = 0;
    fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 0644);
    printf("O_EXCL on existing: %d errno %s\n", fd < 0 ? -1 : 0, errno_name(errno));
    if (fd >= 0) close(fd);
    fd = open(P("g.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    CHECK("O_EXCL on new file", fd >= 0);
    close(fd);
    fd = open(f, O_WRONLY | O_TRUNC);
    CHECK("O_TRUNC open", fd >= 0);
    printf("size after O_TRUNC: %lld\n", fd_size(fd));
    close(fd);
    errno = 0;
    fd = open(P("missing.txt"), O_RDONLY);
    printf("open missing: %d errno %s\n", fd < 0 ? -1 : 0, errno_name(errno));
    errno = 0;
    int r = stat(P("missing.txt"), &st);
    printf("stat missing: %d errno %s\n", r, errno_name(errno));
    errno = 0;
    fd = open(P("nodir/x.txt"), O_CREAT | O_WRONLY, 0644);
    printf("create in missing dir: %d errno %s\n", fd < 0 ? -1 : 0, errno_name(errno));

    /* readv / writev (a runtime may move fewer bytes than asked: both loop until done) */
    fd = open(P("v.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    char w1[] = "one ", w3[] = "two three\n";
    struct iovec wv[3] = {{w1, 4}, {w1, 0}, {w3, 10}};
    printf("writev wrote %zd\n", writev_all(fd, wv, 3));
    lseek(fd, 0, SEEK_SET);
    char p1[3] = {0}, p2[6] = {0}, p3[8] = {0};
    struct iovec rv[3] = {{p1, 2}, {p2, 5}, {p3, 7}};
    printf("readv read %zd: [%s][%s][%s]\n", readv_all(fd, rv, 3), p1, p2, p3);
    close(fd);

    /* 256 KiB through write/read */
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 9));
    fd = open(P("big.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    size_t done = 0;
    while (done < sizeof big) {
        ssize_t w = write(fd, big + done, sizeof big - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    printf("wrote %zu bytes, size %lld\n", done, fd_size(fd));
    lseek(fd, 0, SEEK_SET);
    done = 0;
    for (;;) {
        ssize_t r = read(fd, big2 + done, sizeof big2 - done);
        if (r <= 0) break;
        done += (size_t)r;
    }
    printf("read back %zu bytes, equal: %s\n", done, memcmp(big, big2, sizeof big) ? "no" : "yes");
    close(fd);

    /* buffered stdio */
    FILE *fp = fopen(P("s.txt"), "w+");
    CHECK("fopen w+", fp != NULL);
    fprintf(fp, "line %d\nline %d\n", 1, 2);
    printf("ftell after fprintf: %ld\n", ftell(fp));
    CHECK("fseek to 0", fseek(fp, 0, SEEK_SET) == 0);
    char line[64];
    while (fgets(line, sizeof line, fp)) printf("fgets: %s", line);
    CHECK("feof", feof(fp) != 0);
    CHECK("fseek to -2 from end", fseek(fp, -2, SEEK_END) == 0);
    printf("fgetc at end-2: %c\n", fgetc(fp));
    CHECK("fclose", fclose(fp) == 0);

    /* cleanup, leaving result.txt */
    CHECK("unlink f.txt", unlink(f) == 0);
    CHECK("unlink g.txt", unlink(P("g.txt")) == 0);
    CHECK("unlink v.txt", unlink(P("v.txt")) == 0);
    CHECK("unlink big.bin", unlink(P("big.bin")) == 0);
    CHECK("unlink s.txt", unlink(P("s.txt")) == 0);
    errno = 0;
    r = stat(f, &st);
    printf("stat after unlink: %d errno %s\n", r, errno_name(errno));
    fd = open(P("result.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "files: done\n", 12) == 12);
    close(fd);
    return finish();
}
