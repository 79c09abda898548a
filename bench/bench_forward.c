/* bench_forward.c — GPT-2 forward tokens/s up to the last layer's MLP GELU (no unembedding),
 * on a GPT-2-small-shaped model with random weights made in memory, on the CPU backend and
 * (when one can be created) the Vulkan backend.
 *
 *   bench_forward [--threads N] [--batch B] [--seq T] [--layers L] [--iters I] [--warmup W]
 *                 [--device cpu|vk|all] [--vk N] [--variant generic|avx2|avx512] [--profile]
 * (--vk N: the Vulkan device index of `n2g devices`; default the default device)
 * Prints one line per backend: "forward <device>: B x T tokens, best of I: X ms, Y tokens/s". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/gpt2.h"

static double clk(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clk(CLOCK_MONOTONIC); }

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float frand(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

/* a GPT-2 model with uniform random weights (std ~0.02 like GPT-2's init), LN gains 1 */
static gpt2_model *random_model(int L, int C, int NH, int V, int P) {
    gpt2_model *m = calloc(1, sizeof *m);
    m->cfg = (gpt2_config){.n_layer = L, .n_embd = C, .n_head = NH, .n_ctx = P, .n_positions = P, .vocab_size = V,
                           .d_mlp = 4 * C, .ln_eps = 1e-5f};
    snprintf(m->cfg.activation, sizeof m->cfg.activation, "gelu_new");
    snprintf(m->dtype, sizeof m->dtype, "F32");
    size_t D = 4 * (size_t)C;
    size_t per_layer = 4 * (size_t)C + C * 3 * (size_t)C + 3 * (size_t)C + (size_t)C * C + C + 2 * C * D + D + C;
    size_t total = ((size_t)V + P) * C + 2 * (size_t)C + L * per_layer;
    float *a = malloc(total * sizeof *a), *p = a;
    for (size_t i = 0; i < total; i++) a[i] = frand() * 0.035f;
#define TAKE(dst, n) (dst = p, p += (n))
    TAKE(m->wte, (size_t)V * C);
    TAKE(m->wpe, (size_t)P * C);
    m->layers = calloc(L, sizeof *m->layers);
    for (int l = 0; l < L; l++) {
        gpt2_layer_w *y = &m->layers[l];
        float *g1, *g2;
        TAKE(g1, C);
        for (int i = 0; i < C; i++) g1[i] = 1.0f;
        y->ln1_g = g1;
        TAKE(y->ln1_b, C);
        TAKE(y->qkv_w, C * 3 * (size_t)C);
        TAKE(y->qkv_b, 3 * (size_t)C);
        TAKE(y->proj_w, (size_t)C * C);
        TAKE(y->proj_b, C);
        TAKE(g2, C);
        for (int i = 0; i < C; i++) g2[i] = 1.0f;
        y->ln2_g = g2;
        TAKE(y->ln2_b, C);
        TAKE(y->fc_w, C * D);
        TAKE(y->fc_b, D);
        TAKE(y->mproj_w, D * C);
        TAKE(y->mproj_b, C);
    }
    TAKE(m->lnf_g, C);
    TAKE(m->lnf_b, C);
#undef TAKE
    m->priv = a;
    return m;
}

static int bench(const char *label, ops_options *o, gpt2_model *m, int B, int T, int iters, int warmup) {
    ops_ctx *ctx;
    n2g_err err = {0};
    if (ops_create(o, &ctx, &err)) {
        printf("forward %s: not available: %s\n", label, err.msg);
        return -1;
    }
    gpt2_runner *r;
    if (gpt2_runner_create(m, ctx, -1, B, T, &r, &err)) {
        printf("forward %s: %s\n", label, err.msg);
        ops_destroy(ctx);
        return -1;
    }
    int32_t *tok = malloc((size_t)B * T * sizeof *tok);
    for (int i = 0; i < B * T; i++) tok[i] = (int32_t)((i * 7919u) % (unsigned)m->cfg.vocab_size);
    double best = 1e30, sum = 0, best_cpu = 1e30;
    for (int it = 0; it < warmup + iters; it++) {
        if (it == warmup) ops_profile_reset(ctx);
        double t0 = now_s(), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
        if (gpt2_set_tokens(r, tok, B, T, &err)) break;
        gpt2_record_forward(r, B, T, m->cfg.n_layer - 1, NULL, NULL);
        if (ops_run(ctx, &err)) {
            printf("forward %s: %s\n", label, err.msg);
            break;
        }
        double dt = now_s() - t0, ct = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (it >= warmup) {
            sum += dt;
            if (dt < best) best = dt;
            if (ct < best_cpu) best_cpu = ct;
        }
    }
    double flop = (double)B * T * m->cfg.n_layer *
                      (2.0 * m->cfg.n_embd * (3.0 * m->cfg.n_embd + m->cfg.n_embd + 2.0 * m->cfg.d_mlp)) -
                  (double)B * T * 2.0 * m->cfg.d_mlp * m->cfg.n_embd; /* last c_proj skipped */
    printf("forward %s [%s]: %d x %d tokens, %d layers, best of %d: %.1f ms (mean %.1f ms), %.1f tokens/s, matmuls "
           "%.1f GFLOP/s; least CPU time %.1f ms\n",
           label, ops_device_name(ctx), B, T, m->cfg.n_layer, iters, best * 1e3, sum / iters * 1e3, B * T / best,
           flop / best * 1e-9, best_cpu * 1e3);
    if (o->profile) ops_profile_print(ctx, stdout);
    fflush(stdout);
    free(tok);
    gpt2_runner_free(r);
    ops_destroy(ctx);
    return 0;
}

int main(int argc, char **argv) {
    int threads = 0, B = 8, T = 128, L = 12, iters = 5, warmup = 1, profile = 0, vkdev = -1;
    const char *device = "all", *variant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--profile")) {
            profile = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_forward: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--batch")) B = atoi(v);
        else if (!strcmp(a, "--seq")) T = atoi(v);
        else if (!strcmp(a, "--layers")) L = atoi(v);
        else if (!strcmp(a, "--iters")) iters = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atoi(v);
        else if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--vk")) vkdev = atoi(v);
        else if (!strcmp(a, "--variant")) variant = v;
        else {
            fprintf(stderr, "bench_forward: unknown option %s\n", a);
            return 2;
        }
    }
    if (B < 1 || T < 1 || T > 1024 || L < 1 || iters < 1 || warmup < 0) {
        fprintf(stderr, "bench_forward: bad sizes\n");
        return 2;
    }
    gpt2_model *m = random_model(L, 768, 12, 50257, 1024);
    if (!strcmp(device, "cpu") || !strcmp(device, "all")) {
        ops_options o = {.kind = OPS_CPU, .threads = threads, .profile = profile, .variant = variant};
        bench("cpu", &o, m, B, T, iters, warmup);
    }
    if (!strcmp(device, "vk") || !strcmp(device, "all")) {
        ops_options o = {.kind = OPS_VK, .device = vkdev, .profile = profile, .quiet = 1};
        bench("vk", &o, m, B, T, iters, warmup);
    }
    gpt2_free(m);
    return 0;
}
