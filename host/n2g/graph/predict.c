/* predict.c — the reference's greedy backward walk (search / forward). */
#include "n2g/graph/predict.h"

#include <math.h>

static int32_t exact_child(const n2g_frozen *f, int32_t node, uint32_t key) {
    uint32_t mask = f->hash_mask[node];
    if (mask) {
        const uint32_t *hk = f->hash_key + f->hash_start[node];
        uint32_t h = n2g_key_hash(key) & mask;
        for (; hk[h] != N2G_KEY_ROOT; h = (h + 1) & mask)
            if (hk[h] == key) return f->hash_node[f->hash_start[node] + (int32_t)h];
        return -1;
    }
    int32_t lo = f->child_start[node], hi = f->child_start[node + 1];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        uint32_t k = f->child_key[mid];
        if (k == key) return f->child_node[mid];
        if (k < key) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

float n2g_predict_at(const n2g_graph *g, const n2g_vocab *vocab, const int32_t *tokens, size_t t) {
    const n2g_frozen *f = &g->fz;
    int32_t node = 0;
    float best = 0.0f;
    for (size_t s = 0; s <= t; s++) {
        int32_t tok = tokens[t - s];
        uint32_t key = (tok >= 0 && tok < vocab->n) ? vocab->cls[tok] : N2G_KEY_ROOT;
        int32_t c = exact_child(f, node, key);
        if (c < 0) c = f->ignore_child[node];
        if (c < 0) break;
        node = c;
        if (s == 0 && !f->activator[node]) break;
        if (!isnan(f->end_act[node])) best = f->end_act[node];
    }
    return best;
}

void n2g_predict(const n2g_graph *g, const n2g_vocab *vocab, const int32_t *tokens, size_t n, float *out) {
    for (size_t t = 0; t < n; t++) out[t] = n2g_predict_at(g, vocab, tokens, t);
}
