/* probe.c — the probe engine (see probe.h for the algorithm). */
#include "n2g/probe/probe.h"

#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "ops/ops_gather.h"

typedef struct {
    size_t off;   /* into e->pool */
    int len;
    int depth;    /* deepest requested layer, -1 = none */
    int run;      /* representative sequence answering this one (prefix merging) */
    int batch_row;/* runs: row inside its batch */
    int share;    /* runs: tokens shared with its group's root (0 for roots and lone runs) */
    int seg;      /* runs: where its own tokens start in the packed row */
    int root_off; /* runs: where its group's root starts in the packed row */
    uint64_t hash;
} pseq;

typedef struct {
    int seq, layer, neuron, pos0, count;
    float *out;
} preq;

/* a runner for sequences up to max_T tokens (the first one made owns the weights on the device,
 * the others share them) */
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
    int owner; /* the runner that owns the weights (freed last) */
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
        if (c != e->owner && e->runners[c].r) gpt2_runner_free(e->runners[c].r);
    gpt2_runner_free(e->runners[e->owner].r);
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
    e->seqs[id] = (pseq){e->pool_n, len, -1, id, 0, 0, 0, 0, h};
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

#define TREE_MIN_SHARE 4 /* shorter shared prefixes are not worth a segment */

/* qsort_r comparator: sequence ids by their tokens, lexicographically (u: the engine) */
static int cmp_lex(const void *a, const void *b, void *u) {
    const n2g_probe_engine *e = u;
    const pseq *x = &e->seqs[*(const int *)a], *y = &e->seqs[*(const int *)b];
    const int32_t *p = e->pool + x->off, *q = e->pool + y->off;
    int n = x->len < y->len ? x->len : y->len;
    for (int i = 0; i < n; i++)
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int lcp_of(const n2g_probe_engine *e, int a, int b) {
    const pseq *x = &e->seqs[a], *y = &e->seqs[b];
    const int32_t *p = e->pool + x->off, *q = e->pool + y->off;
    int n = x->len < y->len ? x->len : y->len, i = 0;
    while (i < n && p[i] == q[i]) i++;
    return i;
}

/* a tree group: runs[lo..hi] (lexicographic order), one of them the root */
typedef struct {
    int lo, hi, root;
    int tokens;      /* packed length: root + every child's tokens after its share */
    long sum_share;  /* sum of the children's shares */
    int depth;
    int row, off;    /* packed row (within its batch) and where the group starts in it */
} pgroup;

static int cmp_group(const void *a, const void *b) {
    const pgroup *x = a, *y = b;
    if (x->depth != y->depth) return x->depth > y->depth ? -1 : 1;
    if (x->tokens != y->tokens) return x->tokens > y->tokens ? -1 : 1;
    return x->lo - y->lo;
}

/* qsort_r comparator: edges by their weight (u: the shared prefix lengths), longest first */
static int cmp_edge(const void *a, const void *b, void *u) {
    const int *lcp = u;
    int x = *(const int *)a, y = *(const int *)b;
    if (lcp[x] != lcp[y]) return lcp[x] > lcp[y] ? -1 : 1;
    return x - y;
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
        gpt2_runner *owner = NULL;
        for (int k = 0; k < N_CLASSES && !owner; k++) owner = e->runners[k].r;
        int rc = owner ? gpt2_runner_create_like(owner, p->max_B, p->max_T, &p->r, err)
                       : gpt2_runner_create(e->m, e->ctx, e->opt.max_layer, p->max_B, p->max_T, &p->r, err);
        if (rc != 0) return n2g_wrap(err, "probe engine");
        if (!owner) e->owner = c;
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

/* 3: tree groups over runs[0..nr) (lexicographic order): fills g[] (returns their count) and
 * each run's share. Edges between neighbours, longest shared prefix first; two groups merge
 * when the merged row runs fewer tokens (keeping whichever root loses less) and fits n_ctx. */
static int make_groups(n2g_probe_engine *e, const int *runs, int nr, pgroup *g, int *gid, int *lcp, int *edge) {
    int cap = e->m->cfg.n_ctx, ne = 0;
    for (int k = 0; k < nr; k++) {
        pseq *s = &e->seqs[runs[k]];
        s->share = 0;
        g[k] = (pgroup){k, k, k, s->len, 0, s->depth, 0, 0};
        gid[k] = k;
        if (k > 0 && !e->opt.no_tree && s->depth == e->seqs[runs[k - 1]].depth) {
            lcp[k] = lcp_of(e, runs[k - 1], runs[k]);
            if (lcp[k] >= TREE_MIN_SHARE) edge[ne++] = k;
        }
    }
    qsort_r(edge, (size_t)ne, sizeof(int), cmp_edge, lcp);
    for (int i = 0; i < ne; i++) {
        int k = edge[i], w = lcp[k];
        pgroup *A = &g[gid[k - 1]], *B = &g[gid[k]];
        long cA = A->hi - A->lo, cB = B->hi - B->lo; /* children */
        long keepA = -w + (B->sum_share - cB * w), keepB = -w + (A->sum_share - cA * w);
        long delta = keepA <= keepB ? keepA : keepB;
        if (delta >= 0 || A->tokens + B->tokens + delta > cap) continue;
        pgroup *keep = keepA <= keepB ? A : B, *lose = keep == A ? B : A;
        for (int x = lose->lo; x <= lose->hi; x++) e->seqs[runs[x]].share = w;
        keep->tokens = A->tokens + B->tokens + (int)delta;
        keep->sum_share += (long)(lose->hi - lose->lo + 1) * w;
        keep->lo = A->lo < B->lo ? A->lo : B->lo;
        keep->hi = A->hi > B->hi ? A->hi : B->hi;
        int kid = (int)(keep - g);
        for (int x = lose->lo; x <= lose->hi; x++) gid[x] = kid;
        lose->lo = -1;
    }
    int ng = 0;
    for (int k = 0; k < nr; k++)
        if (g[k].lo >= 0) g[ng++] = g[k];
    return ng;
}

/* writes run c at column o of row `row` (base index rb) in a group whose root starts at g0: its
 * tokens after its share, their positions and key spans; returns the next free column */
static int place(pseq *c, const int32_t *pool, int row, size_t rb, int g0, int o, int32_t *tok, int32_t *pos,
                 int32_t *span) {
    int m = c->len - c->share; /* a root shares nothing (make_groups) */
    c->batch_row = row, c->seg = o, c->root_off = g0;
    memcpy(tok + rb + (size_t)o, pool + c->off + c->share, sizeof(int32_t) * (size_t)m);
    for (int i = 0; i < m; i++) {
        size_t n = rb + (size_t)(o + i);
        pos[n] = c->share + i, span[3 * n] = g0, span[3 * n + 1] = c->share, span[3 * n + 2] = o;
    }
    return o + m;
}

/* rows: the groups g[0..ng) of one batch (each with its row and offset) into tok / pos / span
 * [B*T] (span: 3 ints per token, ops.h "tree-packed rows"); unused tokens attend to themselves */
static void fill_batch(n2g_probe_engine *e, const int *runs, const pgroup *g, int ng, int B, int T, int32_t *tok,
                       int32_t *pos, int32_t *span) {
    size_t N = (size_t)B * (size_t)T;
    memset(tok, 0, sizeof(int32_t) * N);
    for (size_t n = 0; n < N; n++) {
        int t = (int)(n % (size_t)T);
        pos[n] = 0, span[3 * n] = t, span[3 * n + 1] = 0, span[3 * n + 2] = t;
    }
    for (int k = 0; k < ng; k++) {
        size_t rb = (size_t)g[k].row * (size_t)T;
        int g0 = g[k].off, o = place(&e->seqs[runs[g[k].root]], e->pool, g[k].row, rb, g0, g0, tok, pos, span);
        for (int x = g[k].lo; x <= g[k].hi; x++)
            if (x != g[k].root) o = place(&e->seqs[runs[x]], e->pool, g[k].row, rb, g0, o, tok, pos, span);
    }
}

/* 4: rows of up to cap tokens, first fit over the groups in decreasing size (g is sorted so):
 * sets g[k].row (global row number) and g[k].off; returns the number of rows. */
static int pack_rows(pgroup *g, int ng, int cap, int *used) {
    int nrows = 0, first_open = 0;
    for (int k = 0; k < ng; k++) {
        int r = first_open;
        while (r < nrows && used[r] + g[k].tokens > cap) r++;
        if (r == nrows) used[nrows++] = 0;
        g[k].row = r, g[k].off = used[r];
        used[r] += g[k].tokens;
        while (first_open < nrows && used[first_open] + 4 > cap) first_open++; /* rows with no room left */
    }
    return nrows;
}

static int cmp_row(const void *a, const void *b) {
    const pgroup *x = a, *y = b;
    return x->row != y->row ? x->row - y->row : x->off - y->off;
}

/* scratch of one flush */
typedef struct {
    const int *runs, *run_head, *req_next; /* runs (lexicographic); per-run request lists */
    preq **breqs;                          /* a batch's requests */
    int *layer_start;                      /* [n_layer + 2] */
    int32_t *tok, *pos, *span, *idx;
    float *vals;
    size_t tok_cap, val_cap;
} flushctx;

/* 5-6: runs one batch of B rows of T tokens (groups g[0..ng), rows 0..B-1) through layer
 * `depth` and scatters the gathered values to the requests */
static int run_batch(n2g_probe_engine *e, flushctx *f, pgroup *g, int ng, int B, int T, int depth, prunner *pr,
                     n2g_err *err) {
    int L = e->m->cfg.n_layer, dm = e->m->cfg.d_mlp;
    size_t ntok = (size_t)B * (size_t)T;
    if (ntok > f->tok_cap) {
        free(f->tok), free(f->pos), free(f->span);
        f->tok_cap = ntok;
        f->tok = malloc(sizeof(int32_t) * ntok), f->pos = malloc(sizeof(int32_t) * ntok);
        f->span = malloc(sizeof(int32_t) * 3 * ntok);
        if (!f->tok || !f->pos || !f->span) {
            f->tok_cap = 0;
            return n2g_fail(err, "probe: out of memory");
        }
    }
    fill_batch(e, f->runs, g, ng, B, T, f->tok, f->pos, f->span);
    int nb = 0;
    for (int k = 0; k < ng; k++)
        for (int x = g[k].lo; x <= g[k].hi; x++)
            for (int q = f->run_head[f->runs[x]]; q >= 0; q = f->req_next[q]) f->breqs[nb++] = &e->reqs[q];
    /* gather indices grouped by layer */
    qsort(f->breqs, (size_t)nb, sizeof(preq *), cmp_req_layer);
    memset(f->layer_start, 0, sizeof(int) * ((size_t)L + 2));
    size_t nv = 0;
    for (int q = 0; q < nb; q++) {
        f->layer_start[f->breqs[q]->layer + 1] += f->breqs[q]->count;
        nv += (size_t)f->breqs[q]->count;
    }
    for (int l = 0; l < L; l++) f->layer_start[l + 1] += f->layer_start[l];
    if (nv > f->val_cap) {
        free(f->idx), free(f->vals);
        f->val_cap = nv;
        f->idx = malloc(sizeof(int32_t) * nv), f->vals = malloc(sizeof(float) * nv);
        if (!f->idx || !f->vals) {
            f->val_cap = 0;
            return n2g_fail(err, "probe: out of memory");
        }
    }
    size_t v = 0;
    for (int q = 0; q < nb; q++) {
        preq *r = f->breqs[q];
        const pseq *run = &e->seqs[e->seqs[r->seq].run];
        for (int p = 0; p < r->count; p++) {
            int j = r->pos0 + p; /* positions before a child's share are its root's */
            int at = j < run->share ? run->root_off + j : run->seg + j - run->share;
            f->idx[v++] = (int32_t)(((size_t)run->batch_row * (size_t)T + (size_t)at) * (size_t)dm + (size_t)r->neuron);
        }
    }
    if (ensure_buf(e, &e->idx_buf, &e->idx_cap, nv, err) != 0 || ensure_buf(e, &e->out_buf, &e->out_cap, nv, err) != 0)
        return -1;
    if (gpt2_set_tokens_tree(pr->r, f->tok, f->pos, f->span, B, T, err) != 0) return -1;
    if (ops_upload(e->ctx, e->idx_buf, 0, f->idx, nv * 4, err) != 0) return -1;
    hook_ctx hc = {e, f->layer_start};
    gpt2_record_forward(pr->r, B, T, depth, gather_hook, &hc);
    if (ops_run(e->ctx, err) != 0) return -1;
    if (ops_download(e->ctx, e->out_buf, 0, f->vals, nv * 4, err) != 0) return -1;
    v = 0;
    for (int q = 0; q < nb; q++) {
        memcpy(f->breqs[q]->out, f->vals + v, sizeof(float) * (size_t)f->breqs[q]->count);
        v += (size_t)f->breqs[q]->count;
    }
    e->st.batches++;
    e->st.tokens_padded += ntok;
    e->st.token_layers += ntok * (uint64_t)(depth + 1);
    e->st.values += nv;
    return 0;
}

/* 1-2: the sequences with requests in lexicographic order (order), each answered by the run of
 * the longest one it is a prefix of (seqs[].run, its depth raised to theirs): the runs in runs[],
 * their count returned */
static int merge_prefixes(n2g_probe_engine *e, int *order, int *runs) {
    int nz = 0;
    for (int s = 0; s < e->n_seqs; s++)
        if (e->seqs[s].depth >= 0) order[nz++] = s;
    e->st.seqs_unique += (uint64_t)nz;
    qsort_r(order, (size_t)nz, sizeof(int), cmp_lex, e);
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
    return nr;
}

/* 4-6: per depth, rows of up to cap tokens (first fit, largest first), then batches of rows */
static int run_groups(n2g_probe_engine *e, flushctx *f, pgroup *grp, int ng, int *used, n2g_err *err) {
    qsort(grp, (size_t)ng, sizeof(pgroup), cmp_group);
    for (int k = 0; k < ng;) {
        int depth = grp[k].depth, k1 = k;
        while (k1 < ng && grp[k1].depth == depth) k1++;
        int cap = grp[k].tokens > e->class_T[1] ? grp[k].tokens : e->class_T[1];
        int nrows = pack_rows(grp + k, k1 - k, cap, used);
        qsort(grp + k, (size_t)(k1 - k), sizeof(pgroup), cmp_row);
        prunner *pr = NULL;
        if (runner_for(e, cap, &pr, err) != 0) return -1;
        for (int r0 = 0, gk = k; r0 < nrows;) {
            int T = 0, B = nrows - r0 < pr->max_B ? nrows - r0 : pr->max_B, gk1 = gk;
            for (int r = r0; r < r0 + B; r++) T = used[r] > T ? used[r] : T;
            while (gk1 < k1 && grp[gk1].row < r0 + B) grp[gk1++].row -= r0;
            if (run_batch(e, f, grp + gk, gk1 - gk, B, T, depth, pr, err) != 0) return -1;
            r0 += B, gk = gk1;
        }
        k = k1;
    }
    return 0;
}

int n2g_probe_flush(n2g_probe_engine *e, n2g_err *err) {
    double t0 = progress_now();
    int rc = -1, L = e->m->cfg.n_layer;
    int ns = e->n_seqs;
    size_t n1 = (size_t)ns + 1;
    flushctx f = {0};
    int *order = malloc(sizeof(int) * n1), *runs = malloc(sizeof(int) * n1);
    int *req_next = malloc(sizeof(int) * (size_t)(e->n_reqs + 1)); /* per-run request lists */
    int *run_head = malloc(sizeof(int) * n1), *used = malloc(sizeof(int) * n1);
    int *gid = malloc(sizeof(int) * n1), *lcp = malloc(sizeof(int) * n1), *edge = malloc(sizeof(int) * n1);
    pgroup *grp = malloc(sizeof(pgroup) * n1);
    f.layer_start = calloc((size_t)L + 2, sizeof(int));
    f.breqs = malloc(sizeof(preq *) * (size_t)(e->n_reqs + 1));
    f.runs = runs, f.run_head = run_head, f.req_next = req_next;
    if (!order || !runs || !f.layer_start || !req_next || !run_head || !used || !gid || !lcp || !edge || !grp ||
        !f.breqs) {
        n2g_fail(err, "probe: out of memory");
        goto done;
    }
    int nr = merge_prefixes(e, order, runs);
    for (int s = 0; s < ns; s++) run_head[s] = -1;
    for (int q = e->n_reqs - 1; q >= 0; q--) {
        int r = e->seqs[e->reqs[q].seq].run;
        req_next[q] = run_head[r];
        run_head[r] = q;
    }
    /* 3: tree groups */
    int ng = make_groups(e, runs, nr, grp, gid, lcp, edge);
    for (int k = 0; k < ng; k++) {
        e->st.tokens_run += (uint64_t)grp[k].tokens;
        e->st.tokens_shared += (uint64_t)grp[k].sum_share;
        e->st.tree_rows += grp[k].hi > grp[k].lo;
    }
    rc = run_groups(e, &f, grp, ng, used, err);
done:
    reset_round(e);
    free(order), free(runs), free(req_next), free(run_head), free(used);
    free(gid), free(lcp), free(edge), free(grp);
    free(f.layer_start), free(f.breqs), free(f.tok), free(f.pos), free(f.span), free(f.idx), free(f.vals);
    e->st.seconds += progress_now() - t0;
    return rc;
}
