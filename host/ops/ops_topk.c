/* ops_topk.c — dispatch of the scrape ops (ops_topk.h) to the backend, plus the host-side
 * references of one neuron's merge and fire steps. */
#include "ops_topk.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "topk_backends.h"

void ops_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
                int T, int C, int p0) {
    assert(B > 0 && T > 0 && C > 0 && p0 >= 0 && p0 < T);
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_rowmax(ctx, rmax, rarg, rsum, out_off, x, B, T, C, p0);
    else
        vk_rowmax(ctx, rmax, rarg, rsum, out_off, x, B, T, C, p0);
}

void ops_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                    const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                    uint32_t row0) {
    assert(B > 0 && C > 0 && k >= 1 && k <= OPS_TOPK_MAX_K);
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_topk_merge(ctx, topk, topk_off, stats, stats_off, rmax, rarg, rsum, in_off, B, C, k, row0);
    else
        vk_topk_merge(ctx, topk, topk_off, stats, stats_off, rmax, rarg, rsum, in_off, B, C, k, row0);
}

void ops_topk_merge_one(float *val, uint32_t *row, uint32_t *pos, int k, const float *cval, const int32_t *cpos,
                        size_t cstride, int B, uint32_t row0) {
    float kth = val[k - 1];
    int full = row[k - 1] != OPS_TOPK_EMPTY_ROW;
    for (int b = 0; b < B; b++) {
        float v = cval[(size_t)b * cstride];
        /* rows arrive in increasing order: an equal value ranks after every kept entry */
        if (full ? !(v > kth) : isnan(v)) continue;
        int j = k - 1;
        while (j > 0 && (row[j - 1] == OPS_TOPK_EMPTY_ROW || val[j - 1] < v)) {
            val[j] = val[j - 1];
            row[j] = row[j - 1];
            pos[j] = pos[j - 1];
            j--;
        }
        val[j] = v;
        row[j] = row0 + (uint32_t)b;
        pos[j] = (uint32_t)cpos[(size_t)b * cstride];
        kth = val[k - 1];
        full = row[k - 1] != OPS_TOPK_EMPTY_ROW;
    }
}

void ops_topk_init_host(uint32_t *words, int C, int k) {
    size_t n = (size_t)C * k;
    float ninf = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        memcpy(&words[i], &ninf, 4);
        words[n + i] = OPS_TOPK_EMPTY_ROW;
        words[2 * n + i] = 0;
    }
}

void ops_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                   const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio) {
    assert(B > 0 && T > 0 && C > 0 && p0 >= 0 && p0 < T);
    assert(k >= 1 && k <= OPS_TOPK_MAX_K && F >= 1 && F <= OPS_TOPK_MAX_F);
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_topk_fire(ctx, fire, fire_off, topk, topk_off, x, B, T, C, k, F, row0, p0, ratio);
    else
        vk_topk_fire(ctx, fire, fire_off, topk, topk_off, x, B, T, C, k, F, row0, p0, ratio);
}

void ops_topk_fire_one(const float *val, const uint32_t *row, int k, uint32_t *tag, uint32_t *cnt, uint32_t *pos,
                       float *fval, int F, const float *xs, size_t xstride, int B, int T, uint32_t row0, int p0,
                       float ratio) {
    /* used[i]: list i belongs to a kept row; has[j]: slot j's row already has a list. The top-k
     * does not change during the step, so one O(k^2) pass settles both; a list taken below is
     * marked used, which keeps "lowest-index free list" exact. */
    unsigned char used[OPS_TOPK_MAX_K], has[OPS_TOPK_MAX_K];
    memset(used, 0, (size_t)k);
    memset(has, 0, (size_t)k);
    for (int i = 0; i < k; i++) {
        if (tag[i] == OPS_TOPK_EMPTY_ROW) continue;
        for (int j = 0; j < k; j++)
            if (row[j] == tag[i]) used[i] = has[j] = 1;
    }
    for (int j = 0; j < k; j++) {
        uint32_t r = row[j];
        /* unsigned: r < row0 wraps past B */
        if (r == OPS_TOPK_EMPTY_ROW || r - row0 >= (uint32_t)B || has[j]) continue;
        int i = 0;
        while (used[i]) i++; /* at most k - 1 lists are used: one is free */
        used[i] = 1;
        tag[i] = r;
        uint32_t n = 0;
        uint32_t *ip = pos + (size_t)i * F;
        float *iv = fval + (size_t)i * F;
        if (!(val[j] > 0)) {
            n = OPS_TOPK_FIRE_NONE;
        } else {
            float thr = ratio * val[j]; /* float, like the shader */
            const float *xr = xs + (size_t)(r - row0) * T * xstride;
            for (int t = p0; t < T; t++) {
                float v = xr[(size_t)t * xstride];
                if (!(v >= thr)) continue;
                if (n < (uint32_t)F) ip[n] = (uint32_t)t, iv[n] = v;
                n++;
            }
        }
        cnt[i] = n;
        /* entries past the count are 0 (not what an earlier row left): the list, all F entries
         * of it, depends only on (neuron, row) */
        for (uint32_t q = n == OPS_TOPK_FIRE_NONE ? 0 : n; q < (uint32_t)F; q++) ip[q] = 0, iv[q] = 0.0f;
    }
}

void ops_topk_fire_init_host(uint32_t *words, int C, int k, int F) {
    size_t n = (size_t)C * k;
    for (size_t i = 0; i < n; i++) words[i] = OPS_TOPK_EMPTY_ROW;
    memset(words + n, 0, sizeof *words * (ops_topk_fire_words(C, k, F) - n)); /* counts, positions, +0.0f values */
}
