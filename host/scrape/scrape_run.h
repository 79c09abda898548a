/* scrape_run.h — read access to a finished (or checkpointed) scrape run directory, for the
 * build step and `n2g export`. examples.bin is mmapped; nothing is copied.
 *
 *   scrape_run *r; scrape_run_open("runs/x", &r, &err);
 *   scrape_example ex[SCRAPE_MAX_K]; int n = scrape_run_topk(r, layer, neuron, ex);
 *   const int32_t *tok = scrape_run_row(r, ex[0].row);   // ctx tokens
 */
#ifndef N2G_SCRAPE_RUN_H
#define N2G_SCRAPE_RUN_H

#include <stdint.h>

#include "common/err.h"
#include "common/json.h"

typedef struct scrape_run scrape_run;

typedef struct scrape_example {
    float value;  /* the row's max activation (the example's rank key) */
    uint32_t row; /* row index in the corpus stream */
    uint32_t pos; /* position of the max (first on ties) */
} scrape_example;

typedef struct scrape_neuron_stats {
    float max;        /* the neuron's largest activation seen (= top-1 value); -inf if none */
    float mean;       /* mean over `count` activations */
    uint64_t count;   /* activations seen (positions excluded by --include-bos not counted) */
} scrape_neuron_stats;

/* Opens DIR (manifest.json + examples.bin). Fails when the scan is incomplete unless
 * allow_partial. */
int scrape_run_open(const char *dir, int allow_partial, scrape_run **out, n2g_err *err);
void scrape_run_close(scrape_run *r);

const json_value *scrape_run_manifest(const scrape_run *r); /* root of manifest.json */
const char *scrape_run_model_dir(const scrape_run *r);      /* manifest model.dir */
int scrape_run_complete(const scrape_run *r);
int scrape_run_k(const scrape_run *r);
int scrape_run_ctx(const scrape_run *r);
int scrape_run_d_mlp(const scrape_run *r);
int scrape_run_include_bos(const scrape_run *r);
uint64_t scrape_run_rows_scanned(const scrape_run *r);
/* The scraped layers, ascending. */
int scrape_run_n_layers(const scrape_run *r);
int scrape_run_layer(const scrape_run *r, int i);
/* 1 when layer / neuron were scraped. */
int scrape_run_has_neuron(const scrape_run *r, int layer, int neuron);

/* Copies the neuron's examples (best first) to out [k]; returns how many (<= k; fewer when
 * fewer rows were scanned), or -1 when the neuron was not scraped. */
int scrape_run_topk(const scrape_run *r, int layer, int neuron, scrape_example *out);
int scrape_run_stats(const scrape_run *r, int layer, int neuron, scrape_neuron_stats *out);
/* The firing list of the neuron's example in top-k slot j (scrape --fire-lists): the positions of
 * its row whose activation is >= *ratio * the row's max, ascending, with their values. Returns
 * the number of positions (all of them are in pos / val), or -1 when the run has no usable list
 * for it (no --fire-lists, no list, more positions than a list holds, or a position outside the
 * row: a damaged file). */
int scrape_run_fire(const scrape_run *r, int layer, int neuron, int j, const uint32_t **pos, const float **val,
                    float *ratio);
/* The ctx tokens of a stored row, or NULL when the row is not stored. */
const int32_t *scrape_run_row(const scrape_run *r, uint32_t row);
/* Parses "L:N"; checks against the run when r != NULL. */
int scrape_parse_neuron(const char *s, const scrape_run *r, int *layer, int *neuron, n2g_err *err);

#endif
