/* report_run.h — a report_source over a run directory.
 *
 * Reads RUN/manifest.json, RUN/examples.bin (scrape_store.h: top-k rows, their tokens, per-neuron
 * max / mean), and, when present, RUN/stats.json, RUN/neuron_store.json and RUN/graphs/L_N.svg.
 * Token strings come from a GPT-2 vocabulary: --vocab DIR, else the manifest's model.dir, else
 * the default vocabulary (bpe_load_default). */
#ifndef N2G_REPORT_RUN_H
#define N2G_REPORT_RUN_H

#include "report.h"

typedef struct report_run report_run;

typedef struct {
    const char *run_dir;
    const char *vocab_dir; /* NULL: manifest's model.dir, then the default vocabulary */
    const char *neurons;   /* NULL: every neuron of the run; else "L:N,L:A-B,L:*" */
} report_run_opts;

/* Opens the run and fills *src (valid until report_run_close). */
int report_run_open(const report_run_opts *o, report_run **out, report_source *src, n2g_err *err);
void report_run_close(report_run *r);

/* Parses a neuron list ("3:17", "3_17", "3:10-20", "3:*", comma-separated) against the run's
 * layers[n_layers] and d_mlp. Returns the count and sets *out (malloc'd, in run order, no
 * duplicates), or -1 with a usage error naming the item. */
int report_parse_neurons(const char *s, const int *layers, int n_layers, int d_mlp, report_summary **out,
                         n2g_err *err);

#endif
