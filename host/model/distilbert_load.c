/* distilbert_load.c — config.json + model.safetensors + vocab.txt of a Hugging Face
 * DistilBertForMaskedLM checkpoint, checked tensor by tensor against the config, converted to
 * fp32 (linear weights transposed to [in, out]) in one host arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "distilbert.h"
#include "st_model.h"

static int cfg_int(const json_value *r, const char *key, const char *path, int *out, int lo, int hi, n2g_err *err) {
    return st_model_cfg_int(r, key, path, "not a DistilBERT config?", out, lo, hi, err);
}

int distilbert_config_read(const char *path, distilbert_config *c, n2g_err *err) {
    memset(c, 0, sizeof *c);
    json_doc *d = st_model_config(path, err);
    if (!d) return -1;
    const json_value *r = json_root(d);
    int rc = -1;
    const int BIG = 1 << 20;
    const json_value *mt = json_get(r, "model_type");
    if (mt && (mt->type != JSON_STRING || strcmp(mt->str, "distilbert"))) {
        n2g_fail(err, "%s: \"model_type\" is %s%.40s%s, expected \"distilbert\"", path, mt->type == JSON_STRING ? "\"" : "",
                 mt->type == JSON_STRING ? mt->str : json_type_name(mt->type), mt->type == JSON_STRING ? "\"" : "");
        goto out;
    }
    if (cfg_int(r, "n_layers", path, &c->n_layers, 1, 4096, err) || cfg_int(r, "dim", path, &c->dim, 1, BIG, err) ||
        cfg_int(r, "n_heads", path, &c->n_heads, 1, BIG, err) ||
        cfg_int(r, "hidden_dim", path, &c->hidden_dim, 1, BIG, err) ||
        cfg_int(r, "vocab_size", path, &c->vocab_size, 6, 1 << 24, err) ||
        cfg_int(r, "max_position_embeddings", path, &c->max_pos, 1, BIG, err))
        goto out;
    if (c->dim % c->n_heads) {
        n2g_fail(err, "%s: dim %d is not a multiple of n_heads %d", path, c->dim, c->n_heads);
        goto out;
    }
    const json_value *a = json_get(r, "activation");
    if (a && (a->type != JSON_STRING || strcmp(a->str, "gelu"))) {
        n2g_fail(err, "%s: \"activation\" %.40s is not supported (expected \"gelu\")", path,
                 a->type == JSON_STRING ? a->str : json_type_name(a->type));
        goto out;
    }
    const json_value *s = json_get(r, "sinusoidal_pos_embds");
    if (s && s->type == JSON_TRUE) {
        n2g_fail(err, "%s: \"sinusoidal_pos_embds\": true is not supported", path);
        goto out;
    }
    c->ln_eps = 1e-12f;
    rc = 0;
out:
    json_free(d);
    return rc;
}

typedef struct {
    st_model_file *sm;
    st_file *f;
    const char *path;
    const distilbert_config *c;
    char config[160]; /* what sets the shapes, for a mismatch's message */
} loader;

static const st_tensor *find(loader *ld, const char *name, int optional, n2g_err *err) {
    char full[192];
    snprintf(full, sizeof full, "distilbert.%s", name);
    const st_tensor *t = st_find(ld->f, full);
    if (!t) t = st_find(ld->f, name);
    if (!t && !optional)
        n2g_fail(err, "%s: missing tensor '%s' (config.json: n_layers %d; a DistilBertForMaskedLM checkpoint?)", ld->path,
                 name, ld->c->n_layers);
    return t;
}

/* Loads tensor `name` of shape [s0] or [s0, s1]. Linear weights (transpose) [out = s0, in = s1]
 * go to dst[i * ldd + col + o]; everything else is copied to dst. */
static int load(loader *ld, const char *name, int ndim, int64_t s0, int64_t s1, float *dst, int transpose, size_t ldd,
                size_t col, n2g_err *err) {
    const st_tensor *t = find(ld, name, 0, err);
    if (!t) return -1;
    int64_t want[2] = {s0, s1};
    if (st_model_check(ld->sm, t, ndim, want, ld->config, err)) return -1;
    if (!transpose) return st_read_f32(ld->f, t, dst, 1, err);
    float *tmp = malloc(t->numel * sizeof *tmp);
    if (!tmp) return n2g_fail(err, "out of memory");
    int rc = st_read_f32(ld->f, t, tmp, 1, err);
    for (int64_t o = 0; rc == 0 && o < s0; o++)
        for (int64_t i = 0; i < s1; i++) dst[(size_t)i * ldd + col + (size_t)o] = tmp[(size_t)o * (size_t)s1 + (size_t)i];
    free(tmp);
    return rc;
}

static int read_config(const char *path, void *cfg, n2g_err *err) { return distilbert_config_read(path, cfg, err); }

int distilbert_load(const char *dir, distilbert_model **out, n2g_err *err) {
    *out = NULL;
    char path[2048];
    distilbert_model *m = calloc(1, sizeof *m);
    if (!m) return n2g_fail(err, "out of memory");
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    st_model_file sm;
    if (st_model_open(&sm, dir, read_config, &m->cfg, err)) {
        free(m);
        return -1;
    }
    const distilbert_config *c = &m->cfg;
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    if (wp_load(path, &m->vocab, err) || wp_size(m->vocab) != c->vocab_size) {
        if (m->vocab)
            n2g_fail(err, "%s: %d tokens, but config.json vocab_size is %d", path, wp_size(m->vocab), c->vocab_size);
        st_model_close(&sm);
        distilbert_free(m);
        return -1;
    }
    st_file *f = sm.f;
    size_t C = (size_t)c->dim, H = (size_t)c->hidden_dim, V = (size_t)c->vocab_size, P = (size_t)c->max_pos;
    size_t L = (size_t)c->n_layers;
    size_t per_layer = 3 * C * C + 3 * C + C * C + C + 2 * C + C * H + H + H * C + C + 2 * C;
    size_t total = V * C + P * C + 2 * C + L * per_layer + C * C + C + 2 * C + C * V + V;
    float *a = aligned_alloc(64, (total * sizeof(float) + 63) & ~(size_t)63);
    m->layers = calloc(L, sizeof *m->layers);
    m->priv = a;
    loader ld = {&sm, f, sm.path, c, ""};
    snprintf(ld.config, sizeof ld.config, "dim %d, hidden_dim %d, vocab_size %d, max_position_embeddings %d", c->dim,
             c->hidden_dim, c->vocab_size, c->max_pos);
    int rc = -1;
    if (!a || !m->layers) {
        n2g_fail(err, "out of memory for %zu weights", total);
        goto out;
    }
    float *p = a;
#define TAKE(n) (p += (n), p - (n))
    m->word = TAKE(V * C), m->pos = TAKE(P * C), m->emb_g = TAKE(C), m->emb_b = TAKE(C);
    for (size_t l = 0; l < L; l++) {
        distilbert_layer_w *y = &m->layers[l];
        y->qkv_w = TAKE(3 * C * C), y->qkv_b = TAKE(3 * C), y->o_w = TAKE(C * C), y->o_b = TAKE(C);
        y->sa_g = TAKE(C), y->sa_b = TAKE(C), y->w1 = TAKE(C * H), y->b1 = TAKE(H), y->w2 = TAKE(H * C), y->b2 = TAKE(C);
        y->out_g = TAKE(C), y->out_b = TAKE(C);
    }
    m->vt_w = TAKE(C * C), m->vt_b = TAKE(C), m->vln_g = TAKE(C), m->vln_b = TAKE(C);
    m->proj_w = TAKE(C * V), m->proj_b = TAKE(V);
#undef TAKE
    int64_t iC = (int64_t)C, iH = (int64_t)H, iV = (int64_t)V, iP = (int64_t)P;
    if (load(&ld, "embeddings.word_embeddings.weight", 2, iV, iC, m->word, 0, 0, 0, err) ||
        load(&ld, "embeddings.position_embeddings.weight", 2, iP, iC, m->pos, 0, 0, 0, err) ||
        load(&ld, "embeddings.LayerNorm.weight", 1, iC, 0, m->emb_g, 0, 0, 0, err) ||
        load(&ld, "embeddings.LayerNorm.bias", 1, iC, 0, m->emb_b, 0, 0, 0, err))
        goto out;
    for (size_t l = 0; l < L; l++) {
        distilbert_layer_w *y = &m->layers[l];
        char n[32][96];
        const char *fmt[] = {"attention.q_lin.weight", "attention.k_lin.weight", "attention.v_lin.weight",
                             "attention.q_lin.bias",   "attention.k_lin.bias",   "attention.v_lin.bias",
                             "attention.out_lin.weight", "attention.out_lin.bias", "sa_layer_norm.weight",
                             "sa_layer_norm.bias",     "ffn.lin1.weight",        "ffn.lin1.bias",
                             "ffn.lin2.weight",        "ffn.lin2.bias",          "output_layer_norm.weight",
                             "output_layer_norm.bias"};
        for (int i = 0; i < 16; i++) snprintf(n[i], sizeof n[i], "transformer.layer.%zu.%s", l, fmt[i]);
        if (load(&ld, n[0], 2, iC, iC, y->qkv_w, 1, 3 * C, 0, err) ||
            load(&ld, n[1], 2, iC, iC, y->qkv_w, 1, 3 * C, C, err) ||
            load(&ld, n[2], 2, iC, iC, y->qkv_w, 1, 3 * C, 2 * C, err) ||
            load(&ld, n[3], 1, iC, 0, y->qkv_b, 0, 0, 0, err) || load(&ld, n[4], 1, iC, 0, y->qkv_b + C, 0, 0, 0, err) ||
            load(&ld, n[5], 1, iC, 0, y->qkv_b + 2 * C, 0, 0, 0, err) ||
            load(&ld, n[6], 2, iC, iC, y->o_w, 1, C, 0, err) || load(&ld, n[7], 1, iC, 0, y->o_b, 0, 0, 0, err) ||
            load(&ld, n[8], 1, iC, 0, y->sa_g, 0, 0, 0, err) || load(&ld, n[9], 1, iC, 0, y->sa_b, 0, 0, 0, err) ||
            load(&ld, n[10], 2, iH, iC, y->w1, 1, H, 0, err) || load(&ld, n[11], 1, iH, 0, y->b1, 0, 0, 0, err) ||
            load(&ld, n[12], 2, iC, iH, y->w2, 1, C, 0, err) || load(&ld, n[13], 1, iC, 0, y->b2, 0, 0, 0, err) ||
            load(&ld, n[14], 1, iC, 0, y->out_g, 0, 0, 0, err) || load(&ld, n[15], 1, iC, 0, y->out_b, 0, 0, 0, err))
            goto out;
    }
    if (load(&ld, "vocab_transform.weight", 2, iC, iC, m->vt_w, 1, C, 0, err) ||
        load(&ld, "vocab_transform.bias", 1, iC, 0, m->vt_b, 0, 0, 0, err) ||
        load(&ld, "vocab_layer_norm.weight", 1, iC, 0, m->vln_g, 0, 0, 0, err) ||
        load(&ld, "vocab_layer_norm.bias", 1, iC, 0, m->vln_b, 0, 0, 0, err) ||
        load(&ld, "vocab_projector.bias", 1, iV, 0, m->proj_b, 0, 0, 0, err))
        goto out;
    if (find(&ld, "vocab_projector.weight", 1, err)) {
        if (load(&ld, "vocab_projector.weight", 2, iV, iC, m->proj_w, 1, V, 0, err)) goto out;
    } else {
        m->tied = 1;
        for (size_t v = 0; v < V; v++)
            for (size_t i = 0; i < C; i++) m->proj_w[i * V + v] = m->word[v * C + i];
    }
    const st_tensor *extra = st_model_unused(&sm, NULL, NULL);
    if (extra) {
        n2g_fail(err, "%s: unexpected tensor '%s' (config.json: n_layers %d)", sm.path, extra->name, c->n_layers);
        goto out;
    }
    snprintf(m->dtype, sizeof m->dtype, "%s", sm.dtype);
    rc = 0;
out:
    st_model_close(&sm);
    if (rc) distilbert_free(m);
    else *out = m;
    return rc;
}

void distilbert_free(distilbert_model *m) {
    if (!m) return;
    wp_free(m->vocab);
    free(m->priv);
    free(m->layers);
    free(m);
}
