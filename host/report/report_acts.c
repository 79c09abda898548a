/* report_acts.c — per-token activations of the report's example rows, recomputed with the
 * run's model: every distinct row once (forward through the deepest layer needed), each
 * neuron's values copied out of hook_post. Checked against the scrape's stored maxima, so a
 * model that is not the run's model is an error, not a wrong picture. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "model/gpt2.h"
#include "report_acts.h"

typedef struct {
    uint32_t row;
    uint32_t ex; /* index into acts: i * k + j */
} use;

static int use_cmp(const void *a, const void *b) {
    const use *x = a, *y = b;
    return x->row < y->row ? -1 : x->row > y->row;
}

int report_acts_compute(const report_acts_req *q, float **acts_out, int *skipped, char *note, size_t note_n,
                        n2g_err *err) {
    const scrape_header *h = q->map->h;
    const size_t k = h->k, T = h->ctx, D = h->d_mlp;
    *acts_out = NULL;
    *skipped = 0;
    if (note_n) note[0] = 0;
    size_t n_use = 0, cap = q->n * k;
    use *u = malloc((cap ? cap : 1) * sizeof *u);
    if (!u) return n2g_fail(err, "out of memory");
    int max_layer = 0;
    for (size_t i = 0; i < q->n; i++) {
        size_t base = ((size_t)q->slot[i] * D + (size_t)q->neurons[i].neuron) * k;
        for (size_t j = 0; j < k; j++)
            if (isfinite(q->map->val[base + j])) u[n_use++] = (use){q->map->row[base + j], (uint32_t)(i * k + j)};
        if (q->neurons[i].layer > max_layer) max_layer = q->neurons[i].layer;
    }
    qsort(u, n_use, sizeof *u, use_cmp);
    size_t n_rows = 0;
    for (size_t i = 0; i < n_use; i++) n_rows += i == 0 || u[i].row != u[i - 1].row;

    gpt2_model *m = NULL;
    if (gpt2_load(q->model_dir, &m, err)) {
        free(u);
        return -1;
    }
    /* work estimate: 24 C^2 flops per token and layer (attention projections + MLP) */
    double C = m->cfg.n_embd, flops = (double)n_rows * (double)T * (max_layer + 1) * 24.0 * C * C;
    if (!q->required && flops > q->max_flops) {
        snprintf(note, note_n,
                 "per-token activations skipped: %zu rows x %zu tokens through %d layers is about %.0f GFLOP "
                 "(limit %.0f; pass --acts model to compute them anyway)",
                 n_rows, T, max_layer + 1, flops / 1e9, q->max_flops / 1e9);
        *skipped = 1;
        gpt2_free(m);
        free(u);
        return 0;
    }
    if ((size_t)m->cfg.d_mlp != D || max_layer >= m->cfg.n_layer) {
        n2g_fail(err, "%s: model (d_mlp %d, %d layers) does not match the run (d_mlp %zu, layer %d)", q->model_dir,
                 m->cfg.d_mlp, m->cfg.n_layer, D, max_layer);
        gpt2_free(m);
        free(u);
        return -1;
    }
    size_t n_acts = q->n * k * T;
    float *acts = malloc((n_acts ? n_acts : 1) * sizeof *acts);
    float *hp = malloc((size_t)(max_layer + 1) * T * D * sizeof *hp);
    ops_ctx *ops = NULL;
    gpt2_runner *r = NULL;
    int rc = -1;
    progress *pg = NULL;
    if (!acts || !hp) {
        n2g_fail(err, "out of memory for %zu x %zu activations", q->n * k, T);
        goto out;
    }
    for (size_t i = 0; i < n_acts; i++) acts[i] = NAN;
    if (ops_open(q->ops, &ops, err) || gpt2_runner_create(m, ops, max_layer, 1, (int)T, &r, err)) goto out;
    pg = progress_start("acts", (double)n_rows, "rows", q->quiet);
    size_t done = 0;
    for (size_t a = 0; a < n_use;) {
        size_t b = a;
        while (b < n_use && u[b].row == u[a].row) b++;
        const int32_t *tok;
        int got = scrape_map_row_get(q->map, u[a].row, &tok, err);
        if (got <= 0) {
            if (got == 0) n2g_fail(err, "examples.bin: row %u is not stored", u[a].row);
            goto out;
        }
        if (gpt2_check_tokens(m, tok, T, err) || gpt2_hook_post_all(r, tok, (int)T, max_layer, hp, err)) {
            n2g_wrap(err, "row %u", u[a].row);
            goto out;
        }
        for (size_t e = a; e < b; e++) {
            size_t i = u[e].ex / k, j = u[e].ex % k;
            const report_summary *s = &q->neurons[i];
            float *dst = acts + (size_t)u[e].ex * T;
            for (size_t t = 0; t < T; t++) dst[t] = hp[((size_t)s->layer * T + t) * D + (size_t)s->neuron];
            /* the run's own record of this example: value at its max position */
            size_t base = ((size_t)q->slot[i] * D + (size_t)s->neuron) * k + j;
            float want = q->map->val[base];
            uint32_t pos = q->map->pos[base];
            float got = pos < T ? dst[pos] : NAN;
            if (!(fabsf(got - want) <= 1e-2f * fmaxf(1.0f, fabsf(want)))) {
                n2g_fail(err,
                         "%s does not reproduce the run's activations (neuron %d:%d, row %u, position %u: %g, the run "
                         "recorded %g); pass the run's model or --acts none",
                         q->model_dir, s->layer, s->neuron, u[e].row, pos, (double)got, (double)want);
                goto out;
            }
        }
        done++;
        if ((done & 15) == 0) progress_update(pg, (double)done, NULL);
        a = b;
    }
    progress_update(pg, (double)done, NULL);
    *acts_out = acts;
    acts = NULL;
    rc = 0;
out:
    if (pg) progress_finish(pg);
    gpt2_runner_free(r);
    ops_destroy(ops);
    gpt2_free(m);
    free(acts);
    free(hp);
    free(u);
    return rc;
}
