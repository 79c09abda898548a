/* report_run.c — a report_source over a run directory (see report_run.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "n2g/graph/samples.h"
#include "report_acts.h"
#include "report_graph.h"
#include "report_run.h"

#include "common/fileio.h"
#include "scrape/scrape_run.h"
#include "scrape/scrape_store.h"
#include "text/bpe.h"

struct report_run {
    char dir[4096];
    char title[256];
    json_doc *manifest, *stats, *store, *base[2];
    scrape_map map;
    int mapped;
    bpe_tokenizer *tok;
    report_summary *neurons;
    size_t n_neurons;
    int *slot; /* [n_neurons] layer slot in examples.bin */
    float *acts; /* [n_neurons, k, ctx] recomputed activations, or NULL */
};

/* what one loaded neuron owns */
typedef struct {
    report_seq *ex;
    char *svg;
    n2g_samples smp;
    int has_smp;
    report_seq *smp_seq; /* [smp.n]: pruned first, then augmented */
    float *smp_act;      /* raw activations (normalised x base_max) */
} loaded;

static void loaded_free(loaded *L) {
    if (!L) return;
    free(L->svg);
    free(L->ex);
    free(L->smp_seq);
    free(L->smp_act);
    if (L->has_smp) n2g_samples_free(&L->smp);
    free(L);
}

/* RUN/samples/L_N.json (samples.h, the file `n2g fit` reads): samples with parent -1 are the
 * pruned prompts, the others their augmentations. Activations there are normalised by
 * base_max; shown raw (x base_max) when base_max is given. */
static int load_samples(const char *dir, int layer, int neuron, loaded *L, report_neuron *out, n2g_err *err) {
    char p[4300];
    snprintf(p, sizeof p, "%s/samples/%d_%d.json", dir, layer, neuron);
    if (!n2g_is_file(p)) return 0;
    if (n2g_samples_load(p, &L->smp, err)) return -1;
    L->has_smp = 1;
    size_t n = L->smp.n, tot = 0;
    for (size_t i = 0; i < n; i++) tot += (size_t)L->smp.s[i].len;
    L->smp_seq = calloc(n ? n : 1, sizeof *L->smp_seq);
    L->smp_act = malloc((tot ? tot : 1) * sizeof *L->smp_act);
    if (!L->smp_seq || !L->smp_act) return n2g_fail(err, "out of memory");
    double scale = L->smp.base_max > 0 ? L->smp.base_max : 1.0;
    size_t k = 0, off = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const n2g_sample *s = &L->smp.s[i];
            if ((s->parent < 0) != (pass == 0)) continue;
            int best = -1;
            for (int t = 0; t < s->len; t++) {
                L->smp_act[off + t] = (float)(s->act[t] * scale);
                if (best < 0 || s->act[t] > s->act[best]) best = t;
            }
            L->smp_seq[k++] = (report_seq){s->tokens, L->smp_act + off, s->len, -1, best,
                                           best >= 0 ? L->smp_act[off + best] : NAN};
            off += (size_t)s->len;
            if (pass == 0) out->n_pruned++;
            else out->n_augmented++;
        }
    out->pruned = L->smp_seq;
    out->augmented = L->smp_seq + out->n_pruned;
    return 0;
}

static json_doc *load_optional(const char *dir, const char *name, n2g_err *err, int *failed) {
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    *failed = 0;
    if (!n2g_is_file(p)) return NULL;
    json_doc *d = json_parse_file(p, err);
    if (!d) *failed = 1;
    return d;
}

static const char *tok_bytes(void *ctx, int id, size_t *len) {
    report_run *r = ctx;
    return bpe_token_bytes(r->tok, id, len);
}

static int load_neuron(void *ctx, size_t i, report_neuron *out, n2g_err *err) {
    report_run *r = ctx;
    const scrape_header *h = r->map.h;
    const report_summary *s = &r->neurons[i];
    loaded *L = calloc(1, sizeof *L);
    if (L && !(L->ex = calloc(h->k ? h->k : 1, sizeof *L->ex))) {
        free(L);
        L = NULL;
    }
    if (!L) return n2g_fail(err, "out of memory");
    size_t base = ((size_t)r->slot[i] * h->d_mlp + (size_t)s->neuron) * h->k;
    int n = 0;
    for (uint32_t j = 0; j < h->k; j++) {
        float v = r->map.val[base + j];
        if (!isfinite(v)) continue; /* empty slot */
        uint32_t row = r->map.row[base + j];
        const int32_t *tok;
        int got = scrape_map_row_get(&r->map, row, &tok, err);
        if (got <= 0) {
            loaded_free(L);
            if (got < 0) return -1;
            return n2g_fail(err, "%s/examples.bin: row %u of neuron %d:%d is not stored", r->dir, row, s->layer,
                            s->neuron);
        }
        const float *acts = r->acts ? r->acts + ((size_t)i * h->k + j) * h->ctx : NULL;
        uint32_t pos = r->map.pos[base + j];
        L->ex[n++] = (report_seq){tok, acts, (int)h->ctx, (long)row, pos < h->ctx ? (int)pos : -1, v};
    }
    char p[4300];
    snprintf(p, sizeof p, "%s/graphs/%d_%d.svg", r->dir, s->layer, s->neuron);
    size_t svg_len = 0;
    memset(out, 0, sizeof *out);
    int svg_bad = n2g_is_file(p) && !(L->svg = n2g_read_file(p, &svg_len, err));
    if (!svg_bad && !L->svg) { /* no Graphviz picture: drawn from the graph JSON */
        snprintf(p, sizeof p, "%s/graphs/%d_%d.json", r->dir, s->layer, s->neuron);
        svg_bad = n2g_is_file(p) && report_graph_svg(p, &L->svg, &svg_len, err);
    }
    if (svg_bad || load_samples(r->dir, s->layer, s->neuron, L, out, err)) {
        loaded_free(L);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->examples = L->ex;
    out->n_examples = n;
    out->svg = L->svg;
    out->svg_len = svg_len;
    out->priv = L;
    return 0;
}

static void unload_neuron(void *ctx, report_neuron *nr) {
    (void)ctx;
    loaded_free(nr->priv);
    nr->priv = NULL;
}

static int parse_long(const char **s, long *out) {
    const char *p = *s;
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v > 100000000) return -1;
        v = v * 10 + (*p++ - '0');
    }
    *s = p, *out = v;
    return 0;
}

int report_parse_neurons(const char *s, const int *layers, int n_layers, int d_mlp, report_summary **out,
                         n2g_err *err) {
    /* a selection bitmap over (slot, neuron), then emitted in run order */
    size_t total = (size_t)n_layers * (size_t)d_mlp;
    unsigned char *sel = calloc(total ? total : 1, 1);
    if (!sel) return n2g_fail(err, "out of memory");
    const char *p = s;
    while (*p) {
        const char *item = p;
        long layer, a, b;
        if (parse_long(&p, &layer) || (*p != ':' && *p != '_')) goto bad;
        p++;
        if (*p == '*') {
            a = 0, b = d_mlp - 1, p++;
        } else {
            if (parse_long(&p, &a)) goto bad;
            b = a;
            if (*p == '-' && (p++, parse_long(&p, &b) || b < a)) goto bad;
        }
        if (*p && *p != ',') goto bad;
        int slot = -1;
        for (int k = 0; k < n_layers; k++)
            if (layers[k] == layer) slot = k;
        if (slot < 0) {
            free(sel);
            return n2g_failc(err, N2G_E_USAGE, "--neurons: layer %ld is not in this run (%d layers scraped, %d..%d)", layer,
                             n_layers, n_layers ? layers[0] : 0, n_layers ? layers[n_layers - 1] : 0);
        }
        if (b >= d_mlp) {
            free(sel);
            return n2g_failc(err, N2G_E_USAGE, "--neurons: neuron %ld is out of range (d_mlp %d)", b, d_mlp);
        }
        for (long n = a; n <= b; n++) sel[(size_t)slot * d_mlp + n] = 1;
        if (*p == ',') p++;
        continue;
    bad:
        free(sel);
        {
            int len = 0;
            while (item[len] && item[len] != ',' && len < 40) len++;
            return n2g_failc(err, N2G_E_USAGE, "--neurons: bad item '%.*s' (expected L:N, L:A-B or L:*)", len, item);
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < total; i++) n += sel[i];
    report_summary *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        free(sel);
        return n2g_fail(err, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < total; i++)
        if (sel[i]) v[k++] = (report_summary){layers[i / (size_t)d_mlp], (int)(i % (size_t)d_mlp), NAN, -1, NAN};
    free(sel);
    *out = v;
    return (int)n;
}

void report_run_close(report_run *r) {
    if (!r) return;
    json_free(r->manifest);
    json_free(r->stats);
    json_free(r->store);
    json_free(r->base[0]);
    json_free(r->base[1]);
    if (r->mapped) scrape_store_unmap(&r->map);
    bpe_free(r->tok);
    free(r->neurons);
    free(r->slot);
    free(r->acts);
    free(r);
}

int report_run_open(const report_run_opts *o, report_run **out, report_source *src, n2g_err *err) {
    report_acts_opts a;
    memset(&a, 0, sizeof a);
    a.quiet = 1;
    return report_run_open_ex(o, &a, out, src, err);
}

int report_run_open_ex(const report_run_opts *o, report_acts_opts *ao, report_run **out, report_source *src,
                       n2g_err *err) {
    report_run *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    *out = NULL;
    snprintf(r->dir, sizeof r->dir, "%s", o->run_dir);
    char p[4300];
    snprintf(p, sizeof p, "%s/manifest.json", r->dir);
    if (!n2g_is_file(p)) {
        n2g_fail(err, "%s: no manifest.json (is this a run directory made by 'n2g scrape'?)", r->dir);
        goto fail;
    }
    if (!(r->manifest = json_parse_file(p, err))) goto fail;
    if (json_root(r->manifest)->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected a JSON object", p);
        goto fail;
    }
    snprintf(p, sizeof p, "%s/examples.bin", r->dir);
    if (scrape_store_map(p, &r->map, err)) goto fail;
    r->mapped = 1;
    if (scrape_run_check_files(r->dir, json_root(r->manifest), r->map.h, err)) goto fail;
    int failed;
    r->stats = load_optional(r->dir, "stats.json", err, &failed);
    if (failed) goto fail;
    r->store = load_optional(r->dir, "neuron_store.json", err, &failed);
    if (failed) goto fail;
    r->base[0] = load_optional(r->dir, "stats_token.json", err, &failed);
    if (failed) goto fail;
    r->base[1] = load_optional(r->dir, "stats_ngram.json", err, &failed);
    if (failed) goto fail;

    /* vocabulary: --vocab DIR, else the model's by the rule of every command (bpe_load_model) */
    char mdir_buf[4096];
    n2g_err e2 = {0};
    int have_mdir = !scrape_model_find(r->dir, json_root(r->manifest), ao->model_dir, 0, mdir_buf, sizeof mdir_buf, &e2);
    if (o->vocab_dir)
        r->tok = bpe_load_dir(o->vocab_dir, err);
    else if (have_mdir)
        r->tok = bpe_load_model(mdir_buf, 0, NULL, err);
    else
        r->tok = bpe_load_default(err);
    if (!r->tok) {
        n2g_wrap(err, "token strings (pass --vocab DIR)");
        goto fail;
    }

    const scrape_header *h = r->map.h;
    const int nl = (int)h->n_layers, d = (int)h->d_mlp;
    int *layers = malloc((nl ? nl : 1) * sizeof *layers);
    if (!layers) {
        n2g_fail(err, "out of memory");
        goto fail;
    }
    for (int k = 0; k < nl; k++) layers[k] = (int)r->map.layers[k];
    int n;
    if (o->neurons) {
        n = report_parse_neurons(o->neurons, layers, nl, d, &r->neurons, err);
    } else {
        n = 0;
        size_t total = (size_t)nl * (size_t)d;
        r->neurons = malloc((total ? total : 1) * sizeof *r->neurons);
        if (r->neurons)
            for (int k = 0; k < nl; k++)
                for (int j = 0; j < d; j++) r->neurons[n++] = (report_summary){layers[k], j, NAN, -1, NAN};
    }
    if (n < 0 || !r->neurons || !(r->slot = malloc(((size_t)n ? (size_t)n : 1) * sizeof *r->slot))) {
        free(layers);
        if (n >= 0) n2g_fail(err, "out of memory");
        goto fail;
    }
    r->n_neurons = (size_t)n;
    for (size_t i = 0; i < r->n_neurons; i++) {
        int slot = 0;
        while (layers[slot] != r->neurons[i].layer) slot++;
        r->slot[i] = slot;
        const float *st = r->map.stats + ((size_t)slot * d + r->neurons[i].neuron) * 4;
        r->neurons[i].max_act = st[0];
        r->neurons[i].mean = st[1];
        r->neurons[i].count = (double)h->positions;
    }
    free(layers);
    const char *base = strrchr(r->dir, '/');
    while (base && base[1] == 0 && base > r->dir) { /* trailing slash */
        const char *q = base - 1;
        while (q > r->dir && *q != '/') q--;
        base = q;
    }
    snprintf(r->title, sizeof r->title, "run %.200s", base && *base == '/' ? base + 1 : r->dir);
    size_t tl = strlen(r->title);
    while (tl > 4 && r->title[tl - 1] == '/') r->title[--tl] = 0;

    ao->note[0] = 0;
    if (ao->acts != REPORT_ACTS_NONE && r->n_neurons) {
        const char *mdir = have_mdir ? mdir_buf : NULL;
        char cfgp[4200];
        snprintf(cfgp, sizeof cfgp, "%s/config.json", mdir ? mdir : "");
        if (!mdir || !n2g_is_file(cfgp)) {
            if (ao->acts == REPORT_ACTS_MODEL) {
                n2g_failc(err, mdir ? N2G_E_FAIL : N2G_E_USAGE, "--acts model: %s",
                          mdir ? "the model directory has no config.json" : "the manifest names no model.dir; pass --model DIR");
                if (mdir) n2g_wrap(err, "%s", mdir);
                goto fail;
            }
            snprintf(ao->note, sizeof ao->note, "per-token activations skipped: no model at %.400s (pass --model DIR)",
                     mdir ? mdir : "(manifest has no model.dir)");
        } else {
            /* a model that is there must be the run's: a mismatch is an error, not a skip */
            if (scrape_model_check(mdir, json_get(json_root(r->manifest), "model"), err)) goto fail;
            report_acts_req q = {mdir, &ao->ops, &r->map, r->neurons, r->slot, r->n_neurons, ao->acts == REPORT_ACTS_MODEL,
                                 ao->acts_max_flops > 0 ? ao->acts_max_flops : 2e12, ao->quiet};
            int skipped;
            if (report_acts_compute(&q, &r->acts, &skipped, ao->note, sizeof ao->note, err)) goto fail;
        }
    }

    memset(src, 0, sizeof *src);
    src->manifest = json_root(r->manifest);
    src->stats = r->stats ? json_root(r->stats) : NULL;
    src->store = r->store ? json_root(r->store) : NULL;
    for (int b = 0; b < 2; b++) src->baselines[b] = r->base[b] ? json_root(r->base[b]) : NULL;
    src->neurons = r->neurons;
    src->n_neurons = r->n_neurons;
    src->title = r->title;
    src->n_vocab = bpe_vocab_size(r->tok);
    src->token_bytes = tok_bytes;
    src->token_ctx = r;
    src->load = load_neuron;
    src->unload = unload_neuron;
    src->load_ctx = r;
    *out = r;
    return 0;
fail:
    report_run_close(r);
    return -1;
}
