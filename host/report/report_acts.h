/* report_acts.h — per-token activations of a run's example rows, recomputed with the model. */
#ifndef N2G_REPORT_ACTS_H
#define N2G_REPORT_ACTS_H

#include "ops/ops.h"
#include "report.h"
#include "scrape/scrape_store.h"

typedef struct {
    const char *model_dir;
    const ops_options *ops;
    const scrape_map *map;
    const report_summary *neurons; /* [n] */
    const int *slot;               /* [n] layer slot of each neuron in examples.bin */
    size_t n;
    int required;     /* 0: skip (with a note) when the work exceeds max_flops */
    double max_flops;
    int quiet;
} report_acts_req;

/* acts_out [n, k, ctx] (malloc'd): neuron i's activation at every position of its j-th top-k
 * row (NAN for empty slots). Fails when the model does not reproduce the run's stored max of
 * any example (tolerance 1% of max(1, |value|)). When skipped, *acts_out is NULL, *skipped = 1
 * and note says why. */
int report_acts_compute(const report_acts_req *q, float **acts_out, int *skipped, char *note, size_t note_n,
                        n2g_err *err);

#endif
