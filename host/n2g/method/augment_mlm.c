/* augment_mlm.c — fill-mask augmentation of important words with DistilBERT (see
 * augment_mlm.h). */
#include "n2g/method/augment_mlm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "n2g/method/strlist.h"
#include "n2g/method/wordsplit.h"

struct n2g_mlm {
    distilbert_model *model;
    distilbert_runner *run;
    ops_ctx *ctx;
    int max_tokens, run_B, run_T;
    n2g_mlm_stats st;
};

int n2g_mlm_open(const char *dir, ops_ctx *ctx, int max_tokens, n2g_mlm **out, n2g_err *err) {
    *out = NULL;
    if (!dir) return n2g_failc(err, N2G_E_USAGE, "--augment mlm needs --mlm DIR (a DistilBertForMaskedLM checkpoint)");
    n2g_mlm *m = calloc(1, sizeof *m);
    if (!m) return n2g_fail(err, "out of memory");
    if (distilbert_load(dir, &m->model, err)) {
        free(m);
        return n2g_wrap(err, "--mlm %s", dir);
    }
    m->ctx = ctx;
    m->max_tokens = max_tokens > 0 ? max_tokens : 4096;
    *out = m;
    return 0;
}

void n2g_mlm_close(n2g_mlm *m) {
    if (!m) return;
    distilbert_runner_free(m->run);
    distilbert_free(m->model);
    free(m);
}

const distilbert_model *n2g_mlm_model(const n2g_mlm *m) { return m->model; }
const n2g_mlm_stats *n2g_mlm_get_stats(const n2g_mlm *m) { return &m->st; }

/* ---- masked texts ---- */

int n2g_mlm_masked_texts(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c,
                         n2g_tokstr_fn ts, void *ts_user, char ***texts, char ***words, char **orig, n2g_err *err) {
    *texts = *words = NULL;
    *orig = NULL;
    n2g_strlist important = {0}, tl = {0}, wl = {0};
    size_t tlen = 0, maxpos = 0;
    char *text = NULL, *tmp = NULL, *buf = NULL;
    n2g_word *w = NULL;
    int rc = -1, nw = 0;
    if (n2g_augment_text(y, L, imp, pstar, c, ts, ts_user, &important, &text, &tlen, &maxpos) ||
        !(tmp = malloc(tlen + 1)) || (important.cnt && (nw = n2g_wordsplit(text, tlen, &w)) < 0))
        goto oom;
    for (int i = 0; i < nw; i++) {
        if (!w[i].is_word) continue;
        const char *ws = text + w[i].off;
        size_t m = n2g_word_norm(ws, w[i].len, tmp);
        if (!n2g_strlist_has(&important, tmp, m)) continue;
        if (w[i].off > maxpos) break;
        size_t nl = tlen - w[i].len + 6;
        char *mt = realloc(buf, nl + 1);
        if (!mt) goto oom;
        buf = mt;
        memcpy(buf, text, w[i].off);
        memcpy(buf + w[i].off, "[MASK]", 6);
        memcpy(buf + w[i].off + 6, ws + w[i].len, tlen - w[i].off - w[i].len);
        if (n2g_strlist_push(&tl, buf, nl) || n2g_strlist_push(&wl, ws, w[i].len)) goto oom;
    }
    *texts = tl.s, *words = wl.s, *orig = text;
    text = NULL;
    rc = tl.cnt;
    free(tl.n), free(wl.n);
    memset(&tl, 0, sizeof tl), memset(&wl, 0, sizeof wl);
    goto done;
oom:
    n2g_fail(err, "augment (mlm): out of memory");
done:
    n2g_strlist_free(&important), n2g_strlist_free(&tl), n2g_strlist_free(&wl);
    free(text), free(tmp), free(buf), free(w);
    return rc;
}

/* ---- the batched fill-mask ---- */

typedef struct cand_t {
    int32_t id;
    float p;
} cand_t;

typedef struct entry {
    int prompt;
    char *masked, *word;
    int32_t *ids; /* [CLS] wordpiece [SEP] */
    int len, maskpos;
    cand_t *cand; /* candidates with p >= 1e-5; [0, sorted) in probability order */
    int ncand, sorted;
    int rep; /* -1, or the entry with the same ids whose candidates this one shares */
} entry;

static int entry_cmp(const void *a, const void *b, void *u) {
    const entry *e = u;
    int x = *(const int *)a, y = *(const int *)b;
    if (e[x].len != e[y].len) return e[x].len < e[y].len ? -1 : 1;
    int c = memcmp(e[x].ids, e[y].ids, sizeof *e[x].ids * (size_t)e[x].len);
    return c ? c : (x > y) - (x < y);
}

/* candidate order: probability descending, then id ascending */
static int cand_before(const cand_t *a, const cand_t *b) { return a->p > b->p || (a->p == b->p && a->id < b->id); }

static int cand_cmp(const void *a, const void *b) {
    return cand_before(a, b) ? -1 : cand_before(b, a) ? 1 : 0;
}

/* quickselect: afterwards a[0..m) hold the m first candidates of a[0..n) in candidate order */
static void select_top(cand_t *a, int n, int m) {
    int lo = 0, hi = n - 1, k = m - 1;
    while (lo < hi) {
        cand_t piv = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (cand_before(&a[i], &piv)) i++;
            while (cand_before(&piv, &a[j])) j--;
            if (i <= j) {
                cand_t t = a[i];
                a[i++] = a[j], a[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break;
    }
}

/* id of the k-th candidate (k < ncand): sorts the next chunk of 64 on demand (few are ever
 * needed; the full vocabulary may pass 1e-5) */
static int32_t cand_at(entry *x, int k) {
    while (k >= x->sorted) {
        int lo = x->sorted, n = x->ncand - lo, m = n < 64 ? n : 64;
        select_top(x->cand + lo, n, m);
        qsort(x->cand + lo, (size_t)m, sizeof *x->cand, cand_cmp);
        x->sorted = lo + m;
    }
    return x->cand[k].id;
}

/* logits [V] -> the candidates with softmax probability >= 1e-5 (scratch p [V]) */
static int candidates(const float *logits, int V, float *p, entry *e) {
    float mx = logits[0];
    for (int v = 1; v < V; v++) mx = logits[v] > mx ? logits[v] : mx;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += exp((double)logits[v] - mx);
    int n = 0;
    for (int v = 0; v < V; v++) {
        p[v] = (float)(exp((double)logits[v] - mx) / sum);
        n += p[v] >= 1e-5f;
    }
    e->cand = malloc(sizeof *e->cand * (size_t)(n ? n : 1));
    if (!e->cand) return -1;
    e->ncand = e->sorted = 0;
    for (int v = 0; v < V; v++)
        if (p[v] >= 1e-5f) e->cand[e->ncand++] = (cand_t){v, p[v]};
    return 0;
}

/* runs entries e[idx[lo..hi)] as one padded batch */
static int run_batch(n2g_mlm *m, entry *e, const int *idx, int lo, int hi, float *logits, float *p, n2g_err *err) {
    int B = hi - lo, T = 0;
    for (int i = lo; i < hi; i++) T = e[idx[i]].len > T ? e[idx[i]].len : T;
    if (!m->run || B > m->run_B || T > m->run_T) {
        distilbert_runner_free(m->run);
        m->run = NULL;
        int nb = B > m->run_B ? B : m->run_B, nt = T > m->run_T ? T : m->run_T;
        if (distilbert_runner_create(m->model, m->ctx, nb, nt, nb, &m->run, err)) return -1;
        m->run_B = nb, m->run_T = nt;
    }
    int32_t *tok = calloc((size_t)B * T, sizeof *tok), *lens = malloc(sizeof *lens * (size_t)B),
            *rows = malloc(sizeof *rows * (size_t)B);
    int rc = -1;
    if (!tok || !lens || !rows) {
        n2g_fail(err, "out of memory");
        goto done;
    }
    int pad = wp_specials(m->model->vocab)->pad;
    for (int b = 0; b < B; b++) {
        const entry *x = &e[idx[lo + b]];
        for (int t = 0; t < T; t++) tok[(size_t)b * T + t] = t < x->len ? x->ids[t] : pad;
        lens[b] = x->len;
        rows[b] = b * T + x->maskpos;
    }
    double t0 = progress_now();
    if (distilbert_logits(m->run, tok, lens, B, T, rows, B, logits, err)) goto done;
    m->st.fwd_seconds += progress_now() - t0;
    m->st.batches++;
    int V = m->model->cfg.vocab_size;
    for (int b = 0; b < B; b++)
        if (candidates(logits + (size_t)b * V, V, p, &e[idx[lo + b]])) {
            n2g_fail(err, "out of memory");
            goto done;
        }
    rc = 0;
done:
    free(tok), free(lens), free(rows);
    return rc;
}

/* masked with its first [MASK] replaced by rep, then every " ##" removed */
static char *substitute(const char *masked, const char *rep, size_t rl, size_t *outlen) {
    const char *at = strstr(masked, "[MASK]");
    size_t ml = strlen(masked), pre = at ? (size_t)(at - masked) : ml;
    char *s = malloc(ml + rl + 1);
    if (!s) return NULL;
    size_t n = 0;
    memcpy(s, masked, pre), n = pre;
    if (at) {
        memcpy(s + n, rep, rl), n += rl;
        memcpy(s + n, at + 6, ml - pre - 6), n += ml - pre - 6;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + 3 <= n && s[i] == ' ' && s[i + 1] == '#' && s[i + 2] == '#') {
            i += 3;
            continue;
        }
        s[o++] = s[i++];
    }
    s[o] = 0;
    *outlen = o;
    return s;
}

static int oom(n2g_err *err) { return n2g_fail(err, "augment (mlm): out of memory"); }

/* the masked texts of one call, one entry each, in prompt order */
typedef struct entries {
    entry *e;
    int ne, cap;
    char **origs; /* [n] each prompt's unmasked text */
    int n;
} entries;

static void entries_free(entries *k) {
    for (int i = 0; i < k->ne; i++) free(k->e[i].masked), free(k->e[i].word), free(k->e[i].ids), free(k->e[i].cand);
    free(k->e);
    for (int i = 0; k->origs && i < k->n; i++) free(k->origs[i]);
    free(k->origs);
}

/* 1: the masked texts of every prompt */
static int collect(entries *k, const n2g_mlm_prompt *p, const n2g_augment_cfg *c, n2g_tokstr_fn ts, void *ts_user,
                   n2g_err *err) {
    if (!(k->origs = calloc((size_t)(k->n ? k->n : 1), sizeof *k->origs))) return oom(err);
    for (int i = 0; i < k->n; i++) {
        char **texts, **words;
        int nt = n2g_mlm_masked_texts(p[i].y, p[i].L, p[i].imp, p[i].pstar, c, ts, ts_user, &texts, &words,
                                      &k->origs[i], err);
        if (nt < 0) return -1;
        if (k->ne + nt > k->cap) {
            int nc = (k->ne + nt) * 2;
            entry *ng = realloc(k->e, sizeof *k->e * (size_t)nc);
            if (!ng) {
                for (int j = 0; j < nt; j++) free(texts[j]), free(words[j]);
                free(texts), free(words);
                return oom(err);
            }
            k->e = ng, k->cap = nc;
        }
        for (int j = 0; j < nt; j++) k->e[k->ne++] = (entry){i, texts[j], words[j], NULL, 0, 0, NULL, 0, 0, -1};
        free(texts), free(words);
    }
    return 0;
}

/* 2: each masked text's wordpiece ids ([CLS] ... [SEP]) and [MASK] position */
static int encode_entries(const distilbert_model *dm, entry *e, int ne, n2g_err *err) {
    const wp_special_ids *sp = wp_specials(dm->vocab);
    for (int i = 0; i < ne; i++) {
        wp_ids ids = {0};
        if (wp_ids_push(&ids, sp->cls) || wp_encode(dm->vocab, e[i].masked, strlen(e[i].masked), &ids, err) ||
            wp_ids_push(&ids, sp->sep)) {
            free(ids.ids);
            return oom(err);
        }
        e[i].ids = ids.ids, e[i].len = (int)ids.n, e[i].maskpos = -1;
        for (int t = 0; t < e[i].len && e[i].maskpos < 0; t++)
            if (ids.ids[t] == sp->mask) e[i].maskpos = t;
        if (e[i].len > dm->cfg.max_pos)
            return n2g_fail(err,
                            "augment (mlm): the masked text '%.60s%s' has %d tokens, more than the model's "
                            "max_position_embeddings %d (%s/config.json)",
                            e[i].masked, strlen(e[i].masked) > 60 ? "..." : "", e[i].len, dm->cfg.max_pos, dm->dir);
        if (e[i].maskpos < 0) return n2g_fail(err, "augment (mlm): no [MASK] token in '%.60s'", e[i].masked);
    }
    return 0;
}

/* ord[0..nu): the distinct masked texts in (length, ids) order, so batches pad little;
 * duplicates (the same prompt of several neurons) get rep = their first one. Returns nu. */
static int unique_entries(entry *e, int ne, int *ord) {
    for (int i = 0; i < ne; i++) ord[i] = i;
    qsort_r(ord, (size_t)ne, sizeof *ord, entry_cmp, e);
    int nu = 0;
    for (int i = 0; i < ne; i++) {
        entry *x = &e[ord[i]], *u = nu ? &e[ord[nu - 1]] : NULL;
        if (u && u->len == x->len && !memcmp(u->ids, x->ids, sizeof *x->ids * (size_t)x->len)) x->rep = ord[nu - 1];
        else x->rep = -1, ord[nu++] = ord[i];
    }
    return nu;
}

/* 3: the distinct texts through the model in batches of as many texts as fit max_tokens padded
 * tokens; the duplicates share their candidates */
static int run_entries(n2g_mlm *m, entry *e, int ne, n2g_err *err) {
    int V = m->model->cfg.vocab_size, rc = -1, maxB = 1;
    int *ord = malloc(sizeof *ord * (ne > 0 ? (size_t)ne : 1));
    float *logits = NULL, *prob = malloc(sizeof *prob * (size_t)V);
    if (!ord || !prob) goto fail;
    int nu = unique_entries(e, ne, ord);
    for (int lo = 0; lo < nu;) {
        int hi = lo, T = 0;
        while (hi < nu) {
            int t2 = e[ord[hi]].len > T ? e[ord[hi]].len : T;
            if (hi > lo && (size_t)t2 * (size_t)(hi - lo + 1) > (size_t)m->max_tokens) break;
            T = t2, hi++;
        }
        if (hi - lo > maxB || !logits) {
            maxB = hi - lo > maxB ? hi - lo : maxB;
            float *nl = realloc(logits, sizeof *logits * (size_t)maxB * (size_t)V);
            if (!nl) goto fail;
            logits = nl;
        }
        if (run_batch(m, e, ord, lo, hi, logits, prob, err)) goto done;
        lo = hi;
    }
    for (int i = 0; i < ne; i++) {
        entry *x = &e[i];
        if (x->rep < 0) continue;
        const entry *u = &e[x->rep];
        if (!(x->cand = malloc(sizeof *x->cand * (size_t)(u->ncand ? u->ncand : 1)))) goto fail;
        memcpy(x->cand, u->cand, sizeof *x->cand * (size_t)u->ncand);
        x->ncand = u->ncand, x->sorted = u->sorted;
    }
    m->st.unique += nu;
    rc = 0;
    goto done;
fail:
    oom(err);
done:
    free(ord), free(logits), free(prob);
    return rc;
}

/* where an entry's augmented prompts go */
typedef struct sink {
    const n2g_augment_cfg *c;
    const n2g_casings *table;
    n2g_encode_fn enc;
    void *enc_user;
    n2g_strlist *seen; /* the prompt's text and its augmentations so far (fix (b)) */
    char *casing;      /* scratch */
    n2g_tokseq **out;
    int *n_out;
} sink;

/* 4: candidate ct[0..cl) for the entry's word (normalised: wn[0..wnl)): -1 error, 0 skipped,
 * 1 substituted (and emitted unless longer than max_len) */
static int try_candidate(n2g_mlm *m, const entry *x, const char *ct, size_t cl, const char *wn, size_t wnl, sink *o,
                         n2g_err *err) {
    char *cn = malloc(cl + 1);
    if (!cn) return oom(err);
    size_t cnl = n2g_word_norm(ct, cl, cn);
    int same = cnl == wnl && !memcmp(cn, wn, cnl);
    free(cn);
    if (same || !n2g_has_alpha(ct, cl)) return 0;
    size_t ccap = 4 * cl + 256;
    char *cs = realloc(o->casing, ccap);
    if (!cs) return oom(err);
    o->casing = cs;
    size_t csl = n2g_augment_case_candidate(x->word, strlen(x->word), ct, cl, o->table, cs, ccap);
    size_t nl;
    char *nt = substitute(x->masked, cs, csl, &nl);
    if (!nt) return oom(err);
    if (n2g_strlist_has(o->seen, nt, nl)) {
        m->st.duplicates++;
        free(nt);
        return 0;
    }
    int32_t *ids = NULL;
    int nid = 0;
    if (n2g_strlist_push(o->seen, nt, nl)) {
        free(nt);
        return oom(err);
    }
    if (o->enc(o->enc_user, nt, nl, &ids, &nid, err)) {
        free(nt), free(ids);
        return -1;
    }
    free(nt);
    if (nid + 1 <= o->c->max_len) {
        if (n2g_tokseq_push(o->out, o->n_out, o->c->bos, ids, nid)) {
            free(ids);
            return oom(err);
        }
        m->st.emitted++;
    }
    free(ids);
    return 1;
}

/* an entry's candidates in probability order, at most c->n substituted */
static int emit_entry(n2g_mlm *m, entry *x, sink *o, n2g_err *err) {
    size_t wl = strlen(x->word);
    char *wn = malloc(wl + 1);
    if (!wn) return oom(err);
    size_t wnl = n2g_word_norm(x->word, wl, wn);
    int subbed = 0, r = 0;
    for (int k = 0; k < x->ncand && subbed < o->c->n && r >= 0; k++) {
        size_t cl;
        const char *ct = wp_token(m->model->vocab, cand_at(x, k), &cl);
        r = try_candidate(m, x, ct, cl, wn, wnl, o, err);
        subbed += r > 0;
    }
    free(wn);
    return r < 0 ? -1 : 0;
}

int n2g_augment_mlm(n2g_mlm *m, const n2g_mlm_prompt *p, int n, const n2g_augment_cfg *c, const n2g_casings *table,
                    n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user, n2g_tokseq **out, int *n_out,
                    n2g_err *err) {
    double t0 = progress_now();
    entries k = {.n = n};
    n2g_strlist seen = {0};
    sink o = {c, table, enc, enc_user, &seen, NULL, NULL, NULL};
    int rc = -1;
    if (collect(&k, p, c, ts, ts_user, err) || encode_entries(m->model, k.e, k.ne, err) ||
        run_entries(m, k.e, k.ne, err))
        goto done;
    m->st.masked += k.ne;
    m->st.prompts += n;
    for (int i = 0, pi = -1; i < k.ne; i++) {
        if (k.e[i].prompt != pi) {
            pi = k.e[i].prompt;
            n2g_strlist_free(&seen);
            if (n2g_strlist_push(&seen, k.origs[pi], strlen(k.origs[pi]))) {
                oom(err);
                goto done;
            }
            o.out = &out[pi], o.n_out = &n_out[pi];
        }
        if (emit_entry(m, &k.e[i], &o, err)) goto done;
    }
    rc = 0;
done:
    entries_free(&k);
    free(o.casing);
    n2g_strlist_free(&seen);
    m->st.seconds += progress_now() - t0;
    return rc;
}

/* ---- rounds ---- */

void n2g_mlm_round_clear(n2g_mlm_round *r) {
    for (int i = 0; i < r->n; i++) {
        for (int a = 0; r->out && a < r->n_out[i]; a++) free(r->out[i][a].tok);
        if (r->out) free(r->out[i]);
    }
    free(r->key), free(r->out), free(r->n_out);
    memset(r, 0, sizeof *r);
}

int n2g_mlm_round_run(n2g_mlm *m, n2g_mlm_round *r, const n2g_mlm_prompt *p, int n, const n2g_augment_cfg *c,
                      const n2g_casings *table, n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user,
                      n2g_err *err) {
    n2g_mlm_round_clear(r);
    size_t k = (size_t)(n > 0 ? n : 1);
    r->key = malloc(k * sizeof *r->key), r->out = calloc(k, sizeof *r->out), r->n_out = calloc(k, sizeof *r->n_out);
    if (!r->key || !r->out || !r->n_out) {
        n2g_mlm_round_clear(r);
        return n2g_fail(err, "augment (mlm): out of memory");
    }
    r->n = n;
    for (int i = 0; i < n; i++) r->key[i] = p[i].y;
    if (n2g_augment_mlm(m, p, n, c, table, ts, ts_user, enc, enc_user, r->out, r->n_out, err)) {
        n2g_mlm_round_clear(r);
        return -1;
    }
    return 0;
}

int n2g_mlm_round_take(n2g_mlm_round *r, const int32_t *y, n2g_tokseq **out, int *n_out, n2g_err *err) {
    for (int i = 0; i < r->n; i++) {
        if (r->key[i] != y || !r->n_out[i]) continue;
        n2g_tokseq *o = realloc(*out, sizeof *o * (size_t)(*n_out + r->n_out[i]));
        if (!o) return n2g_fail(err, "augment (mlm): out of memory");
        memcpy(o + *n_out, r->out[i], sizeof *o * (size_t)r->n_out[i]);
        *out = o;
        *n_out += r->n_out[i];
        free(r->out[i]);
        r->out[i] = NULL, r->n_out[i] = 0;
    }
    return 0;
}
