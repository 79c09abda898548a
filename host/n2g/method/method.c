/* method.c — a neuron's work through the method: its examples loaded and split, its prompts,
 * its samples and test rows for the graph (see method.h). */
#include "n2g/method/method.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "n2g/method/split.h"

const char *n2g_method_tokstr(void *u, int id, size_t *len) {
    n2g_method *m = u;
    const char *s = bpe_token_bytes(m->tok, id, len);
    if (!s) {
        *len = 0;
        return "";
    }
    return s;
}

int n2g_method_encode(void *u, const char *text, size_t n, int32_t **ids, int *n_ids, n2g_err *err) {
    n2g_method *m = u;
    bpe_ids v = {0};
    if (bpe_encode(m->tok, text, n, BPE_ORDINARY, &v, m->cache, err) != 0) {
        free(v.ids);
        return -1;
    }
    *ids = v.ids;
    *n_ids = (int)v.n;
    return 0;
}

int n2g_job_load(const n2g_method *m, n2g_job *j, int layer, int neuron, n2g_err *err) {
    memset(j, 0, sizeof *j);
    j->layer = layer, j->neuron = neuron;
    if (scrape_run_k(m->run) > N2G_MAX_EX)
        return n2g_fail(err, "the run keeps %d examples per neuron; n2g build handles at most %d", scrape_run_k(m->run),
                        N2G_MAX_EX);
    scrape_example ex[N2G_MAX_EX];
    int n = scrape_run_topk(m->run, layer, neuron, ex);
    if (n < 0) return n2g_fail(err, "neuron %d:%d was not scraped in this run", layer, neuron);
    scrape_neuron_stats st;
    if (scrape_run_stats(m->run, layer, neuron, &st) != 0) return n2g_fail(err, "neuron %d:%d: no stats", layer, neuron);
    j->base_max = st.max;
    for (int e = 0; e < n; e++) {
        if (!isfinite(ex[e].value)) break;
        const int32_t *row;
        int got = scrape_run_row_get(m->run, ex[e].row, &row, err); /* -1: its tokens fail their checksum */
        if (got < 0) return n2g_wrap(err, "neuron %d:%d", layer, neuron);
        if (!got) return n2g_fail(err, "neuron %d:%d: row %u is not stored in the run", layer, neuron, ex[e].row);
        j->ex[j->n_ex] = ex[e];
        j->rows[j->n_ex++] = row;
    }
    if (j->n_ex < 2)
        snprintf(j->skip_reason, sizeof j->skip_reason, "%d example(s): at least 2 are needed for a train/test split",
                 j->n_ex);
    else if (!(j->base_max > 0))
        snprintf(j->skip_reason, sizeof j->skip_reason, "the neuron's max activation %g is not positive",
                 (double)j->base_max);
    else
        n2g_split_train_test(m->seed, j->n_ex, j->train, &j->n_train, j->test, &j->n_test);
    return 0;
}

void n2g_job_free(n2g_job *j) {
    for (int e = 0; e < j->n_ex; e++) free(j->acts[e]);
    for (int c = 0; c < j->n_cands; c++)
        for (int k = 0; k < j->cands[c].plan.n_cands; k++) {
            free(j->cands[c].tok[k]);
            free(j->cands[c].acts[k]);
        }
    free(j->cands);
    for (int p = 0; p < j->n_prompts; p++) {
        free(j->prompts[p].tok);
        free(j->prompts[p].A);
        free(j->prompts[p].imp);
        free(j->prompts[p].act);
    }
    free(j->prompts);
    memset(j, 0, sizeof *j);
}

int n2g_job_add_prompt(n2g_job *j, int32_t *tok, int len, int parent, float scale, n2g_err *err) {
    if (j->n_prompts == j->cap_prompts) {
        int nc = j->cap_prompts ? j->cap_prompts * 2 : 16;
        n2g_prompt *np = realloc(j->prompts, sizeof *np * (size_t)nc);
        if (!np) return n2g_fail(err, "out of memory");
        j->prompts = np;
        j->cap_prompts = nc;
    }
    n2g_prompt *p = &j->prompts[j->n_prompts++];
    memset(p, 0, sizeof *p);
    p->tok = tok, p->len = len, p->parent = parent, p->scale = scale;
    return 0;
}

int n2g_job_samples(const n2g_job *j, n2g_sample *s) {
    int ns = 0;
    for (int q = 0; q < j->n_orig; q++) {
        int at = ns;
        const n2g_prompt *p = &j->prompts[q];
        s[ns++] = (n2g_sample){p->tok, p->act, p->imp, p->len, -1};
        for (int a = j->n_orig; a < j->n_prompts; a++)
            if (j->prompts[a].parent == q) {
                p = &j->prompts[a];
                s[ns++] = (n2g_sample){p->tok, p->act, p->imp, p->len, at};
            }
    }
    return ns;
}

void n2g_job_test_rows(const n2g_method *m, const n2g_job *j, n2g_row *rows, float *norm) {
    for (int t = 0; t < j->n_test; t++) {
        int e = j->test[t];
        float *nr = norm + (size_t)t * (size_t)m->ctx_len;
        for (int k = 0; k < m->ctx_len; k++) nr[k] = j->acts[e][k] / j->base_max;
        if (m->skip0) nr[0] = 0; /* the scrape ignored position 0: it never counts as firing */
        rows[t] = (n2g_row){(int32_t *)j->rows[e], nr, m->ctx_len};
    }
}
