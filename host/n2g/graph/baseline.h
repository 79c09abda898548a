/* baseline.h — the paper's comparison predictors (n2g-reference.md §9, P-long Table 1).
 *
 * Token lookup: the maximum normalised activation seen for each token string in the training
 * rows; predicts that value for the token (0 for unseen tokens).
 * n-gram lookup: for every training token whose activation reaches the threshold, the string
 * of tokens[max(0, j - prior) .. j] (prior + 1 tokens, concatenated as text) maps to the
 * maximum normalised activation; a token predicts 0 unless its own string was such an
 * activating token, else the value of its context string (0 if unseen).
 * Keys are the unnormalised token text, as in the reference. */
#ifndef N2G_BASELINE_H
#define N2G_BASELINE_H

#include <stddef.h>

#include "common/err.h"
#include "n2g/graph/samples.h"
#include "n2g/graph/vocab.h"

typedef struct n2g_baseline n2g_baseline;

n2g_baseline *n2g_token_baseline_fit(const n2g_row *rows, size_t n, const n2g_vocab *vocab, n2g_err *err);

/* prior: tokens of context (the paper's "5-gram" uses 5). threshold compares the normalised
 * activation (our fix); with raw_threshold set the reference's bug is restored: the raw
 * activation (normalised * base_max) is compared instead. */
typedef struct n2g_ngram_opts {
    int prior;
    float threshold;
    int raw_threshold;
    double base_max;
} n2g_ngram_opts;

void n2g_ngram_opts_default(n2g_ngram_opts *o);
n2g_baseline *n2g_ngram_baseline_fit(const n2g_row *rows, size_t n, const n2g_vocab *vocab,
                                     const n2g_ngram_opts *opts, n2g_err *err);

/* Predicted normalised activation for every position of tokens[n]. */
void n2g_baseline_predict(const n2g_baseline *b, const int32_t *tokens, size_t n, float *out);
void n2g_baseline_free(n2g_baseline *b);

#endif
