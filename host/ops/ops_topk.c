/* ops_topk.c — dispatch of the scrape ops (ops_topk.h) to the backend, plus the host-side
 * reference of one neuron's merge step. */
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
