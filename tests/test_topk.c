/* test_topk.c — ops_rowmax + ops_topk_merge + ops_topk_fire against brute force, on every backend.
 *
 * Random activations [R rows, T, C] with many exact ties (values on a coarse grid) are fed
 * through the ops in batches of several sizes; the oracle computes every row's max / first
 * argmax / sum directly and sorts all rows per neuron by (value desc, row asc). Results must
 * match exactly (same rows, same order, same positions, same values), and the Kahan sums
 * must match a double-precision sum. The fire lists of the final top-k rows must equal a direct
 * scan of each row (positions >= p0 with act >= ratio * row max; the grid makes exact ties at
 * the threshold, a small F makes lists overflow, some neurons have rows with a non-positive
 * max), identically for every batch size and backend. ops_topk_fire_one also gets a hand-made
 * case where a row leaves the top-k and its list is reused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "topk_oracle.h"
#include "ops/ops.h"
#include "ops/ops_topk.h"

enum { R = 37, T = 19, C = 70, K = 7 };

static float act[R][T][C];


/* The canonical fire result of one configuration (per neuron, per final top-k slot: count, then
 * F positions and F value bits, unused entries 0), kept from the first run to compare others. */
enum { NCFG = 8 };
static uint32_t *canon_ref[NCFG];
/* The raw fire store of the i-th run of the first backend: the others must match it bit for bit
 * (same lists in the same slots, free lists included). */
static uint32_t *raw_ref[64];
static int run_idx;

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void run_case(ops_ctx *ops, const char *name, int batch, int p0, int k, int F, float ratio, int cfg) {
    n2g_err e = {0};
    ops_buf *x = ops_alloc(ops, sizeof(float) * batch * T * C, &e);
    ops_buf *rmax = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e), *rarg = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e),
            *rsum = ops_alloc(ops, 4 * (size_t)batch * C + 64, &e);
    size_t toff = 5, soff = 3, in_off = 16; /* nonzero offsets exercise the addressing */
    ops_buf *topk = ops_alloc(ops, 4 * (3 * (size_t)C * k + toff), &e), *stats = ops_alloc(ops, 4 * (2 * C + soff), &e);
    size_t foff = 7, fw = ops_topk_fire_words(C, k, F);
    ops_buf *fire = ops_alloc(ops, 4 * (fw + foff), &e);
    CHECK(x && rmax && rarg && rsum && topk && stats && fire, "%s: alloc: %s", name, e.msg);
    uint32_t *init = malloc(4 * 3 * (size_t)C * k), *finit = malloc(4 * fw);
    ops_topk_init_host(init, C, k);
    CHECK(!ops_upload(ops, topk, 4 * toff, init, 4 * 3 * (size_t)C * k, &e), "%s: upload", name);
    ops_topk_fire_init_host(finit, C, k, F);
    CHECK(!ops_upload(ops, fire, 4 * foff, finit, 4 * fw, &e), "%s: upload", name);
    for (int r0 = 0; r0 < R; r0 += batch) {
        int B = R - r0 < batch ? R - r0 : batch;
        CHECK(!ops_upload(ops, x, 0, act[r0], sizeof(float) * B * T * C, &e), "upload %s", e.msg);
        ops_rowmax(ops, rmax, rarg, rsum, in_off, x, B, T, C, p0);
        ops_topk_merge(ops, topk, toff, stats, soff, rmax, rarg, rsum, in_off, B, C, k, (uint32_t)r0 + 1000);
        ops_topk_fire(ops, fire, foff, topk, toff, x, B, T, C, k, F, (uint32_t)r0 + 1000, p0, ratio);
        CHECK(!ops_run(ops, &e), "%s: run: %s", name, e.msg);
    }
    uint32_t *got = malloc(4 * 3 * (size_t)C * k);
    float st[2 * C];
    CHECK(!ops_download(ops, topk, 4 * toff, got, 4 * 3 * (size_t)C * k, &e), "download");
    CHECK(!ops_download(ops, stats, 4 * soff, st, sizeof st, &e), "download");
    uint32_t *fgot = malloc(4 * fw);
    CHECK(!ops_download(ops, fire, 4 * foff, fgot, 4 * fw, &e), "download");
    size_t cw = 1 + 2 * (size_t)F; /* canonical words per (neuron, slot) */
    uint32_t *canon = calloc((size_t)C * k * cw, 4);
    int bad = 0, fbad = 0;
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
        /* fire lists: the oracle scans each final top-k row directly */
        size_t nf = n * F;
        const uint32_t *tag = fgot + (size_t)c * k, *cnt = fgot + n + (size_t)c * k;
        for (int j = 0; j < k && j < R; j++) {
            int r = (int)all[j].row - 1000, li = -1, nl = 0;
            for (int i = 0; i < k; i++)
                if (tag[i] == all[j].row) li = i, nl++;
            if (nl != 1) {
                if (fbad++ < 5) fprintf(stderr, "%s: neuron %d row %d: %d lists\n", name, c, r + 1000, nl);
                continue;
            }
            uint32_t *cj = canon + ((size_t)c * k + j) * cw;
            const uint32_t *gp = fgot + 2 * n + ((size_t)c * k + li) * F, *gv = gp + nf;
            /* whole list: entries past the count (and of a NONE list) must be 0, whatever the
             * list held for an earlier row */
            cj[0] = cnt[li];
            for (int q = 0; q < F; q++) cj[1 + q] = gp[q], cj[1 + F + q] = gv[q];
            uint32_t want[1 + 2 * OPS_TOPK_MAX_F] = {0};
            if (!(all[j].v > 0)) {
                want[0] = OPS_TOPK_FIRE_NONE;
            } else {
                float thr = ratio * all[j].v;
                for (int t = p0; t < T; t++) {
                    if (!(act[r][t][c] >= thr)) continue;
                    if (want[0] < (uint32_t)F) {
                        want[1 + want[0]] = (uint32_t)t;
                        memcpy(&want[1 + F + want[0]], &act[r][t][c], 4);
                    }
                    want[0]++;
                }
            }
            if (memcmp(cj, want, 4 * cw) != 0 && fbad++ < 5)
                fprintf(stderr, "%s: neuron %d row %d: list count %u (want %u) or entries differ\n", name, c,
                        r + 1000, cj[0], want[0]);
        }
        double gs = (double)st[2 * c] - st[2 * c + 1];
        if (fabs(gs - sum) > 1e-4 * (1 + fabs(sum))) {
            if (bad++ < 5) fprintf(stderr, "%s: neuron %d sum %g want %g\n", name, c, gs, sum);
        }
    }
    CHECK(bad == 0, "%s: batch %d p0 %d k %d: %d mismatches", name, batch, p0, k, bad);
    CHECK(fbad == 0, "%s: fire batch %d p0 %d k %d F %d: %d mismatches", name, batch, p0, k, F, fbad);
    int ri = run_idx++;
    if (!raw_ref[ri]) {
        raw_ref[ri] = fgot;
        fgot = NULL;
    } else {
        CHECK(!memcmp(fgot, raw_ref[ri], 4 * fw), "%s: fire store of run %d differs from the first backend", name, ri);
    }
    /* the same configuration gives the same lists for every batch size and backend */
    if (!canon_ref[cfg])
        canon_ref[cfg] = canon;
    else {
        CHECK(!memcmp(canon, canon_ref[cfg], 4 * (size_t)C * k * cw), "%s: fire batch %d cfg %d differs", name,
              batch, cfg);
        free(canon);
    }
    free(init);
    free(finit);
    free(fgot);
    free(got);
    ops_free(ops, fire);
    ops_free(ops, x);
    ops_free(ops, rmax);
    ops_free(ops, rarg);
    ops_free(ops, rsum);
    ops_free(ops, topk);
    ops_free(ops, stats);
}

/* ops_topk_fire_one by hand: k = 3 lists, F = 2, T = 4, p0 = 1, ratio 0.5.
 * Step 1 (rows 10, 11): top-k (11: 4), (10: 2): row 11 takes list 0, row 10 list 1.
 * Step 2 (rows 12, 13): top-k (12: 5), (11: 4), (13: 0): row 10 left, so row 12 reuses list 1
 * (lowest free), list 0 stays as it was, row 13 (max 0) takes list 2 with no positions.
 * Step 4 (row 14): row 11 left; row 14 reuses list 0 with fewer entries than row 11 had. */
static void fire_one_unit(void) {
    enum { k = 3, F = 2, Tu = 4 };
    uint32_t w[k * (2 + 2 * F)];
    ops_topk_fire_init_host(w, 1, k, F);
    uint32_t *tag = w, *cnt = w + k, *pos = w + 2 * k;
    float *fv = (float *)(w + 2 * k + k * F);
    CHECK(tag[0] == OPS_TOPK_EMPTY_ROW && tag[2] == OPS_TOPK_EMPTY_ROW && cnt[1] == 0 && pos[5] == 0 && fv[5] == 0,
          "fire init");
    float x1[2][Tu] = {{9, 1, 2, 1}, {0, 4, 3, 1.5f}}; /* t = 0 is skipped (p0 = 1) */
    float v1[k] = {4, 2, -INFINITY};
    uint32_t r1[k] = {11, 10, OPS_TOPK_EMPTY_ROW};
    ops_topk_fire_one(v1, r1, k, tag, cnt, pos, fv, F, &x1[0][0], 1, 2, Tu, 10, 1, 0.5f);
    CHECK(tag[0] == 11 && cnt[0] == 2 && pos[0] == 1 && pos[1] == 2 && fv[0] == 4 && fv[1] == 3, "fire row 11");
    CHECK(tag[1] == 10 && cnt[1] == 3 && pos[2] == 1 && pos[3] == 2 && fv[2] == 1 && fv[3] == 2, "fire row 10");
    CHECK(tag[2] == OPS_TOPK_EMPTY_ROW && cnt[2] == 0, "fire list 2 free");
    /* interleaved rows (xstride 2) exercise the stride; row 12's last value ties the threshold */
    float x2[2][Tu][2] = {{{0, 7}, {5, 7}, {5, 7}, {2.5f, 7}}, {{0, 7}, {-1, 7}, {0, 7}, {-2, 7}}};
    float v2[k] = {5, 4, 0};
    uint32_t r2[k] = {12, 11, 13};
    ops_topk_fire_one(v2, r2, k, tag, cnt, pos, fv, F, &x2[0][0][0], 2, 2, Tu, 12, 1, 0.5f);
    CHECK(tag[0] == 11 && cnt[0] == 2 && pos[0] == 1 && pos[1] == 2 && fv[0] == 4 && fv[1] == 3, "list 0 kept");
    CHECK(tag[1] == 12 && cnt[1] == 3 && pos[2] == 1 && pos[3] == 2 && fv[2] == 5 && fv[3] == 5, "row 12 reuses 1");
    CHECK(tag[2] == 13 && cnt[2] == OPS_TOPK_FIRE_NONE, "row 13 has no positive max");
    /* a kept row outside the batch without a list stays without one; nothing else changes */
    uint32_t before[sizeof w / 4];
    memcpy(before, w, sizeof w);
    float v3[k] = {5, 4, 1};
    uint32_t r3[k] = {12, 11, 9};
    ops_topk_fire_one(v3, r3, k, tag, cnt, pos, fv, F, &x2[0][0][0], 2, 2, Tu, 12, 1, 0.5f);
    CHECK(!memcmp(before, w, sizeof w), "rows outside the batch");
    /* row 14 (one qualifying position) takes list 0 from row 11: its second entry becomes 0 */
    float x4[Tu] = {0, 1, 6, -1};
    float v4[k] = {6, 5, 0};
    uint32_t r4[k] = {14, 12, 13};
    ops_topk_fire_one(v4, r4, k, tag, cnt, pos, fv, F, x4, 1, 1, Tu, 14, 1, 0.5f);
    CHECK(tag[0] == 14 && cnt[0] == 1 && pos[0] == 2 && pos[1] == 0 && fv[0] == 6 && fv[1] == 0, "row 14 reuses 0");
    CHECK(tag[1] == 12 && tag[2] == 13 && cnt[1] == 3, "lists 1, 2 kept");
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
    /* neuron 2: no row max is positive (every list OPS_TOPK_FIRE_NONE, max 0 in some rows);
     * neuron 3: only rows 5, 20, 30 have a positive max, so the top-k mixes both kinds */
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            act[r][t][2] = -(float)(rnd() % 5) * 0.25f;
            act[r][t][3] = (r == 5 || r == 20 || r == 30) ? act[r][t][3] : -(float)(rnd() % 5) * 0.25f - 0.25f * (r % 2);
        }

    fire_one_unit();

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
        /* fire: F = 3 overflows most lists; ratio 0.5 of a grid value lands on the grid (ties) */
        int batches[] = {1, 2, 5, 8, 37, 64};
        run_idx = 0;
        for (size_t i = 0; i < sizeof batches / sizeof *batches; i++) {
            run_case(ops, names[kind], batches[i], 1, K, 3, 0.5f, 0);
            run_case(ops, names[kind], batches[i], 0, K, T, 0.75f, 1); /* --include-bos, F >= T */
        }
        run_case(ops, names[kind], 4, 0, K, 3, 0.5f, 2);      /* --include-bos */
        run_case(ops, names[kind], 9, 0, K, 3, 0.5f, 2);
        run_case(ops, names[kind], 3, 1, 1, 1, 1.0f, 3);      /* k = 1, F = 1, only the max */
        run_case(ops, names[kind], 1, 1, 1, 1, 1.0f, 3);
        run_case(ops, names[kind], 7, 2, R + 5, 2, 0.25f, 4); /* k > rows: empty slots remain */
        run_case(ops, names[kind], 37, 2, R + 5, 2, 0.25f, 4);
        run_case(ops, names[kind], 6, T - 2, K, 2, 0.5f, 5);  /* fewer positions than slices */
        run_case(ops, names[kind], 2, T - 2, K, 2, 0.5f, 5);
        ops_destroy(ops);
    }
    for (int i = 0; i < NCFG; i++) free(canon_ref[i]);
    for (int i = 0; i < 64; i++) free(raw_ref[i]);
    return check_finish();
}
