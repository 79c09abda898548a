/* distilbert_forward.c — the DistilBERT fill-mask forward through the op interface (any
 * backend): encoder over the whole padded batch, MLM head on the gathered rows only. */
#include <stdlib.h>
#include <string.h>

#include "distilbert.h"
#include "ops/ops_bert.h"
#include "ops/ops_gather.h"

enum { W_QKVW, W_QKVB, W_OW, W_OB, W_SAG, W_SAB, W_W1, W_B1, W_W2, W_B2, W_OUTG, W_OUTB, W_COUNT };
enum { E_G, E_B, E_VTW, E_VTB, E_VLG, E_VLB, E_PW, E_PB, E_COUNT }; /* the "emb" pack */

struct distilbert_runner {
    const distilbert_model *m;
    ops_ctx *ctx;
    int max_B, max_T, max_rows;
    ops_buf *word, *pos, *emb, **layer;
    size_t eoff[E_COUNT], off[W_COUNT];
    ops_buf *tok, *lens, *idx, *rows, *x, *qkv, *att, *tmp, *h, *g, *g2, *ratt, *rh, *logits;
    int32_t *idx_host, *rows_host;
};

void distilbert_runner_free(distilbert_runner *r) {
    if (!r) return;
    ops_ctx *c = r->ctx;
    ops_free(c, r->word), ops_free(c, r->pos), ops_free(c, r->emb);
    if (r->layer)
        for (int l = 0; l < r->m->cfg.n_layers; l++) ops_free(c, r->layer[l]);
    ops_buf *bufs[] = {r->tok, r->lens, r->idx, r->rows, r->x,    r->qkv, r->att,
                       r->tmp, r->h,    r->g,   r->g2,   r->ratt, r->rh,  r->logits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) ops_free(c, bufs[i]);
    free(r->layer);
    free(r->idx_host), free(r->rows_host);
    free(r);
}

/* one buffer holding n tensors at 64-element boundaries; off[i] = element offsets */
static ops_buf *upload_pack(ops_ctx *ctx, int n, const float *const *src, const size_t *sizes, size_t *off,
                            n2g_err *err) {
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        off[i] = total;
        total += (sizes[i] + 63) & ~(size_t)63;
    }
    ops_buf *b = ops_alloc(ctx, total * sizeof(float), err);
    for (int i = 0; b && i < n; i++)
        if (ops_upload(ctx, b, off[i] * sizeof(float), src[i], sizes[i] * sizeof(float), err)) {
            ops_free(ctx, b);
            return NULL;
        }
    return b;
}

int distilbert_runner_create(const distilbert_model *m, ops_ctx *ctx, int max_B, int max_T, int max_rows,
                             distilbert_runner **out, n2g_err *err) {
    *out = NULL;
    const distilbert_config *c = &m->cfg;
    if (max_B < 1 || max_T < 1 || max_rows < 1)
        return n2g_fail(err, "distilbert_runner_create: batch %d x %d (%d rows) is empty", max_B, max_T, max_rows);
    if (max_T > c->max_pos)
        return n2g_fail(err, "%d tokens per sequence exceed the model's max_position_embeddings %d", max_T, c->max_pos);
    distilbert_runner *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    r->m = m, r->ctx = ctx, r->max_B = max_B, r->max_T = max_T, r->max_rows = max_rows;
    size_t C = (size_t)c->dim, H = (size_t)c->hidden_dim, V = (size_t)c->vocab_size, N = (size_t)max_B * max_T;
    size_t R = (size_t)max_rows;
    const float *esrc[E_COUNT] = {m->emb_g, m->emb_b, m->vt_w, m->vt_b, m->vln_g, m->vln_b, m->proj_w, m->proj_b};
    size_t esz[E_COUNT] = {C, C, C * C, C, C, C, C * V, V}, one;
    if (!(r->layer = calloc((size_t)c->n_layers, sizeof *r->layer))) goto oom;
    size_t wsz = V * C, psz = (size_t)c->max_pos * C;
    if (!(r->word = upload_pack(ctx, 1, (const float *const *)&m->word, &wsz, &one, err)) ||
        !(r->pos = upload_pack(ctx, 1, (const float *const *)&m->pos, &psz, &one, err)) ||
        !(r->emb = upload_pack(ctx, E_COUNT, esrc, esz, r->eoff, err)))
        goto fail;
    for (int l = 0; l < c->n_layers; l++) {
        const distilbert_layer_w *y = &m->layers[l];
        const float *src[W_COUNT] = {y->qkv_w, y->qkv_b, y->o_w, y->o_b, y->sa_g, y->sa_b,
                                     y->w1,    y->b1,    y->w2,  y->b2,  y->out_g, y->out_b};
        size_t sz[W_COUNT] = {3 * C * C, 3 * C, C * C, C, C, C, C * H, H, H * C, C, C, C};
        if (!(r->layer[l] = upload_pack(ctx, W_COUNT, src, sz, r->off, err))) goto fail;
    }
    if (!(r->idx_host = malloc(R * C * sizeof(int32_t))) || !(r->rows_host = malloc(R * sizeof(int32_t)))) goto oom;
    if (!(r->tok = ops_alloc(ctx, N * 4, err)) || !(r->lens = ops_alloc(ctx, (size_t)max_B * 4, err)) ||
        !(r->idx = ops_alloc(ctx, R * C * 4, err)) || !(r->x = ops_alloc(ctx, N * C * 4, err)) ||
        !(r->qkv = ops_alloc(ctx, N * 3 * C * 4, err)) || !(r->att = ops_alloc(ctx, N * C * 4, err)) ||
        !(r->tmp = ops_alloc(ctx, N * C * 4, err)) || !(r->h = ops_alloc(ctx, N * H * 4, err)) ||
        !(r->g = ops_alloc(ctx, R * C * 4, err)) || !(r->g2 = ops_alloc(ctx, R * C * 4, err)) ||
        !(r->rows = ops_alloc(ctx, R * 4, err)) || !(r->ratt = ops_alloc(ctx, R * C * 4, err)) ||
        !(r->rh = ops_alloc(ctx, R * H * 4, err)) ||
        !(r->logits = ops_alloc(ctx, R * V * 4, err)))
        goto fail;
    *out = r;
    return 0;
oom:
    n2g_fail(err, "out of memory");
fail:
    distilbert_runner_free(r);
    return -1;
}

/* the rest of a block after attention, on n rows: x = LN_sa(x + att W_o + b_o);
 * x = LN_out(x + lin2(gelu(lin1(x)))). att, x, tmp [n, C]; h [n, H]. */
static void block_rest(distilbert_runner *r, ops_buf *w, ops_buf *att, ops_buf *x, ops_buf *tmp, ops_buf *h, int n) {
    const distilbert_config *c = &r->m->cfg;
    ops_ctx *ctx = r->ctx;
    const size_t *o = r->off;
    int C = c->dim, H = c->hidden_dim;
    ops_matmul(ctx, tmp, att, w, o[W_OW], w, o[W_OB], n, C, C);
    ops_add(ctx, tmp, x, (size_t)n * C);
    ops_layernorm(ctx, x, tmp, w, o[W_SAG], w, o[W_SAB], n, C, c->ln_eps);
    ops_matmul(ctx, h, x, w, o[W_W1], w, o[W_B1], n, C, H);
    ops_gelu_erf(ctx, h, (size_t)n * H);
    ops_matmul(ctx, tmp, h, w, o[W_W2], w, o[W_B2], n, H, C);
    ops_add(ctx, tmp, x, (size_t)n * C);
    ops_layernorm(ctx, x, tmp, w, o[W_OUTG], w, o[W_OUTB], n, C, c->ln_eps);
}

int distilbert_logits(distilbert_runner *r, const int32_t *tok, const int32_t *lens, int B, int T,
                      const int32_t *rows, int n_rows, float *out, n2g_err *err) {
    const distilbert_config *c = &r->m->cfg;
    ops_ctx *ctx = r->ctx;
    if (B < 1 || T < 1) return n2g_fail(err, "distilbert: empty batch (%d x %d tokens)", B, T);
    if (T > c->max_pos)
        return n2g_fail(err, "%d tokens exceed the model's max_position_embeddings %d (config.json)", T, c->max_pos);
    if (!rows) n_rows = B * T;
    if (B > r->max_B || T > r->max_T || n_rows > r->max_rows || n_rows < 1)
        return n2g_fail(err, "distilbert: batch %d x %d with %d head rows exceeds the runner's %d x %d, %d rows", B, T,
                        n_rows, r->max_B, r->max_T, r->max_rows);
    for (int b = 0; b < B; b++) {
        if (lens[b] < 1 || lens[b] > T)
            return n2g_fail(err, "distilbert: sequence %d has length %d (expected 1..%d)", b, (int)lens[b], T);
        for (int t = 0; t < T; t++) {
            int32_t id = tok[(size_t)b * T + t];
            if (id < 0 || id >= c->vocab_size)
                return n2g_fail(err, "distilbert: token id %d at sequence %d, index %d is out of range (vocab_size %d)",
                                (int)id, b, t, c->vocab_size);
        }
    }
    int C = c->dim, V = c->vocab_size, N = B * T;
    for (int i = 0; i < n_rows; i++) {
        int row = rows ? rows[i] : i;
        if (row < 0 || row >= N) return n2g_fail(err, "distilbert: head row %d outside the batch (%d rows)", row, N);
        for (int k = 0; k < C; k++) r->idx_host[(size_t)i * C + k] = (int32_t)((size_t)row * C + k);
        r->rows_host[i] = row;
    }
    if (ops_upload(ctx, r->tok, 0, tok, (size_t)N * 4, err) || ops_upload(ctx, r->lens, 0, lens, (size_t)B * 4, err) ||
        ops_upload(ctx, r->idx, 0, r->idx_host, (size_t)n_rows * C * 4, err) ||
        ops_upload(ctx, r->rows, 0, r->rows_host, (size_t)n_rows * 4, err))
        return -1;
    const size_t *o = r->off, *e = r->eoff;
    ops_buf *em = r->emb;
    float eps = c->ln_eps;
    ops_embed(ctx, r->tmp, r->tok, 0, r->word, r->pos, B, T, C);
    ops_layernorm(ctx, r->x, r->tmp, em, e[E_G], em, e[E_B], N, C, eps);
    int last = c->n_layers - 1, R = n_rows;
    for (int l = 0; l < last; l++) {
        ops_buf *w = r->layer[l];
        ops_matmul(ctx, r->qkv, r->x, w, o[W_QKVW], w, o[W_QKVB], N, C, 3 * C);
        ops_bert_attention(ctx, r->att, r->qkv, r->lens, 0, B, T, C, c->n_heads);
        block_rest(r, w, r->att, r->x, r->tmp, r->h, N);
    }
    /* the last block: keys and values of every row, everything else on the head rows only */
    ops_buf *w = r->layer[last];
    ops_matmul(ctx, r->qkv, r->x, w, o[W_QKVW], w, o[W_QKVB], N, C, 3 * C);
    ops_bert_attention_rows(ctx, r->ratt, r->qkv, r->lens, 0, r->rows, 0, R, B, T, C, c->n_heads);
    ops_gather(ctx, r->g, 0, r->x, r->idx, 0, (size_t)R * C);
    block_rest(r, w, r->ratt, r->g, r->g2, r->rh, R);
    /* MLM head */
    ops_matmul(ctx, r->g2, r->g, em, e[E_VTW], em, e[E_VTB], R, C, C);
    ops_gelu_erf(ctx, r->g2, (size_t)R * C);
    ops_layernorm(ctx, r->g, r->g2, em, e[E_VLG], em, e[E_VLB], R, C, eps);
    ops_matmul(ctx, r->logits, r->g, em, e[E_PW], em, e[E_PB], R, C, V);
    if (ops_run(ctx, err)) return -1;
    return ops_download(ctx, r->logits, 0, out, (size_t)R * V * sizeof(float), err);
}
