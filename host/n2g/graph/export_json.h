/* export_json.h — the graph as JSON, loadable by `n2g predict` (format in docs/graph.md):
 *
 *   {"format": "n2g-graph", "version": 1, "layer": L, "neuron": N,
 *    "activation_threshold": 0.5, "importance_threshold": 0.75, "normalise": true,
 *    "vocab_size": 50257, "max_depth": D,
 *    "graph": [node, ...],   the visualisation graph
 *    "trie":  [node, ...]}   the prediction trie (after merge_ignores)
 *   node = {"parent": index or -1, "kind": "root"|"token"|"ignore"|"end", "token": id or -1,
 *           "key": class or -1, "text": normalised token string, "importance": f,
 *           "activation": f, "important": b, "activator": b, "ignore": b, "is_end": b,
 *           "depth": d}
 * Nodes are in depth-first order with children in insertion order, so parent < index and the
 * order of siblings is the trie's. Other format names and versions are rejected. */
#ifndef N2G_EXPORT_JSON_H
#define N2G_EXPORT_JSON_H

#include "common/err.h"
#include "n2g/graph/graph.h"
#include "n2g/graph/vocab.h"

#define N2G_GRAPH_FORMAT "n2g-graph"
#define N2G_GRAPH_VERSION 1

/* Writes atomically. vocab supplies the "text" fields (may be NULL: texts are empty). */
int n2g_graph_save_json(const n2g_graph *g, const n2g_vocab *vocab, const char *path, n2g_err *err);
/* Loads and validates; when vocab is given, checks the graph was fitted with the same
 * vocabulary size, normalisation and token classes. */
n2g_graph *n2g_graph_load_json(const char *path, const n2g_vocab *vocab, n2g_err *err);
n2g_graph *n2g_graph_parse_json(const char *text, size_t len, const char *what, const n2g_vocab *vocab,
                                n2g_err *err);

#endif
