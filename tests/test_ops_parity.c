/* test_ops_parity.c — every GPT-2 op on the Vulkan backend (every kernel variant, every Vulkan
 * device) against the CPU backend on the same random inputs, odd shapes included; the
 * tree-packed ops (ops_embed_pos, ops_attention_tree) against naive references written here
 * from their definitions in ops.h (double precision for attention).
 * No Vulkan device: fails, unless N2G_ALLOW_NO_VK=1. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/ops.h"
#include "ops/vk_backend.h"
#include "ops/vk_gpt2.h"
#include "vk/vk_rt.h"

/* Per-op tolerances: |vk - cpu| <= abs + rel * |cpu|, element-wise. */
static const struct tol {
    const char *op;
    double abs, rel;
} TOL[] = {
    {"embed", 0.0, 0.0},      /* one fp32 add: exact */
    {"layernorm", 2e-5, 2e-5},
    {"matmul", 1e-4, 1e-4},   /* sums of up to 768 products; summation order differs */
    {"matmul_gelu", 1e-4, 1e-4}, /* the matmul's error through gelu_new (slope < 1.13) */
    {"matmul_add", 1e-4, 1e-4},  /* the matmul's error, then one fp32 add */
    {"gelu", 2e-6, 2e-6},
    {"attention", 2e-5, 2e-5},
    {"add", 0.0, 0.0},        /* one fp32 add: exact */
    {"embed_pos", 0.0, 0.0},  /* one fp32 add: exact */
    {"attention_tree", 2e-5, 2e-5},
    {"attention_tree==attention", 0.0, 0.0}, /* all spans (0, 0): the same loops as ops_attention */
    {"attention_tree rows", 0.0, 0.0}, /* gpu family: a row's result whatever the other rows' spans */
};

static const struct tol *tol_of(const char *op) {
    for (size_t i = 0; i < sizeof TOL / sizeof TOL[0]; i++)
        if (!strcmp(TOL[i].op, op)) return &TOL[i];
    return NULL;
}

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) * (1.0 / (1 << 23)) - 1.0);
}
static float *rnd(size_t n, float scale) {
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = frand() * scale;
    return a;
}

static ops_buf *up(ops_ctx *c, const void *src, size_t bytes) {
    n2g_err e = {0};
    ops_buf *b = ops_alloc(c, bytes ? bytes : 4, &e);
    if (!b) {
        fprintf(stderr, "alloc: %s\n", e.msg);
        exit(1);
    }
    if (src && bytes && ops_upload(c, b, 0, src, bytes, &e)) {
        fprintf(stderr, "upload: %s\n", e.msg);
        exit(1);
    }
    return b;
}
static void down(ops_ctx *c, ops_buf *b, float *dst, size_t n) {
    n2g_err e = {0};
    int rc = ops_run(c, &e);
    CHECK(rc == 0, "ops_run: %s", e.msg);
    rc = ops_download(c, b, 0, dst, n * 4, &e);
    CHECK(rc == 0, "download: %s", e.msg);
}

static void compare(const char *op, const char *what, const float *vk, const float *cpu, size_t n) {
    const struct tol *t = tol_of(op);
    size_t bad = 0, worst = 0;
    double wd = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)vk[i] - cpu[i]);
        double lim = t->abs + t->rel * fabs(cpu[i]);
        if (!(d <= lim)) {
            if (!bad || d > wd) wd = d, worst = i;
            bad++;
        }
    }
    CHECK(bad == 0, "%s %s: %zu of %zu elements off; worst [%zu] vk %.9g cpu %.9g", op, what, bad, n, worst,
          n ? vk[worst] : 0.0, n ? cpu[worst] : 0.0);
}

/* Each op: allocate, upload, run, download on one backend. */
static void run_embed(ops_ctx *c, const int *tok, int ntok, size_t tok_off, const float *wte, int V, const float *wpe,
                      int npos, int B, int T, int C, float *out) {
    ops_buf *bt = up(c, tok, (size_t)ntok * 4), *bw = up(c, wte, (size_t)V * C * 4), *bp = up(c, wpe, (size_t)npos * C * 4);
    ops_buf *bo = up(c, NULL, (size_t)B * T * C * 4);
    ops_embed(c, bo, bt, tok_off, bw, bp, B, T, C);
    down(c, bo, out, (size_t)B * T * C);
    ops_free(c, bt), ops_free(c, bw), ops_free(c, bp), ops_free(c, bo);
}
static void run_layernorm(ops_ctx *c, const float *x, const float *gb, size_t g_off, size_t b_off, size_t gbn, int N,
                          int C, float *out) {
    ops_buf *bx = up(c, x, (size_t)N * C * 4), *bg = up(c, gb, gbn * 4), *bo = up(c, NULL, (size_t)N * C * 4);
    ops_layernorm(c, bo, bx, bg, g_off, bg, b_off, N, C, 1e-5f);
    down(c, bo, out, (size_t)N * C);
    ops_free(c, bx), ops_free(c, bg), ops_free(c, bo);
}
static void run_matmul(ops_ctx *c, const float *x, const float *w, size_t w_off, size_t wn, const float *bias,
                       size_t bias_off, size_t bn, int N, int IC, int OC, float *out) {
    ops_buf *bx = up(c, x, (size_t)N * IC * 4), *bw = up(c, w, wn * 4), *bo = up(c, NULL, (size_t)N * OC * 4);
    ops_buf *bb = bias ? up(c, bias, bn * 4) : NULL;
    ops_matmul(c, bo, bx, bw, w_off, bb, bias_off, N, IC, OC);
    down(c, bo, out, (size_t)N * OC);
    ops_free(c, bx), ops_free(c, bw), ops_free(c, bo), ops_free(c, bb);
}
/* epi 1: out = gelu(x @ w + bias); epi 2: out = res + x @ w + bias (res [N, OC] uploaded first) */
static void run_matmul_ep(ops_ctx *c, int epi, const float *x, const float *w, size_t w_off, size_t wn,
                          const float *bias, size_t bias_off, size_t bn, const float *res, int N, int IC, int OC,
                          float *out) {
    ops_buf *bx = up(c, x, (size_t)N * IC * 4), *bw = up(c, w, wn * 4), *bo = up(c, epi == 2 ? res : NULL, (size_t)N * OC * 4);
    ops_buf *bb = bias ? up(c, bias, bn * 4) : NULL;
    if (epi == 1) ops_matmul_gelu(c, bo, bx, bw, w_off, bb, bias_off, N, IC, OC);
    else ops_matmul_add(c, bo, bx, bw, w_off, bb, bias_off, N, IC, OC);
    down(c, bo, out, (size_t)N * OC);
    ops_free(c, bx), ops_free(c, bw), ops_free(c, bo), ops_free(c, bb);
}
static void run_gelu(ops_ctx *c, const float *x, size_t n, float *out) {
    ops_buf *bx = up(c, x, n * 4);
    ops_gelu(c, bx, n);
    down(c, bx, out, n);
    ops_free(c, bx);
}
static void run_add(ops_ctx *c, const float *x, const float *y, size_t n, float *out) {
    ops_buf *bx = up(c, x, n * 4), *by = up(c, y, n * 4);
    ops_add(c, bx, by, n);
    down(c, bx, out, n);
    ops_free(c, bx), ops_free(c, by);
}
static void run_attention(ops_ctx *c, const float *qkv, int B, int T, int C, int NH, float *out) {
    ops_buf *bq = up(c, qkv, (size_t)B * T * 3 * C * 4), *bo = up(c, NULL, (size_t)B * T * C * 4);
    ops_attention(c, bo, bq, B, T, C, NH);
    down(c, bo, out, (size_t)B * T * C);
    ops_free(c, bq), ops_free(c, bo);
}

static void run_embed_pos(ops_ctx *c, const int *tok, const int *pos, int nid, size_t off, const float *wte, int V,
                          const float *wpe, int npos, int N, int C, float *out) {
    ops_buf *bt = up(c, tok, (size_t)nid * 4), *bs = up(c, pos, (size_t)nid * 4), *bw = up(c, wte, (size_t)V * C * 4);
    ops_buf *bp = up(c, wpe, (size_t)npos * C * 4), *bo = up(c, NULL, (size_t)N * C * 4);
    ops_embed_pos(c, bo, bt, off, bs, off + 1, bw, bp, N, C);
    down(c, bo, out, (size_t)N * C);
    ops_free(c, bt), ops_free(c, bs), ops_free(c, bw), ops_free(c, bp), ops_free(c, bo);
}
/* span: int32 [B*T, 3] at element span_off of nspan */
static void run_attention_tree(ops_ctx *c, const float *qkv, const int *span, size_t nspan, size_t span_off, int B,
                               int T, int C, int NH, float *out) {
    ops_buf *bq = up(c, qkv, (size_t)B * T * 3 * C * 4), *bs = up(c, span, nspan * 4);
    ops_buf *bo = up(c, NULL, (size_t)B * T * C * 4);
    ops_attention_tree(c, bo, bq, bs, span_off, B, T, C, NH);
    down(c, bo, out, (size_t)B * T * C);
    ops_free(c, bq), ops_free(c, bs), ops_free(c, bo);
}

/* The references. out [N, C] = wte[tok[n], :] + wpe[pos[n], :] */
static void ref_embed_pos(const int *tok, const int *pos, const float *wte, const float *wpe, int N, int C, float *out) {
    for (int n = 0; n < N; n++)
        for (int i = 0; i < C; i++) out[(size_t)n * C + i] = wte[(size_t)tok[n] * C + i] + wpe[(size_t)pos[n] * C + i];
}
/* out [B*T, C] = softmax over the keys s in [r0, r0 + np) U [s0, t] of (q . k_s) / sqrt(HS), times
 * v_s, per head; qkv [B*T, 3C], span int32 [B*T, 3]; in double, straight from the definition. */
static void ref_attention_tree(const float *qkv, const int *span, int B, int T, int C, int NH, float *out) {
    int HS = C / NH;
    double scale = 1.0 / sqrt((double)HS), *w = malloc((size_t)T * sizeof *w);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const int *sp = span + 3 * ((size_t)b * T + t);
            const float *q = qkv + ((size_t)b * T + t) * 3 * C;
            for (int h = 0; h < NH; h++) {
                double mx = -INFINITY, sum = 0.0;
                for (int s = 0; s <= t; s++) {
                    w[s] = NAN;
                    if (!((s >= sp[0] && s < sp[0] + sp[1]) || s >= sp[2])) continue; /* not one of its keys */
                    const float *k = qkv + ((size_t)b * T + s) * 3 * C + C;
                    double d = 0.0;
                    for (int i = 0; i < HS; i++) d += (double)q[h * HS + i] * k[h * HS + i];
                    w[s] = d * scale;
                    if (w[s] > mx) mx = w[s];
                }
                for (int s = 0; s <= t; s++)
                    if (!isnan(w[s])) sum += w[s] = exp(w[s] - mx);
                for (int i = 0; i < HS; i++) {
                    double a = 0.0;
                    for (int s = 0; s <= t; s++)
                        if (!isnan(w[s])) a += w[s] * qkv[((size_t)b * T + s) * 3 * C + 2 * C + h * HS + i];
                    out[((size_t)b * T + t) * C + h * HS + i] = (float)(a / sum);
                }
            }
        }
    free(w);
}

static int irand(int n) { /* uniform in [0, n) */
    rng = rng * 6364136223846793005ull + 1;
    return (int)((rng >> 33) % (uint64_t)n);
}

/* Span patterns for ops_attention_tree, int32 [B*T, 3] per sequence. */
enum { SPAN_PLAIN, SPAN_RANDOM, SPAN_PACKED };
/* One packed sequence of T rows, as the probe engine lays it out: two groups one after the
 * other, then padding to T (span (t, 0, t): itself only). A group starting at g0 is a root of n
 * tokens (span (g0, 0, g0)) and child segments after it (kids[k] = {p, length}, taken in turn
 * until the group has its rows), each sharing the root's first p tokens (span (g0, p, o) for all
 * its tokens, o = its first row). The second group has a root of n / 2 tokens. */
static void pack_row(int *sp, int T, int n, const int (*kids)[2], int nkids) {
    int o = 0;
    for (int g = 0; g < 2; g++) {
        int g0 = o, rn = g ? n / 2 : n, end = g ? T - 8 : T / 2;
        for (int t = 0; t < rn && o < T; t++, o++) sp[3 * o] = g0, sp[3 * o + 1] = 0, sp[3 * o + 2] = g0;
        for (int k = 0; o < end; k = (k + 1) % nkids)
            for (int i = 0; i < kids[k][1] && o < T; i++, o++)
                sp[3 * o] = g0, sp[3 * o + 1] = kids[k][0] < rn ? kids[k][0] : rn, sp[3 * o + 2] = o - i;
    }
    for (int t = o; t < T; t++) sp[3 * t] = t, sp[3 * t + 1] = 0, sp[3 * t + 2] = t;
}
static void make_spans(int *sp, int B, int T, int kind) {
    for (int b = 0; b < B; b++) {
        int *s = sp + 3 * (size_t)b * T;
        if (kind == SPAN_PLAIN) {
            for (int t = 0; t < T; t++) s[3 * t] = 0, s[3 * t + 1] = 0, s[3 * t + 2] = 0;
        } else if (kind == SPAN_RANDOM) { /* any 0 <= r0 <= r0 + np <= s0 <= t, rows of a workgroup differ */
            for (int t = 0; t < T; t++) {
                s[3 * t] = irand(t + 1);
                s[3 * t + 1] = irand(t - s[3 * t] + 1);
                s[3 * t + 2] = s[3 * t] + s[3 * t + 1] + irand(t - s[3 * t] - s[3 * t + 1] + 1);
            }
        } else { /* packed: the root length and the children differ per sequence */
            static const int kids0[][2] = {{40, 12}, {0, 7}, {99, 30}, {1, 5}, {100, 40}, {63, 9}, {17, 33}};
            static const int kids1[][2] = {{150, 5}, {129, 40}, {150, 21}, {2, 13}, {64, 6}, {150, 38}};
            int n = b % 2 ? (T > 150 ? 150 : T / 2) : (T > 100 ? 100 : T / 3);
            const int(*kids)[2] = b % 2 ? kids1 : kids0;
            int nk = b % 2 ? (int)(sizeof kids1 / sizeof kids1[0]) : (int)(sizeof kids0 / sizeof kids0[0]);
            int fixed[7][2];
            for (int k = 0; k < nk; k++) fixed[k][0] = kids[k][0] < n ? kids[k][0] : n, fixed[k][1] = kids[k][1];
            pack_row(s, T, n, (const int(*)[2])fixed, nk);
        }
    }
}

/* The tree-packed ops (ops_embed_pos, ops_attention_tree) on the Vulkan backend against the
 * references above. */
static void tree_ops(ops_ctx *vk, const char *tag) {
    char what[256];
    /* embed_pos: odd C, token / position offsets, positions in any order */
    {
        static const int shapes[][4] = {/* N, C, V, n_pos */ {1, 3, 4, 2}, {37, 7, 50, 9}, {200, 64, 300, 40}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int N = shapes[s][0], C = shapes[s][1], V = shapes[s][2], npos = shapes[s][3];
            int off = 3, nid = off + 1 + N;
            int *tok = malloc(nid * sizeof *tok), *pos = malloc(nid * sizeof *pos);
            for (int i = 0; i < nid; i++) tok[i] = irand(V), pos[i] = irand(npos);
            float *wte = rnd((size_t)V * C, 1), *wpe = rnd((size_t)npos * C, 1);
            float *a = malloc((size_t)N * C * 4), *b = malloc((size_t)N * C * 4);
            run_embed_pos(vk, tok, pos, nid, off, wte, V, wpe, npos, N, C, a);
            ref_embed_pos(tok + off, pos + off + 1, wte, wpe, N, C, b);
            snprintf(what, sizeof what, "%s N=%d C=%d", tag, N, C);
            compare("embed_pos", what, a, b, (size_t)N * C);
            free(tok), free(pos), free(wte), free(wpe), free(a), free(b);
        }
    }
    /* attention_tree: T = 1, odd T, odd head size (scalar cpu-driver path), GPT-2 head size with
     * T beyond one workgroup / key chunk; plain, random and packed spans. (A long packed row
     * has T = 1000, not 1024: a power-of-two texel count makes lavapipe compile another variant
     * of the pipeline, seconds of test time for nothing more tested.) */
    {
        static const int shapes[][5] = {/* B, T, C, NH, span kind */
                                        {1, 1, 8, 2, SPAN_PLAIN},    {2, 5, 6, 2, SPAN_RANDOM},
                                        {3, 19, 12, 4, SPAN_RANDOM}, {2, 19, 12, 4, SPAN_PLAIN},
                                        {1, 37, 64, 1, SPAN_RANDOM}, {2, 150, 128, 2, SPAN_PLAIN},
                                        {2, 150, 128, 2, SPAN_RANDOM}, {2, 300, 128, 2, SPAN_PACKED},
                                        {3, 257, 12, 4, SPAN_PACKED}, {1, 1000, 64, 1, SPAN_PACKED}};
        static const char *const kinds[] = {"plain", "random", "packed"};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = shapes[s][3], kind = shapes[s][4];
            size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, soff = 6, nspan = soff + 3 * (size_t)B * T;
            int *span = malloc(nspan * sizeof *span);
            for (size_t i = 0; i < soff; i++) span[i] = -1; /* before the spans: must not be read */
            make_spans(span + soff, B, T, kind);
            float *q = rnd(nq, 2), *a = malloc(no * 4), *b = malloc(no * 4);
            run_attention_tree(vk, q, span, nspan, soff, B, T, C, NH, a);
            ref_attention_tree(q, span + soff, B, T, C, NH, b);
            snprintf(what, sizeof what, "%s B=%d T=%d C=%d NH=%d spans=%s", tag, B, T, C, NH, kinds[kind]);
            compare("attention_tree", what, a, b, no);
            if (kind == SPAN_PLAIN) {
                run_attention(vk, q, B, T, C, NH, b);
                compare("attention_tree==attention", what, a, b, no);
            }
            free(span), free(q), free(a), free(b);
        }
    }
}

static void parity(ops_ctx *vk, ops_ctx *cpu, const char *tag) {
    char what[256];
    /* embed: odd C, token offset, several sequences */
    {
        static const int shapes[][4] = {{2, 5, 7, 50}, {1, 1, 3, 4}, {3, 17, 64, 300}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], V = shapes[s][3];
            int off = 3, ntok = off + B * T;
            int *tok = malloc(ntok * sizeof *tok);
            for (int i = 0; i < ntok; i++) tok[i] = (int)((rng = rng * 6364136223846793005ull + 1) >> 33) % V;
            float *wte = rnd((size_t)V * C, 1), *wpe = rnd((size_t)T * C, 1);
            float *a = malloc((size_t)B * T * C * 4), *b = malloc((size_t)B * T * C * 4);
            run_embed(vk, tok, ntok, off, wte, V, wpe, T, B, T, C, a);
            run_embed(cpu, tok, ntok, off, wte, V, wpe, T, B, T, C, b);
            snprintf(what, sizeof what, "%s B=%d T=%d C=%d", tag, B, T, C);
            compare("embed", what, a, b, (size_t)B * T * C);
            free(tok), free(wte), free(wpe), free(a), free(b);
        }
    }
    /* layernorm: odd C (scalar path), C % 4 == 0 with aligned gamma/beta offsets (vec4 path) and
     * unaligned ones, N = 1; a large-mean row (two-pass variance) */
    {
        static const int shapes[][3] = {/* N, C, gamma offset (beta follows it at +C+1 or +C) */
                                        {1, 1, 2}, {3, 7, 2}, {65, 768, 2}, {9, 33, 3}, {65, 768, 4}, {1, 8, 0}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int N = shapes[s][0], C = shapes[s][1], go = shapes[s][2];
            size_t bo = (size_t)go + C + (go % 4 ? 1 : 0), gbn = bo + C + 1;
            float *x = rnd((size_t)N * C, 2);
            for (int i = 0; i < C; i++) x[i] += 100.0f; /* row 0: large mean */
            float *gb = rnd(gbn, 1);
            float *a = malloc((size_t)N * C * 4), *b = malloc((size_t)N * C * 4);
            run_layernorm(vk, x, gb, go, bo, gbn, N, C, a);
            run_layernorm(cpu, x, gb, go, bo, gbn, N, C, b);
            snprintf(what, sizeof what, "%s N=%d C=%d g_off=%d b_off=%zu", tag, N, C, go, bo);
            compare("layernorm", what, a, b, (size_t)N * C);
            free(x), free(gb), free(a), free(b);
        }
    }
    /* matmul: odd shapes (scalar path), multiples of 4 (vec4 path), unaligned weight offset,
     * without bias, T = 1 */
    {
        static const int shapes[][5] = {/* N, IC, OC, w_off, has_bias */
                                        {37, 19, 23, 5, 1}, {1, 8, 4, 0, 1},    {67, 64, 96, 8, 1},
                                        {67, 64, 96, 2, 0}, {100, 48, 200, 4, 0}, {33, 768, 132, 0, 1},
                                        {2, 3, 1, 1, 1}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int N = shapes[s][0], IC = shapes[s][1], OC = shapes[s][2], wo = shapes[s][3], hb = shapes[s][4];
            size_t wn = (size_t)IC * OC + wo, bn = (size_t)OC + 1;
            float *x = rnd((size_t)N * IC, 1), *w = rnd(wn, 0.5f), *bias = rnd(bn, 1);
            float *a = malloc((size_t)N * OC * 4), *b = malloc((size_t)N * OC * 4);
            run_matmul(vk, x, w, wo, wn, hb ? bias : NULL, 1, bn, N, IC, OC, a);
            run_matmul(cpu, x, w, wo, wn, hb ? bias : NULL, 1, bn, N, IC, OC, b);
            snprintf(what, sizeof what, "%s N=%d IC=%d OC=%d w_off=%d bias=%d", tag, N, IC, OC, wo, hb);
            compare("matmul", what, a, b, (size_t)N * OC);
            free(x), free(w), free(bias), free(a), free(b);
        }
    }
    /* fused epilogues (gelu_new, residual add): vec4 and scalar paths, rows not a multiple of any
     * tile, with and without bias */
    {
        static const int shapes[][5] = {/* N, IC, OC, w_off, has_bias */
                                        {37, 19, 23, 5, 1}, {67, 64, 96, 8, 1}, {130, 48, 200, 4, 0}, {1, 8, 4, 0, 1}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int N = shapes[s][0], IC = shapes[s][1], OC = shapes[s][2], wo = shapes[s][3], hb = shapes[s][4];
            size_t wn = (size_t)IC * OC + wo, bn = (size_t)OC + 1;
            float *x = rnd((size_t)N * IC, 1), *w = rnd(wn, 0.5f), *bias = rnd(bn, 1), *res = rnd((size_t)N * OC, 3);
            float *a = malloc((size_t)N * OC * 4), *b = malloc((size_t)N * OC * 4);
            for (int epi = 1; epi <= 2; epi++) {
                run_matmul_ep(vk, epi, x, w, wo, wn, hb ? bias : NULL, 1, bn, res, N, IC, OC, a);
                run_matmul_ep(cpu, epi, x, w, wo, wn, hb ? bias : NULL, 1, bn, res, N, IC, OC, b);
                snprintf(what, sizeof what, "%s N=%d IC=%d OC=%d w_off=%d bias=%d", tag, N, IC, OC, wo, hb);
                compare(epi == 1 ? "matmul_gelu" : "matmul_add", what, a, b, (size_t)N * OC);
            }
            free(x), free(w), free(bias), free(res), free(a), free(b);
        }
    }
    /* gelu: odd count (scalar path) and a multiple of 4 (vec4 path), large magnitudes (exp
     * overflow must not give NaN) */
    for (size_t n = 1003; n <= 1004; n++) {
        float *x = rnd(n, 6);
        x[0] = 80.0f, x[1] = -80.0f, x[2] = 1e20f, x[3] = -1e20f, x[4] = 0.0f, x[5] = 1e-7f;
        float *a = malloc(n * 4), *b = malloc(n * 4);
        run_gelu(vk, x, n, a);
        run_gelu(cpu, x, n, b);
        snprintf(what, sizeof what, "%s n=%zu", tag, n);
        compare("gelu", what, a, b, n);
        int nan = 0;
        for (size_t i = 0; i < n; i++) nan |= isnan(a[i]);
        CHECK(!nan, "%s gelu: NaN", tag);
        free(x), free(a), free(b);
    }
    /* add: scalar and vec4 paths */
    for (size_t n = 4096; n <= 4097; n++) {
        float *x = rnd(n, 1), *y = rnd(n, 1), *a = malloc(n * 4), *b = malloc(n * 4);
        run_add(vk, x, y, n, a);
        run_add(cpu, x, y, n, b);
        snprintf(what, sizeof what, "%s n=%zu", tag, n);
        compare("add", what, a, b, n);
        free(x), free(y), free(a), free(b);
    }
    /* attention: T = 1, odd T, odd head size, GPT-2 head size, T beyond one workgroup/chunk */
    {
        static const int shapes[][4] = {/* B, T, C, NH */
                                        {1, 1, 8, 2}, {2, 5, 6, 2}, {3, 19, 12, 4}, {1, 37, 64, 1}, {2, 150, 128, 2}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = shapes[s][3];
            size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
            float *q = rnd(nq, 2), *a = malloc(no * 4), *b = malloc(no * 4);
            run_attention(vk, q, B, T, C, NH, a);
            run_attention(cpu, q, B, T, C, NH, b);
            snprintf(what, sizeof what, "%s B=%d T=%d C=%d NH=%d", tag, B, T, C, NH);
            compare("attention", what, a, b, no);
            free(q), free(a), free(b);
        }
    }
    tree_ops(vk, tag);
}

/* The gpu family's kernels in the configurations the device table gives discrete GPUs, and odd
 * ones, forced through the tuning (whatever the device): every matmul tile class, vec4 and
 * scalar loads, epilogues; flash attention block shapes with and without subgroup shuffles, head
 * sizes 64 / 32 / 80 / 128 / 3, T = 1 and T = 1024, spans of every kind. On a device whose
 * shared memory is smaller than a configuration's, the backend halves its blocks (printed). */
static void gpu_configs(ops_ctx *vk, ops_ctx *cpu, const char *dev) {
    char what[400];
    vk_gpt2_tune base;
    CHECK(vk_gpt2_get_tune(vk, &base) == 0, "get tune");
    /* the discrete-GPU classes (the device's own table runs in parity()); each new pipeline costs
       lavapipe about a second of compiling, so the configurations here are few */
    static const vk_mm_tile tiles[] = {{128, 128, 8, 8, 8}, {128, 64, 8, 8, 4}, {64, 64, 16, 4, 4}};
    static const int mshapes[][5] = {/* N, IC, OC, w_off, has_bias: vec4; scalar; T = 1 */
                                     {133, 36, 200, 4, 1}, {70, 19, 23, 5, 1}, {1, 8, 4, 0, 0}};
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        vk_gpt2_tune t = base;
        t.mm_tile[0] = t.mm_tile[1] = t.mm_tile[2] = tiles[i];
        CHECK(vk_gpt2_set_tune(vk, &t) == 0, "tile %zu", i);
        for (size_t s = 0; s < sizeof mshapes / sizeof mshapes[0]; s++) {
            int N = mshapes[s][0], IC = mshapes[s][1], OC = mshapes[s][2], wo = mshapes[s][3], hb = mshapes[s][4];
            size_t wn = (size_t)IC * OC + wo, bn = (size_t)OC + 1;
            float *x = rnd((size_t)N * IC, 1), *w = rnd(wn, 0.5f), *bias = rnd(bn, 1), *res = rnd((size_t)N * OC, 3);
            float *a = malloc((size_t)N * OC * 4), *b = malloc((size_t)N * OC * 4);
            snprintf(what, sizeof what, "%s tile %dx%dx%d/%dx%d N=%d IC=%d OC=%d", dev, tiles[i].bm, tiles[i].bn,
                     tiles[i].bk, tiles[i].tm, tiles[i].tn, N, IC, OC);
            CHECK(vk_gpt2_mm_class(vk, (size_t)N, OC) >= 0, "%s: no tile class fits", what);
            run_matmul(vk, x, w, wo, wn, hb ? bias : NULL, 1, bn, N, IC, OC, a);
            run_matmul(cpu, x, w, wo, wn, hb ? bias : NULL, 1, bn, N, IC, OC, b);
            compare("matmul", what, a, b, (size_t)N * OC);
            if (s == 0) { /* the residual epilogue too */
                run_matmul_ep(vk, 2, x, w, wo, wn, hb ? bias : NULL, 1, bn, res, N, IC, OC, a);
                run_matmul_ep(cpu, 2, x, w, wo, wn, hb ? bias : NULL, 1, bn, res, N, IC, OC, b);
                compare("matmul_add", what, a, b, (size_t)N * OC);
            }
            free(x), free(w), free(bias), free(res), free(a), free(b);
        }
    }
    /* flash attention: nrg, tc, br, bc, shuffle */
    static const int fcfg[][5] = {{8, 8, 64, 32, 1}, {8, 8, 64, 32, 0}, {8, 8, 32, 64, 1}, {8, 8, 16, 32, 1},
                                  {4, 4, 8, 16, 1},  {4, 16, 16, 32, 0}, {16, 2, 16, 8, 1}};
    static const int ashapes[][5] = {/* B, T, C, NH, span kind (heads of 64: one pipeline per form) */
                                     {2, 150, 128, 2, SPAN_RANDOM}, {2, 300, 128, 2, SPAN_PACKED}};
    for (size_t i = 0; i < sizeof fcfg / sizeof fcfg[0]; i++) {
        vk_gpt2_tune t = base;
        t.fa_nrg = fcfg[i][0], t.fa_tc = fcfg[i][1], t.fa_bc = fcfg[i][3], t.fa_shuffle = fcfg[i][4];
        t.fa_br[0] = t.fa_br[1] = t.fa_br[2] = fcfg[i][2];
        CHECK(vk_gpt2_set_tune(vk, &t) == 0, "flash config %zu", i);
        for (size_t s = 0; s < sizeof ashapes / sizeof ashapes[0]; s++) {
            int B = ashapes[s][0], T = ashapes[s][1], C = ashapes[s][2], NH = ashapes[s][3], kind = ashapes[s][4];
            int br = 0, bc = 0, sh = 0;
            CHECK(vk_gpt2_fa_config(vk, B, T, NH, C / NH, &br, &bc, &sh) == 0, "flash config %zu does not fit", i);
            if (s == 0 && (br != fcfg[i][2] || bc != fcfg[i][3]))
                printf("%s: flash config %zu (br %d, bc %d) runs as br %d, bc %d here (shared memory)\n", dev, i,
                       fcfg[i][2], fcfg[i][3], br, bc);
            snprintf(what, sizeof what, "%s flash nrg=%d tc=%d br=%d bc=%d shuffle=%d B=%d T=%d C=%d NH=%d", dev,
                     fcfg[i][0], fcfg[i][1], br, bc, sh, B, T, C, NH);
            size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, nspan = 3 * (size_t)B * T;
            int *span = malloc(nspan * sizeof *span);
            make_spans(span, B, T, kind);
            float *q = rnd(nq, 2), *a = malloc(no * 4), *b = malloc(no * 4), *p = malloc(no * 4);
            run_attention_tree(vk, q, span, nspan, 0, B, T, C, NH, a);
            ref_attention_tree(q, span, B, T, C, NH, b);
            compare("attention_tree", what, a, b, no);
            make_spans(span, B, T, SPAN_PLAIN);
            run_attention_tree(vk, q, span, nspan, 0, B, T, C, NH, a);
            run_attention(vk, q, B, T, C, NH, p);
            compare("attention_tree==attention", what, a, p, no);
            run_attention(cpu, q, B, T, C, NH, b);
            compare("attention", what, p, b, no);
            free(span), free(q), free(a), free(b), free(p);
        }
    }
    /* head sizes and T = n_ctx at the device's defaults */
    CHECK(vk_gpt2_set_tune(vk, &base) == 0, "base tune");
    /* a row's result does not depend on the spans of the rows around it (a resumed build packs
       its rows differently): the even rows keep their spans, the odd ones get others */
    {
        int B = 2, T = 150, C = 128, NH = 2;
        size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, nspan = 3 * (size_t)B * T;
        int *s1 = malloc(nspan * sizeof *s1), *s2 = malloc(nspan * sizeof *s2);
        make_spans(s1, B, T, SPAN_RANDOM);
        make_spans(s2, B, T, SPAN_RANDOM);
        for (size_t n = 0; n < (size_t)B * T; n += 2) memcpy(s2 + 3 * n, s1 + 3 * n, 3 * sizeof *s1);
        float *q = rnd(nq, 2), *a = malloc(no * 4), *b = malloc(no * 4);
        run_attention_tree(vk, q, s1, nspan, 0, B, T, C, NH, a);
        run_attention_tree(vk, q, s2, nspan, 0, B, T, C, NH, b);
        for (size_t n = 1; n < (size_t)B * T; n += 2) memcpy(a + n * C, b + n * C, (size_t)C * 4); /* odd rows: not compared */
        snprintf(what, sizeof what, "%s B=%d T=%d C=%d NH=%d even rows", dev, B, T, C, NH);
        compare("attention_tree rows", what, b, a, no);
        free(s1), free(s2), free(q), free(a), free(b);
    }
    static const int hshapes[][4] = {/* B, T, C, NH */
                                     {2, 70, 64, 2}, {2, 70, 160, 2}, {1, 70, 128, 1}, {2, 33, 6, 2}, {1, 1024, 64, 1}};
    for (size_t s = 0; s < sizeof hshapes / sizeof hshapes[0]; s++) {
        int B = hshapes[s][0], T = hshapes[s][1], C = hshapes[s][2], NH = hshapes[s][3];
        int br = 0, bc = 0, sh = 0;
        CHECK(vk_gpt2_fa_config(vk, B, T, NH, C / NH, &br, &bc, &sh) == 0, "flash: HS %d does not fit", C / NH);
        snprintf(what, sizeof what, "%s flash br=%d bc=%d shuffle=%d B=%d T=%d HS=%d", dev, br, bc, sh, B, T, C / NH);
        size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, nspan = 3 * (size_t)B * T;
        float *q = rnd(nq, 2), *a = malloc(no * 4), *b = malloc(no * 4);
        run_attention(vk, q, B, T, C, NH, a);
        run_attention(cpu, q, B, T, C, NH, b);
        compare("attention", what, a, b, no);
        if (T == 1024) { /* packed spans over the whole context */
            int *span = malloc(nspan * sizeof *span);
            make_spans(span, B, T, SPAN_PACKED);
            run_attention_tree(vk, q, span, nspan, 0, B, T, C, NH, a);
            ref_attention_tree(q, span, B, T, C, NH, b);
            compare("attention_tree", what, a, b, no);
            free(span);
        }
        free(q), free(a), free(b);
    }
    /* the v1 kernels (bench_kernels compares them) */
    vk_gpt2_tune t = base;
    t.gpu_v = 1;
    CHECK(vk_gpt2_set_tune(vk, &t) == 0, "v1");
    {
        int N = 70, IC = 36, OC = 44;
        float *x = rnd((size_t)N * IC, 1), *w = rnd((size_t)IC * OC, 0.5f), *bias = rnd(OC, 1), *res = rnd((size_t)N * OC, 3);
        float *a = malloc((size_t)N * OC * 4), *b = malloc((size_t)N * OC * 4);
        snprintf(what, sizeof what, "%s v1", dev);
        run_matmul(vk, x, w, 0, (size_t)IC * OC, bias, 0, OC, N, IC, OC, a);
        run_matmul(cpu, x, w, 0, (size_t)IC * OC, bias, 0, OC, N, IC, OC, b);
        compare("matmul", what, a, b, (size_t)N * OC);
        for (int epi = 1; epi <= 2; epi++) {
            run_matmul_ep(vk, epi, x, w, 0, (size_t)IC * OC, bias, 0, OC, res, N, IC, OC, a);
            run_matmul_ep(cpu, epi, x, w, 0, (size_t)IC * OC, bias, 0, OC, res, N, IC, OC, b);
            compare(epi == 1 ? "matmul_gelu" : "matmul_add", what, a, b, (size_t)N * OC);
        }
        free(x), free(w), free(bias), free(res), free(a), free(b);
        int B = 2, T = 40, C = 64, NH = 2;
        size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, nspan = 3 * (size_t)B * T;
        int *span = malloc(nspan * sizeof *span);
        make_spans(span, B, T, SPAN_RANDOM);
        float *q = rnd(nq, 2), *o1 = malloc(no * 4), *o2 = malloc(no * 4);
        CHECK(vk_gpt2_fa_config(vk, B, T, NH, C / NH, &(int){0}, &(int){0}, &(int){0}) == -1, "v1: flash chosen");
        run_attention(vk, q, B, T, C, NH, o1);
        run_attention(cpu, q, B, T, C, NH, o2);
        compare("attention", what, o1, o2, no);
        run_attention_tree(vk, q, span, nspan, 0, B, T, C, NH, o1);
        ref_attention_tree(q, span, B, T, C, NH, o2);
        compare("attention_tree", what, o1, o2, no);
        free(span), free(q), free(o1), free(o2);
    }
    CHECK(vk_gpt2_set_tune(vk, &base) == 0, "base tune");
}

int main(void) {
    n2g_err e = {0};
    vk_device_info *devs = NULL;
    int nd = 0;
    check_need_vulkan(&devs, &nd);
    ops_options co = {.kind = OPS_CPU, .threads = 2};
    ops_ctx *cpu = NULL;
    int rc = ops_create(&co, &cpu, &e);
    CHECK(rc == 0, "cpu backend: %s", e.msg);
    if (rc) return check_finish();
    for (int d = 0; d < nd; d++) {
        for (int v = 0; v < VKB_NVARIANTS; v++) {
            ops_options o = {.kind = OPS_VK, .device = d, .variant = vkb_variant_names[v], .quiet = 1};
            ops_ctx *vk = NULL;
            rc = ops_create(&o, &vk, &e);
            CHECK(rc == 0, "vk:%d %s: %s", d, vkb_variant_names[v], e.msg);
            if (rc) continue;
            char tag[300];
            snprintf(tag, sizeof tag, "[%s]", ops_device_name(vk));
            int f0 = check_failed;
            parity(vk, cpu, tag);
            if (v == VKB_VARIANT_GPU) gpu_configs(vk, cpu, tag);
            if (v == VKB_VARIANT_CPU) { /* other register-block shapes of the cpu-driver matmul */
                vk_gpt2_tune t;
                vk_gpt2_get_tune(vk, &t);
                t.mm_lx = 4, t.mm_rows = 5, t.mm_cols4 = 3, t.attn_lx = 3, t.attn_qr = 3;
                CHECK(vk_gpt2_set_tune(vk, &t) == 0, "set tune");
                snprintf(tag, sizeof tag, "[%s tune 4/5/3]", ops_device_name(vk));
                parity(vk, cpu, tag);
            }
            printf("%s: %s\n", ops_device_name(vk), check_failed == f0 ? "ok" : "FAILED");
            ops_destroy(vk);
        }
    }
    free(devs);
    ops_destroy(cpu);
    return check_finish();
}
