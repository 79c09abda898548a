/* report_site.c — writes the static HTML site of a run from a report_source.
 *
 * Every page builds its DOM in report.js from JS data (text via textContent only, never
 * innerHTML), so token strings reach the browser only as escaped JS string literals
 * (report_esc.c). Files are written through common/atomic_write.h (a temporary renamed into
 * place) without a sync each; the index is written last and the file system synced once at the end. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_write.h"
#include "common/fileio.h"
#include "common/outdir.h"
#include "common/progress.h"
#include "report.h"

#define ROWS_PER_CHUNK 4096
#define STORE_PER_BUCKET 512

/* ---- file output: DIR/NAME through common/atomic_write.h, without a sync per file ---- */

static int out_open(n2g_afile *o, const char *dir, const char *name, n2g_err *err) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return memset(o, 0, sizeof *o), n2g_fail(err, "%s/%s: path too long", dir, name);
    return n2g_afile_open(o, path, N2G_AFILE_NO_SYNC, err);
}

/* ---- stats lookup ---- */

typedef struct {
    int layer, neuron;
    const json_value *rep;
} stat_ref;

static int stat_cmp(const void *a, const void *b) {
    const stat_ref *x = a, *y = b;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    return x->neuron < y->neuron ? -1 : x->neuron > y->neuron;
}

static int parse_uint(const char *s, int *out) {
    if (!*s) return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000) return -1;
        v = v * 10 + (*s - '0');
    }
    *out = (int)v;
    return 0;
}

/* Flattens stats.json {layer: {neuron: report}} into a sorted array. Entries whose keys are
 * not non-negative integers or whose report is not an object are skipped. */
static stat_ref *stats_index(const json_value *stats, size_t *n_out) {
    *n_out = 0;
    if (!stats || stats->type != JSON_OBJECT) return NULL;
    size_t cap = 0;
    for (size_t i = 0; i < stats->n; i++)
        if (stats->items[i].type == JSON_OBJECT) cap += stats->items[i].n;
    stat_ref *r = malloc((cap ? cap : 1) * sizeof *r);
    if (!r) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < stats->n; i++) {
        const json_value *L = &stats->items[i];
        int layer;
        if (L->type != JSON_OBJECT || parse_uint(stats->keys[i], &layer)) continue;
        for (size_t j = 0; j < L->n; j++) {
            int neuron;
            if (L->items[j].type != JSON_OBJECT || parse_uint(L->keys[j], &neuron)) continue;
            r[n++] = (stat_ref){layer, neuron, &L->items[j]};
        }
    }
    qsort(r, n, sizeof *r, stat_cmp);
    *n_out = n;
    return r;
}

static const json_value *stats_find(const stat_ref *r, size_t n, int layer, int neuron) {
    if (!n) return NULL; /* no stats.json: r is NULL, which bsearch may not take */
    stat_ref key = {layer, neuron, NULL};
    const stat_ref *hit = bsearch(&key, r, n, sizeof *r, stat_cmp);
    return hit ? hit->rep : NULL;
}

static double num_field(const json_value *o, const char *k) {
    const json_value *v = json_get(o, k);
    return v && v->type == JSON_NUMBER ? v->num : NAN;
}

/* Firing-class scores of a classification report, with the reference's summary rule:
 * nothing predicted firing (recall0 == 1 and recall1 == 0) counts as precision 1.0.
 * Returns 0 when the report has a firing class ("1" or "True"), -1 otherwise. */
static int firing_scores(const json_value *rep, double *p, double *r, double *f1) {
    const json_value *c1 = json_get(rep, "1");
    if (!c1) c1 = json_get(rep, "True");
    if (!c1 || c1->type != JSON_OBJECT) return -1;
    const json_value *c0 = json_get(rep, "0");
    if (!c0) c0 = json_get(rep, "False");
    *p = num_field(c1, "precision");
    *r = num_field(c1, "recall");
    *f1 = num_field(c1, "f1-score");
    if (c0 && num_field(c0, "recall") == 1.0 && *r == 0.0) *p = 1.0;
    return 0;
}

/* ---- JS number / sequence encoding ---- */

/* exact: the counts in full, the scores and activations as they are stored (report_js_number) */
static void put_num(FILE *f, double v) { report_js_number(f, v); }

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_b64(FILE *f, uint32_t v, int width) {
    char buf[8];
    for (int i = width - 1; i >= 0; i--, v >>= 6) buf[i] = B64[v & 63];
    fwrite(buf, 1, (size_t)width, f);
}

#define QMAX 131071 /* activations: 18-bit codes (3 base64 digits), value = (q - QMAX) / QMAX * scale */

/* Token ids: fixed-width base64, wide enough for the vocabulary (and for the -1 of an unknown id,
 * which is written as the all-ones code). */
static int token_width(int n_vocab) {
    int w = 1;
    while (w < 5 && (1L << (6 * w)) <= (long)n_vocab) w++;
    return w;
}

static void put_tokens(FILE *f, const int *tok, int a, int b, int tw, int n_vocab) {
    uint32_t unk = (uint32_t)((1L << (6 * tw)) - 1);
    for (int j = a; j < b; j++) put_b64(f, tok[j] >= 0 && tok[j] < n_vocab ? (uint32_t)tok[j] : unk, tw);
}

static float seqs_scale(const report_seq *s, int n, float scale) {
    for (int i = 0; i < n; i++) {
        if (isfinite(s[i].act) && fabsf(s[i].act) > scale) scale = fabsf(s[i].act);
        if (!s[i].acts) continue;
        for (int j = 0; j < s[i].n; j++)
            if (isfinite(s[i].acts[j]) && fabsf(s[i].acts[j]) > scale) scale = fabsf(s[i].acts[j]);
    }
    return scale;
}

/* ---- shared rows: data/rows/NNNNN.js, ROWS_PER_FILE rows each, in first-use order ---- */

#define ROWS_PER_FILE 32

typedef struct {
    long *key;   /* row id, -1 = empty */
    int *chunk;
    size_t cap, n;
    FILE *cur;   /* the open chunk file */
    n2g_afile of;
    int cur_chunk, in_cur;
    char dir[4200];
} row_table;

static int rows_grow(row_table *t) {
    size_t nc = t->cap ? t->cap * 2 : 4096;
    long *nk = malloc(nc * sizeof *nk);
    int *nch = malloc(nc * sizeof *nch);
    if (!nk || !nch) return free(nk), free(nch), -1;
    for (size_t i = 0; i < nc; i++) nk[i] = -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->key[i] < 0) continue;
        size_t h = ((uint64_t)t->key[i] * 0x9E3779B97F4A7C15ull) >> 20 & (nc - 1);
        while (nk[h] >= 0) h = (h + 1) & (nc - 1);
        nk[h] = t->key[i], nch[h] = t->chunk[i];
    }
    free(t->key), free(t->chunk);
    t->key = nk, t->chunk = nch, t->cap = nc;
    return 0;
}

static int rows_close_chunk(row_table *t, n2g_err *err) {
    if (!t->cur) return 0;
    fputs("});\n", t->cur);
    t->cur = NULL;
    return n2g_afile_commit(&t->of, err);
}

/* The chunk holding row `row` (its tokens written there on first use); -1 on failure. */
static int rows_chunk_of(row_table *t, long row, const int *tok, int n, int tw, int n_vocab, n2g_err *err) {
    if ((t->n + 1) * 2 > t->cap && rows_grow(t)) return n2g_fail(err, "out of memory");
    size_t h = ((uint64_t)row * 0x9E3779B97F4A7C15ull) >> 20 & (t->cap - 1);
    while (t->key[h] >= 0) {
        if (t->key[h] == row) return t->chunk[h];
        h = (h + 1) & (t->cap - 1);
    }
    if (t->cur && t->in_cur == ROWS_PER_FILE && rows_close_chunk(t, err)) return -1;
    if (!t->cur) {
        char name[64];
        snprintf(name, sizeof name, "%05d.js", ++t->cur_chunk);
        if (out_open(&t->of, t->dir, name, err)) return -1;
        t->cur = t->of.f;
        t->in_cur = 0;
        fprintf(t->cur, "N2G.rowChunk(%d,{", t->cur_chunk);
    }
    fprintf(t->cur, "%s\"%ld\":\"", t->in_cur ? ",\n" : "", row);
    put_tokens(t->cur, tok, 0, n, tw, n_vocab);
    fputc('"', t->cur);
    t->in_cur++;
    t->key[h] = row, t->chunk[h] = t->cur_chunk;
    t->n++;
    return t->cur_chunk;
}

static void rows_free(row_table *t) {
    if (t->cur) n2g_afile_abort(&t->of);
    free(t->key), free(t->chunk);
}

typedef struct {
    const report_source *src;
    int tw;
    float scale;
    row_table *rows;
} seq_ctx;

/* Sequences as {"r": row, "c": row file (0: inline only), "p": max pos, "a": max act, "n": length,
 * "o": first inline token, "t": inline tokens, "v": activations of all n tokens or null}.
 * Examples with a row id carry only the cut window [p - before, p + after] inline; the rest is
 * in the shared row file. */
static int put_seqs(FILE *f, const report_seq *s, int n, const seq_ctx *c, const report_options *opt, n2g_err *err) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        int a = 0, b = s[i].n, chunk = 0;
        if (s[i].row >= 0 && s[i].pos >= 0 && s[i].pos < s[i].n && s[i].n > opt->context_before + opt->context_after + 1) {
            a = s[i].pos > opt->context_before ? s[i].pos - opt->context_before : 0;
            b = s[i].pos + opt->context_after + 1 < s[i].n ? s[i].pos + opt->context_after + 1 : s[i].n;
            chunk = rows_chunk_of(c->rows, s[i].row, s[i].tokens, s[i].n, c->tw, c->src->n_vocab, err);
            if (chunk < 0) return -1;
        }
        if (i) fputc(',', f);
        fprintf(f, "{\"r\":%ld,\"c\":%d,\"p\":%d,\"a\":", s[i].row, chunk, s[i].pos < s[i].n ? s[i].pos : -1);
        put_num(f, s[i].act);
        fprintf(f, ",\"n\":%d,\"o\":%d,\"t\":\"", s[i].n, a);
        put_tokens(f, s[i].tokens, a, b, c->tw, c->src->n_vocab);
        fputs("\",\"v\":", f);
        if (s[i].acts) {
            fputc('"', f);
            for (int j = 0; j < s[i].n; j++) {
                float v = s[i].acts[j];
                long q = isfinite(v) && c->scale > 0 ? lroundf(v / c->scale * QMAX) : 0;
                if (q > QMAX) q = QMAX;
                if (q < -QMAX) q = -QMAX;
                put_b64(f, (uint32_t)(q + QMAX), 3);
            }
            fputc('"', f);
        } else {
            fputs("null", f);
        }
        fputc('}', f);
    }
    fputc(']', f);
    return 0;
}

/* data/vocab.js: N2G.vocab([display string or null per id]) */
static int write_vocab(const report_source *src, const char *dir, n2g_err *err) {
    n2g_afile o;
    if (out_open(&o, dir, "vocab.js", err)) return -1;
    fputs("N2G.vocab([", o.f);
    for (int id = 0; id < src->n_vocab; id++) {
        size_t len = 0;
        const char *b = src->token_bytes(src->token_ctx, id, &len);
        if (id) fputs(id % 16 ? "," : ",\n", o.f);
        if (b)
            report_js_display(o.f, b, len);
        else
            fputs("null", o.f);
    }
    fputs("]);\n", o.f);
    return n2g_afile_commit(&o, err);
}

/* ---- pages ---- */

static void page_head(FILE *f, const char *title_ascii, const char *up, const char *body_class, int with_vocab) {
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline' "
            "file:; style-src 'unsafe-inline' file:; img-src data:\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%s</title>\n<link rel=\"stylesheet\" href=\"%sassets/report.css\">\n"
            "<script src=\"%sassets/report.js\"></script>\n%s%s%s</head>\n<body class=\"%s\">\n"
            "<div id=\"app\"><noscript>This report needs JavaScript.</noscript></div>\n<script>",
            title_ascii, up, up, with_vocab ? "<script src=\"" : "", with_vocab ? up : "",
            with_vocab ? "data/vocab.js\"></script>\n" : "", body_class);
}

static const char PAGE_TAIL[] = ");</script>\n</body></html>\n";

typedef struct {
    double p, r, f1; /* NAN when not eligible */
} neuron_scores;

static int write_neuron_page(const report_source *src, const report_options *opt, size_t i, const char *dir,
                             const json_value *rep, row_table *rows, n2g_err *err) {
    const report_summary *s = &src->neurons[i];
    n2g_afile o = {0};
    report_neuron nr;
    memset(&nr, 0, sizeof nr);
    if (src->load(src->load_ctx, i, &nr, err)) return n2g_wrap(err, "neuron %d:%d", s->layer, s->neuron);
    int rc = -1;
    float scale = seqs_scale(nr.examples, nr.n_examples, 0);
    scale = seqs_scale(nr.pruned, nr.n_pruned, scale);
    scale = seqs_scale(nr.augmented, nr.n_augmented, scale);
    seq_ctx sc = {src, token_width(src->n_vocab), scale, rows};

    char name[64], title[96];
    snprintf(name, sizeof name, "%d_%d.html", s->layer, s->neuron);
    snprintf(title, sizeof title, "n2g neuron %d:%d", s->layer, s->neuron);
    if (out_open(&o, dir, name, err)) goto done;
    FILE *f = o.f;
    page_head(f, title, "../", "neuron-page", 1);
    fprintf(f, "N2G.neuronPage({\"layer\":%d,\"neuron\":%d,\"max\":", s->layer, s->neuron);
    put_num(f, s->max_act);
    fputs(",\"count\":", f);
    put_num(f, s->count);
    fputs(",\"mean\":", f);
    put_num(f, s->mean);
    fputs(",\"title\":", f);
    report_js_display(f, src->title ? src->title : "", src->title ? strlen(src->title) : 0);
    if (i > 0) fprintf(f, ",\"prev\":[%d,%d]", src->neurons[i - 1].layer, src->neurons[i - 1].neuron);
    if (i + 1 < src->n_neurons) fprintf(f, ",\"next\":[%d,%d]", src->neurons[i + 1].layer, src->neurons[i + 1].neuron);
    fputs(",\"stats\":", f);
    report_js_value(f, rep);
    fprintf(f, ",\"before\":%d,\"after\":%d,\"scale\":", opt->context_before, opt->context_after);
    put_num(f, scale);
    fprintf(f, ",\"qmax\":%d,\"tw\":%d,\"examples\":", QMAX, sc.tw);
    if (put_seqs(f, nr.examples, nr.n_examples, &sc, opt, err)) goto done;
    fputs(",\"pruned\":", f);
    if (put_seqs(f, nr.pruned, nr.n_pruned, &sc, opt, err)) goto done;
    fputs(",\"augmented\":", f);
    if (put_seqs(f, nr.augmented, nr.n_augmented, &sc, opt, err)) goto done;
    fputs(",\"svg\":", f);
    if (nr.svg)
        report_js_raw(f, nr.svg, nr.svg_len);
    else
        fputs("null", f);
    fputs("}", f);
    fputs(PAGE_TAIL, f);
    if (n2g_afile_commit(&o, err)) goto done;
    rc = 0;
done:
    if (rc && o.f) n2g_afile_abort(&o);
    src->unload(src->load_ctx, &nr);
    return rc;
}

/* ---- index data ---- */

static int write_neuron_chunks(const report_source *src, const neuron_scores *sc, const char *dir, size_t *n_chunks,
                               n2g_err *err) {
    size_t nc = (src->n_neurons + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    for (size_t c = 0; c < nc; c++) {
        char name[64];
        snprintf(name, sizeof name, "neurons-%03zu.js", c);
        n2g_afile o;
        if (out_open(&o, dir, name, err)) return -1;
        fprintf(o.f, "N2G.neuronChunk(%zu,[", c);
        size_t end = (c + 1) * ROWS_PER_CHUNK < src->n_neurons ? (c + 1) * ROWS_PER_CHUNK : src->n_neurons;
        for (size_t i = c * ROWS_PER_CHUNK; i < end; i++) {
            const report_summary *s = &src->neurons[i];
            fprintf(o.f, "%s[%d,%d,", i > c * ROWS_PER_CHUNK ? ",\n" : "", s->layer, s->neuron);
            put_num(o.f, sc[i].f1);
            fputc(',', o.f);
            put_num(o.f, sc[i].p);
            fputc(',', o.f);
            put_num(o.f, sc[i].r);
            fputc(',', o.f);
            put_num(o.f, s->max_act);
            fputc(',', o.f);
            put_num(o.f, s->count);
            fputc(']', o.f);
        }
        fputs("]);\n", o.f);
        if (n2g_afile_commit(&o, err)) return -1;
    }
    *n_chunks = nc;
    return 0;
}

typedef struct {
    unsigned bucket;
    int kind; /* 0 activating, 1 important */
    const char *tok;
    size_t tok_len;
    const json_value *ids;
} store_ent;

static int store_cmp(const void *a, const void *b) {
    const store_ent *x = a, *y = b;
    return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

static int valid_neuron_id(const json_value *v) {
    if (v->type != JSON_STRING || v->n == 0 || v->n > 20) return 0;
    int us = 0;
    for (size_t i = 0; i < v->n; i++) {
        char c = v->str[i];
        if (c == '_' && i > 0 && i + 1 < v->n && !us)
            us = 1;
        else if (c < '0' || c > '9')
            return 0;
    }
    return us;
}

/* neuron_store.json -> data/store-NNN.js buckets: N2G.storeChunk(b, [[key, token, kind, [ids]]]) where
 * key is report_search_key(token) and b = fnv1a(key) % n_buckets. Ids not of the form L_N are dropped. */
static int write_store(const json_value *store, const char *dir, size_t *n_buckets, size_t *n_entries, n2g_err *err) {
    *n_buckets = 0, *n_entries = 0;
    if (!store || store->type != JSON_OBJECT) return 0;
    static const char *kinds[2] = {"activating", "important"};
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        const json_value *m = json_get(store, kinds[k]);
        if (m && m->type == JSON_OBJECT) n += m->n;
    }
    size_t nb = n / STORE_PER_BUCKET + 1;
    store_ent *e = malloc((n ? n : 1) * sizeof *e);
    char *key = malloc(65536);
    if (!e || !key) {
        free(e);
        free(key);
        return n2g_fail(err, "out of memory");
    }
    size_t m_n = 0;
    for (int k = 0; k < 2; k++) {
        const json_value *m = json_get(store, kinds[k]);
        if (!m || m->type != JSON_OBJECT) continue;
        for (size_t i = 0; i < m->n; i++) {
            if (m->items[i].type != JSON_ARRAY) continue;
            size_t kl = report_search_key(m->keys[i], m->key_lens[i], key, 65536);
            e[m_n++] = (store_ent){report_fnv1a(key, kl) % (unsigned)nb, k, m->keys[i], m->key_lens[i], &m->items[i]};
        }
    }
    qsort(e, m_n, sizeof *e, store_cmp);
    int rc = 0;
    size_t i = 0;
    for (size_t b = 0; b < nb && !rc; b++) {
        char name[64];
        snprintf(name, sizeof name, "store-%03zu.js", b);
        n2g_afile o;
        if (out_open(&o, dir, name, err)) {
            rc = -1;
            break;
        }
        fprintf(o.f, "N2G.storeChunk(%zu,[", b);
        int first = 1;
        for (; i < m_n && e[i].bucket == b; i++) {
            size_t kl = report_search_key(e[i].tok, e[i].tok_len, key, 65536);
            fputs(first ? "[" : ",\n[", o.f);
            first = 0;
            report_js_raw(o.f, key, kl);
            fputc(',', o.f);
            report_js_display(o.f, e[i].tok, e[i].tok_len);
            fprintf(o.f, ",%d,[", e[i].kind);
            int f2 = 1;
            for (size_t j = 0; j < e[i].ids->n; j++) {
                const json_value *id = &e[i].ids->items[j];
                if (!valid_neuron_id(id)) continue;
                fprintf(o.f, "%s\"%s\"", f2 ? "" : ",", id->str);
                f2 = 0;
            }
            fputs("]]", o.f);
        }
        fputs("]);\n", o.f);
        rc = n2g_afile_commit(&o, err);
    }
    free(e);
    free(key);
    *n_buckets = nb, *n_entries = m_n;
    return rc;
}

/* Mean firing-class F1 of one layer over the neurons of a baseline stats file (NAN: none). */
static double layer_mean_f1(const stat_ref *st, size_t n_st, int layer) {
    double sf = 0;
    size_t elig = 0;
    for (size_t i = 0; i < n_st; i++) {
        double p, r, f1;
        if (st[i].layer != layer || firing_scores(st[i].rep, &p, &r, &f1)) continue;
        elig++;
        sf += isfinite(f1) ? f1 : 0;
    }
    return elig ? sf / (double)elig : NAN;
}

/* Per-layer means over the neurons of stats.json that have a firing class, with the token-lookup
 * and n-gram baselines' mean F1 when those files are given. */
static void put_layers(FILE *f, const stat_ref *st, size_t n_st, const stat_ref *const base[2], const size_t n_base[2]) {
    fputc('[', f);
    int first = 1;
    for (size_t i = 0; i < n_st;) {
        int layer = st[i].layer;
        size_t total = 0, elig = 0;
        double sp = 0, sr = 0, sf = 0;
        for (; i < n_st && st[i].layer == layer; i++) {
            double p, r, f1;
            total++;
            if (firing_scores(st[i].rep, &p, &r, &f1)) continue;
            elig++;
            sp += isfinite(p) ? p : 0, sr += isfinite(r) ? r : 0, sf += isfinite(f1) ? f1 : 0;
        }
        fprintf(f, "%s{\"layer\":%d,\"neurons\":%zu,\"eligible\":%zu,\"p\":", first ? "" : ",", layer, total, elig);
        put_num(f, elig ? sp / (double)elig : NAN);
        fputs(",\"r\":", f);
        put_num(f, elig ? sr / (double)elig : NAN);
        fputs(",\"f1\":", f);
        put_num(f, elig ? sf / (double)elig : NAN);
        static const char *names[2] = {"tokF1", "ngramF1"};
        for (int b = 0; b < 2; b++)
            if (base[b]) {
                fprintf(f, ",\"%s\":", names[b]);
                put_num(f, layer_mean_f1(base[b], n_base[b], layer));
            }
        fputc('}', f);
        first = 0;
    }
    fputc(']', f);
}

static int write_text(const char *dir, const char *name, const char *text, n2g_err *err) {
    n2g_afile o;
    if (out_open(&o, dir, name, err)) return -1;
    fputs(text, o.f);
    return n2g_afile_commit(&o, err);
}

#define REPORT_MARKER ".n2g-report"

/* a report written before the marker existed: its index.html calls N2G.indexPage */
static int report_dir(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    size_t n;
    char *s = n2g_read_file(path, &n, NULL);
    int yes = s && strstr(s, "N2G.indexPage(") != NULL;
    free(s);
    return yes;
}

int report_write_site(const report_source *src, const report_options *opt_in, const char *out_dir, n2g_err *err) {
    report_options opt = opt_in ? *opt_in : (report_options){0};
    if (opt.context_before <= 0) opt.context_before = 50;
    if (opt.context_after <= 0) opt.context_after = 10;
    char d_assets[4096], d_data[4096], d_neurons[4096], d_rows[4200];
    snprintf(d_assets, sizeof d_assets, "%s/assets", out_dir);
    snprintf(d_data, sizeof d_data, "%s/data", out_dir);
    snprintf(d_neurons, sizeof d_neurons, "%s/neurons", out_dir);
    snprintf(d_rows, sizeof d_rows, "%s/rows", d_data);
    if (!opt.force && n2g_outdir_foreign(out_dir, REPORT_MARKER, report_dir))
        return n2g_failc(err, N2G_E_USAGE,
                         "--out %s: the directory is not empty and holds no n2g report; choose a new or empty "
                         "directory, or pass --force to write the site into it (replacing its index.html)",
                         out_dir);
    if (n2g_make_dir(out_dir, N2G_DIR_PARENTS, err) ||
        n2g_outdir_mark(out_dir, REPORT_MARKER, "an n2g report site: 'n2g report' replaces the files of this folder\n", err) ||
        n2g_make_dir(d_assets, 0, err) || n2g_make_dir(d_data, 0, err) || n2g_make_dir(d_neurons, 0, err) ||
        n2g_make_dir(d_rows, 0, err))
        return -1;
    if (write_text(d_assets, "report.css", report_asset_css, err) || write_text(d_assets, "report.js", report_asset_js, err))
        return -1;

    size_t n_st = 0;
    stat_ref *st = stats_index(src->stats, &n_st);
    neuron_scores *sc = malloc((src->n_neurons ? src->n_neurons : 1) * sizeof *sc);
    if (!sc || (src->stats && !st && n_st)) {
        free(st);
        free(sc);
        return n2g_fail(err, "out of memory");
    }
    int rc = -1;
    row_table rows = {0};
    snprintf(rows.dir, sizeof rows.dir, "%s", d_rows);
    progress *pg = progress_start("report", (double)src->n_neurons, "neurons", opt.quiet);
    if (write_vocab(src, d_data, err)) goto done;
    for (size_t i = 0; i < src->n_neurons; i++) {
        const json_value *rep = stats_find(st, n_st, src->neurons[i].layer, src->neurons[i].neuron);
        sc[i].p = sc[i].r = sc[i].f1 = NAN;
        if (rep) firing_scores(rep, &sc[i].p, &sc[i].r, &sc[i].f1);
        if (write_neuron_page(src, &opt, i, d_neurons, rep, &rows, err)) goto done;
        if ((i & 255) == 0) progress_update(pg, (double)i, NULL);
    }
    progress_update(pg, (double)src->n_neurons, NULL);
    if (rows_close_chunk(&rows, err)) goto done;
    size_t n_chunks = 0, n_buckets = 0, n_entries = 0;
    if (write_neuron_chunks(src, sc, d_data, &n_chunks, err)) goto done;
    if (write_store(src->store, d_data, &n_buckets, &n_entries, err)) goto done;

    n2g_afile o;
    if (out_open(&o, out_dir, "index.html", err)) goto done;
    page_head(o.f, "n2g report", "", "index-page", 0);
    fputs("N2G.indexPage({\"title\":", o.f);
    report_js_display(o.f, src->title ? src->title : "", src->title ? strlen(src->title) : 0);
    fputs(",\"manifest\":", o.f);
    report_js_value(o.f, src->manifest);
    fputs(",\"layers\":", o.f);
    {
        const stat_ref *base[2] = {NULL, NULL};
        size_t n_base[2] = {0, 0};
        for (int b = 0; b < 2; b++) base[b] = stats_index(src->baselines[b], &n_base[b]);
        put_layers(o.f, st, n_st, base, n_base);
        free((void *)base[0]), free((void *)base[1]);
    }
    fprintf(o.f, ",\"neurons\":%zu,\"chunks\":%zu,\"buckets\":%zu,\"storeEntries\":%zu}", src->n_neurons, n_chunks,
            n_buckets, n_entries);
    fputs(PAGE_TAIL, o.f);
    if (n2g_afile_commit(&o, err)) goto done;
    /* one sync for the whole site (per-file fsync would dominate for 36,864 pages) */
    int fd = open(out_dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
    rc = 0;
done:
    rows_free(&rows);
    progress_finish(pg);
    free(st);
    free(sc);
    return rc;
}
