/* graph.h — the N2G neuron graph: lines, the visualisation graph and the prediction trie
 * (n2g-reference.md §7), built exactly as the reference NeuronModel does.
 *
 * Keys are token classes (vocab.h: cls[id], the normalised-string class) so that the trie
 * behaves like the reference's dict keyed on normalised token strings.
 *
 * fit.c: samples -> lines -> the two tries (n2g_fit); trie.c: insertion and merge_ignores;
 * graph.c: the graph object and its prediction form (freeze); predict.c reads it. */
#ifndef N2G_GRAPH_H
#define N2G_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "n2g/graph/vocab.h"

/* Special keys (never a token class). */
#define N2G_KEY_ROOT 0xFFFFFFFDu
#define N2G_KEY_END 0xFFFFFFFEu
#define N2G_KEY_IGNORE 0xFFFFFFFFu

/* The reference's Element namedtuple. */
typedef struct n2g_elem {
    float importance; /* I[j][i] of this context token for the activating token */
    float activation; /* normalised activation of this token (END: of the activating token) */
    int32_t token;    /* raw token id (the reference's token_value); -1 for END / ROOT */
    uint32_t key;     /* class of token, or N2G_KEY_IGNORE / _END / _ROOT */
    uint8_t important, activator, ignore, is_end;
} n2g_elem;

typedef struct n2g_node {
    n2g_elem v;
    int32_t depth;                /* reference depth: -1 root, 0 activating tokens */
    int32_t first, last, next;    /* children, in insertion order (-1 = none) */
    int32_t parent;               /* -1 for the root */
    int32_t nchild;               /* linked children */
    int32_t removed;              /* unlinked by merge_ignores */
} n2g_node;

/* A trie of nodes in one pool; node 0 is the root. Removed nodes stay in the pool, unlinked.
 * Child lookup scans the sibling list, or for wide nodes a (parent, key) -> child hash. */
typedef struct n2g_trie {
    n2g_node *nodes;
    int32_t n, cap;
    uint64_t *hkey; /* (parent << 32 | key); UINT64_MAX = empty */
    int32_t *hval;
    size_t hcap, hn;
} n2g_trie;

/* Frozen prediction form of a trie: children sorted by key, wildcard and END resolved. */
typedef struct n2g_frozen {
    int32_t n;
    int32_t *child_start;  /* [n+1] into child_key / child_node */
    uint32_t *child_key;   /* exact-key children only (no IGNORE / END), sorted */
    int32_t *child_node;
    int32_t *ignore_child; /* [n] -1 when none */
    float *end_act;        /* [n] activation of the END child; NaN when none */
    uint8_t *activator;    /* [n] */
    /* nodes with many children also get an open-addressing table (key -> child):
     * hash_mask[x] = size - 1 (0: none), hash_start[x] = offset into hash_key / hash_node */
    uint32_t *hash_mask;
    int32_t *hash_start;
    uint32_t *hash_key;    /* N2G_KEY_ROOT marks an empty slot */
    int32_t *hash_node;
} n2g_frozen;

typedef struct n2g_params {
    float activation_threshold; /* 0.5: a token starts a line when its activation is > this */
    float importance_threshold; /* 0.75: a context token is kept when its importance is > this */
} n2g_params;

void n2g_params_default(n2g_params *p);

typedef struct n2g_graph {
    int layer, neuron;     /* -1 when unknown */
    n2g_params params;
    int normalise;         /* the vocabulary setting the keys were made with */
    int vocab_size;
    int max_depth;         /* the reference's self.max_depth at build() time (DOT cluster names) */
    n2g_trie viz;          /* visualisation graph (no wildcards, no END nodes) */
    n2g_trie trie;         /* prediction trie, after merge_ignores */
    n2g_frozen fz;         /* prediction form of trie */
} n2g_graph;

/* One fit sample: a pruned prompt (original) or one of its augmentations.
 * tokens[L], act[L] (normalised activations), imp[L*L] with imp[k*L + j] = I[k][j], the
 * importance of token k for the activation at position j; parent = index of the original
 * sample this one was augmented from, -1 for an original. */
typedef struct n2g_sample {
    int32_t *tokens;
    float *act;
    float *imp;
    int len;
    int parent;
} n2g_sample;

/* Fits a graph: lines from every sample in order (an augmented sample reuses its parent's
 * important positions), inserted into the visualisation graph and the prediction trie, then
 * merge_ignores, then the prediction form. Every sample's parent must be -1 or the index of
 * an earlier original. Token ids must be < vocab->n. */
n2g_graph *n2g_fit(const n2g_sample *samples, size_t n, const n2g_vocab *vocab, const n2g_params *params,
                   n2g_err *err);
void n2g_graph_free(n2g_graph *g);

/* Internals shared by fit, load and the tests. */
int n2g_trie_init(n2g_trie *t);
void n2g_trie_free(n2g_trie *t);
/* Child of node with key, or -1. */
int32_t n2g_trie_child(const n2g_trie *t, int32_t node, uint32_t key);
/* Appends a new child (key in e) to node; returns its index or -1 (out of memory). */
int32_t n2g_trie_append(n2g_trie *t, int32_t node, const n2g_elem *e, int32_t depth);
/* The reference's add(): inserts a line below start. graph=1: visualisation mode (wildcards
 * and END skipped, is_end marks the last kept token). *max_depth is raised to the depth of
 * every node created. Returns 0 or -1 (out of memory). */
int n2g_trie_add(n2g_trie *t, int32_t start, const n2g_elem *line, int len, int graph, int *max_depth);
/* The reference's merge_ignores() on a prediction trie. */
int n2g_merge_ignores(n2g_trie *t);
/* The hash of a key in the frozen tables. */
static inline uint32_t n2g_key_hash(uint32_t k) { return (k * 2654435761u) ^ (k >> 15); }
/* Builds g->fz from g->trie. */
int n2g_graph_freeze(n2g_graph *g);
/* A new empty graph (root nodes only). */
n2g_graph *n2g_graph_new(void);

/* The lines of one sample (the reference's make_line). When parent_sets is NULL this is an
 * original: sets_out receives, per position, the important positions (a bitmap of len*len
 * bytes: sets_out[i*len + j]). Otherwise parent_sets / parent_len are the original's sets and
 * augmented samples reuse them (the last set when i >= parent_len). Calls emit() per line.
 * Returns 0, or -1 when emit fails. */
typedef int (*n2g_line_fn)(void *ctx, const n2g_elem *line, int len);
int n2g_make_lines(const n2g_sample *s, const n2g_vocab *vocab, const n2g_params *p, const uint8_t *parent_sets,
                   int parent_len, uint8_t *sets_out, n2g_line_fn emit, void *ctx);

#endif
