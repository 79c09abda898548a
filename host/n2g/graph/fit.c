/* fit.c — fitting a graph: each sample's lines (n2g-reference.md §7.2) added to the
 * visualisation graph and the prediction trie, then merge_ignores and the prediction form
 * (see graph.h). */
#include <stdlib.h>
#include <string.h>

#include "n2g/graph/graph.h"

/* ---- lines ---- */

int n2g_make_lines(const n2g_sample *s, const n2g_vocab *vocab, const n2g_params *p, const uint8_t *parent_sets,
                   int parent_len, uint8_t *sets_out, n2g_line_fn emit, void *ctx) {
    int L = s->len;
    int create = parent_sets == NULL;
    n2g_elem stackline[64];
    n2g_elem *line = L + 1 <= 64 ? stackline : malloc(((size_t)L + 1) * sizeof *line);
    if (!line) return -1;
    if (create) memset(sets_out, 0, (size_t)L * (size_t)L);
    int rc = 0;
    for (int i = 0; i < L && !rc; i++) {
        float act = s->act[i];
        if (!(act > p->activation_threshold)) continue;
        const uint8_t *reuse = NULL;
        if (!create) reuse = parent_sets + (size_t)(i < parent_len ? i : parent_len - 1) * (size_t)parent_len;
        int n = 0, last = 0;
        for (int j = 0; j <= i; j++) { /* j counts back from i, as enumerate(reversed(before)) */
            int seq = i - j;
            int32_t tok = s->tokens[seq];
            if (vocab->is_eos[tok]) continue;
            float imp = s->imp[(size_t)seq * (size_t)L + (size_t)i];
            int important = imp > p->importance_threshold || (!create && seq < parent_len && reuse[seq]);
            if (important && create) sets_out[(size_t)i * (size_t)L + (size_t)seq] = 1;
            int ignore = !important && j != 0;
            n2g_elem *e = &line[n++];
            e->importance = imp;
            e->activation = s->act[seq];
            e->token = tok;
            e->key = ignore ? N2G_KEY_IGNORE : vocab->cls[tok];
            e->important = (uint8_t)important;
            e->activator = s->act[seq] > p->activation_threshold;
            e->ignore = (uint8_t)ignore;
            e->is_end = 0;
            if (!ignore) last = j; /* the reference keeps the enumerate index, not the line index */
        }
        if (n > last + 1) n = last + 1;
        n2g_elem *end = &line[n++];
        memset(end, 0, sizeof *end);
        end->activation = act;
        end->token = -1;
        end->key = N2G_KEY_END;
        end->ignore = 1;
        end->is_end = 1;
        rc = emit(ctx, line, n);
    }
    if (line != stackline) free(line);
    return rc;
}

typedef struct {
    n2g_graph *g;
} fit_ctx;

static int fit_emit(void *ctx, const n2g_elem *line, int len) {
    n2g_graph *g = ((fit_ctx *)ctx)->g;
    if (n2g_trie_add(&g->viz, 0, line, len, 1, &g->max_depth)) return -1;
    return n2g_trie_add(&g->trie, 0, line, len, 0, &g->max_depth);
}

n2g_graph *n2g_fit(const n2g_sample *samples, size_t n, const n2g_vocab *vocab, const n2g_params *params,
                   n2g_err *err) {
    n2g_graph *g = n2g_graph_new();
    uint8_t **sets = calloc(n ? n : 1, sizeof *sets);
    if (!g || !sets) goto oom;
    if (params) g->params = *params;
    g->normalise = vocab->normalise;
    g->vocab_size = vocab->n;
    for (size_t k = 0; k < n; k++) {
        const n2g_sample *s = &samples[k];
        if (s->len <= 0) {
            n2g_fail(err, "sample %zu: expected at least one token", k);
            goto fail;
        }
        for (int i = 0; i < s->len; i++)
            if (s->tokens[i] < 0 || s->tokens[i] >= vocab->n) {
                n2g_fail(err, "sample %zu: token %d at position %d is outside the vocabulary (0..%d)", k,
                         s->tokens[i], i, vocab->n - 1);
                goto fail;
            }
        fit_ctx ctx = {g};
        if (s->parent < 0) {
            sets[k] = malloc((size_t)s->len * (size_t)s->len);
            if (!sets[k]) goto oom;
            if (n2g_make_lines(s, vocab, &g->params, NULL, 0, sets[k], fit_emit, &ctx)) goto oom;
        } else {
            if ((size_t)s->parent >= k || samples[s->parent].parent >= 0) {
                n2g_fail(err, "sample %zu: parent %d is not an earlier original sample", k, s->parent);
                goto fail;
            }
            if (n2g_make_lines(s, vocab, &g->params, sets[s->parent], samples[s->parent].len, NULL, fit_emit, &ctx))
                goto oom;
        }
    }
    if (n2g_merge_ignores(&g->trie) || n2g_graph_freeze(g)) goto oom;
    for (size_t k = 0; k < n; k++) free(sets[k]);
    free(sets);
    return g;
oom:
    n2g_fail(err, "fit: out of memory");
fail:
    if (sets)
        for (size_t k = 0; k < n; k++) free(sets[k]);
    free(sets);
    n2g_graph_free(g);
    return NULL;
}
