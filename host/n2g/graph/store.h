/* store.h — the neuron store and its queries (n2g-reference.md §7.5).
 *
 * neuron_store.json = {"activating": {token: ["L_N", ...]}, "important": {token: [...]}}:
 * every non-special node of a neuron's prediction trie files the neuron under its (normalised)
 * token string, as "activating" when the node's token itself activated (> 0.5), else as
 * "important". search intersects, over several tokens, the neurons filed under each;
 * similar finds neuron pairs whose token sets overlap by >= 0.9 in both types, and subset
 * pairs (overlap >= 0.9 relative to the smaller set). */
#ifndef N2G_STORE_H
#define N2G_STORE_H

#include <stddef.h>

#include "common/err.h"
#include "n2g/graph/graph.h"
#include "n2g/graph/vocab.h"

enum { N2G_ACTIVATING = 0, N2G_IMPORTANT = 1, N2G_ANY = -1 };

typedef struct n2g_store n2g_store;

n2g_store *n2g_store_new(void);
void n2g_store_free(n2g_store *s);
/* Reads a neuron_store.json; a missing file gives an empty store when missing_ok. */
n2g_store *n2g_store_load(const char *path, int missing_ok, n2g_err *err);
/* Files neuron "layer_neuron" under every token of g's prediction trie (BFS, as save_neurons). */
int n2g_store_add_graph(n2g_store *s, const n2g_graph *g, const n2g_vocab *vocab, n2g_err *err);
/* Files one entry (type N2G_ACTIVATING or N2G_IMPORTANT). */
int n2g_store_add(n2g_store *s, int type, const char *tok, size_t n, const char *neuron, n2g_err *err);
/* Writes the reference's shape (indent 2, UTF-8, neurons sorted by layer then index) atomically. */
int n2g_store_save(const n2g_store *s, const char *path, n2g_err *err);

/* Neurons filed under every one of toks[k] (type N2G_ANY = either type), sorted by layer and
 * index. *out is an array of *n neuron names owned by the store (free the array only). Unless
 * exact is set, a query token also matches its normalised form (the reference: exact only). */
int n2g_store_search(const n2g_store *s, const char *const *toks, size_t ntok, int type, int exact,
                     const char ***out, size_t *n, n2g_err *err);

typedef struct n2g_pair {
    const char *a, *b; /* similar: the two neurons; subset: a = superset, b = subset */
} n2g_pair;

/* The reference's find_similar(threshold) over both token types. Arrays owned by the caller
 * (free()); names owned by the store. */
int n2g_store_similar(const n2g_store *s, double threshold, n2g_pair **similar, size_t *n_similar,
                      n2g_pair **subset, size_t *n_subset, n2g_err *err);

#endif
