/* bench_scrape.c — scrape tokens/s against forward-only tokens/s on the same model, same run.
 *
 * A GPT-2-small-shaped model with random weights (12 layers, 768 wide, d_mlp 3072, 50257
 * tokens, n_ctx 1024) is built in memory; random token rows are run through
 *   forward:  the forward pass to the last chosen layer's GELU (what a scrape cannot avoid)
 *   scrape:   the same plus, after every chosen layer, ops_rowmax + ops_topk_merge (top-k kept
 *             on the device; nothing read back)
 * alternately, `iters` times each after one warm-up of each, on every backend asked for.
 * Reports median tokens/s of both and the overhead of the top-k.
 *
 * usage: bench_scrape [--device cpu|N|all] [--ctx T] [--batch B] [--iters N] [--top-k K] [--layers L]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "model/gpt2.h"
#include "ops/ops.h"
#include "ops/ops_topk.h"
#include "scrape/scrape_engine.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static float frand(void) { /* uniform [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}

static float *rand_vec(size_t n, float scale, float bias) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = bias + scale * frand();
    return v;
}

static gpt2_model *random_gpt2_small(void) {
    gpt2_model *m = calloc(1, sizeof *m);
    gpt2_config *c = &m->cfg;
    c->n_layer = 12, c->n_embd = 768, c->n_head = 12, c->n_ctx = 1024, c->n_positions = 1024;
    c->vocab_size = 50257, c->d_mlp = 3072, c->ln_eps = 1e-5f;
    snprintf(c->activation, sizeof c->activation, "gelu_new");
    size_t C = 768, D = 3072;
    m->wte = rand_vec((size_t)c->vocab_size * C, 0.1f, 0);
    m->wpe = rand_vec((size_t)c->n_positions * C, 0.02f, 0);
    m->layers = calloc(12, sizeof *m->layers);
    for (int l = 0; l < 12; l++) {
        gpt2_layer_w *y = &m->layers[l];
        y->ln1_g = rand_vec(C, 0.1f, 1), y->ln1_b = rand_vec(C, 0.02f, 0);
        y->qkv_w = rand_vec(C * 3 * C, 0.03f, 0), y->qkv_b = rand_vec(3 * C, 0.02f, 0);
        y->proj_w = rand_vec(C * C, 0.03f, 0), y->proj_b = rand_vec(C, 0.02f, 0);
        y->ln2_g = rand_vec(C, 0.1f, 1), y->ln2_b = rand_vec(C, 0.02f, 0);
        y->fc_w = rand_vec(C * D, 0.03f, 0), y->fc_b = rand_vec(D, 0.02f, 0);
        y->mproj_w = rand_vec(D * C, 0.02f, 0), y->mproj_b = rand_vec(C, 0.02f, 0);
    }
    return m;
}

static int cmp_d(const void *a, const void *b);

/* The top-k ops alone: n_layers x (ops_rowmax + ops_topk_merge) on a random hook [B*T, 3072];
 * median seconds per batch over iters runs. */
static double topk_only(ops_ctx *ops, int T, int B, int iters, int k, int n_layers) {
    n2g_err e = {0};
    size_t D = 3072, N = (size_t)B * T;
    float *h = rand_vec(N * D, 2.0f, 0);
    ops_buf *hook = ops_alloc(ops, N * D * 4, &e), *rmax = ops_alloc(ops, (size_t)n_layers * B * D * 4, &e),
            *rarg = ops_alloc(ops, (size_t)n_layers * B * D * 4, &e), *rsum = ops_alloc(ops, (size_t)n_layers * B * D * 4, &e),
            *tk = ops_alloc(ops, (size_t)n_layers * 3 * D * k * 4, &e), *st = ops_alloc(ops, (size_t)n_layers * 2 * D * 4, &e);
    uint32_t *init = malloc(3 * D * k * 4);
    ops_topk_init_host(init, (int)D, k);
    for (int l = 0; l < n_layers; l++) ops_upload(ops, tk, (size_t)l * 3 * D * k * 4, init, 3 * D * k * 4, &e);
    ops_upload(ops, hook, 0, h, N * D * 4, &e);
    double *t = calloc((size_t)iters + 1, sizeof *t);
    for (int it = -1; it < iters; it++) {
        double t0 = progress_now();
        for (int l = 0; l < n_layers; l++) {
            size_t co = (size_t)l * B * D;
            ops_rowmax(ops, rmax, rarg, rsum, co, hook, B, T, (int)D, 1);
            ops_topk_merge(ops, tk, (size_t)l * 3 * D * k, st, (size_t)l * 2 * D, rmax, rarg, rsum, co, B, (int)D, k,
                           (uint32_t)((it + 1) * B));
        }
        if (ops_run(ops, &e)) fprintf(stderr, "bench_scrape: %s\n", e.msg);
        if (it >= 0) t[it] = progress_now() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_d);
    double med = t[iters / 2];
    free(t), free(h), free(init);
    ops_free(ops, hook), ops_free(ops, rmax), ops_free(ops, rarg), ops_free(ops, rsum), ops_free(ops, tk), ops_free(ops, st);
    return med;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_one(gpt2_model *m, ops_options *oo, int T, int B, int iters, int k, int n_layers) {
    n2g_err e = {0};
    ops_ctx *ops = NULL;
    if (ops_create(oo, &ops, &e)) {
        fprintf(stderr, "bench_scrape: %s\n", e.msg);
        return 1;
    }
    int layers[12];
    for (int i = 0; i < n_layers; i++) layers[i] = 12 - n_layers + i;
    scrape_engine *eng = NULL;
    if (scrape_engine_create(m, ops, layers, n_layers, k, T, B, 1, &eng, &e)) {
        fprintf(stderr, "bench_scrape: %s\n", e.msg);
        ops_destroy(ops);
        return 1;
    }
    int32_t *tok = malloc((size_t)B * T * sizeof *tok);
    double *tf = calloc((size_t)iters, sizeof *tf), *ts = calloc((size_t)iters, sizeof *ts);
    uint32_t row = 0;
    for (int it = -1; it < iters; it++) { /* it = -1: warm-up (pipelines, caches) */
        for (int mode = 0; mode < 2; mode++) {
            for (size_t i = 0; i < (size_t)B * T; i++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                tok[i] = i % T == 0 ? 50256 : (int32_t)(rng % 50257);
            }
            double t0 = progress_now();
            if (scrape_engine_step(eng, tok, B, row, mode, &e)) {
                fprintf(stderr, "bench_scrape: %s\n", e.msg);
                return 1;
            }
            double dt = progress_now() - t0;
            if (mode) row += (uint32_t)B;
            if (it >= 0) (mode ? ts : tf)[it] = (double)B * T / dt;
        }
    }
    qsort(tf, (size_t)iters, sizeof *tf, cmp_d);
    qsort(ts, (size_t)iters, sizeof *ts, cmp_d);
    double f = tf[iters / 2], s = ts[iters / 2];
    double tk = topk_only(ops, T, B, iters, k, n_layers), fwd_s = (double)B * T / f;
    printf("| %s | %d x %d | %d | %d | %.1f | %.1f | %+.1f %% | %.2f ms | %.2f %% |\n", ops_device_name(ops), B, T,
           n_layers, k, f, s, (f / s - 1) * 100, tk * 1e3, tk / fwd_s * 100);
    fflush(stdout);
    free(tok);
    free(tf);
    free(ts);
    scrape_engine_free(eng);
    ops_destroy(ops);
    return 0;
}

int main(int argc, char **argv) {
    const char *device = "all";
    int T = 1024, B = 1, iters = 3, k = 20, n_layers = 12;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!strcmp(argv[i], "--ctx")) T = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) B = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--top-k")) k = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--layers")) n_layers = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_scrape [--device cpu|N|all] [--ctx T] [--batch B] [--iters N] [--top-k K] "
                            "[--layers L]\n");
            return 2;
        }
    }
    if (T < 2 || T > 1024 || B < 1 || iters < 1 || k < 1 || k > 256 || n_layers < 1 || n_layers > 12) {
        fprintf(stderr, "bench_scrape: argument out of range\n");
        return 2;
    }
    gpt2_model *m = random_gpt2_small();
    printf("| device | rows x ctx | layers | top-k | forward tok/s | scrape tok/s | scrape vs forward | top-k ops alone "
           "per batch | top-k ops / forward time |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    int rc = 0;
    if (!strcmp(device, "all") || !strcmp(device, "cpu")) {
        ops_options o = {.kind = OPS_CPU};
        rc |= bench_one(m, &o, T, B, iters, k, n_layers);
    }
    if (strcmp(device, "cpu")) {
        ops_options o = {.kind = OPS_VK, .device = strcmp(device, "all") ? atoi(device) : -1, .quiet = 1};
        rc |= bench_one(m, &o, T, B, iters, k, n_layers);
    }
    return rc;
}
