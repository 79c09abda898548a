/* probe.h — the probe engine: answers "activation of (layer, neuron) at positions of this
 * token sequence" for many neurons at once, with as few forward passes as possible.
 *
 * Usage: s = n2g_probe_seq(e, tok, len); n2g_probe_want(e, s, layer, neuron, pos0, count, out);
 * ... (any number of sequences and requests) ...; n2g_probe_flush(e) fills every out[].
 *
 * What flush does:
 *   1. dedup  — identical sequences were already merged by n2g_probe_seq (hash of the tokens);
 *   2. prefix — sequences are sorted lexicographically; one that is a prefix of another
 *               (same start, so every position sees the same context under causal attention)
 *               is answered by the longer one's run;
 *   3. tree   — runs that share a prefix of at least 4 tokens with another run of the same
 *               depth are grouped: one run is the group's root, the others are children whose
 *               tokens after the shared prefix are packed into the same row after the root and
 *               attend to the root's prefix keys instead of recomputing them (ops.h,
 *               "tree-packed rows"). Groups form greedily from the longest shared prefixes
 *               down (adjacent runs in lexicographic order), merging two groups only when the
 *               merged row runs fewer tokens, up to n_ctx tokens a row. The masked rows of an
 *               importance matrix (row k = the prompt with token k masked) form one group
 *               and cost about half the tokens they would alone;
 *   4. pack   — per depth, groups are placed first-fit, largest first, into rows of
 *               max(largest group, 256) tokens, several groups per row, each attending only
 *               within itself; rows form batches of at most max_batch rows and max_tokens
 *               tokens (a batch is as wide as its longest row; the rest is padding that attends
 *               to itself);
 *   5. depth  — each batch runs only through the deepest layer any of its requests needs;
 *   6. gather — after each requested layer's GELU, one gather op pulls exactly the requested
 *               values out of hook_post on the device; only those come back to the host.
 */
#ifndef N2G_PROBE_H
#define N2G_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "model/gpt2.h"

typedef struct n2g_probe_engine n2g_probe_engine;

typedef struct n2g_probe_opts {
    int max_tokens;    /* padded tokens per batch (B * T); 0 = 8192 */
    int max_batch;     /* rows per batch; 0 = 256 */
    int no_prefix;     /* 1: do not merge prefix sequences (for tests / benchmarks) */
    int max_layer;     /* deepest layer ever requested (weights uploaded up to it); -1 = all */
    int no_tree;       /* 1: do not tree-pack runs that share a prefix (for tests / benchmarks) */
} n2g_probe_opts;

typedef struct n2g_probe_stats {
    uint64_t seqs_submitted;  /* n2g_probe_seq calls */
    uint64_t seqs_unique;     /* after exact dedup */
    uint64_t runs;            /* after prefix merging = rows actually run */
    uint64_t tokens_submitted;/* sum of lengths over n2g_probe_seq calls */
    uint64_t tokens_run;      /* real tokens run (a tree child counts only its tokens after the shared prefix) */
    uint64_t tokens_shared;   /* tokens not run because tree packing shared them with a root */
    uint64_t tree_rows;       /* packed rows holding a root and at least one child */
    uint64_t tokens_padded;   /* sum of B * T over batches */
    uint64_t token_layers;    /* sum of B * T * (depth + 1) over batches: work actually done */
    uint64_t batches;
    uint64_t values;          /* values gathered */
    double seconds;           /* time inside flush */
} n2g_probe_stats;

int n2g_probe_create(const gpt2_model *m, ops_ctx *ctx, const n2g_probe_opts *opt, n2g_probe_engine **out,
                     n2g_err *err);
void n2g_probe_free(n2g_probe_engine *e);

/* Registers a sequence tok[len] (1 <= len <= n_ctx, ids < vocab); returns its id (>= 0; an
 * identical earlier sequence of this round returns the same id) or -1 with err set. */
int n2g_probe_seq(n2g_probe_engine *e, const int32_t *tok, int len, n2g_err *err);
/* Asks for hook_post[layer][pos][neuron] for pos in pos0 .. pos0+count-1 of sequence `seq`,
 * written to out[0 .. count-1] by the next flush (out must stay valid until then). */
int n2g_probe_want(n2g_probe_engine *e, int seq, int layer, int neuron, int pos0, int count, float *out, n2g_err *err);
/* Runs everything registered since the last flush and fills the outputs. */
int n2g_probe_flush(n2g_probe_engine *e, n2g_err *err);

const n2g_probe_stats *n2g_probe_get_stats(const n2g_probe_engine *e);
void n2g_probe_reset_stats(n2g_probe_engine *e);

#endif
