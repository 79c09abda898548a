/* test_u64map.c — the fixed-capacity u64 -> int map (common/u64map.h) against a sorted-array
 * oracle: keys that collide in the hash's top bits, keys repeated, the capacity filled to the
 * number of entries asked for, 0 and UINT64_MAX - 1 as keys. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "common/u64map.h"

/* the oracle: the value first put for k, or -1 */
static int oracle_find(const uint64_t *keys, const int *vals, size_t n, uint64_t k) {
    for (size_t i = 0; i < n; i++)
        if (keys[i] == k) return vals[i];
    return -1;
}

static uint64_t next_rand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

int main(void) {
    for (int round = 0; round < 4; round++) {
        size_t entries = round == 0 ? 1 : round == 1 ? 7 : round == 2 ? 300 : 5000;
        n2g_u64map m;
        CHECK(n2g_u64map_init(&m, entries) == 0, "init %zu", entries);
        uint64_t *keys = malloc(entries * sizeof *keys), seed = 42 + (uint64_t)round;
        int *vals = malloc(entries * sizeof *vals);
        size_t distinct = 0;
        long wrong = 0;
        for (size_t i = 0; distinct < entries; i++) {
            uint64_t k;
            switch (i % 4) {
            case 0: k = next_rand(&seed) % (entries * 2 + 1); break;          /* repeats */
            case 1: k = (next_rand(&seed) % 64) << 47; break;                  /* top bits only */
            case 2: k = i & 1 ? 0 : UINT64_MAX - 1; break;                     /* the extremes */
            default: k = ((uint64_t)(i % 13) << 32) | (uint32_t)(i % 5); break; /* (depth, class) */
            }
            int want = oracle_find(keys, vals, distinct, k), added = -1;
            int got = n2g_u64map_get_or_put(&m, k, (int)i, &added);
            if (want >= 0) {
                wrong += got != want || added != 0;
            } else {
                wrong += got != (int)i || added != 1;
                keys[distinct] = k, vals[distinct] = (int)i, distinct++;
            }
        }
        for (size_t i = 0; i < distinct; i++) {
            int added = -1;
            wrong += n2g_u64map_get_or_put(&m, keys[i], -7, &added) != vals[i] || added != 0;
        }
        CHECK(wrong == 0, "%zu entries: %ld lookups differ from the oracle", entries, wrong);
        n2g_u64map_free(&m);
        n2g_u64map_free(&m); /* safe twice */
        free(keys);
        free(vals);
    }
    return check_finish();
}
