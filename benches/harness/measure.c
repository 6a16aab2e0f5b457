/*
 * measure: runs a command and reports its wall time and peak resident set size.
 *
 * usage: measure REPORT_FILE PROGRAM [ARGS...]
 *
 * Forks, execs PROGRAM with ARGS (standard streams inherited), waits for it with wait4, and
 * writes one line "SECONDS MAXRSS_KIB STATUS CPU_SECONDS" to REPORT_FILE: the wall time from just
 * before the fork until wait4 returned, the child's ru_maxrss, its exit code (or minus the number
 * of the signal that ended it), and the CPU time it used (user + system, from the same wait4).
 * Exits 0 when the report was written, 125 when it could not be.
 *
 * Why a separate program: Linux keeps a process's peak RSS across exec, and a process forked
 * by the Python harness starts out with the harness's own resident set (over 15 MiB), which
 * would hide the real peak of any engine using less. Forked from this small program instead,
 * the engine starts at about 1 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: measure REPORT_FILE PROGRAM [ARGS...]\n");
        return 125;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "measure: fork: %s\n", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "error: cannot start %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
            return 125;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : 125;
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    fprintf(report, "%.9f %ld %d %.6f\n", seconds, usage.ru_maxrss, code, cpu);
    return fclose(report) == 0 ? 0 : 125;
}
