/* report_run.h — a report_source over a run directory.
 *
 * Reads RUN/manifest.json, RUN/examples.bin (scrape_store.h: top-k rows, their tokens, per-neuron
 * max / mean), and, when present, RUN/stats.json, RUN/neuron_store.json, RUN/graphs/L_N.svg (else
 * the graph drawn from RUN/graphs/L_N.json, report_graph.h) and RUN/samples/L_N.json.
 * Token strings come from a GPT-2 vocabulary: --vocab DIR, else the manifest's model.dir, else
 * the default vocabulary (bpe_load_default). */
#ifndef N2G_REPORT_RUN_H
#define N2G_REPORT_RUN_H

#include "ops/ops.h"
#include "report.h"

typedef struct report_run report_run;

enum { REPORT_ACTS_AUTO = 0, REPORT_ACTS_MODEL = 1, REPORT_ACTS_NONE = -1 };

typedef struct {
    const char *run_dir;
    const char *vocab_dir; /* NULL: manifest's model.dir, then the default vocabulary */
    const char *neurons;   /* NULL: every neuron of the run; else "L:N,L:A-B,L:*" */
} report_run_opts;

typedef struct {
    /* Per-token activations of the example rows, recomputed with the model (report_acts.h):
     * AUTO computes them when the model loads and the work is under acts_max_flops
     * (default 2e12), MODEL always (failing when it cannot), NONE never. */
    int acts;
    const char *model_dir; /* NULL: the manifest's model.dir */
    ops_options ops;       /* zero: the CPU backend */
    double acts_max_flops;
    int quiet;
    char note[512];        /* out: why activations were skipped (empty when not) */
} report_acts_opts;

/* Opens the run and fills *src (valid until report_run_close). acts NULL: AUTO on the CPU backend. */
int report_run_open_ex(const report_run_opts *o, report_acts_opts *acts, report_run **out, report_source *src,
                       n2g_err *err);
int report_run_open(const report_run_opts *o, report_run **out, report_source *src, n2g_err *err);
void report_run_close(report_run *r);

/* Parses a neuron list ("3:17", "3_17", "3:10-20", "3:*", comma-separated) against the run's
 * layers[n_layers] and d_mlp. Returns the count and sets *out (malloc'd, in run order, no
 * duplicates), or -1 with a usage error naming the item. */
int report_parse_neurons(const char *s, const int *layers, int n_layers, int d_mlp, report_summary **out,
                         n2g_err *err);

#endif
