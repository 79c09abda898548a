/* dist_topk.c — the parts of the distribution layer that need no MPI: the top-k record merge
 * (the scrape's total order) and layout packing (dist.h). */
#include <stdlib.h>
#include <string.h>

#include "dist.h"

static float f_of(uint32_t w) {
    float f;
    memcpy(&f, &w, 4);
    return f;
}

/* 1 when entry (va, ra) comes before (vb, rb): value descending, row ascending. Empty slots
 * (row 0xFFFFFFFF, value -inf) sort last. */
static int before(float va, uint32_t ra, float vb, uint32_t rb) {
    if (ra == 0xFFFFFFFFu || rb == 0xFFFFFFFFu) return ra < rb;
    if (va > vb) return 1;
    if (va < vb) return 0;
    return ra < rb;
}

void dist_topk_merge_rec(const uint32_t *a, const uint32_t *b, uint32_t *out, int k) {
    const uint32_t *ar = a + k, *br = b + k;
    int i = 0, j = 0;
    for (int o = 0; o < k; o++) {
        const uint32_t *src;
        int at;
        if (i < k && j < k && ar[i] == br[j] && ar[i] != 0xFFFFFFFFu) { /* the same row on two ranks */
            src = a, at = i++;
            j++;
        } else if (j >= k || (i < k && before(f_of(a[i]), ar[i], f_of(b[j]), br[j]))) {
            src = a, at = i++;
        } else {
            src = b, at = j++;
        }
        out[o] = src[at];
        out[k + o] = src[k + at];
        out[2 * k + o] = src[2 * k + at];
    }
}

void dist_topk_pack(const uint32_t *store, uint32_t *recs, int C, int k) {
    size_t ck = (size_t)C * k;
    for (int c = 0; c < C; c++)
        for (int part = 0; part < 3; part++)
            memcpy(recs + (size_t)c * 3 * k + (size_t)part * k, store + part * ck + (size_t)c * k, (size_t)k * 4);
}

void dist_topk_unpack(const uint32_t *recs, uint32_t *store, int C, int k) {
    size_t ck = (size_t)C * k;
    for (int c = 0; c < C; c++)
        for (int part = 0; part < 3; part++)
            memcpy(store + part * ck + (size_t)c * k, recs + (size_t)c * 3 * k + (size_t)part * k, (size_t)k * 4);
}

void dist_fire_merge_rec(const uint32_t *a, uint32_t *b, int k, int F, uint32_t absent) {
    size_t f = (size_t)F;
    for (int j = 0; j < k; j++) {
        if (b[j] != absent || a[j] == absent) continue;
        b[j] = a[j];
        memcpy(b + k + (size_t)j * f, a + k + (size_t)j * f, f * 4);
        memcpy(b + k + (size_t)k * f + (size_t)j * f, a + k + (size_t)k * f + (size_t)j * f, f * 4);
    }
}
