/* scrape_run.c — read access to a scrape run directory (scrape_run.h). */
#include "scrape_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/gpt2.h"
#include "ops/ops_topk.h"
#include "scrape_fs.h"
#include "scrape_store.h"
#include "text/bpe.h"

struct scrape_run {
    json_doc *manifest;
    scrape_map map;
    int slot_of[4096];
    char dir[4096], model_dir[4096];
};

/* ---- manifest <-> examples.bin ---- */

static int parse_hash(const json_value *v, uint64_t *out) {
    if (!v || v->type != JSON_STRING || v->n != 16) return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v->str, &end, 16);
    if (errno || *end) return -1;
    *out = x;
    return 0;
}

/* a non-negative integer member of obj, or -1 with a message */
static int get_u64(const json_value *obj, const char *key, const char *dir, const char *where, uint64_t *out,
                   n2g_err *err) {
    const json_value *v = json_get(obj, key);
    if (!v || v->type != JSON_NUMBER || !(v->num >= 0) || v->num > 9007199254740992.0 || v->num != floor(v->num))
        return n2g_fail(err, "%s/manifest.json: %s.%s is missing or not a non-negative integer", dir, where, key);
    *out = (uint64_t)v->num;
    return 0;
}

int scrape_run_check_files(const char *dir, const json_value *man, const scrape_header *h, n2g_err *err) {
    const json_value *fmt = json_get(man, "format");
    if (!fmt || fmt->type != JSON_STRING || strcmp(fmt->str, "n2g-scrape-run"))
        return n2g_fail(err, "%s/manifest.json: not an n2g scrape manifest (\"format\" is not \"n2g-scrape-run\")", dir);
    uint64_t id;
    const json_value *idv = json_get(man, "identity_hash");
    if (parse_hash(idv, &id))
        return n2g_fail(err, "%s/manifest.json: identity_hash is missing or not 16 hex digits", dir);
    if (id != h->ident_hash)
        return n2g_fail(err, "%s/examples.bin belongs to another scrape: its identity is %016llx, manifest.json's is "
                        "%016llx; copy a run directory whole, or rerun n2g scrape",
                        dir, (unsigned long long)h->ident_hash, (unsigned long long)id);
    const json_value *scan = json_get(man, "scan");
    const json_value *cv = json_get(scan, "complete");
    if (!scan || scan->type != JSON_OBJECT || !cv || (cv->type != JSON_TRUE && cv->type != JSON_FALSE))
        return n2g_fail(err, "%s/manifest.json: scan.complete is missing or not true / false", dir);
    int hdone = (h->flags & SCRAPE_FLAG_COMPLETE) != 0;
    if (cv->type == JSON_FALSE) {
        if (hdone)
            return n2g_fail(err, "%s: the scrape stopped while finishing (examples.bin is complete, manifest.json is "
                            "not); rerun n2g scrape to finish it", dir);
        return 0; /* a checkpoint: the manifest may be one checkpoint behind examples.bin */
    }
    uint64_t v[4], want[4] = {h->rows_scanned, h->rows_scanned * h->ctx, h->positions, h->n_rows};
    static const char *const keys[4] = {"rows", "tokens", "positions_per_neuron", "rows_stored"};
    static const char *const what[4] = {"rows_scanned * ctx", "rows_scanned * ctx", "positions", "n_rows"};
    for (int i = 0; i < 4; i++) {
        if (get_u64(scan, keys[i], dir, "scan", &v[i], err)) return -1;
        if (v[i] != want[i])
            return n2g_fail(err, "%s/manifest.json: scan.%s is %llu but examples.bin's header has %s = %llu: the two "
                            "files disagree (damaged, or from different runs)",
                            dir, keys[i], (unsigned long long)v[i], i ? what[i] : "rows_scanned",
                            (unsigned long long)want[i]);
    }
    if (!hdone)
        return n2g_fail(err, "%s/manifest.json says the scan is complete, examples.bin does not: the two files disagree",
                        dir);
    return 0;
}

/* ---- the model ---- */

int scrape_model_find(const char *run_dir, const json_value *man, const char *override, int check, char *out,
                      size_t n, n2g_err *err) {
    const json_value *model = json_get(man, "model");
    int len;
    if (override) {
        len = snprintf(out, n, "%s", override);
    } else {
        const json_value *md = json_get(model, "dir");
        if (!md || md->type != JSON_STRING || !md->n)
            return n2g_failc(err, N2G_E_USAGE, "%s/manifest.json: model.dir missing or not a string; pass --model DIR",
                             run_dir);
        if (md->str[0] == '/')
            len = snprintf(out, n, "%s", md->str);
        else /* an older run: relative paths are taken relative to the run directory */
            len = snprintf(out, n, "%s/%s", run_dir, md->str);
    }
    if (len < 0 || (size_t)len >= n) return n2g_fail(err, "%s/manifest.json: the model path is too long", run_dir);
    if (!check) return 0;
    struct stat st;
    if (stat(out, &st) || !S_ISDIR(st.st_mode))
        return n2g_fail(err, "%s: the run's model directory is not there%s", out,
                        override ? "" : " (the run's manifest names it; pass --model DIR if the model moved)");
    if (scrape_model_check(out, model, err)) return -1;
    return 0;
}

/* the manifest's record of a config integer (absent: not checked) against the model's */
static int check_int(const char *path, const json_value *cfg, const char *key, int got, n2g_err *err) {
    const json_value *v = json_get(cfg, key);
    if (!v) return 0;
    if (v->type != JSON_NUMBER || v->num != (double)got)
        return n2g_fail(err, "%s: %s %d, the run was scraped with %s%.17g", path, key, got,
                        v->type == JSON_NUMBER ? "" : "(not a number) ", v->type == JSON_NUMBER ? v->num : 0.0);
    return 0;
}

int scrape_model_check(const char *dir, const json_value *model, n2g_err *err) {
    char p[4200];
    const json_value *cfg = json_get(model, "config");
    if (!model || model->type != JSON_OBJECT || !cfg || cfg->type != JSON_OBJECT)
        return n2g_fail(err, "the run's manifest has no model.config: cannot check that %s is its model", dir);
    snprintf(p, sizeof p, "%s/config.json", dir);
    gpt2_config c;
    if (gpt2_config_read(p, &c, err)) return -1;
    if (check_int(p, cfg, "n_layer", c.n_layer, err) || check_int(p, cfg, "n_embd", c.n_embd, err) ||
        check_int(p, cfg, "n_head", c.n_head, err) || check_int(p, cfg, "n_ctx", c.n_ctx, err) ||
        check_int(p, cfg, "n_positions", c.n_positions, err) || check_int(p, cfg, "vocab_size", c.vocab_size, err) ||
        check_int(p, cfg, "d_mlp", c.d_mlp, err))
        return -1;
    const json_value *eps = json_get(cfg, "layer_norm_epsilon"), *act = json_get(cfg, "activation");
    if (eps && (eps->type != JSON_NUMBER || (float)eps->num != c.ln_eps))
        return n2g_fail(err, "%s: layer_norm_epsilon %g, the run was scraped with %g", p, (double)c.ln_eps,
                        eps->type == JSON_NUMBER ? eps->num : 0.0);
    if (act && (act->type != JSON_STRING || strcmp(act->str, c.activation)))
        return n2g_fail(err, "%s: activation \"%s\", the run was scraped with \"%.40s\"", p, c.activation,
                        act->type == JSON_STRING ? act->str : "?");
    /* the weights: the size first (no read), then the hash */
    uint64_t want_bytes, want_hash;
    const json_value *bv = json_get(model, "safetensors_bytes");
    if (!bv || bv->type != JSON_NUMBER || !(bv->num >= 0) || parse_hash(json_get(model, "safetensors_hash"), &want_hash))
        return n2g_fail(err, "the run's manifest records no model.safetensors_bytes / safetensors_hash: cannot check "
                        "that %s is its model", dir);
    want_bytes = (uint64_t)bv->num;
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    struct stat st;
    if (stat(p, &st)) return n2g_fail(err, "%s: cannot open: %s", p, strerror(errno));
    if ((uint64_t)st.st_size != want_bytes)
        return n2g_fail(err, "%s differs from the run's model (%llu bytes, the run recorded %llu)", p,
                        (unsigned long long)st.st_size, (unsigned long long)want_bytes);
    uint64_t hash, bytes;
    if (scrape_hash_file(p, &hash, &bytes, err)) return -1;
    if (hash != want_hash || bytes != want_bytes)
        return n2g_fail(err, "%s differs from the run's model (hash %016llx, the run recorded %016llx)", p,
                        (unsigned long long)hash, (unsigned long long)want_hash);
    const json_value *vv = json_get(model, "vocab");
    if (vv && vv->type == JSON_STRING) { /* runs before it was recorded: not checked */
        const char *now = BPE_VOCAB_NAME(bpe_model_vocab(dir));
        if (strcmp(now, vv->str))
            return n2g_fail(err,
                            strcmp(vv->str, "model")
                                ? "%s: has tokenizer files now, but the run was scraped with the bundled GPT-2 "
                                  "vocabulary (model.vocab \"%s\")"
                                : "%s: has no tokenizer files (vocab.json + merges.txt), but the run was scraped with "
                                  "the model's own (model.vocab \"%s\")",
                            dir, vv->str);
    }
    return 0;
}

int scrape_run_use_model(scrape_run *r, const char *override, n2g_err *err) {
    return scrape_model_find(r->dir, json_root(r->manifest), override, 1, r->model_dir, sizeof r->model_dir, err);
}

int scrape_run_open(const char *dir, int allow_partial, scrape_run **out, n2g_err *err) {
    *out = NULL;
    scrape_run *r = calloc(1, sizeof *r);
    if (!r) return n2g_fail(err, "out of memory");
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (!(r->manifest = json_parse_file(path, err))) {
        free(r);
        return n2g_wrap(err, "%s: not a scrape run", dir);
    }
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    if (scrape_model_find(dir, json_root(r->manifest), NULL, 0, r->model_dir, sizeof r->model_dir, err)) {
        scrape_run_close(r);
        return -1;
    }
    snprintf(path, sizeof path, "%s/examples.bin", dir);
    if (scrape_store_map(path, &r->map, err) || scrape_run_check_files(dir, json_root(r->manifest), r->map.h, err)) {
        scrape_run_close(r);
        return -1;
    }
    if (!allow_partial && !(r->map.h->flags & SCRAPE_FLAG_COMPLETE)) {
        uint64_t rows = r->map.h->rows_scanned;
        scrape_run_close(r);
        return n2g_fail(err, "%s: the scrape is not finished (checkpoint at row %llu); rerun n2g scrape to complete it",
                        dir, (unsigned long long)rows);
    }
    for (int l = 0; l < 4096; l++) r->slot_of[l] = -1;
    for (uint32_t i = 0; i < r->map.h->n_layers; i++) {
        if (r->map.layers[i] >= 4096) {
            uint32_t bad = r->map.layers[i];
            scrape_run_close(r);
            return n2g_fail(err, "%s: layer %u out of range", path, bad);
        }
        r->slot_of[r->map.layers[i]] = (int)i;
    }
    *out = r;
    return 0;
}

void scrape_run_close(scrape_run *r) {
    if (!r) return;
    json_free(r->manifest);
    scrape_store_unmap(&r->map);
    free(r);
}

const json_value *scrape_run_manifest(const scrape_run *r) { return json_root(r->manifest); }
const char *scrape_run_model_dir(const scrape_run *r) { return r->model_dir; }
int scrape_run_complete(const scrape_run *r) { return (r->map.h->flags & SCRAPE_FLAG_COMPLETE) != 0; }
int scrape_run_k(const scrape_run *r) { return (int)r->map.h->k; }
int scrape_run_ctx(const scrape_run *r) { return (int)r->map.h->ctx; }
int scrape_run_d_mlp(const scrape_run *r) { return (int)r->map.h->d_mlp; }
int scrape_run_include_bos(const scrape_run *r) { return (r->map.h->flags & SCRAPE_FLAG_INCLUDE_BOS) != 0; }
uint64_t scrape_run_rows_scanned(const scrape_run *r) { return r->map.h->rows_scanned; }
int scrape_run_n_layers(const scrape_run *r) { return (int)r->map.h->n_layers; }
int scrape_run_layer(const scrape_run *r, int i) { return (int)r->map.layers[i]; }

int scrape_run_has_neuron(const scrape_run *r, int layer, int neuron) {
    return layer >= 0 && layer < 4096 && r->slot_of[layer] >= 0 && neuron >= 0 && (uint32_t)neuron < r->map.h->d_mlp;
}

int scrape_run_topk(const scrape_run *r, int layer, int neuron, scrape_example *out) {
    if (!scrape_run_has_neuron(r, layer, neuron)) return -1;
    size_t k = r->map.h->k, o = ((size_t)r->slot_of[layer] * r->map.h->d_mlp + (size_t)neuron) * k;
    int n = 0;
    for (size_t j = 0; j < k; j++) {
        if (r->map.row[o + j] == OPS_TOPK_EMPTY_ROW) break;
        out[n].value = r->map.val[o + j];
        out[n].row = r->map.row[o + j];
        out[n].pos = r->map.pos[o + j];
        n++;
    }
    return n;
}

int scrape_run_stats(const scrape_run *r, int layer, int neuron, scrape_neuron_stats *out) {
    if (!scrape_run_has_neuron(r, layer, neuron)) return -1;
    const float *rec = r->map.stats + ((size_t)r->slot_of[layer] * r->map.h->d_mlp + (size_t)neuron) * 4;
    out->max = rec[0];
    out->mean = rec[1];
    out->count = r->map.h->positions;
    return 0;
}

int scrape_run_fire(const scrape_run *r, int layer, int neuron, int j, const uint32_t **pos, const float **val,
                    float *ratio) {
    const scrape_header *h = r->map.h;
    if (!r->map.fire_cnt || !scrape_run_has_neuron(r, layer, neuron) || j < 0 || (uint32_t)j >= h->k) return -1;
    size_t i = ((size_t)r->slot_of[layer] * h->d_mlp + (size_t)neuron) * h->k + (size_t)j;
    uint32_t n = r->map.fire_cnt[i];
    if (n == OPS_TOPK_FIRE_NONE || n > h->fire_f) return -1;
    *pos = r->map.fire_pos + i * h->fire_f;
    *val = r->map.fire_val + i * h->fire_f;
    for (uint32_t q = 0; q < n; q++)
        if ((*pos)[q] >= h->ctx || (q && (*pos)[q] <= (*pos)[q - 1])) return -1;
    *ratio = h->fire_ratio;
    return (int)n;
}

const int32_t *scrape_run_row(const scrape_run *r, uint32_t row) { return scrape_map_row(&r->map, row); }

int scrape_run_row_get(const scrape_run *r, uint32_t row, const int32_t **tok, n2g_err *err) {
    return scrape_map_row_get(&r->map, row, tok, err);
}

int scrape_parse_neuron(const char *s, const scrape_run *r, int *layer, int *neuron, n2g_err *err) {
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (end == s || *end != ':' || errno || l < 0 || l >= 4096) goto bad;
    const char *p = end + 1;
    long n = strtol(p, &end, 10);
    if (end == p || *end || errno || n < 0 || n > (1 << 20)) goto bad;
    *layer = (int)l;
    *neuron = (int)n;
    if (r && !scrape_run_has_neuron(r, *layer, *neuron)) {
        if (r->slot_of[l] < 0) return n2g_failc(err, N2G_E_USAGE, "--neuron %s: layer %ld was not scraped in this run", s, l);
        return n2g_failc(err, N2G_E_USAGE, "--neuron %s: neuron %ld out of range (d_mlp = %u)", s, n, r->map.h->d_mlp);
    }
    return 0;
bad:
    return n2g_failc(err, N2G_E_USAGE, "--neuron: expected LAYER:NEURON like 5:123, got '%s'", s);
}
