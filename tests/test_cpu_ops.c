/* test_cpu_ops.c — every CPU-backend op against a naive double-precision transcription of
 * its definition (ops.h), on odd shapes that exercise partial tiles, with 1 and several
 * threads; plus the matmul ISA paths against each other and the dispatch choice. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/ops.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}
static float *rand_vec(size_t n, float scale) {
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = frand() * scale;
    return v;
}

static ops_buf *up(ops_ctx *c, const void *src, size_t bytes) {
    n2g_err e = {0};
    ops_buf *b = ops_alloc(c, bytes, &e);
    if (!b || ops_upload(c, b, 0, src, bytes, &e)) {
        fprintf(stderr, "upload: %s\n", e.msg);
        exit(1);
    }
    return b;
}
static void down(ops_ctx *c, ops_buf *b, float *dst, size_t n) {
    n2g_err e = {0};
    CHECK(ops_run(c, &e) == 0, "run: %s", e.msg);
    CHECK(ops_download(c, b, 0, dst, n * sizeof *dst, &e) == 0, "download: %s", e.msg);
}

static double ref_gelu(double x) { return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }

static void test_matmul(ops_ctx *c, int N, int IC, int OC, int with_bias, int w_off) {
    float *x = rand_vec((size_t)N * IC, 1), *w = rand_vec((size_t)IC * OC + w_off, 0.5f), *bias = rand_vec(OC + 3, 1);
    float *got = malloc((size_t)N * OC * sizeof *got);
    ops_buf *bx = up(c, x, (size_t)N * IC * 4), *bw = up(c, w, ((size_t)IC * OC + w_off) * 4),
            *bb = up(c, bias, (size_t)(OC + 3) * 4);
    n2g_err e = {0};
    ops_buf *bo = ops_alloc(c, (size_t)N * OC * 4, &e);
    ops_matmul(c, bo, bx, bw, w_off, with_bias ? bb : NULL, 3, N, IC, OC);
    down(c, bo, got, (size_t)N * OC);
    double maxd = 0;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = with_bias ? bias[3 + o] : 0;
            for (int k = 0; k < IC; k++) s += (double)x[(size_t)n * IC + k] * w[w_off + (size_t)k * OC + o];
            double d = fabs(s - got[(size_t)n * OC + o]);
            if (!(d <= maxd)) maxd = d;
        }
    CHECK(maxd < 1e-4 * sqrt(IC), "matmul %dx%dx%d bias=%d: max diff %g", N, IC, OC, with_bias, maxd);
    ops_free(c, bx), ops_free(c, bw), ops_free(c, bb), ops_free(c, bo);
    free(x), free(w), free(bias), free(got);
}

/* ops_matmul_gelu / ops_matmul_add: the results of ops_matmul then ops_gelu / ops_add, bit for
 * bit (the ops.h contract), and near a double-precision oracle; the weight at an offset, an
 * output buffer holding the residual. */
static void test_matmul_ep(ops_ctx *c, int N, int IC, int OC, int with_bias) {
    int w_off = 3;
    size_t no = (size_t)N * OC;
    float *x = rand_vec((size_t)N * IC, 1), *w = rand_vec((size_t)IC * OC + w_off, 0.5f), *bias = rand_vec(OC, 1);
    float *res = rand_vec(no, 2), *fused = malloc(no * 4), *two = malloc(no * 4);
    ops_buf *bx = up(c, x, (size_t)N * IC * 4), *bw = up(c, w, ((size_t)IC * OC + w_off) * 4), *bb = up(c, bias, OC * 4);
    for (int epi = 1; epi <= 2; epi++) {
        ops_buf *bo = up(c, res, no * 4), *bt = up(c, res, no * 4), *bp = up(c, fused, no * 4); /* bp: any content */
        if (epi == 1) ops_matmul_gelu(c, bo, bx, bw, w_off, with_bias ? bb : NULL, 0, N, IC, OC);
        else ops_matmul_add(c, bo, bx, bw, w_off, with_bias ? bb : NULL, 0, N, IC, OC);
        down(c, bo, fused, no);
        ops_matmul(c, bp, bx, bw, w_off, with_bias ? bb : NULL, 0, N, IC, OC);
        if (epi == 1) ops_gelu(c, bp, no);
        else ops_add(c, bt, bp, no);
        down(c, epi == 1 ? bp : bt, two, no);
        CHECK(!memcmp(fused, two, no * 4), "matmul_%s %dx%dx%d: not the two ops' result", epi == 1 ? "gelu" : "add",
              N, IC, OC);
        double maxd = 0;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OC; o++) {
                double s = with_bias ? bias[o] : 0;
                for (int k = 0; k < IC; k++) s += (double)x[(size_t)n * IC + k] * w[w_off + (size_t)k * OC + o];
                s = epi == 1 ? ref_gelu(s) : res[(size_t)n * OC + o] + s;
                double d = fabs(s - fused[(size_t)n * OC + o]);
                if (!(d <= maxd)) maxd = d;
            }
        CHECK(maxd < 1e-4 * sqrt(IC), "matmul_%s %dx%dx%d: max diff %g from the oracle", epi == 1 ? "gelu" : "add", N,
              IC, OC, maxd);
        ops_free(c, bo), ops_free(c, bt), ops_free(c, bp);
    }
    ops_free(c, bx), ops_free(c, bw), ops_free(c, bb);
    free(x), free(w), free(bias), free(res), free(fused), free(two);
}

/* max |out - x @ w| for out [N, OC] */
static double mm_err(const float *out, const float *x, const float *w, int N, int IC, int OC) {
    double maxd = 0;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double s = 0;
            for (int k = 0; k < IC; k++) s += (double)x[(size_t)n * IC + k] * w[(size_t)k * OC + o];
            double d = fabs(s - out[(size_t)n * OC + o]);
            if (!(d <= maxd)) maxd = d;
        }
    return maxd;
}

/* the packed-weight cache: reuse gives identical results; uploads and op writes to the weight
 * buffer are seen by the next matmul; two weights at different offsets of one buffer */
static void test_pack_cache(ops_ctx *c) {
    int N = 50, IC = 70, OC = 90;
    size_t WN = (size_t)IC * OC;
    float *x = rand_vec((size_t)N * IC, 1), *w1 = rand_vec(2 * WN, 1), *w2 = rand_vec(WN, 1), *d = rand_vec(WN, 1);
    float *o1 = malloc((size_t)N * OC * 4), *o2 = malloc((size_t)N * OC * 4);
    n2g_err e = {0};
    ops_buf *bx = up(c, x, (size_t)N * IC * 4), *bw = up(c, w1, 2 * WN * 4), *bd = up(c, d, WN * 4);
    ops_buf *bo = ops_alloc(c, (size_t)N * OC * 4, &e);
    ops_matmul(c, bo, bx, bw, 0, NULL, 0, N, IC, OC);
    down(c, bo, o1, (size_t)N * OC);
    ops_matmul(c, bo, bx, bw, 0, NULL, 0, N, IC, OC);
    down(c, bo, o2, (size_t)N * OC);
    CHECK(mm_err(o1, x, w1, N, IC, OC) < 1e-3, "first matmul");
    CHECK(!memcmp(o1, o2, (size_t)N * OC * 4), "second matmul (kept packed weight) differs");
    ops_matmul(c, bo, bx, bw, WN, NULL, 0, N, IC, OC); /* the second weight in the same buffer */
    down(c, bo, o2, (size_t)N * OC);
    CHECK(mm_err(o2, x, w1 + WN, N, IC, OC) < 1e-3, "weight at an offset");
    ops_upload(c, bw, 0, w2, WN * 4, &e); /* new weights: the kept copy must go */
    ops_matmul(c, bo, bx, bw, 0, NULL, 0, N, IC, OC);
    down(c, bo, o1, (size_t)N * OC);
    CHECK(mm_err(o1, x, w2, N, IC, OC) < 1e-3, "matmul after an upload uses the new weights");
    ops_free(c, bw);
    bw = up(c, w2, WN * 4);
    ops_matmul(c, bo, bx, bw, 0, NULL, 0, N, IC, OC); /* kept again */
    ops_add(c, bw, bd, WN);                           /* an op writes the weight buffer */
    ops_matmul(c, bo, bx, bw, 0, NULL, 0, N, IC, OC);
    down(c, bo, o1, (size_t)N * OC);
    for (size_t i = 0; i < WN; i++) w2[i] += d[i];
    CHECK(mm_err(o1, x, w2, N, IC, OC) < 1e-3, "matmul after an op wrote the weights uses them");
    ops_free(c, bx), ops_free(c, bw), ops_free(c, bd), ops_free(c, bo);
    free(x), free(w1), free(w2), free(d), free(o1), free(o2);
}

static void test_all(ops_ctx *c) {
    test_pack_cache(c);
    n2g_err e = {0};
    /* matmul: partial row tiles, partial column panels, K not a multiple of any block */
    int shapes[][3] = {{1, 1, 1},   {3, 5, 7},     {13, 17, 33},  {29, 64, 100}, {12, 300, 32},
                       {5, 600, 77}, {48, 40, 50}, {49, 40, 50}, {70, 257, 129}, {128, 64, 256},
                       {773, 40, 50}}; /* the last: several row blocks */
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        test_matmul(c, shapes[i][0], shapes[i][1], shapes[i][2], 1, 5);
        test_matmul(c, shapes[i][0], shapes[i][1], shapes[i][2], 0, 0);
    }
    test_matmul_ep(c, 1, 1, 1, 1);
    test_matmul_ep(c, 13, 17, 33, 1);
    test_matmul_ep(c, 70, 257, 129, 0);

    /* layernorm (with a large common offset: two-pass variance keeps it accurate) */
    int N = 37, C = 100;
    float *x = rand_vec((size_t)N * C, 2), *g = rand_vec(C + 2, 1), *bb = rand_vec(C + 4, 1);
    for (size_t i = 0; i < (size_t)N * C; i++) x[i] += 300.0f;
    float *got = malloc((size_t)N * C * sizeof(float));
    ops_buf *bx = up(c, x, (size_t)N * C * 4), *bg = up(c, g, (C + 2) * 4), *bbb = up(c, bb, (C + 4) * 4);
    ops_buf *bo = ops_alloc(c, (size_t)N * C * 4, &e);
    ops_layernorm(c, bo, bx, bg, 2, bbb, 4, N, C, 1e-5f);
    down(c, bo, got, (size_t)N * C);
    double maxd = 0;
    for (int n = 0; n < N; n++) {
        double m = 0, v = 0;
        for (int i = 0; i < C; i++) m += x[n * C + i];
        m /= C;
        for (int i = 0; i < C; i++) v += (x[n * C + i] - m) * (x[n * C + i] - m);
        v /= C;
        for (int i = 0; i < C; i++) {
            double r = (x[n * C + i] - m) / sqrt(v + 1e-5) * g[2 + i] + bb[4 + i];
            double d = fabs(r - got[n * C + i]);
            if (!(d <= maxd)) maxd = d;
        }
    }
    CHECK(maxd < 1e-4, "layernorm max diff %g", maxd);
    ops_free(c, bx), ops_free(c, bg), ops_free(c, bbb), ops_free(c, bo);
    free(x), free(g), free(bb), free(got);

    /* gelu over a wide range, including values whose tanh argument overflows exp */
    size_t G = 10007;
    float *gx = rand_vec(G, 12);
    gx[0] = 100, gx[1] = -100, gx[2] = 0, gx[3] = 1e30f, gx[4] = -1e30f;
    ops_buf *bgx = up(c, gx, G * 4);
    ops_gelu(c, bgx, G);
    float *gg = malloc(G * 4);
    down(c, bgx, gg, G);
    maxd = 0;
    int nonfinite = 0;
    for (size_t i = 0; i < G; i++) {
        if (!isfinite(gg[i])) nonfinite++;
        if (i >= 3 && i <= 4) continue;
        double d = fabs(ref_gelu(gx[i]) - gg[i]) / (1 + fabs(gx[i]));
        if (!(d <= maxd)) maxd = d;
    }
    CHECK(maxd < 2e-6, "gelu max rel diff %g", maxd);
    CHECK(nonfinite == 0, "gelu produced %d non-finite values", nonfinite);
    CHECK(gg[3] == 1e30f && gg[4] == 0.0f, "gelu at +-1e30: %g %g", gg[3], gg[4]);
    ops_free(c, bgx);
    free(gx), free(gg);

    /* add */
    float *ax = rand_vec(999, 1), *ay = rand_vec(999, 1), *ag = malloc(999 * 4);
    ops_buf *bax = up(c, ax, 999 * 4), *bay = up(c, ay, 999 * 4);
    ops_add(c, bax, bay, 998);
    down(c, bax, ag, 999);
    int bad = 0;
    for (int i = 0; i < 998; i++) bad += ag[i] != ax[i] + ay[i];
    bad += ag[998] != ax[998];
    CHECK(bad == 0, "add: %d wrong", bad);
    ops_free(c, bax), ops_free(c, bay);
    free(ax), free(ay), free(ag);

    /* embed */
    int B = 3, T = 5, V = 11, EC = 20;
    float *wte = rand_vec((size_t)V * EC, 1), *wpe = rand_vec((size_t)7 * EC, 1);
    int32_t tok[1 + 15];
    for (int i = 0; i < 16; i++) tok[i] = (i * 7) % V;
    ops_buf *bt = up(c, tok, sizeof tok), *bwte = up(c, wte, (size_t)V * EC * 4), *bwpe = up(c, wpe, 7 * EC * 4);
    ops_buf *be = ops_alloc(c, (size_t)B * T * EC * 4, &e);
    float *eg = malloc((size_t)B * T * EC * 4);
    ops_embed(c, be, bt, 1, bwte, bwpe, B, T, EC);
    down(c, be, eg, (size_t)B * T * EC);
    bad = 0;
    for (int n = 0; n < B * T; n++)
        for (int i = 0; i < EC; i++) bad += eg[n * EC + i] != wte[tok[1 + n] * EC + i] + wpe[(n % T) * EC + i];
    CHECK(bad == 0, "embed: %d wrong", bad);
    ops_free(c, bt), ops_free(c, bwte), ops_free(c, bwpe), ops_free(c, be);
    free(wte), free(wpe), free(eg);

    /* attention: B=2, T=9, NH=3, HS=5 */
    int AB = 2, AT = 9, NH = 3, HS = 5, AC = NH * HS;
    float *qkv = rand_vec((size_t)AB * AT * 3 * AC, 2);
    ops_buf *bq = up(c, qkv, (size_t)AB * AT * 3 * AC * 4);
    ops_buf *bao = ops_alloc(c, (size_t)AB * AT * AC * 4, &e);
    float *ao = malloc((size_t)AB * AT * AC * 4);
    ops_attention(c, bao, bq, AB, AT, AC, NH);
    down(c, bao, ao, (size_t)AB * AT * AC);
    maxd = 0;
    for (int b = 0; b < AB; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < AT; t++) {
                double s[16], mx = -1e300, sum = 0;
                const float *q = qkv + (size_t)(b * AT + t) * 3 * AC + h * HS;
                for (int j = 0; j <= t; j++) {
                    const float *k = qkv + (size_t)(b * AT + j) * 3 * AC + AC + h * HS;
                    s[j] = 0;
                    for (int d = 0; d < HS; d++) s[j] += (double)q[d] * k[d];
                    s[j] /= sqrt(HS);
                    if (s[j] > mx) mx = s[j];
                }
                for (int j = 0; j <= t; j++) sum += s[j] = exp(s[j] - mx);
                for (int d = 0; d < HS; d++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += s[j] / sum * qkv[(size_t)(b * AT + j) * 3 * AC + 2 * AC + h * HS + d];
                    double diff = fabs(o - ao[(size_t)(b * AT + t) * AC + h * HS + d]);
                    if (!(diff <= maxd)) maxd = diff;
                }
            }
    CHECK(maxd < 1e-5, "attention max diff %g", maxd);
    ops_free(c, bq), ops_free(c, bao);
    free(qkv), free(ao);
}

/* ---- tree-packed rows ---- */

/* span[B*T*3] per sequence: a packed row of groups — a root of n tokens followed by children
 * (p_i, m_i) — one after another (a second, shorter copy of the group after the first when it
 * fits), then self-only padding to T; sequence 1 (when B > 1) is a plain causal row. */
static void tree_spans(int32_t *span, int B, int T, int n, const int *p, const int *m, int nc) {
    for (int b = 0; b < B; b++) {
        int32_t *sp = span + (size_t)b * T * 3;
        for (int t = 0; t < T; t++) sp[3 * t] = b == 1 ? 0 : t, sp[3 * t + 1] = 0, sp[3 * t + 2] = b == 1 ? 0 : t;
        if (b == 1) continue;
        for (int g0 = 0, rep = 0; rep < 2 && g0 + n <= T; rep++) {
            int o = g0;
            for (int t = 0; t < n; t++, o++) sp[3 * o] = g0, sp[3 * o + 1] = 0, sp[3 * o + 2] = g0;
            for (int c = 0; c < nc - rep; c++) /* the copy has one child fewer */
                for (int i = 0; i < m[c] && o < T; i++, o++) sp[3 * o] = g0, sp[3 * o + 1] = p[c], sp[3 * o + 2] = o - i;
            g0 = o;
        }
    }
}

/* naive double-precision attention over the spans: row t attends to keys [r0, r0 + np) U [s0, t] */
static double tree_ref_diff(const float *qkv, const int32_t *span, const float *got, int B, int T, int C, int NH) {
    int HS = C / NH;
    double maxd = 0, *s = malloc(sizeof(double) * (size_t)T);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const int32_t *sp = span + 3 * (size_t)(b * T + t);
                int r0 = sp[0], r1 = sp[0] + sp[1], s0 = sp[2], nk = 0;
#define IN_SPAN(j) (((j) >= r0 && (j) < r1) || ((j) >= s0 && (j) <= t))
                double mx = -1e300, sum = 0;
                const float *q = qkv + (size_t)(b * T + t) * 3 * C + h * HS;
                for (int j = 0; j <= t; j++) {
                    if (!IN_SPAN(j)) continue;
                    const float *k = qkv + (size_t)(b * T + j) * 3 * C + C + h * HS;
                    double d = 0;
                    for (int x = 0; x < HS; x++) d += (double)q[x] * k[x];
                    s[j] = d / sqrt(HS);
                    if (s[j] > mx) mx = s[j];
                    nk++;
                }
                for (int j = 0; j <= t; j++)
                    if (IN_SPAN(j)) sum += s[j] = exp(s[j] - mx);
                for (int x = 0; x < HS; x++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++)
                        if (IN_SPAN(j)) o += s[j] / sum * qkv[(size_t)(b * T + j) * 3 * C + 2 * C + h * HS + x];
                    double diff = fabs(o - got[(size_t)(b * T + t) * C + h * HS + x]);
                    if (!(diff <= maxd) || nk == 0) maxd = nk ? diff : INFINITY;
                }
#undef IN_SPAN
            }
    free(s);
    return maxd;
}

static void test_tree(ops_ctx *c, int B, int T, int NH, int HS, int n, const int *p, const int *m, int nc) {
    n2g_err e = {0};
    int C = NH * HS;
    float *qkv = rand_vec((size_t)B * T * 3 * C, 2), *got = malloc(sizeof(float) * (size_t)B * T * C);
    int32_t *span = malloc(sizeof(int32_t) * (3 * (size_t)B * T + 8));
    for (int i = 0; i < 3; i++) span[i] = -7; /* span_off = 3: junk before */
    tree_spans(span + 3, B, T, n, p, m, nc);
    ops_buf *bq = up(c, qkv, (size_t)B * T * 3 * C * 4), *bs = up(c, span, (3 * (size_t)B * T + 3) * 4);
    ops_buf *bo = ops_alloc(c, (size_t)B * T * C * 4, &e);
    ops_attention_tree(c, bo, bq, bs, 3, B, T, C, NH);
    down(c, bo, got, (size_t)B * T * C);
    double d = tree_ref_diff(qkv, span + 3, got, B, T, C, NH);
    CHECK(d < 2e-5, "attention_tree B=%d T=%d NH=%d HS=%d: max diff %g", B, T, NH, HS, d);
    ops_free(c, bq), ops_free(c, bs), ops_free(c, bo);
    free(qkv), free(got), free(span);
}

static void test_tree_ops(ops_ctx *c) {
    int p1[] = {1, 3, 4, 2}, m1[] = {6, 3, 1, 5};
    test_tree(c, 3, 29, 3, 5, 7, p1, m1, 4); /* root 7, four children, padding */
    test_tree(c, 3, 48, 3, 5, 7, p1, m1, 4); /* the same group twice in a row */
    test_tree(c, 1, 1, 2, 4, 1, p1, m1, 0);  /* T = 1 */
    int p2[40], m2[40];
    for (int i = 0; i < 40; i++) p2[i] = 1 + i % 30, m2[i] = 31 - p2[i];
    test_tree(c, 2, 300, 2, 64, 31, p2, m2, 40); /* GPT-2 head size, a long packed row */
    /* embed_pos: positions in any order */
    n2g_err e = {0};
    int N = 13, V = 9, EC = 12, NP = 17;
    float *wte = rand_vec((size_t)V * EC, 1), *wpe = rand_vec((size_t)NP * EC, 1), *g = malloc(sizeof(float) * (size_t)N * EC);
    int32_t tok[2 + 13], pos[13];
    for (int i = 0; i < N + 2; i++) tok[i] = (i * 5 + 1) % V;
    for (int i = 0; i < N; i++) pos[i] = (i * 7 + 3) % NP;
    ops_buf *bt = up(c, tok, sizeof tok), *bp = up(c, pos, sizeof pos), *bw = up(c, wte, (size_t)V * EC * 4),
            *bwp = up(c, wpe, (size_t)NP * EC * 4), *bo = ops_alloc(c, (size_t)N * EC * 4, &e);
    ops_embed_pos(c, bo, bt, 2, bp, 0, bw, bwp, N, EC);
    down(c, bo, g, (size_t)N * EC);
    int bad = 0;
    for (int n = 0; n < N; n++)
        for (int i = 0; i < EC; i++) bad += g[n * EC + i] != wte[tok[2 + n] * EC + i] + wpe[pos[n] * EC + i];
    CHECK(bad == 0, "embed_pos: %d wrong", bad);
    ops_free(c, bt), ops_free(c, bp), ops_free(c, bw), ops_free(c, bwp), ops_free(c, bo);
    free(wte), free(wpe), free(g);
}

/* the CPU's own flags, read independently of the backend's __builtin_cpu_supports */
static int cpuinfo_has(const char *flag) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5)) {
            for (char *t = strtok(line, " \t\n:"); t; t = strtok(NULL, " \t\n:"))
                if (!strcmp(t, flag)) found = 1;
            break;
        }
    fclose(f);
    return found;
}

int main(void) {
    n2g_err e = {0};
    int avx512 = cpuinfo_has("avx512f") == 1 && cpuinfo_has("fma") == 1;
    int avx2 = cpuinfo_has("avx2") == 1 && cpuinfo_has("fma") == 1;
    const char *widest = avx512 ? "avx512" : avx2 ? "avx2" : "generic";

    /* default dispatch picks the widest ISA the CPU has, and the device name says so */
    if (!getenv("N2G_CPU_ISA")) {
        ops_options o = {.kind = OPS_CPU, .threads = 2};
        ops_ctx *c;
        CHECK(ops_create(&o, &c, &e) == 0, "create: %s", e.msg);
        char want[64];
        snprintf(want, sizeof want, ", %s)", widest);
        CHECK(strstr(ops_device_name(c), want) != NULL, "device '%s' should use %s (/proc/cpuinfo)",
              ops_device_name(c), widest);
        printf("default: %s (cpuinfo: avx512f+fma %d, avx2+fma %d)\n", ops_device_name(c), avx512, avx2);
        ops_destroy(c);
    }

    /* every ISA path the CPU supports, with 1, 3 and all threads */
    const char *variants[] = {"generic", "avx2", "avx512"};
    int have[] = {1, avx2, avx512};
    int threads[] = {1, 3, 0};
    for (int v = 0; v < 3; v++) {
        for (int i = 0; i < 3; i++) {
            ops_options o = {.kind = OPS_CPU, .threads = threads[i], .variant = variants[v]};
            ops_ctx *c;
            int rc = ops_create(&o, &c, &e);
            if (!have[v]) {
                CHECK(rc == -1 && strstr(e.msg, "does not support"), "variant %s on a CPU without it: %s", variants[v],
                      rc ? e.msg : "accepted");
                if (!rc) ops_destroy(c);
                printf("%s: not supported by this CPU (skipped)\n", variants[v]);
                break;
            }
            CHECK(rc == 0, "create %s: %s", variants[v], e.msg);
            if (rc) break;
            CHECK(strstr(ops_device_name(c), variants[v]) != NULL, "name %s", ops_device_name(c));
            printf("device: %s\n", ops_device_name(c));
            test_all(c);
            test_tree_ops(c);
            ops_destroy(c);
        }
    }
    ops_options bad = {.kind = OPS_CPU, .variant = "sse9"};
    ops_ctx *c;
    CHECK(ops_create(&bad, &c, &e) == -1 && strstr(e.msg, "unknown kernel variant 'sse9'"), "bad variant: %s", e.msg);
    return check_finish();
}
