/* scrape_run.h — read access to a finished (or checkpointed) scrape run directory, for the
 * build step and `n2g export`. examples.bin is mmapped; nothing is copied.
 *
 *   scrape_run *r; scrape_run_open("runs/x", &r, &err);
 *   scrape_example ex[SCRAPE_MAX_K]; int n = scrape_run_topk(r, layer, neuron, ex);
 *   const int32_t *tok = scrape_run_row(r, ex[0].row);   // ctx tokens
 */
#ifndef N2G_SCRAPE_RUN_H
#define N2G_SCRAPE_RUN_H

#include <stddef.h>
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

/* Opens DIR (manifest.json + examples.bin), checking that the two belong together
 * (scrape_run_check_files). Fails when the scan is incomplete unless allow_partial. */
int scrape_run_open(const char *dir, int allow_partial, scrape_run **out, n2g_err *err);
void scrape_run_close(scrape_run *r);

const json_value *scrape_run_manifest(const scrape_run *r); /* root of manifest.json */
/* The model directory: after scrape_run_use_model the checked one, else the manifest's model.dir
 * as scrape_model_find resolves it (not checked). */
const char *scrape_run_model_dir(const scrape_run *r);
/* Finds the run's model (scrape_model_find, checked) and remembers it for scrape_run_model_dir.
 * Every command that opens a run's model calls this (or scrape_model_find) first. */
int scrape_run_use_model(scrape_run *r, const char *override, n2g_err *err);
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
/* The ctx tokens of a stored row, or NULL when the row is not stored (or its block of
 * examples.bin is damaged: scrape_run_row_get says which). */
const int32_t *scrape_run_row(const scrape_run *r, uint32_t row);
/* 1 with *tok set, 0 when the row is not stored, -1 when its tokens fail their checksum. */
int scrape_run_row_get(const scrape_run *r, uint32_t row, const int32_t **tok, n2g_err *err);
/* Parses "L:N"; checks against the run when r != NULL. */
int scrape_parse_neuron(const char *s, const scrape_run *r, int *layer, int *neuron, n2g_err *err);

/* ---- shared by every reader of a run directory (scrape_run, the report's own mapping) ---- */

struct scrape_header;
/* manifest.json (its root, man) and examples.bin's header h belong together: the manifest is an
 * n2g scrape manifest, its identity_hash is the header's, and a manifest that says the scan is
 * complete agrees with the header on rows, tokens, positions and rows stored (a manifest
 * behind a complete examples.bin: the scrape stopped while finishing). Messages name the file
 * and field. */
int scrape_run_check_files(const char *dir, const json_value *man, const struct scrape_header *h, n2g_err *err);

/* The model directory of the run in run_dir whose manifest root is man: override (a --model
 * DIR) when given, else the manifest's model.dir — stored absolute since n2g records it so; an
 * older run's relative path is taken relative to the run directory. With check, verifies it
 * (scrape_model_check). out [n] gets the directory. */
int scrape_model_find(const char *run_dir, const json_value *man, const char *override, int check, char *out,
                      size_t n, n2g_err *err);
/* DIR holds the model the run was scraped from, as its manifest's "model" object records it:
 * config.json's values (each one the manifest has), model.safetensors' size and then its
 * n2g-fh64 hash, and where the tokenizer came from ("vocab"). Fails naming the file and field:
 * "DIR/config.json: n_ctx 64, the run was scraped with 128", "DIR/model.safetensors differs
 * from the run's model (hash X, the run recorded Y)". */
int scrape_model_check(const char *dir, const json_value *model, n2g_err *err);

#endif
