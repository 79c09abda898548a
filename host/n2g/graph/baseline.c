/* baseline.c — token-lookup and n-gram-lookup predictors (see baseline.h). */
#include "n2g/graph/baseline.h"

#include <stdlib.h>
#include <string.h>

/* A string -> max float hash map (open addressing). */
typedef struct {
    char **key;
    uint32_t *klen;
    float *val;
    size_t cap, n;
} smap;

static uint64_t hb(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int smap_grow(smap *m) {
    size_t cap = m->cap ? m->cap * 2 : 256;
    char **k = calloc(cap, sizeof *k);
    uint32_t *kl = calloc(cap, sizeof *kl);
    float *v = calloc(cap, sizeof *v);
    if (!k || !kl || !v) {
        free(k);
        free(kl);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        size_t h = (size_t)hb(m->key[i], m->klen[i]) & (cap - 1);
        while (k[h]) h = (h + 1) & (cap - 1);
        k[h] = m->key[i];
        kl[h] = m->klen[i];
        v[h] = m->val[i];
    }
    free(m->key);
    free(m->klen);
    free(m->val);
    m->key = k;
    m->klen = kl;
    m->val = v;
    m->cap = cap;
    return 0;
}

static float *smap_find(const smap *m, const char *s, size_t n) {
    if (!m->cap) return NULL;
    size_t h = (size_t)hb(s, n) & (m->cap - 1);
    while (m->key[h]) {
        if (m->klen[h] == n && !memcmp(m->key[h], s, n)) return &m->val[h];
        h = (h + 1) & (m->cap - 1);
    }
    return NULL;
}

static int smap_max(smap *m, const char *s, size_t n, float v) {
    float *p = smap_find(m, s, n);
    if (p) {
        if (v > *p) *p = v;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap && smap_grow(m)) return -1;
    size_t h = (size_t)hb(s, n) & (m->cap - 1);
    while (m->key[h]) h = (h + 1) & (m->cap - 1);
    m->key[h] = malloc(n + 1);
    if (!m->key[h]) return -1;
    memcpy(m->key[h], s, n);
    m->key[h][n] = 0;
    m->klen[h] = (uint32_t)n;
    m->val[h] = v;
    m->n++;
    return 0;
}

static void smap_free(smap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]);
    free(m->key);
    free(m->klen);
    free(m->val);
}

struct n2g_baseline {
    const n2g_vocab *vocab;
    int ngram; /* 0: token lookup; 1: n-gram */
    int prior;
    float *tok_max;       /* token lookup: [vocab->n] by raw class; NaN = unseen */
    uint8_t *activating;  /* n-gram: [vocab->n] by raw class */
    smap seq;
    char *buf;
    size_t bufcap;
};

void n2g_ngram_opts_default(n2g_ngram_opts *o) {
    o->prior = 5;
    o->threshold = 0.5f;
    o->raw_threshold = 0;
    o->base_max = 1.0;
}

static n2g_baseline *bl_new(const n2g_vocab *vocab) {
    n2g_baseline *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->vocab = vocab;
    return b;
}

static int check_row(const n2g_row *r, size_t i, const n2g_vocab *v, n2g_err *err) {
    for (int j = 0; j < r->len; j++)
        if (r->tokens[j] < 0 || r->tokens[j] >= v->n)
            return n2g_fail(err, "baseline: row %zu: token %d is outside the vocabulary", i, r->tokens[j]);
    return 0;
}

n2g_baseline *n2g_token_baseline_fit(const n2g_row *rows, size_t n, const n2g_vocab *vocab, n2g_err *err) {
    n2g_baseline *b = bl_new(vocab);
    if (!b || !(b->tok_max = malloc((size_t)vocab->n * sizeof *b->tok_max))) goto oom;
    for (int i = 0; i < vocab->n; i++) b->tok_max[i] = -1.0f / 0.0f;
    uint8_t *seen = calloc((size_t)vocab->n, 1);
    if (!seen) goto oom;
    for (size_t r = 0; r < n; r++) {
        if (check_row(&rows[r], r, vocab, err)) {
            free(seen);
            n2g_baseline_free(b);
            return NULL;
        }
        for (int j = 0; j < rows[r].len; j++) {
            uint32_t c = vocab->raw_cls[rows[r].tokens[j]];
            if (!seen[c] || rows[r].act[j] > b->tok_max[c]) b->tok_max[c] = rows[r].act[j];
            seen[c] = 1;
        }
    }
    for (int i = 0; i < vocab->n; i++)
        if (!seen[i]) b->tok_max[i] = 0.0f; /* .get(token, 0) */
    free(seen);
    return b;
oom:
    n2g_baseline_free(b);
    n2g_fail(err, "baseline: out of memory");
    return NULL;
}

/* Concatenated text of tokens[lo..hi] into b->buf; returns its length or (size_t)-1. */
static size_t seq_text(n2g_baseline *b, const int32_t *tokens, size_t lo, size_t hi) {
    size_t len = 0;
    for (size_t k = lo; k <= hi; k++) len += b->vocab->text[tokens[k]].n;
    if (len + 1 > b->bufcap) {
        size_t cap = len + 256;
        char *nb = realloc(b->buf, cap);
        if (!nb) return (size_t)-1;
        b->buf = nb;
        b->bufcap = cap;
    }
    size_t o = 0;
    for (size_t k = lo; k <= hi; k++) {
        memcpy(b->buf + o, b->vocab->text[tokens[k]].s, b->vocab->text[tokens[k]].n);
        o += b->vocab->text[tokens[k]].n;
    }
    return o;
}

n2g_baseline *n2g_ngram_baseline_fit(const n2g_row *rows, size_t n, const n2g_vocab *vocab,
                                     const n2g_ngram_opts *opts, n2g_err *err) {
    n2g_ngram_opts def;
    if (!opts) {
        n2g_ngram_opts_default(&def);
        opts = &def;
    }
    if (opts->prior < 0) {
        n2g_fail(err, "baseline: n-gram prior context must be >= 0, got %d", opts->prior);
        return NULL;
    }
    n2g_baseline *b = bl_new(vocab);
    if (!b || !(b->activating = calloc((size_t)vocab->n, 1))) goto oom;
    b->ngram = 1;
    b->prior = opts->prior;
    for (size_t r = 0; r < n; r++) {
        if (check_row(&rows[r], r, vocab, err)) {
            n2g_baseline_free(b);
            return NULL;
        }
        for (int j = 0; j < rows[r].len; j++) {
            double a = rows[r].act[j];
            double cmp = opts->raw_threshold ? a * opts->base_max : a;
            if (cmp < opts->threshold) continue;
            b->activating[vocab->raw_cls[rows[r].tokens[j]]] = 1;
            size_t lo = j > b->prior ? (size_t)(j - b->prior) : 0;
            size_t len = seq_text(b, rows[r].tokens, lo, (size_t)j);
            if (len == (size_t)-1 || smap_max(&b->seq, b->buf, len, rows[r].act[j])) goto oom;
        }
    }
    return b;
oom:
    n2g_baseline_free(b);
    n2g_fail(err, "baseline: out of memory");
    return NULL;
}

void n2g_baseline_predict(const n2g_baseline *cb, const int32_t *tokens, size_t n, float *out) {
    n2g_baseline *b = (n2g_baseline *)cb; /* the scratch buffer only */
    const n2g_vocab *v = b->vocab;
    for (size_t j = 0; j < n; j++) {
        int32_t t = tokens[j];
        out[j] = 0.0f;
        if (t < 0 || t >= v->n) continue;
        uint32_t c = v->raw_cls[t];
        if (!b->ngram) {
            out[j] = b->tok_max[c];
            continue;
        }
        if (!b->activating[c]) continue;
        int bad = 0;
        size_t lo = j > (size_t)b->prior ? j - (size_t)b->prior : 0;
        for (size_t k = lo; k <= j; k++) bad |= tokens[k] < 0 || tokens[k] >= v->n;
        if (bad) continue;
        size_t len = seq_text(b, tokens, lo, j);
        if (len == (size_t)-1) continue;
        float *p = smap_find(&b->seq, b->buf, len);
        if (p) out[j] = *p;
    }
}

void n2g_baseline_free(n2g_baseline *b) {
    if (!b) return;
    free(b->tok_max);
    free(b->activating);
    smap_free(&b->seq);
    free(b->buf);
    free(b);
}
