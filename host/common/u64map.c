/* u64map.c — the fixed-capacity u64 -> int map (u64map.h). */
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

int n2g_u64map_init(n2g_u64map *m, size_t entries) {
    size_t cap = 16;
    while (cap < 2 * entries + 2) cap <<= 1;
    m->key = malloc(cap * sizeof *m->key);
    m->val = malloc(cap * sizeof *m->val);
    m->mask = cap - 1;
    if (!m->key || !m->val) return -1;
    memset(m->key, 0xFF, cap * sizeof *m->key); /* UINT64_MAX = empty */
    return 0;
}

int n2g_u64map_get_or_put(n2g_u64map *m, uint64_t k, int v, int *added) {
    size_t h = (size_t)((k * 0x9E3779B97F4A7C15ULL) >> 17) & m->mask;
    while (m->key[h] != UINT64_MAX) {
        if (m->key[h] == k) {
            *added = 0;
            return m->val[h];
        }
        h = (h + 1) & m->mask;
    }
    m->key[h] = k;
    m->val[h] = v;
    *added = 1;
    return v;
}

void n2g_u64map_free(n2g_u64map *m) {
    free(m->key);
    free(m->val);
    m->key = NULL;
    m->val = NULL;
}
