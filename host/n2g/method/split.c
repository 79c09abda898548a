/* split.c — numpy RandomState-compatible permutation (MT19937) for the sklearn split. */
#include "n2g/method/split.h"

#include <stdlib.h>

typedef struct {
    uint32_t mt[624];
    int i;
} mt19937;

static void mt_seed(mt19937 *s, uint32_t seed) { /* init_genrand, as numpy's legacy seeding */
    s->mt[0] = seed;
    for (int i = 1; i < 624; i++) s->mt[i] = 1812433253u * (s->mt[i - 1] ^ (s->mt[i - 1] >> 30)) + (uint32_t)i;
    s->i = 624;
}

static uint32_t mt_next(mt19937 *s) {
    if (s->i >= 624) {
        for (int k = 0; k < 624; k++) {
            uint32_t y = (s->mt[k] & 0x80000000u) | (s->mt[(k + 1) % 624] & 0x7fffffffu);
            s->mt[k] = s->mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        s->i = 0;
    }
    uint32_t y = s->mt[s->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* numpy legacy random_interval(max): masked rejection sampling on 32-bit draws. */
static uint32_t mt_interval(mt19937 *s, uint32_t max) {
    if (max == 0) return 0;
    uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t v;
    while ((v = mt_next(s) & mask) > max) {
    }
    return v;
}

void n2g_split_permutation(uint32_t seed, int n, int *perm) {
    mt19937 s;
    mt_seed(&s, seed);
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i >= 1; i--) { /* numpy _shuffle_raw: reversed(range(1, n)) */
        int j = (int)mt_interval(&s, (uint32_t)i);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

void n2g_split_train_test(uint32_t seed, int n, int *train, int *n_train, int *test, int *n_test) {
    int *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    int ntr = n / 2, nte = n - ntr;
    if (!perm) { /* degenerate fallback: identity order */
        for (int i = 0; i < nte; i++) test[i] = i;
        for (int i = 0; i < ntr; i++) train[i] = nte + i;
    } else {
        n2g_split_permutation(seed, n, perm);
        for (int i = 0; i < nte; i++) test[i] = perm[i];
        for (int i = 0; i < ntr; i++) train[i] = perm[nte + i];
        free(perm);
    }
    *n_train = ntr;
    *n_test = nte;
}
