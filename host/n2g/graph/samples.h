/* samples.h — the samples file `n2g fit` reads (format in docs/graph.md):
 *
 *   { "layer": 3, "neuron": 17,                       (optional; default -1)
 *     "samples": [ { "tokens": [ids], "activations": [normalised floats],
 *                    "importance": [[I[k][j] for j] for k], "parent": null | index }, ... ],
 *     "test":  [ { "tokens": [ids], "activations": [normalised floats] }, ... ],   (optional)
 *     "train": [ { "tokens": [ids], "activations": [normalised floats] }, ... ],   (optional)
 *     "base_max": 3.51 }                              (optional, > 0)
 *
 * importance is L rows of L numbers: row k = the masked token, column j = the position whose
 * activation changed. "test" rows are what the graph is evaluated on, "train" rows what the
 * token-lookup and n-gram baselines are fitted on (the unpruned training examples). */
#ifndef N2G_SAMPLES_H
#define N2G_SAMPLES_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "n2g/graph/graph.h"

typedef struct n2g_row {
    int32_t *tokens;
    float *act;
    int len;
} n2g_row;

typedef struct n2g_samples {
    int layer, neuron;
    double base_max;     /* 0 when absent */
    n2g_sample *s;
    size_t n;
    n2g_row *test, *train;
    size_t n_test, n_train;
} n2g_samples;

/* Reads and validates a samples file; every error names the file and the field. */
int n2g_samples_load(const char *path, n2g_samples *out, n2g_err *err);
/* Same from a JSON text (what names it in messages). */
int n2g_samples_parse(const char *text, size_t len, const char *what, n2g_samples *out, n2g_err *err);
void n2g_samples_free(n2g_samples *s);
/* Writes s in this format (samples_write.c): layer and neuron when >= 0, base_max when > 0,
 * the samples, and the test / train rows when there are some; numbers are the shortest
 * decimals that read back as the same 32-bit floats, so a file read back fits the same graph. */
int n2g_samples_write(FILE *f, const n2g_samples *s, n2g_err *err);

#endif
