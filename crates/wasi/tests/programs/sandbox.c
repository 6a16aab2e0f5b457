/*
 * sandbox ATTACK HOST_ROOT: tries one way of escaping the preopened directory and reports
 * whether it was blocked. WASI only (it calls wasi_snapshot_preview1 directly, so that the
 * runtime, not wasi-libc, sees the hostile paths exactly as written).
 *
 * The host side (crates/cli/tests/wasi.rs) lays out, under a fresh directory ROOT:
 *
 *   ROOT/secret                  "TOP SECRET\n"            (outside the sandbox)
 *   ROOT/outside/file.txt        "outside file\n"          (outside)
 *   ROOT/emptydir/                                         (outside, empty)
 *   ROOT/outlink -> secret                                 (outside)
 *   ROOT/sandbox/                the only preopen, as "." (--dir ROOT/sandbox::.)
 *   ROOT/sandbox/inside.txt      "inside\n"
 *   ROOT/sandbox/sub/deeper/
 *   ROOT/sandbox/hostlink -> ../secret                     (made by the host)
 *   ROOT/sandbox/hostabs -> ROOT/secret  (absolute)        (made by the host)
 *   ROOT/sandbox/outdir -> ../outside                      (made by the host)
 *   ROOT/sandbox/dangling_out -> ../created_via_link       (made by the host, dangling)
 *
 * and runs `sandbox ATTACK ROOT` with HOST_ROOT = ROOT as an absolute host path.
 *
 * Every step prints one line "ATTACK/STEP: blocked (ERRNO)", "... allowed (...)" for steps
 * that may legitimately succeed (creating a symlink whose target points outside, reading a
 * link's text), or "... ESCAPED (...)" when an operation on something outside the sandbox
 * succeeded. The last line is "ATTACK: blocked" (exit 0) or "ATTACK: ESCAPED" (exit 1). The
 * host then also checks that nothing outside ROOT/sandbox changed.
 *
 * `sandbox control HOST_ROOT` is not an attack: it does legitimate things inside the sandbox
 * and prints "control: works" (exit 0) when all of them succeed, so that "blocked" means refused
 * for leaving the sandbox, not refused because nothing works. `sandbox --list` lists the attacks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "common.h"

/* path_open with an explicit path length, so that paths may hold NUL bytes. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
              int64_t rights_base, int64_t rights_inheriting, int32_t fdflags, int32_t fd_out);

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static const char *attack;
static const char *host_root;
static int pre = -1;         /* the preopened directory */
static __wasi_rights_t inheriting;
static int escapes;

static void line(const char *step, const char *outcome, const char *detail) {
    printf("%s/%s: %s (%s)\n", attack, step, outcome, detail);
}

static void blocked(const char *step, int err) { line(step, "blocked", errno_name(err)); }

static void escaped(const char *step, const char *detail) {
    line(step, "ESCAPED", detail);
    escapes++;
}

/* The operation `step` returned err: 0 means it succeeded, which is an escape. */
static void expect_fail(const char *step, int err) {
    if (err)
        blocked(step, err);
    else
        escaped(step, "the operation succeeded");
}

/* The rights wasi-libc asks for: what the preopen passes on, minus the write rights for
 * read-only opens (a runtime may refuse directory opens that ask for write rights). */
#define WRITE_RIGHTS                                                                     \
    (__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |     \
     __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)
static int64_t rights_for(int oflags, int fdflags) {
    int writing = (oflags & (__WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC)) ||
                  (fdflags & __WASI_FDFLAGS_APPEND);
    if (oflags & __WASI_OFLAGS_DIRECTORY) writing = 0;
    return (int64_t)(writing ? inheriting : inheriting & ~WRITE_RIGHTS);
}

/* path_open at dirfd, returning 0 or the errno. */
static int raw_open(int dirfd, const char *path, size_t len, int lookup, int oflags, int fdflags,
                    int32_t *fd) {
    return raw_path_open(dirfd, lookup, (int32_t)(intptr_t)path, (int32_t)len, oflags,
                         rights_for(oflags, fdflags), (int64_t)inheriting, fdflags,
                         (int32_t)(intptr_t)fd);
}

/* path_open at dirfd; on success reads a little and reports an escape. */
static void open_at(const char *step, int dirfd, const char *path, size_t len, int lookup,
                    int oflags, int fdflags) {
    int32_t fd = -1;
    int err = raw_open(dirfd, path, len, lookup, oflags, fdflags, &fd);
    if (err) {
        blocked(step, err);
        return;
    }
    char buf[64], detail[160];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    __wasi_size_t got = 0;
    if (__wasi_fd_read(fd, &iov, 1, &got) != 0) got = 0;
    buf[got] = 0;
    for (size_t i = 0; i < got; i++)
        if (buf[i] == '\n') buf[i] = '|';
    snprintf(detail, sizeof detail, "opened as fd %d, read %u bytes: %s", fd, (unsigned)got, buf);
    escaped(step, detail);
    (void)__wasi_fd_close(fd);
}

static void open_path(const char *step, const char *path, int oflags) {
    open_at(step, pre, path, strlen(path), FOLLOW, oflags, 0);
}

static void open_dir(const char *step, const char *path) {
    open_at(step, pre, path, strlen(path), FOLLOW, __WASI_OFLAGS_DIRECTORY, 0);
}

static void stat_path(const char *step, const char *path, int lookup) {
    __wasi_filestat_t st;
    int err = __wasi_path_filestat_get(pre, lookup, path, &st);
    if (err) {
        blocked(step, err);
    } else {
        char detail[96];
        snprintf(detail, sizeof detail, "stat gave filetype %d size %llu", st.filetype,
                 (unsigned long long)st.size);
        escaped(step, detail);
    }
}

/* Sets up something inside the sandbox; a refusal is reported but not an escape. */
static int make_symlink(const char *target, const char *name) {
    int err = __wasi_path_symlink(target, pre, name);
    char step[128], detail[300];
    snprintf(step, sizeof step, "symlink %s -> %s", name, target);
    snprintf(detail, sizeof detail, "%s", err ? errno_name(err) : "created inside the sandbox");
    line(step, err ? "refused" : "allowed", detail);
    return err == 0;
}

static char *host_path(const char *rel) {
    static char buf[8][4096];
    static int next;
    char *b = buf[next++ & 7];
    snprintf(b, sizeof buf[0], "%s/%s", host_root, rel);
    return b;
}

/* Opens a libc path (resolved by wasi-libc against the preopen "."). */
static void libc_open(const char *step, const char *path, int flags) {
    errno = 0;
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        blocked(step, errno);
    } else {
        char buf[64] = {0}, detail[128];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        snprintf(detail, sizeof detail, "opened, read %zd bytes", n);
        escaped(step, detail);
        close(fd);
    }
}

/* ------------------------------------------------------------------------------------- */

static void dotdot(void) {
    open_path("open ../secret", "../secret", 0);
    open_path("open ../outside/file.txt", "../outside/file.txt", 0);
    open_path("open ..", "..", __WASI_OFLAGS_DIRECTORY);
    libc_open("libc open ../secret", "../secret", O_RDONLY);
}

static void dotdot_nested(void) {
    open_path("open sub/../../secret", "sub/../../secret", 0);
    open_path("open sub/deeper/../../../secret", "sub/deeper/../../../secret", 0);
    open_path("open ./sub/./../.././secret", "./sub/./../.././secret", 0);
    open_path("open sub/deeper/../../sub/../../secret", "sub/deeper/../../sub/../../secret", 0);
    libc_open("libc open ./sub/../../secret", "./sub/../../secret", O_RDONLY);
}

static void dotdot_reenter(void) {
    /* leaves the sandbox and comes back in: must not reveal the host's name for it */
    open_path("open ../sandbox/inside.txt", "../sandbox/inside.txt", 0);
    open_path("open sub/../../sandbox/inside.txt", "sub/../../sandbox/inside.txt", 0);
    stat_path("stat ../sandbox", "../sandbox", FOLLOW);
}

static void dotdot_dir(void) {
    open_dir("open dir ..", "..");
    open_dir("open dir sub/../..", "sub/../..");
    open_dir("open dir sub/deeper/../../..", "sub/deeper/../../..");
    open_dir("open dir ../outside", "../outside");
    errno = 0;
    DIR *d = opendir("..");
    if (d) {
        struct dirent *e = readdir(d);
        escaped("libc opendir ..", e ? e->d_name : "opened");
        closedir(d);
    } else {
        blocked("libc opendir ..", errno);
    }
    errno = 0;
    d = opendir("sub/../..");
    if (d) {
        escaped("libc opendir sub/../..", "opened");
        closedir(d);
    } else {
        blocked("libc opendir sub/../..", errno);
    }
}

static void absolute(void) {
    open_path("open /etc/passwd", "/etc/passwd", 0);
    open_path("open HOST_ROOT/secret", host_path("secret"), 0);
    open_path("open /", "/", __WASI_OFLAGS_DIRECTORY);
    stat_path("stat /etc/passwd", "/etc/passwd", FOLLOW);
    stat_path("stat HOST_ROOT/secret", host_path("secret"), FOLLOW);
    open_path("open //etc/passwd", "//etc/passwd", 0);
    /* wasi-libc maps "/etc/passwd" onto the preopen "." as "etc/passwd": must not exist */
    libc_open("libc open /etc/passwd", "/etc/passwd", O_RDONLY);
    libc_open("libc open HOST_ROOT/secret", host_path("secret"), O_RDONLY);
}

static void absolute_inside(void) {
    /* an absolute host path naming a file inside the sandbox must not be taken as a host path */
    open_path("open HOST_ROOT/sandbox/inside.txt", host_path("sandbox/inside.txt"), 0);
    open_path("create HOST_ROOT/sandbox/abs_created",
              host_path("sandbox/abs_created"), __WASI_OFLAGS_CREAT);
    stat_path("stat HOST_ROOT/sandbox", host_path("sandbox"), FOLLOW);
}

static void guest_symlink_absolute(void) {
    if (make_symlink("/etc/passwd", "evil_etc")) {
        open_path("open evil_etc", "evil_etc", 0);
        stat_path("stat evil_etc", "evil_etc", FOLLOW);
    }
    if (make_symlink(host_path("secret"), "evil_abs")) {
        open_path("open evil_abs", "evil_abs", 0);
        open_path("write evil_abs", "evil_abs", __WASI_OFLAGS_TRUNC);
        stat_path("stat evil_abs", "evil_abs", FOLLOW);
    }
    if (make_symlink("/", "evil_root")) {
        open_dir("open dir evil_root", "evil_root");
        open_path("open evil_root/etc/passwd", "evil_root/etc/passwd", 0);
    }
}

static void guest_symlink_dotdot(void) {
    if (make_symlink("../secret", "evil_rel")) {
        open_path("open evil_rel", "evil_rel", 0);
        stat_path("stat evil_rel", "evil_rel", FOLLOW);
    }
    if (make_symlink("..", "evil_up")) {
        open_path("open evil_up/secret", "evil_up/secret", 0);
        open_dir("open dir evil_up", "evil_up");
        open_dir("open dir evil_up/.", "evil_up/.");
    }
    if (make_symlink("../../secret", "sub/evil_deep")) open_path("open sub/evil_deep", "sub/evil_deep", 0);
}

static void guest_symlink_chain(void) {
    /* sub/up -> .. is the sandbox root itself (fine); up2 -> sub/up/.. is its parent */
    int a = make_symlink("..", "sub/up");
    int b = make_symlink("sub/up/..", "up2");
    if (a) {
        int32_t fd = -1;
        int err = raw_open(pre, "sub/up/inside.txt", 17, FOLLOW, 0, 0, &fd);
        line("open sub/up/inside.txt", err ? "refused" : "allowed",
             err ? errno_name(err) : "inside the sandbox");
        if (!err) (void)__wasi_fd_close(fd);
    }
    if (a) open_path("open sub/up/../secret", "sub/up/../secret", 0);
    if (b) {
        open_path("open up2/secret", "up2/secret", 0);
        open_dir("open dir up2", "up2");
    }
    /* a chain of links, each harmless alone, that ends outside */
    int c = make_symlink("sub/deeper", "c1") && make_symlink("c1/../..", "c2") &&
            make_symlink("c2/..", "c3");
    if (c) open_path("open c3/secret", "c3/secret", 0);
}

static void host_symlink_file(void) {
    open_path("open hostlink", "hostlink", 0);
    open_path("open hostabs", "hostabs", 0);
    open_at("open hostlink for append", pre, "hostlink", 8, FOLLOW, 0, __WASI_FDFLAGS_APPEND);
    open_path("open hostlink O_TRUNC", "hostlink", __WASI_OFLAGS_TRUNC);
    open_path("open hostlink/.", "hostlink/.", 0);
    libc_open("libc open hostlink", "hostlink", O_RDONLY);
    libc_open("libc open hostlink for writing", "hostlink", O_WRONLY | O_APPEND);
    /* stat without following is fine: it describes the link, which is inside */
    __wasi_filestat_t st;
    int err = __wasi_path_filestat_get(pre, 0, "hostlink", &st);
    if (err)
        line("lstat hostlink", "refused", errno_name(err));
    else if (st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK)
        line("lstat hostlink", "allowed", "a symlink");
    else
        escaped("lstat hostlink", "followed the link");
}

static void host_symlink_dir(void) {
    open_path("open outdir/file.txt", "outdir/file.txt", 0);
    open_dir("open dir outdir", "outdir");
    open_dir("open dir outdir/.", "outdir/.");
    open_path("open outdir/../secret", "outdir/../secret", 0);
    stat_path("stat outdir/.", "outdir/.", FOLLOW);
    stat_path("stat outdir/file.txt", "outdir/file.txt", FOLLOW);
    open_path("create outdir/new.txt", "outdir/new.txt", __WASI_OFLAGS_CREAT);
    expect_fail("mkdir outdir/newdir", __wasi_path_create_directory(pre, "outdir/newdir"));
    errno = 0;
    DIR *d = opendir("outdir");
    if (d) {
        escaped("libc opendir outdir", "opened");
        closedir(d);
    } else {
        blocked("libc opendir outdir", errno);
    }
}

static void symlink_then_dotdot(void) {
    /* sublink -> sub/deeper is inside; physically sublink/../.. is the sandbox root, so
     * sublink/../../../secret is outside, whatever a textual clean-up of the path says */
    if (make_symlink("sub/deeper", "sublink")) {
        open_path("open sublink/../../../secret", "sublink/../../../secret", 0);
        open_path("open sublink/../../secret", "sublink/../../secret", 0);
    }
}

static void create_outside(void) {
    open_path("create ../created", "../created", __WASI_OFLAGS_CREAT);
    open_path("create sub/../../created", "sub/../../created", __WASI_OFLAGS_CREAT);
    open_path("create HOST_ROOT/created", host_path("created"), __WASI_OFLAGS_CREAT);
    libc_open("libc create ../created", "../created", O_CREAT | O_WRONLY);
    expect_fail("mkdir ../newdir", __wasi_path_create_directory(pre, "../newdir"));
    expect_fail("mkdir HOST_ROOT/newdir", __wasi_path_create_directory(pre, host_path("newdir")));
    expect_fail("symlink ../newlink", __wasi_path_symlink("inside.txt", pre, "../newlink"));
    errno = 0;
    expect_fail("libc mkdir ../newdir2", mkdir("../newdir2", 0755) ? errno : 0);
}

static void create_through_dangling_symlink(void) {
    open_path("create through dangling_out", "dangling_out", __WASI_OFLAGS_CREAT);
    open_path("create through dangling_out, O_EXCL", "dangling_out",
              __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL);
    libc_open("libc create through dangling_out", "dangling_out", O_CREAT | O_WRONLY);
    if (make_symlink("../created_by_guest_link", "guest_dangling"))
        open_path("create through guest_dangling", "guest_dangling", __WASI_OFLAGS_CREAT);
    expect_fail("mkdir through dangling_out", __wasi_path_create_directory(pre, "dangling_out/x"));
}

static void rename_out(void) {
    expect_fail("rename inside.txt -> ../moved", __wasi_path_rename(pre, "inside.txt", pre, "../moved"));
    expect_fail("rename sub -> ../moved_dir", __wasi_path_rename(pre, "sub", pre, "../moved_dir"));
    expect_fail("rename inside.txt -> outdir/moved",
                __wasi_path_rename(pre, "inside.txt", pre, "outdir/moved"));
    expect_fail("rename inside.txt -> HOST_ROOT/moved",
                __wasi_path_rename(pre, "inside.txt", pre, host_path("moved")));
    expect_fail("rename inside.txt over ../secret",
                __wasi_path_rename(pre, "inside.txt", pre, "../secret"));
    errno = 0;
    expect_fail("libc rename inside.txt -> ../moved2", rename("inside.txt", "../moved2") ? errno : 0);
}

static void rename_in(void) {
    expect_fail("rename ../secret -> stolen", __wasi_path_rename(pre, "../secret", pre, "stolen"));
    expect_fail("rename outdir/file.txt -> stolen2",
                __wasi_path_rename(pre, "outdir/file.txt", pre, "stolen2"));
    expect_fail("rename ../emptydir -> stolen_dir",
                __wasi_path_rename(pre, "../emptydir", pre, "stolen_dir"));
    expect_fail("rename HOST_ROOT/secret -> stolen3",
                __wasi_path_rename(pre, host_path("secret"), pre, "stolen3"));
    expect_fail("rename outdir/. -> stolen4", __wasi_path_rename(pre, "outdir/.", pre, "stolen4"));
}

static void link_out(void) {
    expect_fail("link inside.txt -> ../linked",
                __wasi_path_link(pre, 0, "inside.txt", pre, "../linked"));
    expect_fail("link ../secret -> stolen_link",
                __wasi_path_link(pre, 0, "../secret", pre, "stolen_link"));
    expect_fail("link outdir/file.txt -> stolen_link2",
                __wasi_path_link(pre, 0, "outdir/file.txt", pre, "stolen_link2"));
    expect_fail("link HOST_ROOT/secret -> stolen_link3",
                __wasi_path_link(pre, 0, host_path("secret"), pre, "stolen_link3"));
    /* a hard link to the file behind hostlink (following it) would give write access */
    int err = __wasi_path_link(pre, FOLLOW, "hostlink", pre, "stolen_hard");
    if (err) {
        blocked("link -L hostlink -> stolen_hard", err);
    } else {
        __wasi_filestat_t st;
        int e2 = __wasi_path_filestat_get(pre, 0, "stolen_hard", &st);
        if (!e2 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK)
            line("link -L hostlink -> stolen_hard", "allowed", "linked the symlink itself");
        else
            escaped("link -L hostlink -> stolen_hard", "hard link to the outside file");
        open_path("open stolen_hard", "stolen_hard", 0);
    }
    errno = 0;
    expect_fail("libc link ../secret -> stolen_link4", link("../secret", "stolen_link4") ? errno : 0);
}

static void unlink_out(void) {
    expect_fail("unlink ../secret", __wasi_path_unlink_file(pre, "../secret"));
    expect_fail("unlink sub/../../secret", __wasi_path_unlink_file(pre, "sub/../../secret"));
    expect_fail("unlink outdir/file.txt", __wasi_path_unlink_file(pre, "outdir/file.txt"));
    expect_fail("unlink ../outlink", __wasi_path_unlink_file(pre, "../outlink"));
    expect_fail("unlink HOST_ROOT/secret", __wasi_path_unlink_file(pre, host_path("secret")));
    errno = 0;
    expect_fail("libc unlink ../secret", unlink("../secret") ? errno : 0);
}

static void rmdir_out(void) {
    expect_fail("rmdir ../emptydir", __wasi_path_remove_directory(pre, "../emptydir"));
    expect_fail("rmdir sub/../../emptydir", __wasi_path_remove_directory(pre, "sub/../../emptydir"));
    expect_fail("rmdir HOST_ROOT/emptydir",
                __wasi_path_remove_directory(pre, host_path("emptydir")));
    expect_fail("rmdir outdir/../emptydir", __wasi_path_remove_directory(pre, "outdir/../emptydir"));
    errno = 0;
    expect_fail("libc rmdir ../emptydir", rmdir("../emptydir") ? errno : 0);
}

static void readlink_out(void) {
    /* reading the text of a link inside the sandbox is fine, even if it points outside */
    char buf[256];
    __wasi_size_t n = 0;
    int err = __wasi_path_readlink(pre, "hostlink", (uint8_t *)buf, sizeof buf - 1, &n);
    buf[err ? 0 : n] = 0;
    line("readlink hostlink", err ? "refused" : "allowed", err ? errno_name(err) : buf);
    if (!err && strcmp(buf, "../secret") != 0) escaped("readlink hostlink", "wrong link text");
    /* but not of a link outside it */
    n = 0;
    err = __wasi_path_readlink(pre, "../outlink", (uint8_t *)buf, sizeof buf - 1, &n);
    expect_fail("readlink ../outlink", err);
    err = __wasi_path_readlink(pre, "outdir/../outlink", (uint8_t *)buf, sizeof buf - 1, &n);
    expect_fail("readlink outdir/../outlink", err);
    err = __wasi_path_readlink(pre, host_path("outlink"), (uint8_t *)buf, sizeof buf - 1, &n);
    expect_fail("readlink HOST_ROOT/outlink", err);
}

static void set_times_out(void) {
    __wasi_fstflags_t f = __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM;
    __wasi_timestamp_t t = 1000000000ull * 86400; /* 1970-01-02 */
    expect_fail("set times ../secret", __wasi_path_filestat_set_times(pre, FOLLOW, "../secret", t, t, f));
    expect_fail("set times through hostlink",
                __wasi_path_filestat_set_times(pre, FOLLOW, "hostlink", t, t, f));
    expect_fail("set times outdir/file.txt",
                __wasi_path_filestat_set_times(pre, FOLLOW, "outdir/file.txt", t, t, f));
    expect_fail("set times ..", __wasi_path_filestat_set_times(pre, FOLLOW, "..", t, t, f));
    expect_fail("set times HOST_ROOT/secret",
                __wasi_path_filestat_set_times(pre, FOLLOW, host_path("secret"), t, t, f));
}

static void truncate_out(void) {
    open_path("open ../secret O_TRUNC", "../secret", __WASI_OFLAGS_TRUNC);
    open_path("open outdir/file.txt O_TRUNC", "outdir/file.txt", __WASI_OFLAGS_TRUNC);
    errno = 0;
    expect_fail("libc truncate ../secret", truncate("../secret", 0) ? errno : 0);
    errno = 0;
    expect_fail("libc truncate hostlink", truncate("hostlink", 0) ? errno : 0);
    errno = 0;
    expect_fail("libc truncate outdir/file.txt", truncate("outdir/file.txt", 0) ? errno : 0);
}

static void stat_out(void) {
    stat_path("stat ../secret", "../secret", FOLLOW);
    stat_path("lstat ../secret", "../secret", 0);
    stat_path("stat ..", "..", FOLLOW);
    stat_path("stat hostlink", "hostlink", FOLLOW);
    stat_path("stat hostabs", "hostabs", FOLLOW);
    stat_path("stat outdir/file.txt", "outdir/file.txt", FOLLOW);
    stat_path("stat ../outside", "../outside", FOLLOW);
    struct stat st;
    errno = 0;
    expect_fail("libc stat ../secret", stat("../secret", &st) ? errno : 0);
    errno = 0;
    expect_fail("libc access ../secret", access("../secret", F_OK) ? errno : 0);
}

static void symlink_loop(void) {
    /* must fail (ELOOP or similar) and must not hang */
    make_symlink("loop_b", "loop_a");
    make_symlink("loop_a", "loop_b");
    open_path("open loop_a", "loop_a", 0);
    open_path("create through loop_a", "loop_a", __WASI_OFLAGS_CREAT);
    stat_path("stat loop_a", "loop_a", FOLLOW);
    make_symlink("self", "self");
    open_path("open self/x", "self/x", 0);
    make_symlink("deep/../self2/x", "self2");
    open_path("open self2", "self2", 0);
    /* a long but finite chain: 100 links */
    char name[32], target[32];
    MUST(make_symlink("inside.txt", "chain0"));
    for (int i = 1; i < 100; i++) {
        snprintf(name, sizeof name, "chain%d", i);
        snprintf(target, sizeof target, "chain%d", i - 1);
        if (__wasi_path_symlink(target, pre, name) != 0) break;
    }
    int32_t fd = -1;
    int err = raw_open(pre, "chain99", 7, FOLLOW, 0, 0, &fd);
    line("open chain99 (100 links)", err ? "refused" : "allowed",
         err ? errno_name(err) : "followed to inside.txt");
    if (!err) (void)__wasi_fd_close(fd);
}

static void nul_in_path(void) {
    static const char p1[] = "inside.txt\0../../secret";
    open_at("open \"inside.txt\\0../../secret\"", pre, p1, sizeof p1 - 1, FOLLOW, 0, 0);
    static const char p2[] = "../secret\0";
    open_at("open \"../secret\\0\"", pre, p2, sizeof p2 - 1, FOLLOW, 0, 0);
    static const char p3[] = "nul_created\0/../../escaped";
    open_at("create \"nul_created\\0/../../escaped\"", pre, p3, sizeof p3 - 1, FOLLOW,
            __WASI_OFLAGS_CREAT, 0);
    static const char p4[] = "\0";
    open_at("open \"\\0\"", pre, p4, 1, FOLLOW, 0, 0);
}

static char long_buf[200000]; /* every path below fits, with its NUL */

static void long_path(void) {
    /* 100 000 x 'a': far beyond NAME_MAX and PATH_MAX */
    memset(long_buf, 'a', 100000);
    long_buf[100000] = 0;
    open_path("open a 100000-byte name", long_buf, 0);
    open_path("create a 100000-byte name", long_buf, __WASI_OFLAGS_CREAT);
    /* 256-byte single component */
    long_buf[256] = 0;
    open_path("create a 256-byte name", long_buf, __WASI_OFLAGS_CREAT);
    /* 20 000 x "../" then secret */
    size_t n = 0;
    for (int i = 0; i < 20000; i++) {
        memcpy(long_buf + n, "../", 3);
        n += 3;
    }
    strcpy(long_buf + n, "secret");
    open_path("open (../ x 20000)secret", long_buf, 0);
    /* 25 000 x "sub/../" then ../secret */
    n = 0;
    for (int i = 0; i < 25000; i++) {
        memcpy(long_buf + n, "sub/../", 7);
        n += 7;
    }
    strcpy(long_buf + n, "../secret");
    open_path("open (sub/../ x 25000)../secret", long_buf, 0);
    /* 40 000 x "./" then ../secret */
    n = 0;
    for (int i = 0; i < 40000; i++) {
        memcpy(long_buf + n, "./", 2);
        n += 2;
    }
    strcpy(long_buf + n, "../secret");
    open_path("open (./ x 40000)../secret", long_buf, 0);
}

static void file_as_dir(void) {
    int32_t fd = -1;
    int err = raw_open(pre, "inside.txt", 10, FOLLOW, 0, 0, &fd);
    if (err) fprintf(stderr, "open inside.txt: %s\n", errno_name(err));
    MUST(err == 0);
    open_at("open ../secret at a file's fd", fd, "../secret", 9, FOLLOW, 0, 0);
    open_at("open . at a file's fd", fd, ".", 1, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0);
    open_at("create x at a file's fd", fd, "x", 1, FOLLOW, __WASI_OFLAGS_CREAT, 0);
    __wasi_filestat_t st;
    expect_fail("stat .. at a file's fd", __wasi_path_filestat_get(fd, FOLLOW, "..", &st));
    (void)__wasi_fd_close(fd);
    open_path("open inside.txt/../../secret", "inside.txt/../../secret", 0);
    open_path("open inside.txt/../inside.txt/../../secret", "inside.txt/../inside.txt/../../secret", 0);
}

static void subdir_fd(void) {
    int32_t sub = -1;
    int err = raw_open(pre, "sub", 3, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &sub);
    if (err) fprintf(stderr, "open sub: %s\n", errno_name(err));
    MUST(err == 0);
    open_at("open ../../secret at sub's fd", sub, "../../secret", 12, FOLLOW, 0, 0);
    open_at("open deeper/../../../secret at sub's fd", sub, "deeper/../../../secret", 22, FOLLOW, 0, 0);
    open_at("open /etc/passwd at sub's fd", sub, "/etc/passwd", 11, FOLLOW, 0, 0);
    open_at("open dir ../.. at sub's fd", sub, "../..", 5, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0);
    /* a dir fd opened through a symlink that leaves the sandbox must not be obtainable */
    int32_t out = -1;
    err = raw_open(pre, "outdir", 6, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &out);
    if (err) {
        blocked("open dir outdir", err);
    } else {
        escaped("open dir outdir", "got a directory fd outside");
        open_at("open file.txt at outdir's fd", out, "file.txt", 8, FOLLOW, 0, 0);
        (void)__wasi_fd_close(out);
    }
    (void)__wasi_fd_close(sub);
}

static void bad_fd(void) {
    /* stdio and unopened descriptors are not directories */
    open_at("open etc/passwd at fd 0", 0, "etc/passwd", 10, FOLLOW, 0, 0);
    open_at("open /etc/passwd at fd 1", 1, "/etc/passwd", 11, FOLLOW, 0, 0);
    open_at("open ../secret at fd 2", 2, "../secret", 9, FOLLOW, 0, 0);
    open_at("open secret at fd 77", 77, "secret", 6, FOLLOW, 0, 0);
    open_at("open secret at fd -1", -1, "secret", 6, FOLLOW, 0, 0);
    open_at("open secret at fd 0x7fffffff", 0x7fffffff, "secret", 6, FOLLOW, 0, 0);
    /* a closed descriptor */
    int32_t sub = -1;
    MUST(raw_open(pre, "sub", 3, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &sub) == 0);
    MUST(__wasi_fd_close(sub) == 0);
    open_at("open ../secret at a closed fd", sub, "../secret", 9, FOLLOW, 0, 0);
}

/* Not an attack: legitimate operations inside the sandbox must work, so that "blocked" above
 * means refused for being outside, not refused because nothing works. */
static int control_failures;

static void must_work(const char *step, int err) {
    line(step, err ? "FAILED" : "works", err ? errno_name(err) : "inside the sandbox");
    if (err) control_failures++;
}

static void control(void) {
    int32_t fd = -1;
    char buf[32] = {0};
    __wasi_size_t got = 0;
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    int err = raw_open(pre, "inside.txt", 10, FOLLOW, 0, 0, &fd);
    if (!err) err = __wasi_fd_read(fd, &iov, 1, &got);
    if (!err && strcmp(buf, "inside\n") != 0) err = EIO;
    if (fd >= 0) (void)__wasi_fd_close(fd);
    must_work("open and read inside.txt", err);
    fd = -1;
    err = raw_open(pre, "sub/deeper/../../inside.txt", 27, FOLLOW, 0, 0, &fd);
    if (fd >= 0) (void)__wasi_fd_close(fd);
    must_work("open sub/deeper/../../inside.txt", err);
    fd = -1;
    err = raw_open(pre, "sub", 3, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &fd);
    int32_t fd2 = -1;
    if (!err) err = raw_open(fd, "deeper", 6, FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &fd2);
    if (fd2 >= 0) (void)__wasi_fd_close(fd2);
    if (fd >= 0) (void)__wasi_fd_close(fd);
    must_work("open dir sub, then deeper at its fd", err);
    fd = -1;
    err = raw_open(pre, "new.txt", 7, FOLLOW, __WASI_OFLAGS_CREAT, 0, &fd);
    if (fd >= 0) (void)__wasi_fd_close(fd);
    must_work("create new.txt", err);
    must_work("rename new.txt -> sub/renamed.txt",
              __wasi_path_rename(pre, "new.txt", pre, "sub/renamed.txt"));
    must_work("link sub/renamed.txt -> linked.txt",
              __wasi_path_link(pre, 0, "sub/renamed.txt", pre, "linked.txt"));
    must_work("unlink linked.txt", __wasi_path_unlink_file(pre, "linked.txt"));
    must_work("unlink sub/renamed.txt", __wasi_path_unlink_file(pre, "sub/renamed.txt"));
    must_work("mkdir newdir", __wasi_path_create_directory(pre, "newdir"));
    must_work("rmdir newdir", __wasi_path_remove_directory(pre, "newdir"));
    must_work("symlink inside.txt <- lnk", __wasi_path_symlink("inside.txt", pre, "lnk"));
    fd = -1;
    err = raw_open(pre, "lnk", 3, FOLLOW, 0, 0, &fd);
    if (fd >= 0) (void)__wasi_fd_close(fd);
    must_work("open through lnk", err);
    must_work("unlink lnk", __wasi_path_unlink_file(pre, "lnk"));
    __wasi_filestat_t st;
    err = __wasi_path_filestat_get(pre, FOLLOW, "inside.txt", &st);
    if (!err && st.size != 7) err = EIO;
    must_work("stat inside.txt", err);
    err = __wasi_path_filestat_get(pre, FOLLOW, ".", &st);
    if (!err && st.filetype != __WASI_FILETYPE_DIRECTORY) err = EIO;
    must_work("stat .", err);
    errno = 0;
    DIR *d = opendir(".");
    int entries = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) entries += !strcmp(e->d_name, "inside.txt");
        closedir(d);
    }
    must_work("libc opendir . lists inside.txt", d && entries == 1 ? 0 : (errno ? errno : EIO));
    errno = 0;
    fd = open("sub/../inside.txt", O_RDONLY);
    must_work("libc open sub/../inside.txt", fd < 0 ? errno : 0);
    if (fd >= 0) close(fd);
    if (control_failures) escapes++; /* reported as a failure of the run */
}

/* ------------------------------------------------------------------------------------- */

struct attack {
    const char *name;
    void (*run)(void);
};

static const struct attack attacks[] = {
    {"control", control},
    {"dotdot", dotdot},
    {"dotdot_nested", dotdot_nested},
    {"dotdot_reenter", dotdot_reenter},
    {"dotdot_dir", dotdot_dir},
    {"absolute", absolute},
    {"absolute_inside", absolute_inside},
    {"guest_symlink_absolute", guest_symlink_absolute},
    {"guest_symlink_dotdot", guest_symlink_dotdot},
    {"guest_symlink_chain", guest_symlink_chain},
    {"host_symlink_file", host_symlink_file},
    {"host_symlink_dir", host_symlink_dir},
    {"symlink_then_dotdot", symlink_then_dotdot},
    {"create_outside", create_outside},
    {"create_through_dangling_symlink", create_through_dangling_symlink},
    {"rename_out", rename_out},
    {"rename_in", rename_in},
    {"link_out", link_out},
    {"unlink_out", unlink_out},
    {"rmdir_out", rmdir_out},
    {"readlink_out", readlink_out},
    {"set_times_out", set_times_out},
    {"truncate_out", truncate_out},
    {"stat_out", stat_out},
    {"symlink_loop", symlink_loop},
    {"nul_in_path", nul_in_path},
    {"long_path", long_path},
    {"file_as_dir", file_as_dir},
    {"subdir_fd", subdir_fd},
    {"bad_fd", bad_fd},
};

/* The first preopened directory. */
static int find_preopen(void) {
    for (int fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) == 0 && ps.tag == __WASI_PREOPENTYPE_DIR) return fd;
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) puts(attacks[i].name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: sandbox ATTACK HOST_ROOT | sandbox --list\n");
        return 2;
    }
    attack = argv[1];
    host_root = argv[2];
    pre = find_preopen();
    if (pre < 0) {
        fprintf(stderr, "sandbox: no preopened directory\n");
        return 2;
    }
    __wasi_fdstat_t fst;
    MUST(__wasi_fd_fdstat_get(pre, &fst) == 0);
    inheriting = fst.fs_rights_inheriting;
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        if (!strcmp(attacks[i].name, attack)) {
            attacks[i].run();
            if (attacks[i].run == control)
                printf("%s: %s\n", attack, control_failures ? "FAILED" : "works");
            else
                printf("%s: %s\n", attack, escapes ? "ESCAPED" : "blocked");
            return escapes ? 1 : 0;
        }
    }
    fprintf(stderr, "sandbox: unknown attack %s\n", attack);
    return 2;
}
