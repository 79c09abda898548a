/* scrape_engine.c — device side of a scrape (scrape_engine.h). */
#include "scrape_engine.h"

#include <stdlib.h>
#include <string.h>

#include "ops/ops_topk.h"

struct scrape_engine {
    ops_ctx *ops;
    gpt2_runner *run;
    int n_layers, slot_of[4096], max_layer;
    int C, k, T, max_B, p0;
    int fire_f; /* firing lists: entries per list, 0 = none */
    float fire_ratio;
    ops_buf *topk, *stats, *rmax, *rarg, *rsum, *fire;
    /* per step */
    uint32_t row0;
    int do_topk;
};

size_t scrape_engine_topk_words(const scrape_engine *e) { return (size_t)e->n_layers * 3 * e->C * e->k; }
size_t scrape_engine_stats_words(const scrape_engine *e) { return (size_t)e->n_layers * e->C * 2; }
size_t scrape_engine_fire_words(const scrape_engine *e) {
    return e->fire_f ? (size_t)e->n_layers * ops_topk_fire_words(e->C, e->k, e->fire_f) : 0;
}

int scrape_engine_set_fire(scrape_engine *e, int F, float ratio, const uint32_t *fire, n2g_err *err) {
    if (F < 1 || F > OPS_TOPK_MAX_F || !(ratio > 0 && ratio <= 1))
        return n2g_fail(err, "scrape: firing lists of %d entries at ratio %g are out of range", F, (double)ratio);
    size_t per = ops_topk_fire_words(e->C, e->k, F);
    if (!e->fire) {
        e->fire_f = F, e->fire_ratio = ratio;
        if (!(e->fire = ops_alloc(e->ops, scrape_engine_fire_words(e) * 4, err))) {
            e->fire_f = 0;
            return -1;
        }
    }
    uint32_t *tmp = NULL;
    if (!fire) {
        if (!(tmp = malloc(scrape_engine_fire_words(e) * 4))) return n2g_fail(err, "scrape: out of memory");
        for (int l = 0; l < e->n_layers; l++) ops_topk_fire_init_host(tmp + l * per, e->C, e->k, F);
        fire = tmp;
    }
    int rc = ops_upload(e->ops, e->fire, 0, fire, scrape_engine_fire_words(e) * 4, err);
    free(tmp);
    return rc ? -1 : 0;
}

int scrape_engine_get_fire(scrape_engine *e, uint32_t *fire, n2g_err *err) {
    if (!e->fire) return 0;
    return ops_download(e->ops, e->fire, 0, fire, scrape_engine_fire_words(e) * 4, err) ? -1 : 0;
}

int scrape_engine_create(const gpt2_model *m, ops_ctx *ops, const int *layers, int n_layers, int k, int T, int max_B,
                         int p0, scrape_engine **out, n2g_err *err) {
    *out = NULL;
    if (n_layers < 1 || n_layers > m->cfg.n_layer) return n2g_fail(err, "scrape: bad layer count %d", n_layers);
    if (k < 1 || k > OPS_TOPK_MAX_K) return n2g_fail(err, "scrape: top-k %d out of range 1..%d", k, OPS_TOPK_MAX_K);
    if (T < 2 || T > m->cfg.n_ctx || p0 < 0 || p0 >= T) return n2g_fail(err, "scrape: bad row length %d", T);
    scrape_engine *e = calloc(1, sizeof *e);
    if (!e) return n2g_fail(err, "scrape: out of memory");
    for (int l = 0; l < 4096; l++) e->slot_of[l] = -1;
    for (int i = 0; i < n_layers; i++) {
        if (layers[i] < 0 || layers[i] >= m->cfg.n_layer || layers[i] >= 4096 || (i && layers[i] <= layers[i - 1])) {
            free(e);
            return n2g_fail(err, "scrape: layers must be ascending and < %d", m->cfg.n_layer);
        }
        e->slot_of[layers[i]] = i;
    }
    e->ops = ops;
    e->n_layers = n_layers;
    e->max_layer = layers[n_layers - 1];
    e->C = m->cfg.d_mlp;
    e->k = k;
    e->T = T;
    e->max_B = max_B;
    e->p0 = p0;
    if (gpt2_runner_create(m, ops, e->max_layer, max_B, T, &e->run, err)) {
        free(e);
        return -1;
    }
    size_t cand = (size_t)n_layers * max_B * e->C * 4;
    if (!(e->topk = ops_alloc(ops, scrape_engine_topk_words(e) * 4, err)) ||
        !(e->stats = ops_alloc(ops, scrape_engine_stats_words(e) * 4, err)) ||
        !(e->rmax = ops_alloc(ops, cand, err)) || !(e->rarg = ops_alloc(ops, cand, err)) ||
        !(e->rsum = ops_alloc(ops, cand, err)) || scrape_engine_set_state(e, NULL, NULL, err)) {
        scrape_engine_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void scrape_engine_free(scrape_engine *e) {
    if (!e) return;
    ops_free(e->ops, e->topk);
    ops_free(e->ops, e->stats);
    ops_free(e->ops, e->rmax);
    ops_free(e->ops, e->rarg);
    ops_free(e->ops, e->rsum);
    ops_free(e->ops, e->fire);
    gpt2_runner_free(e->run);
    free(e);
}

int scrape_engine_set_state(scrape_engine *e, const uint32_t *topk, const float *stats, n2g_err *err) {
    size_t tw = scrape_engine_topk_words(e), sw = scrape_engine_stats_words(e);
    uint32_t *tmp = NULL;
    float *z = NULL;
    if (!topk) {
        tmp = malloc(tw * 4);
        if (!tmp) return n2g_fail(err, "scrape: out of memory");
        size_t per = (size_t)3 * e->C * e->k;
        for (int l = 0; l < e->n_layers; l++) ops_topk_init_host(tmp + l * per, e->C, e->k);
        topk = tmp;
    }
    if (!stats) {
        z = calloc(sw, 4);
        if (!z) {
            free(tmp);
            return n2g_fail(err, "scrape: out of memory");
        }
        stats = z;
    }
    int rc = ops_upload(e->ops, e->topk, 0, topk, tw * 4, err) || ops_upload(e->ops, e->stats, 0, stats, sw * 4, err);
    free(tmp);
    free(z);
    return rc ? -1 : 0;
}

int scrape_engine_get_state(scrape_engine *e, uint32_t *topk, float *stats, n2g_err *err) {
    if (ops_download(e->ops, e->topk, 0, topk, scrape_engine_topk_words(e) * 4, err) ||
        ops_download(e->ops, e->stats, 0, stats, scrape_engine_stats_words(e) * 4, err))
        return -1;
    return 0;
}

int scrape_engine_get_rowsums(scrape_engine *e, int B, float *sums, n2g_err *err) {
    if (B < 1 || B > e->max_B) return n2g_fail(err, "scrape: %d row sums requested, batch holds %d", B, e->max_B);
    for (int s = 0; s < e->n_layers; s++)
        if (ops_download(e->ops, e->rsum, (size_t)s * e->max_B * e->C * 4, sums + (size_t)s * B * e->C,
                         (size_t)B * e->C * 4, err))
            return -1;
    return 0;
}

/* Recorded right after layer l's GELU: reduce the rows, merge into the layer's store. */
static void on_layer(void *user, int layer, ops_buf *hook_post, int B, int T) {
    scrape_engine *e = user;
    int s = e->slot_of[layer];
    if (s < 0 || !e->do_topk) return;
    size_t cand_off = (size_t)s * e->max_B * e->C;
    ops_rowmax(e->ops, e->rmax, e->rarg, e->rsum, cand_off, hook_post, B, T, e->C, e->p0);
    ops_topk_merge(e->ops, e->topk, (size_t)s * 3 * e->C * e->k, e->stats, (size_t)s * 2 * e->C, e->rmax, e->rarg,
                   e->rsum, cand_off, B, e->C, e->k, e->row0);
    if (e->fire)
        ops_topk_fire(e->ops, e->fire, (size_t)s * ops_topk_fire_words(e->C, e->k, e->fire_f), e->topk,
                      (size_t)s * 3 * e->C * e->k, hook_post, B, T, e->C, e->k, e->fire_f, e->row0, e->p0,
                      e->fire_ratio);
}

int scrape_engine_step(scrape_engine *e, const int32_t *tok, int B, uint32_t row0, int topk, n2g_err *err) {
    if (B < 1 || B > e->max_B) return n2g_fail(err, "scrape: batch of %d rows exceeds %d", B, e->max_B);
    if (gpt2_set_tokens(e->run, tok, B, e->T, err)) return -1;
    e->row0 = row0;
    e->do_topk = topk;
    gpt2_record_forward(e->run, B, e->T, e->max_layer, on_layer, e);
    return ops_run(e->ops, err);
}
