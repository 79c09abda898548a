/* cpu_topk.c — CPU backend of ops_rowmax / ops_topk_merge / ops_topk_fire (see ops_topk.h).
 * Executed immediately when recorded, like the rest of the CPU backend. */
#include <math.h>
#include <string.h>

#include "cpu_backend.h"
#include "topk_backends.h"

typedef struct {
    float *rmax, *rsum;
    int32_t *rarg;
    const float *x;
    int T, C, p0;
} rowmax_job;

/* rows b of job; neuron-inner loops so the compiler vectorises over c */
static void rowmax_range(void *arg, size_t b0, size_t b1, int thread) {
    (void)thread;
    const rowmax_job *j = arg;
    int C = j->C;
    for (size_t b = b0; b < b1; b++) {
        float *mx = j->rmax + b * C, *sm = j->rsum + b * C;
        int32_t *ag = j->rarg + b * C;
        for (int c = 0; c < C; c++) {
            mx[c] = -INFINITY;
            ag[c] = j->p0;
            sm[c] = 0.0f;
        }
        for (int t = j->p0; t < j->T; t++) {
            const float *xr = j->x + (b * j->T + t) * C;
            for (int c = 0; c < C; c++) {
                float v = xr[c];
                if (v > mx[c]) {
                    mx[c] = v;
                    ag[c] = t;
                }
                sm[c] += v;
            }
        }
    }
}

void cpu_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
                int T, int C, int p0) {
    rowmax_job j = {(float *)cpu_buf_ptr(rmax) + out_off, (float *)cpu_buf_ptr(rsum) + out_off,
                    (int32_t *)cpu_buf_ptr(rarg) + out_off, (const float *)cpu_buf_ptr(x), T, C, p0};
    cpu_parallel_for(ctx, (size_t)B, 1, rowmax_range, &j);
    cpu_buf_written(rmax);
    cpu_buf_written(rarg);
    cpu_buf_written(rsum);
}

typedef struct {
    float *val;
    uint32_t *row, *pos;
    float *stats;
    const float *rmax, *rsum;
    const int32_t *rarg;
    int B, C, k;
    uint32_t row0;
} merge_job;

static void merge_range(void *arg, size_t c0, size_t c1, int thread) {
    (void)thread;
    const merge_job *j = arg;
    for (size_t c = c0; c < c1; c++) {
        size_t o = c * j->k;
        ops_topk_merge_one(j->val + o, j->row + o, j->pos + o, j->k, j->rmax + c, j->rarg + c, (size_t)j->C, j->B,
                           j->row0);
        float *s = j->stats + 2 * c;
        for (int b = 0; b < j->B; b++) ops_kahan_add(&s[0], &s[1], j->rsum[(size_t)b * j->C + c]);
    }
}

void cpu_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                    const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                    uint32_t row0) {
    uint32_t *w = (uint32_t *)cpu_buf_ptr(topk) + topk_off;
    size_t n = (size_t)C * k;
    merge_job j = {(float *)w, w + n, w + 2 * n, (float *)cpu_buf_ptr(stats) + stats_off,
                   (const float *)cpu_buf_ptr(rmax) + in_off, (const float *)cpu_buf_ptr(rsum) + in_off,
                   (const int32_t *)cpu_buf_ptr(rarg) + in_off, B, C, k, row0};
    cpu_parallel_for(ctx, (size_t)C, 64, merge_range, &j);
    cpu_buf_written(topk);
    cpu_buf_written(stats);
}

typedef struct {
    uint32_t *fire;
    const uint32_t *topk;
    const float *x;
    int B, T, C, k, F, p0;
    uint32_t row0;
    float ratio;
} fire_job;

static void fire_range(void *arg, size_t c0, size_t c1, int thread) {
    (void)thread;
    const fire_job *j = arg;
    size_t n = (size_t)j->C * j->k, nf = n * j->F;
    for (size_t c = c0; c < c1; c++) {
        size_t o = c * j->k, of = o * j->F;
        ops_topk_fire_one((const float *)j->topk + o, j->topk + n + o, j->k, j->fire + o, j->fire + n + o,
                          j->fire + 2 * n + of, (float *)(j->fire + 2 * n + nf) + of, j->F, j->x + c, (size_t)j->C,
                          j->B, j->T, j->row0, j->p0, j->ratio);
    }
}

void cpu_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                   const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio) {
    fire_job j = {(uint32_t *)cpu_buf_ptr(fire) + fire_off, (const uint32_t *)cpu_buf_ptr(topk) + topk_off,
                  (const float *)cpu_buf_ptr(x), B, T, C, k, F, p0, row0, ratio};
    cpu_parallel_for(ctx, (size_t)C, 16, fire_range, &j);
    cpu_buf_written(fire);
}
