/*
 * Binary trees: build, walk and free many perfect binary trees. Allocation-heavy pointer code:
 * nodes come from a free list backed by the bump allocator in arena.h (which grows linear
 * memory), and go back to the free list when a tree is freed, so memory stays bounded.
 *
 * With d = max(n, 6): one "stretch" tree of depth d + 1 is built, walked and freed; one
 * long-lived tree of depth d is built and kept; then for each depth k = 4, 6, ... <= d,
 * 2^(d - k + 4) trees of depth k are built, walked and freed; finally the long-lived tree is
 * walked and freed. Each node holds a value from a running counter; a walk returns the number
 * of nodes and a hash of the values in visiting order. The checksum folds every walk.
 */
#include "arena.h"

typedef struct node {
    struct node *left;
    struct node *right;
    uint32_t value;
} node;

static node *free_nodes;
static uint32_t next_value;

static node *node_alloc(void) {
    node *t = free_nodes;
    if (t) {
        free_nodes = t->left;
    } else {
        t = arena_alloc(sizeof(node));
    }
    return t;
}

static void node_free(node *t) {
    t->left = free_nodes;
    free_nodes = t;
}

static node *build(int32_t depth) {
    node *t = node_alloc();
    t->value = next_value++;
    if (depth > 0) {
        t->left = build(depth - 1);
        t->right = build(depth - 1);
    } else {
        t->left = t->right = 0;
    }
    return t;
}

/* Returns the node count; folds the values into *h in pre-order. */
static uint32_t walk(const node *t, uint32_t *h) {
    *h = (*h ^ t->value) * 0x01000193u;
    if (!t->left) return 1;
    return 1 + walk(t->left, h) + walk(t->right, h);
}

static void free_tree(node *t) {
    if (t->left) {
        free_tree(t->left);
        free_tree(t->right);
    }
    node_free(t);
}

static uint64_t walk_and_fold(uint64_t acc, const node *t) {
    uint32_t h = 0x811c9dc5u;
    uint32_t count = walk(t, &h);
    return mix64(acc, ((uint64_t)count << 32) | h);
}

KERNEL_EXPORT int64_t run(int32_t n) {
    int32_t max_depth = n < 6 ? 6 : n;
    uint64_t acc = (uint64_t)max_depth;

    node *stretch = build(max_depth + 1);
    acc = walk_and_fold(acc, stretch);
    free_tree(stretch);

    node *long_lived = build(max_depth);

    for (int32_t depth = 4; depth <= max_depth; depth += 2) {
        uint32_t trees = 1u << (max_depth - depth + 4);
        uint64_t round = 0;
        for (uint32_t i = 0; i < trees; i++) {
            node *t = build(depth);
            round = walk_and_fold(round, t);
            free_tree(t);
        }
        acc = mix64(acc, round);
    }

    acc = walk_and_fold(acc, long_lived);
    free_tree(long_lived);
    return checksum(acc);
}
