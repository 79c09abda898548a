/* cpu_kernels.c — embed, layernorm, gelu, add and causal attention on the CPU pool.
 * The per-element and per-row work is in cpu_vec_impl.h, compiled once per ISA. */
#include "cpu_kernels.h"

#include <math.h>
#include <string.h>

/* ---- embed ---- */
typedef struct {
    float *out;
    const int32_t *tok, *pos; /* pos NULL: position n % T */
    const float *wte, *wpe;
    size_t V;
    int T, C;
} embed_args;

static void embed_rows(void *a_, size_t b, size_t e, int th) {
    (void)th;
    embed_args *a = a_;
    for (size_t n = b; n < e; n++) {
        float *o = a->out + n * (size_t)a->C;
        size_t at = a->pos ? (size_t)a->pos[n] : n % (size_t)a->T;
        const float *p = a->wpe + at * (size_t)a->C;
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
    embed_args a = {out, tok, NULL, wte, wpe, V, T, C};
    cpu_parallel_for(ctx, (size_t)B * (size_t)T, 16, embed_rows, &a);
}

void cpu_embed_pos(ops_ctx *ctx, float *out, const int32_t *tok, const int32_t *pos, const float *wte, size_t V,
                   const float *wpe, int N, int C) {
    embed_args a = {out, tok, pos, wte, wpe, V, 0, C};
    cpu_parallel_for(ctx, (size_t)N, 16, embed_rows, &a);
}

/* ---- layernorm ---- */
typedef struct {
    const cpu_vec_fns *v;
    float *out;
    const float *x, *g, *b;
    int C;
    float eps;
} ln_args;

static void ln_rows(void *a_, size_t b, size_t e, int th) {
    (void)th;
    ln_args *a = a_;
    size_t C = (size_t)a->C;
    for (size_t n = b; n < e; n++) a->v->ln_row(a->out + n * C, a->x + n * C, a->g, a->b, a->C, a->eps);
}

void cpu_layernorm(ops_ctx *ctx, float *out, const float *x, const float *g, const float *b, int N, int C, float eps) {
    ln_args a = {cpu_vec_of(ctx), out, x, g, b, C, eps};
    cpu_parallel_for(ctx, (size_t)N, 8, ln_rows, &a);
}

/* ---- gelu, add ---- */
typedef struct {
    const cpu_vec_fns *v;
    float *x;
    const float *y;
} ew_args;

static void gelu_range(void *a_, size_t b, size_t e, int th) {
    (void)th;
    ew_args *a = a_;
    a->v->gelu(a->x + b, e - b);
}

void cpu_gelu(ops_ctx *ctx, float *x, size_t count) {
    ew_args a = {cpu_vec_of(ctx), x, NULL};
    cpu_parallel_for(ctx, count, 4096, gelu_range, &a);
}

static void add_range(void *a_, size_t b, size_t e, int th) {
    (void)th;
    ew_args *a = a_;
    a->v->add(a->x + b, a->y + b, e - b);
}

void cpu_add(ops_ctx *ctx, float *x, const float *y, size_t count) {
    ew_args a = {cpu_vec_of(ctx), x, y};
    cpu_parallel_for(ctx, count, 16384, add_range, &a);
}

/* ---- attention ----
 * One item per (sequence b, head h), three steps on the item's thread:
 *   S[T, T] = Q K^T (causal: only j <= t is computed), P = softmax(S / sqrt(HS)) per row
 *   (zero beyond the row's last key), O[T, HS] = P V — the products as small GEMMs on the
 *   matmul micro-kernels, Q, K and V read in place from qkv.
 * Tree attention (span != NULL): the row is cut into segments, maximal runs of tokens [a, e)
 * with the same span (r0, np, s0). A segment's keys are [r0, r0 + np) and [s0, e): they are
 * copied into one contiguous K / V block of nk = np + e - s0 rows, then S[m, nk] = Q K^T, row i
 * keeps its first np + (a + i - s0) + 1 entries (softmax), O = P V. */
typedef struct {
    ops_ctx *ctx;
    float *out;
    const float *qkv;
    const int32_t *span; /* NULL: causal */
    int T, C, NH;
    size_t ld_s; /* row stride of S */
} attn_args;

/* plain causal attention of the m rows starting at q (keys = those rows), in place in qkv:
 * the triangle-only GEMMs; out is row 0's output */
static void causal_block(const attn_args *a, cpu_isa isa, const cpu_vec_fns *v, const float *q, int m, float *out,
                         float *S, float *gs) {
    int C = a->C, HS = C / a->NH;
    size_t C3 = 3 * (size_t)C;
    float scale = 1.0f / sqrtf((float)HS);
    cpu_gemm_small(isa, m, m, HS, q, C3, q + C, 1, C3, S, a->ld_s, 1, gs);
    for (int t = 0; t < m; t++) v->softmax_row(S + (size_t)t * a->ld_s, t + 1, m, scale);
    cpu_gemm_small(isa, m, HS, m, S, a->ld_s, q + 2 * (size_t)C, C3, 1, out, (size_t)C, 2, gs);
}

/* keys [r0, r0 + np) and [s0, e) of the segment [s, e) of one (sequence, head) */
static void tree_segment(const attn_args *a, cpu_isa isa, const cpu_vec_fns *v, const float *base, float *out, int s,
                         int e, int r0, int np, int s0, float *S, float *kc, float *vc, float *gs) {
    int C = a->C, HS = C / a->NH;
    size_t C3 = 3 * (size_t)C;
    if (s0 < 0 || s0 > s) s0 = s; /* outside the contract: attend to the segment only */
    if (r0 < 0 || np < 0 || r0 + np > s0) np = 0;
    int m = e - s, nk = np + e - s0;
    if (np == 0 && s0 == s) { /* a root or a lone sequence: causal within itself, no copies */
        causal_block(a, isa, v, base + (size_t)s * C3, m, out + (size_t)s * C, S, gs);
        return;
    }
    for (int j = 0; j < nk; j++) {
        int row = j < np ? r0 + j : s0 + j - np;
        memcpy(kc + (size_t)j * HS, base + (size_t)row * C3 + C, sizeof(float) * (size_t)HS);
        memcpy(vc + (size_t)j * HS, base + (size_t)row * C3 + 2 * (size_t)C, sizeof(float) * (size_t)HS);
    }
    cpu_gemm_small(isa, m, nk, HS, base + (size_t)s * C3, C3, kc, 1, (size_t)HS, S, a->ld_s, 0, gs);
    float scale = 1.0f / sqrtf((float)HS);
    for (int i = 0; i < m; i++) v->softmax_row(S + (size_t)i * a->ld_s, np + s + i - s0 + 1, nk, scale);
    cpu_gemm_small(isa, m, HS, nk, S, a->ld_s, vc, (size_t)HS, 1, out + (size_t)s * C, (size_t)C, 0, gs);
}

static size_t kv_floats(int T, int HS) { return ((size_t)T * HS + 15) & ~(size_t)15; /* keeps gs 64-byte aligned */ }

static void attn_items(void *a_, size_t b_, size_t e_, int th) {
    attn_args *a = a_;
    int T = a->T, C = a->C, HS = C / a->NH;
    size_t C3 = 3 * (size_t)C, kv = a->span ? kv_floats(T, HS) : 0;
    cpu_isa isa = cpu_isa_of(a->ctx);
    const cpu_vec_fns *v = cpu_vec_of(a->ctx);
    float *S = cpu_scratch(a->ctx, th), *kc = S + (size_t)T * a->ld_s, *vc = kc + kv, *gs = vc + kv;
    for (size_t it = b_; it < e_; it++) {
        size_t b = it / (size_t)a->NH;
        int h = (int)(it % (size_t)a->NH);
        const float *base = a->qkv + b * (size_t)T * C3 + (size_t)h * HS;
        float *out = a->out + b * (size_t)T * C + (size_t)h * HS;
        if (a->span) {
            const int32_t *sp = a->span + b * (size_t)T * 3;
            for (int s = 0, e; s < T; s = e) {
                for (e = s + 1; e < T && !memcmp(sp + 3 * e, sp + 3 * s, 3 * sizeof *sp);) e++;
                tree_segment(a, isa, v, base, out, s, e, sp[3 * s], sp[3 * s + 1], sp[3 * s + 2], S, kc, vc, gs);
            }
            continue;
        }
        causal_block(a, isa, v, base, T, out, S, gs);
    }
}

static int attention(ops_ctx *ctx, float *out, const float *qkv, const int32_t *span, int B, int T, int C, int NH) {
    int HS = C / NH;
    cpu_isa isa = cpu_isa_of(ctx);
    size_t ld_s = ((size_t)T + 15) & ~(size_t)15, kv = span ? kv_floats(T, HS) : 0;
    size_t g1 = cpu_gemm_small_scratch(isa, T, T, HS), g2 = cpu_gemm_small_scratch(isa, T, HS, T);
    if (cpu_scratch_reserve(ctx, ((size_t)T * ld_s + 2 * kv) * sizeof(float) + (g1 > g2 ? g1 : g2))) return -1;
    attn_args a = {ctx, out, qkv, span, T, C, NH, ld_s};
    cpu_parallel_for(ctx, (size_t)B * (size_t)NH, 1, attn_items, &a);
    return 0;
}

int cpu_attention(ops_ctx *ctx, float *out, const float *qkv, int B, int T, int C, int NH) {
    return attention(ctx, out, qkv, NULL, B, T, C, NH);
}

int cpu_attention_tree(ops_ctx *ctx, float *out, const float *qkv, const int32_t *span, int B, int T, int C, int NH) {
    return attention(ctx, out, qkv, span, B, T, C, NH);
}
