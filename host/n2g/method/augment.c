/* augment.c — casing augmentation of important words (n2g-reference §6), and the step that
 * adds a block's augmentations, by casings or by the MLM, to their jobs (see augment.h). */
#include "n2g/method/augment.h"

#include <stdlib.h>
#include <string.h>

#include "n2g/method/method.h"
#include "n2g/method/wordsplit.h"

void n2g_augment_defaults(n2g_augment_cfg *c) {
    c->threshold = 0.8f;
    c->n = 5;
    c->bos = 50256;
    c->eot = 50256;
    c->max_len = 1024;
}

size_t n2g_augment_case_candidate(const char *w, size_t wlen, const char *c, size_t clen, const n2g_casings *table,
                                  char *dst, size_t cap) {
    if (n2g_istitle(w, wlen) && clen + 1 <= cap) return n2g_title(c, clen, dst);
    int n = 0;
    const n2g_casing *cs = table ? n2g_casings_get(table, c, clen, &n) : NULL;
    const char *src = n > 0 ? cs[0].text : c;
    size_t len = n > 0 ? cs[0].len : clen;
    if (len + 1 > cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
    return len;
}

int n2g_tokseq_push(n2g_tokseq **out, int *n_out, int bos, const int32_t *ids, int nid) {
    n2g_tokseq *o = realloc(*out, sizeof *o * (size_t)(*n_out + 1));
    if (!o) return -1;
    *out = o;
    int32_t *t = malloc(sizeof(int32_t) * (size_t)(nid + 1));
    if (!t) return -1;
    t[0] = bos;
    if (nid) memcpy(t + 1, ids, sizeof(int32_t) * (size_t)nid);
    o[(*n_out)++] = (n2g_tokseq){t, nid + 1};
    return 0;
}

int n2g_augment_text(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c, n2g_tokstr_fn ts,
                     void *ts_user, n2g_strlist *important, char **text, size_t *tlen, size_t *maxpos) {
    size_t cap = 0, n;
    for (int k = 0; k < L; k++) {
        ts(ts_user, y[k], &n);
        cap += n;
    }
    char *t = malloc(cap + 1), *tmp = malloc(cap + 1);
    int rc = t && tmp ? 0 : -1;
    *tlen = *maxpos = 0;
    for (int k = 0; k < L && rc == 0; k++) {
        const char *s = ts(ts_user, y[k], &n);
        if (imp[(size_t)k * (size_t)L + (size_t)pstar] >= c->threshold && y[k] != c->eot) {
            size_t m = n2g_word_norm(s, n, tmp);
            if (!n2g_strlist_has(important, tmp, m) && n2g_strlist_push(important, tmp, m)) rc = -1;
        }
        if (k >= 1) {
            memcpy(t + *tlen, s, n);
            *tlen += n;
            if (k <= pstar) *maxpos = *tlen;
        }
    }
    free(tmp);
    if (rc) {
        free(t);
        return -1;
    }
    t[*tlen] = 0;
    *text = t;
    return 0;
}

/* The casings of the word text[woff, woff+wl) (normalised: key[0..kn)), most frequent first,
 * other than the word itself, at most c->n: each substituted into text, encoded and appended
 * to *out as BOS + ids unless longer than c->max_len. *buf: scratch. */
static int substitute_casings(const char *text, size_t tlen, size_t woff, size_t wl, const char *key, size_t kn,
                              const n2g_augment_cfg *c, const n2g_casings *table, n2g_encode_fn enc, void *enc_user,
                              char **buf, n2g_tokseq **out, int *n_out, n2g_err *err) {
    int nc = 0, subbed = 0;
    const n2g_casing *cs = n2g_casings_get(table, key, kn, &nc);
    const char *ws = text + woff;
    for (int k = 0; k < nc && subbed < c->n; k++) {
        if (cs[k].len == wl && !memcmp(cs[k].text, ws, wl)) continue;
        size_t nl = tlen - wl + cs[k].len;
        char *nt = realloc(*buf, nl + 1);
        if (!nt) return n2g_fail(err, "augment: out of memory");
        *buf = nt;
        memcpy(nt, text, woff);
        memcpy(nt + woff, cs[k].text, cs[k].len);
        memcpy(nt + woff + cs[k].len, ws + wl, tlen - woff - wl);
        nt[nl] = 0;
        int32_t *ids = NULL;
        int nid = 0;
        if (enc(enc_user, nt, nl, &ids, &nid, err) != 0) return -1;
        subbed++;
        int r = nid + 1 > c->max_len ? 0 : n2g_tokseq_push(out, n_out, c->bos, ids, nid);
        free(ids);
        if (r) return n2g_fail(err, "augment: out of memory");
    }
    return 0;
}

int n2g_augment_casings(const int32_t *y, int L, const float *imp, int pstar, const n2g_augment_cfg *c,
                        const n2g_casings *table, n2g_tokstr_fn ts, void *ts_user, n2g_encode_fn enc, void *enc_user,
                        n2g_tokseq **out, int *n_out, n2g_err *err) {
    n2g_strlist important = {0};
    char *text = NULL, *key = NULL, *buf = NULL;
    n2g_word *words = NULL;
    size_t tlen = 0, maxpos = 0;
    int rc = -1, nw = 0;
    if (n2g_augment_text(y, L, imp, pstar, c, ts, ts_user, &important, &text, &tlen, &maxpos) ||
        !(key = malloc(tlen + 1)) || (important.cnt && (nw = n2g_wordsplit(text, tlen, &words)) < 0)) {
        n2g_fail(err, "augment: out of memory");
        goto done;
    }
    rc = 0;
    for (int w = 0; w < nw && rc == 0; w++) {
        if (!words[w].is_word) continue;
        /* substitute the word's core (without leading / trailing apostrophes) */
        size_t woff = words[w].off, wl = words[w].len;
        while (wl > 0 && text[woff] == '\'') woff++, wl--;
        while (wl > 0 && text[woff + wl - 1] == '\'') wl--;
        size_t m = n2g_word_norm(text + woff, wl, key);
        if (!n2g_strlist_has(&important, key, m)) continue;
        if (words[w].off > maxpos) break;
        rc = substitute_casings(text, tlen, woff, wl, key, m, c, table, enc, enc_user, &buf, out, n_out, err);
    }
done:
    n2g_strlist_free(&important);
    free(text), free(key), free(buf), free(words);
    return rc;
}

/* ---- the step ---- */

/* --augment mlm: the fill-mask augmentations of every original of the block, batched */
static int mlm_block(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    int n = 0, rc;
    for (int i = 0; i < nj; i++) n += jobs[i].skip_reason[0] ? 0 : jobs[i].n_orig;
    n2g_mlm_prompt *in = malloc(sizeof *in * (size_t)(n ? n : 1));
    if (!in) return n2g_fail(err, "out of memory");
    n = 0;
    for (int i = 0; i < nj; i++)
        for (int q = 0; !jobs[i].skip_reason[0] && q < jobs[i].n_orig; q++) {
            const n2g_prompt *p = &jobs[i].prompts[q];
            in[n++] = (n2g_mlm_prompt){p->tok, p->len, p->imp, p->pstar};
        }
    rc = n2g_mlm_round_run(m->mlm, &m->mlm_round, in, n, &m->ac, m->casings, n2g_method_tokstr, m, n2g_method_encode,
                           m, err);
    free(in);
    return rc;
}

/* the augmentations of prompt q of j, added as prompts */
static int augment_prompt(n2g_method *m, n2g_job *j, int q, n2g_err *err) {
    n2g_prompt *p = &j->prompts[q];
    n2g_tokseq *aug = NULL;
    int na = 0;
    if ((m->mlm ? n2g_mlm_round_take(&m->mlm_round, p->tok, &aug, &na, err)
                : n2g_augment_casings(p->tok, p->len, p->imp, p->pstar, &m->ac, m->casings, n2g_method_tokstr, m,
                                      n2g_method_encode, m, &aug, &na, err)) != 0) {
        for (int a = 0; a < na; a++) free(aug[a].tok);
        free(aug);
        return -1;
    }
    float scale = p->scale;
    int rc = 0;
    p = NULL; /* adding prompts may move them */
    for (int a = 0; a < na; a++) {
        if (rc == 0 && n2g_job_add_prompt(j, aug[a].tok, aug[a].len, q, scale, err) == 0) continue;
        rc = -1;
        free(aug[a].tok);
    }
    free(aug);
    return rc;
}

int n2g_augment_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    if (m->mlm && mlm_block(m, jobs, nj, err) != 0) return -1;
    if (!m->augment) return 0;
    for (int i = 0; i < nj; i++) {
        n2g_job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        int n_orig = j->n_orig;
        for (int q = 0; q < n_orig; q++)
            if (augment_prompt(m, j, q, err) != 0) return -1;
    }
    return 0;
}
