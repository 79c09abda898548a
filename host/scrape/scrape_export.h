/* scrape_export.h — one neuron's examples from a scrape run, with per-token activations
 * recomputed by the forward pass (`n2g export`). JSON shape in docs/scrape.md. */
#ifndef N2G_SCRAPE_EXPORT_H
#define N2G_SCRAPE_EXPORT_H

#include <stdio.h>

#include "common/err.h"
#include "ops/ops.h"
#include "scrape_run.h"

/* Writes the neuron's examples to f: Neuroscope-like JSON (json = 1) or a readable text
 * listing. model_dir NULL = the run's manifest model.dir; either way the model must be the one
 * the run was scraped from (scrape_run_use_model). Token strings: bpe_load_model's rule. The
 * activations are recomputed on the device ops names (ops_open's policy). */
int scrape_export_neuron(scrape_run *run, const char *model_dir, int layer, int neuron, const ops_options *ops,
                         int json, FILE *f, n2g_err *err);

#endif
