/* predict.h — a graph's predicted activation on a token sequence (n2g-reference.md §8). */
#ifndef N2G_PREDICT_H
#define N2G_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "n2g/graph/graph.h"
#include "n2g/graph/vocab.h"

/* For every position t of tokens[n]: walk the trie backwards from tokens[t] (exact key before
 * the wildcard, no backtracking; the first node must be an activator) and write the activation
 * of the deepest END reached, or 0, to out[t]. O(n * depth). Token ids outside the
 * vocabulary match no exact key (only wildcards). */
void n2g_predict(const n2g_graph *g, const n2g_vocab *vocab, const int32_t *tokens, size_t n, float *out);
/* The same for one position t (the reference's search(tokens[:t+1])). */
float n2g_predict_at(const n2g_graph *g, const n2g_vocab *vocab, const int32_t *tokens, size_t t);

#endif
