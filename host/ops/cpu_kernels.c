/* cpu_kernels.c — embed, layernorm, gelu, add and causal attention on the CPU pool.
 * Reductions use 16 independent partial sums so the compiler vectorises them without
 * reassociating (this file is built with -O3 -ffp-contract=fast). */
#include "cpu_kernels.h"

#include <math.h>
#include <string.h>

/* ---- embed ---- */
typedef struct {
    float *out;
    const int32_t *tok;
    const float *wte, *wpe;
    size_t V;
    int T, C;
} embed_args;

static void embed_rows(void *a_, size_t b, size_t e, int th) {
    (void)th;
    embed_args *a = a_;
    for (size_t n = b; n < e; n++) {
        float *o = a->out + n * (size_t)a->C;
        const float *p = a->wpe + (n % (size_t)a->T) * (size_t)a->C;
        int32_t id = a->tok[n];
        if (id < 0 || (size_t)id >= a->V) {
            memcpy(o, p, (size_t)a->C * sizeof *o);
            continue;
        }
        const float *w = a->wte + (size_t)id * (size_t)a->C;
        for (int c = 0; c < a->C; c++) o[c] = w[c] + p[c];
    }
}

void cpu_embed(ops_ctx *ctx, float *out, const int32_t *tok, const float *wte, size_t V, const float *wpe, int B,
               int T, int C) {
    embed_args a = {out, tok, wte, wpe, V, T, C};
    cpu_parallel_for(ctx, (size_t)B * (size_t)T, 16, embed_rows, &a);
}

/* ---- layernorm ---- */
static float sum16(const float *x, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += x[i + j];
    float s = 0;
    for (; i < n; i++) s += x[i];
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}

static float sqdev16(const float *x, int n, float m) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) {
            float d = x[i + j] - m;
            acc[j] += d * d;
        }
    float s = 0;
    for (; i < n; i++) s += (x[i] - m) * (x[i] - m);
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}

typedef struct {
    float *out;
    const float *x, *g, *b;
    int C;
    float eps;
} ln_args;

static void ln_rows(void *a_, size_t b, size_t e, int th) {
    (void)th;
    ln_args *a = a_;
    int C = a->C;
    for (size_t n = b; n < e; n++) {
        const float *x = a->x + n * (size_t)C;
        float *o = a->out + n * (size_t)C;
        float mean = sum16(x, C) / (float)C;
        float var = sqdev16(x, C, mean) / (float)C;
        float rs = 1.0f / sqrtf(var + a->eps);
        for (int c = 0; c < C; c++) o[c] = (x[c] - mean) * rs * a->g[c] + a->b[c];
    }
}

void cpu_layernorm(ops_ctx *ctx, float *out, const float *x, const float *g, const float *b, int N, int C, float eps) {
    ln_args a = {out, x, g, b, C, eps};
    cpu_parallel_for(ctx, (size_t)N, 8, ln_rows, &a);
}

/* ---- gelu, add ---- */
typedef struct {
    float *x;
    const float *y;
} ew_args;

static void gelu_range(void *a_, size_t b, size_t e, int th) {
    (void)th;
    float *x = ((ew_args *)a_)->x;
    for (size_t i = b; i < e; i++) x[i] = cpu_gelu1(x[i]);
}

void cpu_gelu(ops_ctx *ctx, float *x, size_t count) {
    ew_args a = {x, NULL};
    cpu_parallel_for(ctx, count, 4096, gelu_range, &a);
}

static void add_range(void *a_, size_t b, size_t e, int th) {
    (void)th;
    ew_args *a = a_;
    for (size_t i = b; i < e; i++) a->x[i] += a->y[i];
}

void cpu_add(ops_ctx *ctx, float *x, const float *y, size_t count) {
    ew_args a = {x, y};
    cpu_parallel_for(ctx, count, 16384, add_range, &a);
}

/* ---- attention ----
 * One item per (sequence b, head h). The head's keys are transposed into scratch
 * kT[HS][T] so that the scores of one query against all earlier keys, and the weighted sum
 * of values, are both axpy loops (vectorised without reassociation). */
typedef struct {
    ops_ctx *ctx;
    float *out;
    const float *qkv;
    int T, C, NH;
} attn_args;

static void attn_items(void *a_, size_t b_, size_t e_, int th) {
    attn_args *a = a_;
    int T = a->T, C = a->C, HS = C / a->NH;
    size_t C3 = 3 * (size_t)C;
    float *kT = cpu_scratch(a->ctx, th); /* [HS][T] */
    float *s = kT + (size_t)HS * T;      /* [T] */
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t it = b_; it < e_; it++) {
        size_t b = it / (size_t)a->NH;
        int h = (int)(it % (size_t)a->NH);
        const float *base = a->qkv + b * (size_t)T * C3;
        for (int t = 0; t < T; t++) {
            const float *k = base + (size_t)t * C3 + C + (size_t)h * HS;
            for (int d = 0; d < HS; d++) kT[(size_t)d * T + t] = k[d];
        }
        for (int t = 0; t < T; t++) {
            const float *q = base + (size_t)t * C3 + (size_t)h * HS;
            int n = t + 1;
            for (int j = 0; j < n; j++) s[j] = 0;
            for (int d = 0; d < HS; d++) {
                float qd = q[d];
                const float *kr = kT + (size_t)d * T;
                for (int j = 0; j < n; j++) s[j] += qd * kr[j];
            }
            float mx = -INFINITY;
            for (int j = 0; j < n; j++) {
                s[j] *= scale;
                if (s[j] > mx) mx = s[j];
            }
            float sum = 0;
            for (int j = 0; j < n; j++) {
                s[j] = expf(s[j] - mx);
                sum += s[j];
            }
            float inv = 1.0f / sum;
            float *o = a->out + (b * (size_t)T + t) * C + (size_t)h * HS;
            for (int d = 0; d < HS; d++) o[d] = 0;
            for (int j = 0; j < n; j++) {
                const float *v = base + (size_t)j * C3 + 2 * (size_t)C + (size_t)h * HS;
                float p = s[j] * inv;
                for (int d = 0; d < HS; d++) o[d] += p * v[d];
            }
        }
    }
}

int cpu_attention(ops_ctx *ctx, float *out, const float *qkv, int B, int T, int C, int NH) {
    int HS = C / NH;
    if (cpu_scratch_reserve(ctx, ((size_t)HS + 1) * (size_t)T * sizeof(float))) return -1;
    attn_args a = {ctx, out, qkv, T, C, NH};
    cpu_parallel_for(ctx, (size_t)B * (size_t)NH, 1, attn_items, &a);
    return 0;
}
