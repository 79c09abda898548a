/* gpt2_load.c — config.json + model.safetensors of a Hugging Face GPT-2 checkpoint, checked
 * tensor by tensor against the config, converted to fp32 in one host arena. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "gpt2.h"
#include "st_model.h"

static int cfg_int(const json_value *r, const char *key, const char *path, int *out, int lo, int hi, n2g_err *err) {
    return st_model_cfg_int(r, key, path, NULL, out, lo, hi, err);
}

int gpt2_config_read(const char *path, gpt2_config *c, n2g_err *err) {
    memset(c, 0, sizeof *c);
    json_doc *d = st_model_config(path, err);
    if (!d) return -1;
    const json_value *r = json_root(d);
    int rc = -1;
    const int BIG = 1 << 20;
    if (cfg_int(r, "n_layer", path, &c->n_layer, 1, 4096, err) || cfg_int(r, "n_embd", path, &c->n_embd, 1, BIG, err) ||
        cfg_int(r, "n_head", path, &c->n_head, 1, BIG, err) ||
        cfg_int(r, "vocab_size", path, &c->vocab_size, 1, 1 << 24, err))
        goto out;
    const char *pos_key = json_get(r, "n_positions") ? "n_positions" : "n_ctx";
    if (!json_get(r, pos_key)) {
        n2g_fail(err, "%s: missing \"n_positions\" (or \"n_ctx\")", path);
        goto out;
    }
    if (cfg_int(r, pos_key, path, &c->n_positions, 1, BIG, err)) goto out;
    c->n_ctx = c->n_positions;
    if (json_get(r, "n_ctx")) {
        int nc;
        if (cfg_int(r, "n_ctx", path, &nc, 1, BIG, err)) goto out;
        if (nc < c->n_ctx) c->n_ctx = nc; /* tokens per sequence: min(n_ctx, n_positions) */
    }
    const json_value *ni = json_get(r, "n_inner");
    if (!ni || ni->type == JSON_NULL) {
        c->d_mlp = 4 * c->n_embd;
    } else if (cfg_int(r, "n_inner", path, &c->d_mlp, 1, BIG, err)) {
        goto out;
    }
    c->ln_eps = 1e-5f;
    if (json_get(r, "layer_norm_epsilon")) {
        double e;
        if (json_get_double(r, "layer_norm_epsilon", path, &e, err)) goto out;
        if (!(e > 0 && e < 1)) {
            n2g_fail(err, "%s: \"layer_norm_epsilon\" = %g is out of range (0, 1)", path, e);
            goto out;
        }
        c->ln_eps = (float)e;
    }
    snprintf(c->activation, sizeof c->activation, "gelu_new");
    const json_value *act = json_get(r, "activation_function");
    if (act) {
        if (act->type != JSON_STRING || strcmp(act->str, "gelu_new")) {
            n2g_fail(err, "%s: \"activation_function\" %.40s%s%s is not supported (expected \"gelu_new\")", path,
                     act->type == JSON_STRING ? "\"" : "", act->type == JSON_STRING ? act->str : json_type_name(act->type),
                     act->type == JSON_STRING ? "\"" : "");
            goto out;
        }
    }
    const json_value *v = json_get(r, "scale_attn_weights");
    if (v && v->type == JSON_FALSE) {
        n2g_fail(err, "%s: \"scale_attn_weights\": false is not supported", path);
        goto out;
    }
    v = json_get(r, "scale_attn_by_inverse_layer_idx");
    if (v && v->type == JSON_TRUE) {
        n2g_fail(err, "%s: \"scale_attn_by_inverse_layer_idx\": true is not supported", path);
        goto out;
    }
    if (c->n_embd % c->n_head) {
        n2g_fail(err, "%s: n_embd %d is not a multiple of n_head %d", path, c->n_embd, c->n_head);
        goto out;
    }
    rc = 0;
out:
    json_free(d);
    return rc;
}

/* one expected tensor: name (without prefix), shape, destination */
typedef struct {
    char name[96];
    int ndim;
    int64_t shape[2];
    const float **dst;
} want_t;

/* h.N.attn.bias / h.N.attn.masked_bias (old causal-mask buffers) and a tied lm_head */
static int ignorable(const char *name, void *user) {
    const char *prefix = user;
    if (!strcmp(name, "lm_head.weight")) return 1;
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl)) return 0;
    name += pl;
    if (strncmp(name, "h.", 2)) return 0;
    const char *p = name + 2;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
    return !strcmp(p, ".attn.bias") || !strcmp(p, ".attn.masked_bias");
}

static int read_config(const char *path, void *cfg, n2g_err *err) { return gpt2_config_read(path, cfg, err); }

int gpt2_load(const char *dir, gpt2_model **out, n2g_err *err) {
    *out = NULL;
    gpt2_model *m = calloc(1, sizeof *m);
    if (!m) return n2g_fail(err, "out of memory");
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    st_model_file sm;
    if (st_model_open(&sm, dir, read_config, &m->cfg, err)) {
        free(m);
        return -1;
    }
    const gpt2_config *c = &m->cfg;
    st_file *f = sm.f;
    const char *path = sm.path;
    m->file_bytes = st_file_bytes(f);
    int L = c->n_layer;
    int64_t C = c->n_embd, V = c->vocab_size, P = c->n_positions, D = c->d_mlp;
    size_t nw = 4 + 12 * (size_t)L;
    want_t *w = calloc(nw, sizeof *w);
    m->layers = calloc((size_t)L, sizeof *m->layers);
    int rc = -1;
    float *arena = NULL;
    if (!w || !m->layers) {
        n2g_fail(err, "out of memory");
        goto out;
    }
    size_t k = 0;
#define WANT(dst_, nd, s0, s1, ...)                                              \
    do {                                                                         \
        snprintf(w[k].name, sizeof w[k].name, __VA_ARGS__);                      \
        w[k].ndim = nd, w[k].shape[0] = s0, w[k].shape[1] = s1, w[k].dst = dst_; \
        k++;                                                                     \
    } while (0)
    WANT(&m->wte, 2, V, C, "wte.weight");
    WANT(&m->wpe, 2, P, C, "wpe.weight");
    WANT(&m->lnf_g, 1, C, 0, "ln_f.weight");
    WANT(&m->lnf_b, 1, C, 0, "ln_f.bias");
    for (int l = 0; l < L; l++) {
        gpt2_layer_w *y = &m->layers[l];
        WANT(&y->ln1_g, 1, C, 0, "h.%d.ln_1.weight", l);
        WANT(&y->ln1_b, 1, C, 0, "h.%d.ln_1.bias", l);
        WANT(&y->qkv_w, 2, C, 3 * C, "h.%d.attn.c_attn.weight", l);
        WANT(&y->qkv_b, 1, 3 * C, 0, "h.%d.attn.c_attn.bias", l);
        WANT(&y->proj_w, 2, C, C, "h.%d.attn.c_proj.weight", l);
        WANT(&y->proj_b, 1, C, 0, "h.%d.attn.c_proj.bias", l);
        WANT(&y->ln2_g, 1, C, 0, "h.%d.ln_2.weight", l);
        WANT(&y->ln2_b, 1, C, 0, "h.%d.ln_2.bias", l);
        WANT(&y->fc_w, 2, C, D, "h.%d.mlp.c_fc.weight", l);
        WANT(&y->fc_b, 1, D, 0, "h.%d.mlp.c_fc.bias", l);
        WANT(&y->mproj_w, 2, D, C, "h.%d.mlp.c_proj.weight", l);
        WANT(&y->mproj_b, 1, C, 0, "h.%d.mlp.c_proj.bias", l);
    }
#undef WANT
    const char *prefix = st_find(f, "transformer.wte.weight") ? "transformer." : "";
    /* presence, shape and dtype of every tensor; arena size */
    size_t total = 0;
    const st_tensor **src = calloc(nw, sizeof *src);
    if (!src) {
        n2g_fail(err, "out of memory");
        goto out;
    }
    char config[160]; /* what sets the shapes, for a mismatch's message */
    snprintf(config, sizeof config, "n_embd %d, d_mlp %d, vocab_size %d, n_positions %d", c->n_embd, c->d_mlp,
             c->vocab_size, c->n_positions);
    for (size_t i = 0; i < nw; i++) {
        char full[160];
        snprintf(full, sizeof full, "%s%s", prefix, w[i].name);
        const st_tensor *t = st_find(f, full);
        if (!t) {
            n2g_fail(err, "%s: missing tensor '%s' (config.json: n_layer %d, n_embd %d)", path, full, L, c->n_embd);
            goto out2;
        }
        if (st_model_check(&sm, t, w[i].ndim, w[i].shape, config, err)) goto out2;
        src[i] = t;
        total += (t->numel + 15) & ~(size_t)15;
    }
    const st_tensor *extra = st_model_unused(&sm, ignorable, (void *)prefix);
    if (extra) {
        n2g_fail(err, "%s: unexpected tensor '%s' (config.json: n_layer %d; names %s)", path, extra->name, L,
                 *prefix ? "prefixed \"transformer.\"" : "without prefix");
        goto out2;
    }
    snprintf(m->dtype, sizeof m->dtype, "%s", sm.dtype);
    arena = aligned_alloc(64, total * sizeof(float) + 64);
    if (!arena) {
        n2g_fail(err, "out of memory for %zu weights", total);
        goto out2;
    }
    size_t off = 0;
    for (size_t i = 0; i < nw; i++) {
        if (st_read_f32(f, src[i], arena + off, 1, err)) goto out2;
        *w[i].dst = arena + off;
        off += (src[i]->numel + 15) & ~(size_t)15;
    }
    m->priv = arena;
    arena = NULL;
    rc = 0;
out2:
    free(src);
out:
    free(arena);
    free(w);
    st_model_close(&sm);
    if (rc) gpt2_free(m); /* its weights were never set */
    else *out = m;
    return rc;
}

void gpt2_free(gpt2_model *m) {
    if (!m) return;
    free(m->priv);
    free(m->layers);
    free(m);
}

int gpt2_check_tokens(const gpt2_model *m, const int32_t *tok, size_t n, n2g_err *err) {
    if (n > (size_t)m->cfg.n_ctx)
        return n2g_fail(err, "%zu tokens exceed the model's context of %d tokens (config.json n_positions)", n,
                        m->cfg.n_ctx);
    for (size_t i = 0; i < n; i++)
        if (tok[i] < 0 || tok[i] >= m->cfg.vocab_size)
            return n2g_fail(err, "token id %d at index %zu is out of range (vocab_size %d)", (int)tok[i], i,
                            m->cfg.vocab_size);
    return 0;
}
