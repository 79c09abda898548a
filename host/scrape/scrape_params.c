/* scrape_params.c — a scrape's parameters: alone, then against the model (scrape_job.h), and the
 * --layers list syntax (scrape.h). */
#include <errno.h>
#include <stdlib.h>

#include "ops/ops_topk.h"
#include "scrape_job.h"

int scrape_params_check(const scrape_params *p, n2g_err *err) {
    if (p->top_k < 1 || p->top_k > OPS_TOPK_MAX_K)
        return n2g_failc(err, N2G_E_USAGE, "--top-k: must be between 1 and %d, got %d", OPS_TOPK_MAX_K, p->top_k);
    if (p->n_corpus < 1) return n2g_failc(err, N2G_E_USAGE, "--corpus: at least one file is required");
    if (p->batch < 0) return n2g_failc(err, N2G_E_USAGE, "--batch: must be positive");
    if (p->fire_lists < 0 || p->fire_lists > OPS_TOPK_MAX_F)
        return n2g_failc(err, N2G_E_USAGE, "--fire-lists=%d: entries per list must be 1..%d", p->fire_lists,
                         OPS_TOPK_MAX_F);
    return 0;
}

int scrape_job_model(scrape_job *j, n2g_err *err) {
    const scrape_params *p = j->p;
    if (gpt2_load(p->model_dir, &j->m, err)) return -1;
    /* the tokenizer, by the rule every command follows (bpe_load_model): a broken file stops here */
    if (!(j->tok = bpe_load_model(p->model_dir, j->rank > 0, &j->vocab_src, err))) return -1;
    const gpt2_config *cfg = &j->m->cfg;
    if (p->layers) {
        j->n_layers = p->n_layers;
        for (int i = 0; i < p->n_layers; i++) {
            if (p->layers[i] < 0 || p->layers[i] >= cfg->n_layer)
                return n2g_failc(err, N2G_E_USAGE, "--layers: layer %d does not exist (the model has layers 0-%d)",
                                 p->layers[i], cfg->n_layer - 1);
            j->layers[i] = p->layers[i];
        }
    } else {
        j->n_layers = cfg->n_layer;
        for (int i = 0; i < j->n_layers; i++) j->layers[i] = i;
    }
    j->ctx = p->ctx ? p->ctx : cfg->n_ctx;
    if (j->ctx < 2 || j->ctx > cfg->n_ctx)
        return n2g_failc(err, N2G_E_USAGE, "--ctx: must be between 2 and the model's n_ctx (%d), got %d", cfg->n_ctx,
                         j->ctx);
    j->max_rows = UINT32_MAX - 1;
    if (p->max_tokens) {
        if (p->max_tokens < (uint64_t)j->ctx)
            return n2g_failc(err, N2G_E_USAGE, "--max-tokens: %llu is less than one row of --ctx %d tokens",
                             (unsigned long long)p->max_tokens, j->ctx);
        if (p->max_tokens / j->ctx < j->max_rows) j->max_rows = p->max_tokens / j->ctx;
    }
    j->p0 = p->include_bos ? 0 : 1;
    return 0;
}

int scrape_parse_layers(const char *s, int n_layer, int *out, int cap, n2g_err *err) {
    if (!s || !*s) return n2g_failc(err, N2G_E_USAGE, "--layers: empty list");
    char mark[4096] = {0};
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10), b;
        if (end == p || errno || a < 0 || a >= 4096) goto bad;
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || errno || b < a || b >= 4096) goto bad;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
        for (long l = a; l <= b; l++) {
            if (n_layer > 0 && l >= n_layer)
                return n2g_failc(err, N2G_E_USAGE, "--layers: layer %ld does not exist (the model has layers 0-%d)",
                                 l, n_layer - 1);
            mark[l] = 1;
        }
    }
    int n = 0;
    for (int l = 0; l < 4096; l++)
        if (mark[l]) {
            if (n == cap) return n2g_failc(err, N2G_E_USAGE, "--layers: too many layers");
            out[n++] = l;
        }
    return n;
bad:
    return n2g_failc(err, N2G_E_USAGE, "--layers: expected a list like 0-11 or 0,3,5-7, got '%s'", s);
}
