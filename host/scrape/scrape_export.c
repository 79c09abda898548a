/* scrape_export.c — one neuron's examples with recomputed per-token activations. */
#include "scrape_export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/gpt2.h"
#include "text/bpe.h"

typedef struct {
    ops_buf *h; /* hook_post of the target layer, captured while recording */
    int layer;
} capture;

static void on_layer(void *user, int layer, ops_buf *hook_post, int B, int T) {
    (void)B, (void)T;
    capture *c = user;
    if (layer == c->layer) c->h = hook_post;
}

/* acts [n, ctx]: the neuron's activation at every position of each example row. */
static int recompute(const gpt2_model *m, const ops_options *oo, const scrape_run *run, const scrape_example *ex,
                     int n, int layer, int neuron, float *acts, n2g_err *err) {
    int T = scrape_run_ctx(run), D = m->cfg.d_mlp, B = 4;
    ops_ctx *ops = NULL;
    gpt2_runner *r = NULL;
    int32_t *tok = malloc((size_t)B * T * sizeof *tok);
    float *h = malloc((size_t)B * T * D * sizeof *h);
    int rc = -1;
    if (!tok || !h) {
        n2g_fail(err, "out of memory");
        goto out;
    }
    if (ops_open(oo, &ops, err) ||
        gpt2_runner_create(m, ops, layer, B, T, &r, err))
        goto out;
    for (int i0 = 0; i0 < n; i0 += B) {
        int b = n - i0 < B ? n - i0 : B;
        for (int i = 0; i < b; i++) {
            const int32_t *row;
            int got = scrape_run_row_get(run, ex[i0 + i].row, &row, err);
            if (got <= 0) {
                if (got == 0) n2g_fail(err, "run: row %u has no stored tokens", ex[i0 + i].row);
                goto out;
            }
            memcpy(tok + (size_t)i * T, row, (size_t)T * sizeof *tok);
        }
        capture cap = {NULL, layer};
        if (gpt2_set_tokens(r, tok, b, T, err)) goto out;
        gpt2_record_forward(r, b, T, layer, on_layer, &cap);
        if (ops_run(ops, err) || !cap.h || ops_download(ops, cap.h, 0, h, (size_t)b * T * D * sizeof *h, err)) goto out;
        for (int i = 0; i < b; i++)
            for (int t = 0; t < T; t++) acts[(size_t)(i0 + i) * T + t] = h[((size_t)i * T + t) * D + neuron];
    }
    rc = 0;
out:
    gpt2_runner_free(r);
    ops_destroy(ops);
    free(tok);
    free(h);
    return rc;
}

static void put_f(FILE *f, float v) {
    if (isfinite(v))
        json_write_float(f, v);
    else
        fputs("null", f);
}

int scrape_export_neuron(scrape_run *run, const char *model_dir, int layer, int neuron, const ops_options *oo,
                         int json, FILE *f, n2g_err *err) {
    if (!scrape_run_has_neuron(run, layer, neuron))
        return n2g_failc(err, N2G_E_USAGE, "neuron %d:%d was not scraped in this run", layer, neuron);
    if (scrape_run_use_model(run, model_dir, err)) return -1;
    model_dir = scrape_run_model_dir(run);
    int k = scrape_run_k(run), T = scrape_run_ctx(run);
    scrape_example *ex = calloc((size_t)k, sizeof *ex);
    float *acts = NULL;
    gpt2_model *m = NULL;
    bpe_tokenizer *tok = NULL;
    int rc = -1;
    if (!ex) return n2g_fail(err, "out of memory");
    int n = scrape_run_topk(run, layer, neuron, ex);
    scrape_neuron_stats st;
    scrape_run_stats(run, layer, neuron, &st);
    if (gpt2_load(model_dir, &m, err)) goto out;
    if (m->cfg.d_mlp != scrape_run_d_mlp(run) || layer >= m->cfg.n_layer) {
        n2g_fail(err, "%s: the model does not match the run (d_mlp %d, run %d)", model_dir, m->cfg.d_mlp,
                 scrape_run_d_mlp(run));
        goto out;
    }
    if (!(tok = bpe_load_model(model_dir, 0, NULL, err))) goto out;
    acts = malloc(((size_t)n + 1) * T * sizeof *acts);
    if (!acts) {
        n2g_fail(err, "out of memory");
        goto out;
    }
    if (n && recompute(m, oo, run, ex, n, layer, neuron, acts, err)) goto out;
    int p0 = scrape_run_include_bos(run) ? 0 : 1;
    if (json) {
        fprintf(f, "{\"neuron\": \"%d:%d\", \"layer\": %d, \"index\": %d, \"hook\": \"blocks.%d.mlp.hook_post\",\n",
                layer, neuron, layer, neuron, layer);
        fprintf(f, " \"max\": ");
        put_f(f, st.max);
        fprintf(f, ", \"mean\": ");
        put_f(f, st.mean);
        fprintf(f, ", \"count\": %llu, \"include_bos\": %s, \"ctx\": %d,\n \"examples\": [", (unsigned long long)st.count,
                p0 ? "false" : "true", T);
    } else {
        fprintf(f, "neuron %d:%d (blocks.%d.mlp.hook_post): max %.4f, mean %.4f over %llu activations; %d examples\n",
                layer, neuron, layer, st.max, st.mean, (unsigned long long)st.count, n);
    }
    for (int i = 0; i < n; i++) {
        const int32_t *row = scrape_run_row(run, ex[i].row);
        const float *a = acts + (size_t)i * T;
        float rmax = -INFINITY;
        int rpos = p0;
        for (int t = p0; t < T; t++)
            if (a[t] > rmax) rmax = a[t], rpos = t;
        if (json) {
            fprintf(f, "%s\n  {\"rank\": %d, \"row\": %u, \"max\": ", i ? "," : "", i, ex[i].row);
            put_f(f, ex[i].value);
            fprintf(f, ", \"max_position\": %u, \"recomputed_max\": ", ex[i].pos);
            put_f(f, rmax);
            fprintf(f, ", \"recomputed_max_position\": %d,\n   \"token_ids\": [", rpos);
            for (int t = 0; t < T; t++) fprintf(f, "%s%d", t ? ", " : "", row[t]);
            fprintf(f, "],\n   \"tokens\": [");
            for (int t = 0; t < T; t++) {
                size_t len = 0;
                const char *s = bpe_token_bytes(tok, row[t], &len);
                if (t) fputs(", ", f);
                json_write_string(f, s ? s : "", s ? len : 0);
            }
            fprintf(f, "],\n   \"values\": [");
            for (int t = 0; t < T; t++) {
                if (t) fputs(", ", f);
                put_f(f, a[t]);
            }
            fprintf(f, "]}");
        } else {
            fprintf(f, "\n#%d row %u max %.4f at position %u (recomputed %.4f at %d)\n", i, ex[i].row, ex[i].value,
                    ex[i].pos, rmax, rpos);
            int lo = (int)ex[i].pos - 12 < 0 ? 0 : (int)ex[i].pos - 12, hi = (int)ex[i].pos + 4 >= T ? T - 1 : (int)ex[i].pos + 4;
            for (int t = lo; t <= hi; t++) {
                size_t len = 0;
                const char *s = bpe_token_bytes(tok, row[t], &len);
                fprintf(f, "  %5d %8.4f %s", t, a[t], t == (int)ex[i].pos ? "> " : "  ");
                json_write_string(f, s ? s : "", s ? len : 0);
                fputc('\n', f);
            }
        }
    }
    if (json) fprintf(f, "\n ]}\n");
    rc = 0;
out:
    free(ex);
    free(acts);
    bpe_free(tok);
    gpt2_free(m);
    return rc;
}
