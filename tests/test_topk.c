/* test_topk.c — ops_rowmax + ops_topk_merge against a brute-force sort, on every backend.
 *
 * Random activations [R rows, T, C] with many exact ties (values on a coarse grid) are fed
 * through the ops in batches of several sizes; the oracle computes every row's max / first
 * argmax / sum directly and sorts all rows per neuron by (value desc, row asc). Results must
 * match exactly (same rows, same order, same positions, same values), and the Kahan sums
 * must match a double-precision sum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "topk_oracle.h"
#include "ops/ops.h"
#include "ops/ops_topk.h"

enum { R = 37, T = 19, C = 70, K = 7 };

static float act[R][T][C];


static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void run_case(ops_ctx *ops, const char *name, int batch, int p0, int k) {
    n2g_err e = {0};
    ops_buf *x = ops_alloc(ops, sizeof(float) * batch * T * C, &e);
    ops_buf *rmax = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e), *rarg = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e),
            *rsum = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e);
    size_t toff = 5, soff = 3, in_off = 16; /* nonzero offsets exercise the addressing */
    ops_buf *topk = ops_alloc(ops, 4 * (3 * (size_t)C * k + toff), &e), *stats = ops_alloc(ops, 4 * (2 * C + soff), &e);
    CHECK(x && rmax && rarg && rsum && topk && stats, "%s: alloc: %s", name, e.msg);
    uint32_t *init = malloc(4 * 3 * (size_t)C * k);
    ops_topk_init_host(init, C, k);
    CHECK(!ops_upload(ops, topk, 4 * toff, init, 4 * 3 * (size_t)C * k, &e), "%s: upload", name);
    for (int r0 = 0; r0 < R; r0 += batch) {
        int B = R - r0 < batch ? R - r0 : batch;
        CHECK(!ops_upload(ops, x, 0, act[r0], sizeof(float) * B * T * C, &e), "upload %s", e.msg);
        ops_rowmax(ops, rmax, rarg, rsum, in_off, x, B, T, C, p0);
        ops_topk_merge(ops, topk, toff, stats, soff, rmax, rarg, rsum, in_off, B, C, k, (uint32_t)r0 + 1000);
        CHECK(!ops_run(ops, &e), "%s: run: %s", name, e.msg);
    }
    uint32_t *got = malloc(4 * 3 * (size_t)C * k);
    float st[2 * C];
    CHECK(!ops_download(ops, topk, 4 * toff, got, 4 * 3 * (size_t)C * k, &e), "download");
    CHECK(!ops_download(ops, stats, 4 * soff, st, sizeof st, &e), "download");
    int bad = 0;
    for (int c = 0; c < C; c++) {
        oracle_ex all[R];
        double sum = 0;
        for (int r = 0; r < R; r++) {
            all[r].v = -INFINITY;
            all[r].row = (uint32_t)r + 1000;
            all[r].pos = 0;
            for (int t = p0; t < T; t++) {
                if (act[r][t][c] > all[r].v) all[r].v = act[r][t][c], all[r].pos = (uint32_t)t;
                sum += act[r][t][c];
            }
        }
        qsort(all, R, sizeof *all, oracle_ex_cmp);
        size_t n = (size_t)C * k;
        for (int j = 0; j < k; j++) {
            float gv;
            memcpy(&gv, &got[(size_t)c * k + j], 4);
            uint32_t gr = got[n + (size_t)c * k + j], gp = got[2 * n + (size_t)c * k + j];
            if (j >= R) {
                if (gr != OPS_TOPK_EMPTY_ROW || !(gv == -INFINITY)) bad++;
                continue;
            }
            if (gv != all[j].v || gr != all[j].row || gp != all[j].pos) {
                if (bad++ < 5)
                    fprintf(stderr, "%s: neuron %d slot %d: got (%g,%u,%u) want (%g,%u,%u)\n", name, c, j, gv, gr,
                            gp, all[j].v, all[j].row, all[j].pos);
            }
        }
        double gs = (double)st[2 * c] - st[2 * c + 1];
        if (fabs(gs - sum) > 1e-4 * (1 + fabs(sum))) {
            if (bad++ < 5) fprintf(stderr, "%s: neuron %d sum %g want %g\n", name, c, gs, sum);
        }
    }
    CHECK(bad == 0, "%s: batch %d p0 %d k %d: %d mismatches", name, batch, p0, k, bad);
    free(init);
    free(got);
    ops_free(ops, x);
    ops_free(ops, rmax);
    ops_free(ops, rarg);
    ops_free(ops, rsum);
    ops_free(ops, topk);
    ops_free(ops, stats);
}

int main(void) {
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++) {
                /* coarse grid -> many ties across rows and across positions; a few big values */
                float v = (float)((int)(rnd() % 24) - 4) * 0.25f;
                if (rnd() % 97 == 0) v += 3.0f;
                act[r][t][c] = v;
            }
    /* neuron 0: every row identical -> pure row-order ties; neuron 1: constant */
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) act[r][t][0] = act[0][t][0], act[r][t][1] = 0.5f;

    /* vk kernels in both variant families (cpu-driver: one slice; gpu: positions in slices) */
    const char *names[3] = {"cpu", "vk", "vk-gpu-variant"};
    for (int kind = 0; kind < 3; kind++) {
        ops_options o = {.kind = kind ? OPS_VK : OPS_CPU, .device = -1, .quiet = 1,
                         .variant = kind == 2 ? "gpu" : NULL};
        ops_ctx *ops = NULL;
        n2g_err e = {0};
        if (ops_create(&o, &ops, &e)) {
            fprintf(stderr, "note: backend %s unavailable (%s)\n", names[kind], e.msg);
            CHECK(kind >= 1 && getenv("N2G_REQUIRE_VK") == NULL, "backend %s required", names[kind]);
            continue;
        }
        int batches[] = {1, 2, 5, 8, 37, 64};
        for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) run_case(ops, names[kind], batches[i], 1, K);
        run_case(ops, names[kind], 4, 0, K);      /* --include-bos */
        run_case(ops, names[kind], 3, 1, 1);      /* k = 1 */
        run_case(ops, names[kind], 7, 2, R + 5);  /* k > rows: empty slots remain */
        run_case(ops, names[kind], 6, T - 2, K);  /* fewer positions than slices */
        ops_destroy(ops);
    }
    return check_finish();
}
