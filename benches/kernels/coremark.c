/*
 * A CoreMark-style mix (written for this project, not derived from CoreMark's code): each of
 * n iterations runs four small workloads on data generated from a seed, and the seed of the
 * next iteration is the CRC of this one's results, so no iteration can be skipped.
 *
 * - Linked list: 96 nodes with a 10-bit key and their index as value; merge-sorted by key,
 *   reversed, searched for 8 keys (4 taken from the list), then merge-sorted back by value.
 * - Matrix: 12 x 12 int16 matrices; product into int32, add and scale by constants, a product
 *   that keeps only a bit field of each term, and a count of entries above a threshold.
 * - State machine: a 256-byte buffer of comma-separated tokens (integers, signed integers,
 *   decimals, exponents, hex and garbage) is classified character by character; then every
 *   eleventh byte is corrupted and it is classified again.
 * - CRC: CRC-16/CCITT computed bit by bit over every result, and a table-driven CRC-32 over
 *   the state machine's input.
 */
#include "kernel.h"

/* ---- CRC ---- */

static uint16_t crc16_byte(uint16_t crc, uint8_t byte) {
    crc ^= (uint16_t)(byte << 8);
    for (int i = 0; i < 8; i++) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v) {
    crc = crc16_byte(crc, (uint8_t)v);
    crc = crc16_byte(crc, (uint8_t)(v >> 8));
    crc = crc16_byte(crc, (uint8_t)(v >> 16));
    return crc16_byte(crc, (uint8_t)(v >> 24));
}

static uint32_t crc32_table[256];

static void crc32_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc32_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, uint32_t len) {
    uint32_t c = 0xffffffffu;
    for (uint32_t i = 0; i < len; i++) c = crc32_table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return ~c;
}

/* ---- Linked list ---- */

#define LIST_LEN 96

typedef struct item {
    struct item *next;
    int16_t key;
    int16_t value;
} item;

static item pool[LIST_LEN];

static int item_less(const item *a, const item *b, int by_value) {
    if (by_value) return a->value < b->value;
    return a->key < b->key || (a->key == b->key && a->value < b->value);
}

static item *merge(item *a, item *b, int by_value) {
    item head;
    item *tail = &head;
    while (a && b) {
        if (item_less(b, a, by_value)) {
            tail->next = b;
            b = b->next;
        } else {
            tail->next = a;
            a = a->next;
        }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return head.next;
}

static item *merge_sort(item *list, int by_value) {
    if (!list || !list->next) return list;
    /* Split after the middle: slow moves one step for every two of fast. */
    item *slow = list, *fast = list->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    item *second = slow->next;
    slow->next = 0;
    return merge(merge_sort(list, by_value), merge_sort(second, by_value), by_value);
}

static item *reverse(item *list) {
    item *prev = 0;
    while (list) {
        item *next = list->next;
        list->next = prev;
        prev = list;
        list = next;
    }
    return prev;
}

static uint16_t list_work(uint32_t *rng, uint16_t crc) {
    item *list = 0;
    for (int i = 0; i < LIST_LEN; i++) {
        pool[i].key = (int16_t)(xorshift32(rng) & 0x3ffu);
        pool[i].value = (int16_t)i;
        pool[i].next = list;
        list = &pool[i];
    }
    list = merge_sort(list, 0);
    list = reverse(list);
    int32_t position_sum = 0, found = 0;
    for (int q = 0; q < 8; q++) {
        /* Half of the wanted keys are in the list, the other half most likely not. */
        uint32_t r = xorshift32(rng);
        int16_t want = (q & 1) ? pool[r % LIST_LEN].key : (int16_t)(r & 0x3ffu);
        int32_t pos = 0;
        for (item *it = list; it; it = it->next, pos++) {
            if (it->key == want) {
                found++;
                position_sum += pos;
                break;
            }
        }
    }
    int32_t index = 0;
    for (item *it = list; it; it = it->next, index++) {
        crc = crc16_u32(crc, (uint32_t)(uint16_t)it->key | (uint32_t)index << 16);
    }
    list = merge_sort(list, 1);
    int16_t expect = 0;
    for (item *it = list; it; it = it->next) {
        if (it->value != expect++) found += 1000; /* never happens when the sort is right */
    }
    crc = crc16_u32(crc, (uint32_t)found);
    return crc16_u32(crc, (uint32_t)position_sum);
}

/* ---- Matrix ---- */

#define MAT 12

static int16_t mat_a[MAT][MAT], mat_b[MAT][MAT];
static int32_t mat_c[MAT][MAT];

static void mat_mul(void) {
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) {
            int32_t sum = 0;
            for (int k = 0; k < MAT; k++) sum += (int32_t)mat_a[i][k] * mat_b[k][j];
            mat_c[i][j] = sum;
        }
    }
}

static void mat_mul_bits(void) {
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) {
            int32_t sum = 0;
            for (int k = 0; k < MAT; k++) {
                int32_t term = (int32_t)mat_a[i][k] * mat_b[k][j];
                sum += (term >> 3) & 0x7f;
            }
            mat_c[i][j] = sum;
        }
    }
}

static uint16_t mat_fold(uint16_t crc, int32_t threshold) {
    int32_t above = 0, total = 0;
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) {
            total += mat_c[i][j];
            if (mat_c[i][j] > threshold) above++;
        }
    }
    crc = crc16_u32(crc, (uint32_t)total);
    return crc16_u32(crc, (uint32_t)above);
}

static uint16_t matrix_work(uint32_t *rng, uint16_t crc) {
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) {
            uint32_t r = xorshift32(rng);
            mat_a[i][j] = (int16_t)((r & 0xffu) - 128);
            mat_b[i][j] = (int16_t)(((r >> 8) & 0x1ffu) - 256);
        }
    }
    mat_mul();
    crc = mat_fold(crc, 0);
    int16_t add = (int16_t)(xorshift32(rng) & 0x1fu);
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) mat_a[i][j] = (int16_t)(mat_a[i][j] + add);
    }
    mat_mul();
    crc = mat_fold(crc, 1000);
    int32_t scale = (int32_t)(xorshift32(rng) & 0xfu) + 1;
    for (int i = 0; i < MAT; i++) {
        for (int j = 0; j < MAT; j++) mat_c[i][j] = mat_a[i][j] * scale;
    }
    crc = mat_fold(crc, 50);
    mat_mul_bits();
    return mat_fold(crc, 400);
}

/* ---- State machine ---- */

#define TEXT_LEN 256

enum state { S_START, S_INT, S_SIGN, S_POINT, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_INT, S_ZERO,
             S_HEX_X, S_HEX, S_INVALID, S_COUNT };

static uint8_t text[TEXT_LEN];

static const char *const samples[] = {"17",    "-204", "3.25",  "0x1f",  "6.02e23", "+9",
                                      "1e-7",  "0",    "0xg",   "12a",   "-.5",     "4.",
                                      "88.8e", "x",    "-",     "31337", "0.001",   "7E+2"};
#define SAMPLES (sizeof(samples) / sizeof(samples[0]))

static void fill_text(uint32_t *rng) {
    uint32_t len = 0;
    while (len < TEXT_LEN) {
        const char *s = samples[xorshift32(rng) % SAMPLES];
        while (*s && len < TEXT_LEN) text[len++] = (uint8_t)*s++;
        if (len < TEXT_LEN) text[len++] = ',';
    }
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static enum state step(enum state s, uint8_t c) {
    switch (s) {
    case S_START:
        if (c == '0') return S_ZERO;
        if (is_digit(c)) return S_INT;
        if (c == '+' || c == '-') return S_SIGN;
        if (c == '.') return S_POINT;
        return S_INVALID;
    case S_ZERO:
        if (c == 'x' || c == 'X') return S_HEX_X;
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_POINT;
        if (c == 'e' || c == 'E') return S_EXP;
        return S_INVALID;
    case S_SIGN:
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_POINT;
        return S_INVALID;
    case S_INT:
        if (is_digit(c)) return S_INT;
        if (c == '.') return S_POINT;
        if (c == 'e' || c == 'E') return S_EXP;
        return S_INVALID;
    case S_POINT:
    case S_FRAC:
        if (is_digit(c)) return S_FRAC;
        if (s == S_FRAC && (c == 'e' || c == 'E')) return S_EXP;
        return S_INVALID;
    case S_EXP:
        if (c == '+' || c == '-') return S_EXP_SIGN;
        if (is_digit(c)) return S_EXP_INT;
        return S_INVALID;
    case S_EXP_SIGN:
    case S_EXP_INT:
        return is_digit(c) ? S_EXP_INT : S_INVALID;
    case S_HEX_X:
    case S_HEX:
        return is_hex(c) ? S_HEX : S_INVALID;
    default:
        return S_INVALID;
    }
}

/* Classifies every token of text; folds the count of tokens ending in each state. */
static uint16_t classify(uint16_t crc) {
    uint32_t finals[S_COUNT] = {0};
    uint32_t transitions = 0;
    enum state s = S_START;
    for (uint32_t i = 0; i < TEXT_LEN; i++) {
        uint8_t c = text[i];
        if (c == ',') {
            finals[s]++;
            s = S_START;
            continue;
        }
        enum state t = step(s, c);
        transitions += t != s;
        s = t;
    }
    finals[s]++;
    for (int k = 0; k < S_COUNT; k++) crc = crc16_u32(crc, finals[k]);
    return crc16_u32(crc, transitions);
}

static uint16_t state_work(uint32_t *rng, uint16_t crc) {
    fill_text(rng);
    crc = crc16_u32(crc, crc32(text, TEXT_LEN));
    crc = classify(crc);
    for (uint32_t i = xorshift32(rng) % 11u; i < TEXT_LEN; i += 11) {
        text[i] = (uint8_t)(' ' + xorshift32(rng) % 95u);
    }
    crc = crc16_u32(crc, crc32(text, TEXT_LEN));
    return classify(crc);
}

KERNEL_EXPORT int64_t run(int32_t n) {
    crc32_init();
    uint16_t seed = 0x1d0f;
    uint64_t h = 0;
    for (int32_t iter = 0; iter < n; iter++) {
        uint32_t rng = ((uint32_t)seed << 16) | (uint32_t)(iter & 0xffff) | 1u;
        uint16_t crc = seed;
        crc = list_work(&rng, crc);
        crc = matrix_work(&rng, crc);
        crc = state_work(&rng, crc);
        seed = crc;
        h = mix64(h, crc);
    }
    return checksum(h);
}
