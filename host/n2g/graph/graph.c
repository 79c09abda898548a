/* graph.c — the graph object: parameters, new / free, and its prediction form (the trie
 * frozen into sorted child arrays and hash tables; see graph.h). */
#include "n2g/graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void n2g_params_default(n2g_params *p) {
    p->activation_threshold = 0.5f;
    p->importance_threshold = 0.75f;
}

n2g_graph *n2g_graph_new(void) {
    n2g_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->layer = g->neuron = -1;
    n2g_params_default(&g->params);
    g->normalise = 1;
    if (n2g_trie_init(&g->viz) || n2g_trie_init(&g->trie)) {
        n2g_graph_free(g);
        return NULL;
    }
    return g;
}

static void frozen_free(n2g_frozen *f) {
    free(f->child_start);
    free(f->child_key);
    free(f->child_node);
    free(f->ignore_child);
    free(f->end_act);
    free(f->activator);
    free(f->hash_mask);
    free(f->hash_start);
    free(f->hash_key);
    free(f->hash_node);
    memset(f, 0, sizeof *f);
}

void n2g_graph_free(n2g_graph *g) {
    if (!g) return;
    n2g_trie_free(&g->viz);
    n2g_trie_free(&g->trie);
    frozen_free(&g->fz);
    free(g);
}

/* ---- prediction form ---- */

/* qsort_r comparator: children ordered by key (keys indexed by node). Thread-safe. */
static int cmp_by_key(const void *a, const void *b, void *keys) {
    const uint32_t *k = keys;
    uint32_t x = k[*(const int32_t *)a], y = k[*(const int32_t *)b];
    return x < y ? -1 : x > y;
}

int n2g_graph_freeze(n2g_graph *g) {
    const n2g_trie *t = &g->trie;
    n2g_frozen *f = &g->fz;
    frozen_free(f);
    int32_t n = t->n;
    f->n = n;
    f->child_start = calloc((size_t)n + 1, sizeof *f->child_start);
    f->child_key = malloc((size_t)n * sizeof *f->child_key);
    f->child_node = malloc((size_t)n * sizeof *f->child_node);
    f->ignore_child = malloc((size_t)n * sizeof *f->ignore_child);
    f->end_act = malloc((size_t)n * sizeof *f->end_act);
    f->activator = malloc((size_t)n);
    uint32_t *keys = malloc((size_t)n * sizeof *keys);
    if (!f->child_start || !f->child_key || !f->child_node || !f->ignore_child || !f->end_act || !f->activator ||
        !keys) {
        free(keys);
        frozen_free(f);
        return -1;
    }
    int32_t k = 0;
    for (int32_t x = 0; x < n; x++) {
        const n2g_node *nd = &t->nodes[x];
        f->child_start[x] = k;
        f->ignore_child[x] = -1;
        f->end_act[x] = NAN;
        f->activator[x] = nd->v.activator;
        for (int32_t c = nd->first; c >= 0; c = t->nodes[c].next) {
            uint32_t key = t->nodes[c].v.key;
            if (key == N2G_KEY_IGNORE) f->ignore_child[x] = c;
            else if (key == N2G_KEY_END) f->end_act[x] = t->nodes[c].v.activation;
            else {
                f->child_node[k] = c;
                keys[c] = key;
                k++;
            }
        }
        int32_t m = k - f->child_start[x];
        if (m > 1) qsort_r(f->child_node + f->child_start[x], (size_t)m, sizeof(int32_t), cmp_by_key, keys);
        for (int32_t q = f->child_start[x]; q < k; q++) f->child_key[q] = keys[f->child_node[q]];
    }
    f->child_start[n] = k;
    free(keys);
    /* hash tables for nodes with at least N2G_HASH_MIN exact children */
    enum { N2G_HASH_MIN = 16 };
    f->hash_mask = calloc((size_t)n, sizeof *f->hash_mask);
    f->hash_start = calloc((size_t)n, sizeof *f->hash_start);
    if (!f->hash_mask || !f->hash_start) goto oom;
    size_t total = 0;
    for (int32_t x = 0; x < n; x++) {
        int32_t m = f->child_start[x + 1] - f->child_start[x];
        if (m < N2G_HASH_MIN) continue;
        uint32_t size = 1;
        while (size < (uint32_t)m * 2) size <<= 1;
        f->hash_mask[x] = size - 1;
        f->hash_start[x] = (int32_t)total;
        total += size;
    }
    if (total) {
        f->hash_key = malloc(total * sizeof *f->hash_key);
        f->hash_node = malloc(total * sizeof *f->hash_node);
        if (!f->hash_key || !f->hash_node) goto oom;
        for (size_t i = 0; i < total; i++) f->hash_key[i] = N2G_KEY_ROOT;
        for (int32_t x = 0; x < n; x++) {
            if (!f->hash_mask[x]) continue;
            uint32_t *hk = f->hash_key + f->hash_start[x];
            int32_t *hn = f->hash_node + f->hash_start[x];
            for (int32_t q = f->child_start[x]; q < f->child_start[x + 1]; q++) {
                uint32_t h = n2g_key_hash(f->child_key[q]) & f->hash_mask[x];
                while (hk[h] != N2G_KEY_ROOT) h = (h + 1) & f->hash_mask[x];
                hk[h] = f->child_key[q];
                hn[h] = f->child_node[q];
            }
        }
    }
    return 0;
oom:
    frozen_free(f);
    return -1;
}
