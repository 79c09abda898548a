/* gpt2_forward.c — the GPT-2 forward pass through the op interface (any backend), stopping
 * after the last requested layer's MLP GELU, with a hook on every layer's hook_post. */
#include <stdlib.h>
#include <string.h>

#include "gpt2.h"

/* per-layer weight buffer: the 12 tensors one after another, each at a 256-byte boundary */
enum { W_LN1G, W_LN1B, W_QKVW, W_QKVB, W_PROJW, W_PROJB, W_LN2G, W_LN2B, W_FCW, W_FCB, W_MPW, W_MPB, W_COUNT };

struct gpt2_runner {
    const gpt2_model *m;
    ops_ctx *ctx;
    int max_layer, max_B, max_T;
    ops_buf *wte, *wpe, **layer;
    size_t off[W_COUNT]; /* element offsets in a layer buffer */
    int shares;          /* 1: wte / wpe / layer belong to another runner (gpt2_runner_create_like) */
    int shares_acts;     /* 1: so do tok / x / ln / qkv / att / h */
    int tree;            /* 1: the current batch is tree-packed (gpt2_set_tokens_tree) */
    ops_buf *tok, *x, *ln, *qkv, *att, *h;
    ops_buf *pos, *span; /* tree-packed batches: position ids [N], key spans [N, 3]; allocated on first use */
    ops_buf **hall; /* [max_layer + 1] hook_post buffers of gpt2_hook_post_all, [max_T, d_mlp] */
};

ops_ctx *gpt2_runner_ops(gpt2_runner *r) { return r->ctx; }

void gpt2_runner_free(gpt2_runner *r) {
    if (!r) return;
    ops_ctx *c = r->ctx;
    if (!r->shares) {
        ops_free(c, r->wte), ops_free(c, r->wpe);
        if (r->layer)
            for (int l = 0; l <= r->max_layer; l++) ops_free(c, r->layer[l]);
    }
    if (r->hall)
        for (int l = 0; l <= r->max_layer; l++) ops_free(c, r->hall[l]);
    if (!r->shares_acts) {
        ops_free(c, r->tok), ops_free(c, r->x), ops_free(c, r->ln), ops_free(c, r->qkv);
        ops_free(c, r->att), ops_free(c, r->h);
    }
    ops_free(c, r->pos), ops_free(c, r->span);
    free(r->layer);
    free(r->hall);
    free(r);
}

static ops_buf *alloc_up(ops_ctx *c, const float *src, size_t n, n2g_err *err) {
    ops_buf *b = ops_alloc(c, n * sizeof(float), err);
    if (b && src && ops_upload(c, b, 0, src, n * sizeof(float), err)) {
        ops_free(c, b);
        return NULL;
    }
    return b;
}

/* activation buffers for max_B x max_T tokens */
static int alloc_acts(gpt2_runner *r, n2g_err *err) {
    ops_ctx *ctx = r->ctx;
    size_t C = (size_t)r->m->cfg.n_embd, D = (size_t)r->m->cfg.d_mlp, N = (size_t)r->max_B * (size_t)r->max_T;
    if (!(r->tok = ops_alloc(ctx, N * sizeof(int32_t), err)) || !(r->x = alloc_up(ctx, NULL, N * C, err)) ||
        !(r->ln = alloc_up(ctx, NULL, N * C, err)) || !(r->qkv = alloc_up(ctx, NULL, N * 3 * C, err)) ||
        !(r->att = alloc_up(ctx, NULL, N * C, err)) || !(r->h = alloc_up(ctx, NULL, N * D, err)))
        return -1;
    return 0;
}

static int check_shape(const gpt2_config *c, int max_B, int max_T, n2g_err *err) {
    if (max_B < 1 || max_T < 1) return n2g_fail(err, "gpt2_runner_create: batch %d x %d is empty", max_B, max_T);
    if (max_T > c->n_ctx)
        return n2g_fail(err, "%d tokens per sequence exceed the model's context of %d tokens", max_T, c->n_ctx);
    return 0;
}

int gpt2_runner_create_like(gpt2_runner *src, int max_B, int max_T, gpt2_runner **out, n2g_err *err) {
    *out = NULL;
    if (check_shape(&src->m->cfg, max_B, max_T, err)) return -1;
    gpt2_runner *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    *r = (gpt2_runner){.m = src->m, .ctx = src->ctx, .max_layer = src->max_layer, .max_B = max_B, .max_T = max_T,
                       .wte = src->wte, .wpe = src->wpe, .layer = NULL, .shares = 1};
    memcpy(r->off, src->off, sizeof r->off);
    r->layer = malloc(sizeof *r->layer * ((size_t)src->max_layer + 1));
    if (!r->layer) {
        free(r);
        return n2g_fail(err, "out of memory");
    }
    memcpy(r->layer, src->layer, sizeof *r->layer * ((size_t)src->max_layer + 1));
    if ((size_t)max_B * (size_t)max_T <= (size_t)src->max_B * (size_t)src->max_T) {
        r->shares_acts = 1;
        r->tok = src->tok, r->x = src->x, r->ln = src->ln, r->qkv = src->qkv;
        r->att = src->att, r->h = src->h;
    } else if (alloc_acts(r, err)) {
        gpt2_runner_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

int gpt2_runner_create(const gpt2_model *m, ops_ctx *ctx, int max_layer, int max_B, int max_T, gpt2_runner **out,
                       n2g_err *err) {
    *out = NULL;
    const gpt2_config *c = &m->cfg;
    if (max_layer < 0) max_layer = c->n_layer - 1;
    if (max_layer >= c->n_layer)
        return n2g_failc(err, N2G_E_USAGE, "layer %d out of range: the model has %d layers (0..%d)", max_layer,
                         c->n_layer, c->n_layer - 1);
    if (check_shape(c, max_B, max_T, err)) return -1;
    gpt2_runner *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    r->m = m, r->ctx = ctx, r->max_layer = max_layer, r->max_B = max_B, r->max_T = max_T;
    size_t C = (size_t)c->n_embd, D = (size_t)c->d_mlp;
    size_t sizes[W_COUNT] = {C, C, C * 3 * C, 3 * C, C * C, C, C, C, C * D, D, D * C, C};
    size_t total = 0;
    for (int i = 0; i < W_COUNT; i++) {
        r->off[i] = total;
        total += (sizes[i] + 63) & ~(size_t)63;
    }
    r->layer = calloc((size_t)max_layer + 1, sizeof *r->layer);
    if (!r->layer) goto oom;
    if (!(r->wte = alloc_up(ctx, m->wte, (size_t)c->vocab_size * C, err)) ||
        !(r->wpe = alloc_up(ctx, m->wpe, (size_t)c->n_positions * C, err)))
        goto fail;
    for (int l = 0; l <= max_layer; l++) {
        const gpt2_layer_w *y = &m->layers[l];
        const float *src[W_COUNT] = {y->ln1_g, y->ln1_b, y->qkv_w,  y->qkv_b, y->proj_w,  y->proj_b,
                                     y->ln2_g, y->ln2_b, y->fc_w, y->fc_b, y->mproj_w, y->mproj_b};
        if (!(r->layer[l] = ops_alloc(ctx, total * sizeof(float), err))) goto fail;
        for (int i = 0; i < W_COUNT; i++)
            if (ops_upload(ctx, r->layer[l], r->off[i] * sizeof(float), src[i], sizes[i] * sizeof(float), err))
                goto fail;
    }
    if (alloc_acts(r, err)) goto fail;
    *out = r;
    return 0;
oom:
    n2g_fail(err, "out of memory");
fail:
    gpt2_runner_free(r);
    return -1;
}

int gpt2_set_tokens(gpt2_runner *r, const int32_t *tok, int B, int T, n2g_err *err) {
    if (B < 1 || T < 1) return n2g_fail(err, "empty batch (%d x %d tokens)", B, T);
    if (T > r->m->cfg.n_ctx)
        return n2g_fail(err, "%d tokens exceed the model's context of %d tokens (config.json n_positions)", T,
                        r->m->cfg.n_ctx);
    if (B > r->max_B || T > r->max_T)
        return n2g_fail(err, "batch %d x %d exceeds the runner's %d x %d", B, T, r->max_B, r->max_T);
    for (int b = 0; b < B; b++)
        if (gpt2_check_tokens(r->m, tok + (size_t)b * T, (size_t)T, err)) {
            if (B > 1) n2g_wrap(err, "sequence %d", b);
            return -1;
        }
    r->tree = 0;
    return ops_upload(r->ctx, r->tok, 0, tok, (size_t)B * T * sizeof(int32_t), err);
}

int gpt2_set_tokens_tree(gpt2_runner *r, const int32_t *tok, const int32_t *pos, const int32_t *span, int B, int T,
                         n2g_err *err) {
    if (B < 1 || T < 1) return n2g_fail(err, "empty batch (%d x %d tokens)", B, T);
    if (B > r->max_B || T > r->max_T)
        return n2g_fail(err, "batch %d x %d exceeds the runner's %d x %d", B, T, r->max_B, r->max_T);
    size_t N = (size_t)B * (size_t)T;
    for (int b = 0; b < B; b++)
        if (gpt2_check_tokens(r->m, tok + (size_t)b * T, (size_t)T, err)) return n2g_wrap(err, "sequence %d", b);
    for (size_t n = 0; n < N; n++) {
        int t = (int)(n % (size_t)T), r0 = span[3 * n], np = span[3 * n + 1], s0 = span[3 * n + 2];
        if (pos[n] < 0 || pos[n] >= r->m->cfg.n_ctx)
            return n2g_fail(err, "token %zu: position id %d outside 0..%d", n, pos[n], r->m->cfg.n_ctx - 1);
        if (r0 < 0 || np < 0 || r0 + np > s0 || s0 > t)
            return n2g_fail(err,
                            "token %zu (row %zu, column %d): key span [%d, %d) + [%d, %d] is not 0 <= r0 <= r0 + np <= s0 <= t",
                            n, n / (size_t)T, t, r0, r0 + np, s0, t);
    }
    size_t Nmax = (size_t)r->max_B * (size_t)r->max_T;
    if (!r->pos && !(r->pos = ops_alloc(r->ctx, Nmax * sizeof(int32_t), err))) return -1;
    if (!r->span && !(r->span = ops_alloc(r->ctx, 3 * Nmax * sizeof(int32_t), err))) return -1;
    if (ops_upload(r->ctx, r->tok, 0, tok, N * sizeof(int32_t), err) ||
        ops_upload(r->ctx, r->pos, 0, pos, N * sizeof(int32_t), err) ||
        ops_upload(r->ctx, r->span, 0, span, 3 * N * sizeof(int32_t), err))
        return -1;
    r->tree = 1;
    return 0;
}

/* hbuf: per-layer hook_post destinations, or NULL to use the shared one */
static void record(gpt2_runner *r, int B, int T, int last, gpt2_hook_fn hook, void *user, ops_buf **hbuf) {
    const gpt2_config *c = &r->m->cfg;
    ops_ctx *ctx = r->ctx;
    int C = c->n_embd, D = c->d_mlp, N = B * T;
    const size_t *o = r->off;
    if (r->tree) ops_embed_pos(ctx, r->x, r->tok, 0, r->pos, 0, r->wte, r->wpe, N, C);
    else ops_embed(ctx, r->x, r->tok, 0, r->wte, r->wpe, B, T, C);
    for (int l = 0; l <= last; l++) {
        ops_buf *w = r->layer[l], *h = hbuf ? hbuf[l] : r->h;
        ops_layernorm(ctx, r->ln, r->x, w, o[W_LN1G], w, o[W_LN1B], N, C, c->ln_eps);
        ops_matmul(ctx, r->qkv, r->ln, w, o[W_QKVW], w, o[W_QKVB], N, C, 3 * C);
        if (r->tree) ops_attention_tree(ctx, r->att, r->qkv, r->span, 0, B, T, C, c->n_head);
        else ops_attention(ctx, r->att, r->qkv, B, T, C, c->n_head);
        /* the projections add into the residual stream and c_fc applies its GELU in the matmul's
           epilogue (fused on the GPU: one pass over memory fewer each) */
        ops_matmul_add(ctx, r->x, r->att, w, o[W_PROJW], w, o[W_PROJB], N, C, C);
        ops_layernorm(ctx, r->ln, r->x, w, o[W_LN2G], w, o[W_LN2B], N, C, c->ln_eps);
        ops_matmul_gelu(ctx, h, r->ln, w, o[W_FCW], w, o[W_FCB], N, C, D);
        if (hook) hook(user, l, h, B, T);
        if (l < last) ops_matmul_add(ctx, r->x, h, w, o[W_MPW], w, o[W_MPB], N, D, C);
    }
}

void gpt2_record_forward(gpt2_runner *r, int B, int T, int last_layer, gpt2_hook_fn hook, void *user) {
    if (last_layer > r->max_layer) last_layer = r->max_layer;
    record(r, B, T, last_layer, hook, user, NULL);
}

int gpt2_hook_post_all(gpt2_runner *r, const int32_t *tok, int T, int last_layer, float *out, n2g_err *err) {
    if (last_layer < 0 || last_layer > r->max_layer)
        return n2g_failc(err, N2G_E_USAGE, "layer %d out of range (0..%d)", last_layer, r->max_layer);
    size_t D = (size_t)r->m->cfg.d_mlp;
    if (!r->hall) {
        r->hall = calloc((size_t)r->max_layer + 1, sizeof *r->hall);
        if (!r->hall) return n2g_fail(err, "out of memory");
    }
    for (int l = 0; l <= last_layer; l++)
        if (!r->hall[l] && !(r->hall[l] = ops_alloc(r->ctx, (size_t)r->max_T * D * sizeof(float), err))) return -1;
    if (gpt2_set_tokens(r, tok, 1, T, err)) return -1;
    record(r, 1, T, last_layer, NULL, NULL, r->hall);
    if (ops_run(r->ctx, err)) return -1;
    for (int l = 0; l <= last_layer; l++)
        if (ops_download(r->ctx, r->hall[l], 0, out + (size_t)l * T * D, (size_t)T * D * sizeof(float), err)) return -1;
    return 0;
}
