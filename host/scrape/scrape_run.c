/* scrape_run.c — read access to a scrape run directory (scrape_run.h). */
#include "scrape_run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops_topk.h"
#include "scrape_store.h"

struct scrape_run {
    json_doc *manifest;
    scrape_map map;
    int slot_of[4096];
    char model_dir[4096];
};

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
    const json_value *model = json_get(json_root(r->manifest), "model");
    const json_value *md = model ? json_get(model, "dir") : NULL;
    if (!md || md->type != JSON_STRING) {
        scrape_run_close(r);
        return n2g_fail(err, "%s: model.dir missing or not a string", path);
    }
    snprintf(r->model_dir, sizeof r->model_dir, "%s", md->str);
    snprintf(path, sizeof path, "%s/examples.bin", dir);
    if (scrape_store_map(path, &r->map, err)) {
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
