/*
 * Clocks: CLOCK_REALTIME is after 2020 and agrees with time() and gettimeofday();
 * CLOCK_MONOTONIC never goes backwards over many reads; nanosleep and usleep of 10 ms advance
 * it by at least 10 ms (and by less than 5 s); clock_getres gives a resolution in (0, 1 s].
 * Prints only properties, never times.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int64_t now(clockid_t c) {
    struct timespec t;
    MUST(clock_gettime(c, &t) == 0);
    return ns(t);
}

int main(void) {
    struct timespec t;
    CHECK("clock_gettime realtime", clock_gettime(CLOCK_REALTIME, &t) == 0);
    CHECK("realtime after 2020-01-01", t.tv_sec > 1577836800);
    CHECK("realtime before 2200-01-01", t.tv_sec < 7258118400LL);
    CHECK("realtime tv_nsec in range", t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    time_t tt = time(NULL);
    CHECK("time() agrees with realtime", tt >= t.tv_sec && tt - t.tv_sec < 5);
    struct timeval tv;
    CHECK("gettimeofday", gettimeofday(&tv, NULL) == 0);
    CHECK("gettimeofday agrees with realtime",
          tv.tv_sec >= t.tv_sec && tv.tv_sec - t.tv_sec < 5 && tv.tv_usec >= 0 &&
              tv.tv_usec < 1000000);

    CHECK("clock_gettime monotonic", clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    int64_t prev = ns(t), first = prev;
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        int64_t cur = now(CLOCK_MONOTONIC);
        if (cur < prev) backwards++;
        prev = cur;
    }
    CHECK("monotonic never goes backwards", backwards == 0);
    CHECK("monotonic advanced or stayed", prev >= first);

    int64_t before = now(CLOCK_MONOTONIC);
    struct timespec ten_ms = {0, 10000000};
    CHECK("nanosleep 10ms", nanosleep(&ten_ms, NULL) == 0);
    int64_t slept = now(CLOCK_MONOTONIC) - before;
    CHECK("nanosleep advanced monotonic by >= 10ms", slept >= 10000000);
    CHECK("nanosleep took < 5s", slept < 5000000000LL);

    before = now(CLOCK_MONOTONIC);
    CHECK("usleep 10000", usleep(10000) == 0);
    slept = now(CLOCK_MONOTONIC) - before;
    CHECK("usleep advanced monotonic by >= 10ms", slept >= 10000000);
    CHECK("usleep took < 5s", slept < 5000000000LL);

    int64_t rt_before = now(CLOCK_REALTIME);
    struct timespec twenty_ms = {0, 20000000};
    MUST(nanosleep(&twenty_ms, NULL) == 0);
    CHECK("realtime advanced across a 20ms sleep", now(CLOCK_REALTIME) > rt_before);

    struct timespec res;
    CHECK("clock_getres realtime", clock_getres(CLOCK_REALTIME, &res) == 0);
    CHECK("realtime resolution in (0, 1s]", ns(res) > 0 && ns(res) <= 1000000000);
    CHECK("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &res) == 0);
    CHECK("monotonic resolution in (0, 1s]", ns(res) > 0 && ns(res) <= 1000000000);
    return finish();
}
