/*
 * N-body: a made-up planetary system of one star and four planets, integrated with the
 * symplectic Euler step for n steps of 0.01 years. Floating-point heavy: f64 multiply, add,
 * divide and sqrt in a pairwise force loop over an array of structs.
 *
 * Units: astronomical units, years, and solar masses scaled so that G * M_star = 4 pi^2.
 * The checksum folds the total energy before and after, and every body's final position and
 * velocity, each scaled and truncated to an integer. Wasm and x86-64 both round every f64
 * operation as IEEE 754 says (no fused multiply-add), so the checksum is exact.
 */
#include "kernel.h"

#define BODIES 5
#define PI 3.141592653589793
#define STAR_MASS (4.0 * PI * PI)

typedef struct {
    double x, y, z;
    double vx, vy, vz;
    double mass;
} body;

static body system_[BODIES];

/* Places planet i at (x, y, z) on a roughly circular orbit (in the plane z = const). */
static void place(int i, double x, double y, double z, double mass_fraction) {
    double r = __builtin_sqrt(x * x + y * y + z * z);
    double v = __builtin_sqrt(STAR_MASS / r);
    double rxy = __builtin_sqrt(x * x + y * y);
    body *b = &system_[i];
    b->x = x;
    b->y = y;
    b->z = z;
    b->vx = -v * y / rxy;
    b->vy = v * x / rxy;
    b->vz = 0.0125 * v; /* a small tilt so the motion is three-dimensional */
    b->mass = mass_fraction * STAR_MASS;
}

static void init_system(void) {
    body *star = &system_[0];
    star->x = star->y = star->z = 0.0;
    star->vx = star->vy = star->vz = 0.0;
    star->mass = STAR_MASS;
    place(1, 0.83, 0.41, 0.002, 2.1e-6);
    place(2, -1.9, 2.6, -0.03, 7.7e-4);
    place(3, -4.4, -6.1, 0.11, 3.3e-4);
    place(4, 11.8, -9.3, -0.27, 6.0e-5);
    /* Give the star the momentum that makes the total zero, so the system does not drift. */
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 1; i < BODIES; i++) {
        px += system_[i].vx * system_[i].mass;
        py += system_[i].vy * system_[i].mass;
        pz += system_[i].vz * system_[i].mass;
    }
    star->vx = -px / STAR_MASS;
    star->vy = -py / STAR_MASS;
    star->vz = -pz / STAR_MASS;
}

static double energy(void) {
    double e = 0.0;
    for (int i = 0; i < BODIES; i++) {
        body *a = &system_[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < BODIES; j++) {
            body *b = &system_[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt) {
    for (int i = 0; i < BODIES; i++) {
        body *a = &system_[i];
        for (int j = i + 1; j < BODIES; j++) {
            body *b = &system_[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            double ma = a->mass * mag, mb = b->mass * mag;
            a->vx -= dx * mb;
            a->vy -= dy * mb;
            a->vz -= dz * mb;
            b->vx += dx * ma;
            b->vy += dy * ma;
            b->vz += dz * ma;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        body *a = &system_[i];
        a->x += dt * a->vx;
        a->y += dt * a->vy;
        a->z += dt * a->vz;
    }
}

/* Scales v and truncates it to an integer (|v| stays far below 2^63 / scale here). */
static uint64_t fixed(double v, double scale) { return (uint64_t)(int64_t)(v * scale); }

KERNEL_EXPORT int64_t run(int32_t n) {
    init_system();
    uint64_t h = fixed(energy(), 1e12);
    for (int32_t step = 0; step < n; step++) advance(0.01);
    h = mix64(h, fixed(energy(), 1e12));
    for (int i = 0; i < BODIES; i++) {
        body *b = &system_[i];
        h = mix64(h, fixed(b->x, 1e9));
        h = mix64(h, fixed(b->y, 1e9));
        h = mix64(h, fixed(b->z, 1e9));
        h = mix64(h, fixed(b->vx, 1e9));
        h = mix64(h, fixed(b->vy, 1e9));
        h = mix64(h, fixed(b->vz, 1e9));
    }
    return checksum(h);
}
