/* probe.c — the probe engine (see probe.h for the algorithm). */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "ops/ops_gather.h"

typedef struct {
    size_t off;   /* into e->pool */
    int len;
    int depth;    /* deepest requested layer, -1 = none */
    int run;      /* representative sequence answering this one (prefix merging) */
    int batch_row;/* row inside its batch (set for representatives) */
    uint64_t hash;
} pseq;

typedef struct {
    int seq, layer, neuron, pos0, count;
    float *out;
} preq;

/* a runner for sequences up to max_T tokens (weights uploaded per runner) */
typedef struct {
    gpt2_runner *r;
    int max_B, max_T;
} prunner;

#define N_CLASSES 3

struct n2g_probe_engine {
    const gpt2_model *m;
    ops_ctx *ctx;
    n2g_probe_opts opt;
    prunner runners[N_CLASSES];
    int class_T[N_CLASSES];
    int32_t *pool;
    size_t pool_n, pool_cap;
    pseq *seqs;
    int n_seqs, cap_seqs;
    int *table; /* open addressing on seq ids, -1 = empty */
    size_t table_cap;
    preq *reqs;
    int n_reqs, cap_reqs;
    ops_buf *idx_buf, *out_buf;
    size_t idx_cap, out_cap; /* elements */
    n2g_probe_stats st;
};

static uint64_t hash_tok(const int32_t *t, int n) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) h = (h ^ (uint32_t)t[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

int n2g_probe_create(const gpt2_model *m, ops_ctx *ctx, const n2g_probe_opts *opt, n2g_probe_engine **out,
                     n2g_err *err) {
    *out = NULL;
    n2g_probe_engine *e = calloc(1, sizeof *e);
    if (!e) return n2g_fail(err, "probe engine: out of memory");
    e->m = m;
    e->ctx = ctx;
    if (opt) e->opt = *opt;
    else e->opt.max_layer = -1;
    if (e->opt.max_tokens <= 0) e->opt.max_tokens = 8192;
    if (e->opt.max_batch <= 0) e->opt.max_batch = 256;
    if (e->opt.max_layer < 0 || e->opt.max_layer >= m->cfg.n_layer) e->opt.max_layer = m->cfg.n_layer - 1;
    int nctx = m->cfg.n_ctx;
    e->class_T[0] = nctx < 64 ? nctx : 64;
    e->class_T[1] = nctx < 256 ? nctx : 256;
    e->class_T[2] = nctx;
    if (e->opt.max_tokens < nctx) e->opt.max_tokens = nctx;
    e->table_cap = 1024;
    e->table = malloc(sizeof(int) * e->table_cap);
    if (!e->table) {
        free(e);
        return n2g_fail(err, "probe engine: out of memory");
    }
    memset(e->table, 0xff, sizeof(int) * e->table_cap);
    *out = e;
    return 0;
}

void n2g_probe_free(n2g_probe_engine *e) {
    if (!e) return;
    for (int c = 0; c < N_CLASSES; c++)
        if (e->runners[c].r) gpt2_runner_free(e->runners[c].r);
    ops_free(e->ctx, e->idx_buf);
    ops_free(e->ctx, e->out_buf);
    free(e->pool);
    free(e->seqs);
    free(e->table);
    free(e->reqs);
    free(e);
}

const n2g_probe_stats *n2g_probe_get_stats(const n2g_probe_engine *e) { return &e->st; }
void n2g_probe_reset_stats(n2g_probe_engine *e) { memset(&e->st, 0, sizeof e->st); }

static int table_grow(n2g_probe_engine *e) {
    size_t nc = e->table_cap * 2;
    int *t = malloc(sizeof(int) * nc);
    if (!t) return -1;
    memset(t, 0xff, sizeof(int) * nc);
    for (int s = 0; s < e->n_seqs; s++) {
        size_t i = e->seqs[s].hash & (nc - 1);
        while (t[i] >= 0) i = (i + 1) & (nc - 1);
        t[i] = s;
    }
    free(e->table);
    e->table = t;
    e->table_cap = nc;
    return 0;
}

int n2g_probe_seq(n2g_probe_engine *e, const int32_t *tok, int len, n2g_err *err) {
    if (len < 1 || len > e->m->cfg.n_ctx)
        return n2g_fail(err, "probe: sequence length %d outside 1..%d (n_ctx)", len, e->m->cfg.n_ctx);
    for (int i = 0; i < len; i++)
        if (tok[i] < 0 || tok[i] >= e->m->cfg.vocab_size)
            return n2g_fail(err, "probe: token %d at position %d outside the vocabulary (0..%d)", tok[i], i,
                            e->m->cfg.vocab_size - 1);
    e->st.seqs_submitted++;
    e->st.tokens_submitted += (uint64_t)len;
    uint64_t h = hash_tok(tok, len);
    size_t i = h & (e->table_cap - 1);
    while (e->table[i] >= 0) {
        pseq *s = &e->seqs[e->table[i]];
        if (s->hash == h && s->len == len && !memcmp(e->pool + s->off, tok, sizeof(int32_t) * (size_t)len))
            return e->table[i];
        i = (i + 1) & (e->table_cap - 1);
    }
    if ((size_t)(e->n_seqs + 1) * 2 > e->table_cap) {
        if (table_grow(e) != 0) return n2g_fail(err, "probe: out of memory");
        i = h & (e->table_cap - 1);
        while (e->table[i] >= 0) i = (i + 1) & (e->table_cap - 1);
    }
    if (e->n_seqs == e->cap_seqs) {
        int nc = e->cap_seqs ? e->cap_seqs * 2 : 256;
        pseq *ns = realloc(e->seqs, sizeof *ns * (size_t)nc);
        if (!ns) return n2g_fail(err, "probe: out of memory");
        e->seqs = ns;
        e->cap_seqs = nc;
    }
    if (e->pool_n + (size_t)len > e->pool_cap) {
        size_t nc = e->pool_cap ? e->pool_cap * 2 : 65536;
        while (nc < e->pool_n + (size_t)len) nc *= 2;
        int32_t *np = realloc(e->pool, sizeof *np * nc);
        if (!np) return n2g_fail(err, "probe: out of memory");
        e->pool = np;
        e->pool_cap = nc;
    }
    memcpy(e->pool + e->pool_n, tok, sizeof(int32_t) * (size_t)len);
    int id = e->n_seqs++;
    e->seqs[id] = (pseq){e->pool_n, len, -1, id, 0, h};
    e->pool_n += (size_t)len;
    e->table[i] = id;
    return id;
}

int n2g_probe_want(n2g_probe_engine *e, int seq, int layer, int neuron, int pos0, int count, float *out, n2g_err *err) {
    if (seq < 0 || seq >= e->n_seqs) return n2g_fail(err, "probe: unknown sequence id %d", seq);
    pseq *s = &e->seqs[seq];
    if (layer < 0 || layer > e->opt.max_layer)
        return n2g_fail(err, "probe: layer %d outside 0..%d", layer, e->opt.max_layer);
    if (neuron < 0 || neuron >= e->m->cfg.d_mlp)
        return n2g_fail(err, "probe: neuron %d outside 0..%d", neuron, e->m->cfg.d_mlp - 1);
    if (pos0 < 0 || count < 0 || pos0 + count > s->len)
        return n2g_fail(err, "probe: positions %d..%d outside the sequence (length %d)", pos0, pos0 + count - 1,
                        s->len);
    if (count == 0) return 0;
    if (e->n_reqs == e->cap_reqs) {
        int nc = e->cap_reqs ? e->cap_reqs * 2 : 1024;
        preq *nr = realloc(e->reqs, sizeof *nr * (size_t)nc);
        if (!nr) return n2g_fail(err, "probe: out of memory");
        e->reqs = nr;
        e->cap_reqs = nc;
    }
    e->reqs[e->n_reqs++] = (preq){seq, layer, neuron, pos0, count, out};
    if (layer > s->depth) s->depth = layer;
    return 0;
}

/* ---- flush ---- */

static const n2g_probe_engine *g_sort_e; /* qsort context (flush is not reentrant per engine) */

static int cmp_lex(const void *a, const void *b) {
    const pseq *x = &g_sort_e->seqs[*(const int *)a], *y = &g_sort_e->seqs[*(const int *)b];
    const int32_t *p = g_sort_e->pool + x->off, *q = g_sort_e->pool + y->off;
    int n = x->len < y->len ? x->len : y->len;
    for (int i = 0; i < n; i++)
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_run(const void *a, const void *b) {
    const pseq *x = &g_sort_e->seqs[*(const int *)a], *y = &g_sort_e->seqs[*(const int *)b];
    if (x->depth != y->depth) return x->depth > y->depth ? -1 : 1;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

static int cmp_req_layer(const void *a, const void *b) {
    const preq *x = *(preq *const *)a, *y = *(preq *const *)b;
    return x->layer != y->layer ? x->layer - y->layer : (x < y ? -1 : x > y);
}

static int runner_for(n2g_probe_engine *e, int T, prunner **out, n2g_err *err) {
    int c = 0;
    while (c < N_CLASSES - 1 && e->class_T[c] < T) c++;
    prunner *p = &e->runners[c];
    if (!p->r) {
        p->max_T = e->class_T[c];
        p->max_B = e->opt.max_tokens / p->max_T;
        if (p->max_B > e->opt.max_batch) p->max_B = e->opt.max_batch;
        if (p->max_B < 1) p->max_B = 1;
        if (gpt2_runner_create(e->m, e->ctx, e->opt.max_layer, p->max_B, p->max_T, &p->r, err) != 0)
            return n2g_wrap(err, "probe engine");
    }
    *out = p;
    return 0;
}

static int ensure_buf(n2g_probe_engine *e, ops_buf **b, size_t *cap, size_t n, n2g_err *err) {
    if (*cap >= n && *b) return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < n) nc *= 2;
    ops_free(e->ctx, *b);
    *b = ops_alloc(e->ctx, nc * 4, err);
    if (!*b) {
        *cap = 0;
        return -1;
    }
    *cap = nc;
    return 0;
}

typedef struct {
    n2g_probe_engine *e;
    const int *layer_start; /* [n_layer + 1] offsets into idx/out */
} hook_ctx;

static void gather_hook(void *user, int layer, ops_buf *hook_post, int B, int T) {
    (void)B;
    (void)T;
    hook_ctx *h = user;
    size_t a = (size_t)h->layer_start[layer], b = (size_t)h->layer_start[layer + 1];
    if (b > a) ops_gather(h->e->ctx, h->e->out_buf, a, hook_post, h->e->idx_buf, a, b - a);
}

static void reset_round(n2g_probe_engine *e) {
    e->n_seqs = 0;
    e->n_reqs = 0;
    e->pool_n = 0;
    memset(e->table, 0xff, sizeof(int) * e->table_cap);
}

int n2g_probe_flush(n2g_probe_engine *e, n2g_err *err) {
    double t0 = progress_now();
    int rc = -1, L = e->m->cfg.n_layer, dm = e->m->cfg.d_mlp;
    int ns = e->n_seqs;
    int *order = malloc(sizeof(int) * (size_t)(ns + 1));
    int *runs = malloc(sizeof(int) * (size_t)(ns + 1));
    int *layer_start = calloc((size_t)L + 2, sizeof(int));
    int *req_next = malloc(sizeof(int) * (size_t)(e->n_reqs + 1));   /* per-run request lists */
    int *run_head = malloc(sizeof(int) * (size_t)(ns + 1));
    preq **breqs = malloc(sizeof(preq *) * (size_t)(e->n_reqs + 1));
    int32_t *tok = NULL, *idx = NULL;
    float *vals = NULL;
    size_t tok_cap = 0, val_cap = 0;
    if (!order || !runs || !layer_start || !req_next || !run_head || !breqs) {
        n2g_fail(err, "probe: out of memory");
        goto done;
    }
    /* 1-2: sequences with requests, lexicographic order, prefix merging */
    int nz = 0;
    for (int s = 0; s < ns; s++)
        if (e->seqs[s].depth >= 0) order[nz++] = s;
    e->st.seqs_unique += (uint64_t)nz;
    g_sort_e = e;
    qsort(order, (size_t)nz, sizeof(int), cmp_lex);
    for (int k = nz - 1; k >= 0; k--) {
        pseq *s = &e->seqs[order[k]];
        s->run = order[k];
        if (!e->opt.no_prefix && k + 1 < nz) {
            pseq *nx = &e->seqs[order[k + 1]];
            pseq *rep = &e->seqs[nx->run];
            if (nx->len >= s->len && !memcmp(e->pool + s->off, e->pool + nx->off, sizeof(int32_t) * (size_t)s->len)) {
                s->run = nx->run;
                if (s->depth > rep->depth) rep->depth = s->depth;
            }
        }
    }
    int nr = 0;
    for (int k = 0; k < nz; k++)
        if (e->seqs[order[k]].run == order[k]) runs[nr++] = order[k];
    e->st.runs += (uint64_t)nr;
    for (int k = 0; k < nr; k++) e->st.tokens_run += (uint64_t)e->seqs[runs[k]].len;
    /* request lists per run */
    for (int s = 0; s < ns; s++) run_head[s] = -1;
    for (int q = e->n_reqs - 1; q >= 0; q--) {
        int r = e->seqs[e->reqs[q].seq].run;
        req_next[q] = run_head[r];
        run_head[r] = q;
    }
    /* 3: pack */
    qsort(runs, (size_t)nr, sizeof(int), cmp_run);
    for (int k = 0; k < nr;) {
        pseq *first = &e->seqs[runs[k]];
        int T = first->len, depth = first->depth;
        prunner *pr = NULL;
        if (runner_for(e, T, &pr, err) != 0) goto done;
        int B = 0;
        while (k + B < nr && B < pr->max_B && e->seqs[runs[k + B]].depth == depth) B++;
        /* tokens, right-padded with token 0 */
        size_t ntok = (size_t)B * (size_t)T;
        if (ntok > tok_cap) {
            free(tok);
            tok_cap = ntok;
            if (!(tok = malloc(sizeof(int32_t) * tok_cap))) {
                n2g_fail(err, "probe: out of memory");
                goto done;
            }
        }
        memset(tok, 0, sizeof(int32_t) * ntok);
        int nb = 0;
        for (int b = 0; b < B; b++) {
            pseq *s = &e->seqs[runs[k + b]];
            memcpy(tok + (size_t)b * (size_t)T, e->pool + s->off, sizeof(int32_t) * (size_t)s->len);
            s->batch_row = b;
            for (int q = run_head[runs[k + b]]; q >= 0; q = req_next[q]) breqs[nb++] = &e->reqs[q];
        }
        /* 5: gather indices grouped by layer */
        qsort(breqs, (size_t)nb, sizeof(preq *), cmp_req_layer);
        memset(layer_start, 0, sizeof(int) * ((size_t)L + 2));
        size_t nv = 0;
        for (int q = 0; q < nb; q++) {
            layer_start[breqs[q]->layer + 1] += breqs[q]->count;
            nv += (size_t)breqs[q]->count;
        }
        for (int l = 0; l < L; l++) layer_start[l + 1] += layer_start[l];
        if (nv > val_cap) {
            free(idx);
            free(vals);
            val_cap = nv;
            idx = malloc(sizeof(int32_t) * nv);
            vals = malloc(sizeof(float) * nv);
            if (!idx || !vals) {
                n2g_fail(err, "probe: out of memory");
                goto done;
            }
        }
        size_t v = 0;
        for (int q = 0; q < nb; q++) {
            preq *r = breqs[q];
            int row = e->seqs[e->seqs[r->seq].run].batch_row;
            for (int p = 0; p < r->count; p++)
                idx[v++] = (int32_t)(((size_t)row * (size_t)T + (size_t)(r->pos0 + p)) * (size_t)dm + (size_t)r->neuron);
        }
        if (ensure_buf(e, &e->idx_buf, &e->idx_cap, nv, err) != 0 ||
            ensure_buf(e, &e->out_buf, &e->out_cap, nv, err) != 0)
            goto done;
        if (gpt2_set_tokens(pr->r, tok, B, T, err) != 0) goto done;
        if (ops_upload(e->ctx, e->idx_buf, 0, idx, nv * 4, err) != 0) goto done;
        hook_ctx hc = {e, layer_start};
        gpt2_record_forward(pr->r, B, T, depth, gather_hook, &hc);
        if (ops_run(e->ctx, err) != 0) goto done;
        if (ops_download(e->ctx, e->out_buf, 0, vals, nv * 4, err) != 0) goto done;
        v = 0;
        for (int q = 0; q < nb; q++) {
            memcpy(breqs[q]->out, vals + v, sizeof(float) * (size_t)breqs[q]->count);
            v += (size_t)breqs[q]->count;
        }
        e->st.batches++;
        e->st.tokens_padded += ntok;
        e->st.token_layers += ntok * (uint64_t)(depth + 1);
        e->st.values += nv;
        k += B;
    }
    rc = 0;
done:
    reset_round(e);
    free(order);
    free(runs);
    free(layer_start);
    free(req_next);
    free(run_head);
    free(breqs);
    free(tok);
    free(idx);
    free(vals);
    e->st.seconds += progress_now() - t0;
    return rc;
}
