/* export_stats.h — stats.json in the reference's shape:
 *   {"LAYER": {"NEURON": {"0": {...}, "1": {...}, "accuracy": .., "macro avg": {...},
 *                         "weighted avg": {...}, "correlation": ..}}}
 * (evaluate.h writes one report). Updating keeps every other neuron's entry as it was. */
#ifndef N2G_EXPORT_STATS_H
#define N2G_EXPORT_STATS_H

#include "common/err.h"
#include "n2g/graph/evaluate.h"

/* Inserts or replaces stats[layer][neuron] in the file at path (created when missing),
 * atomically. */
int n2g_stats_update(const char *path, int layer, int neuron, const n2g_eval *e, n2g_err *err);

/* Per-layer summary of a stats.json (the reference's get_summary_stats). Calls fn once per
 * layer in file order. */
typedef void (*n2g_summary_fn)(void *ctx, const char *layer, const n2g_summary *s);
int n2g_stats_summarise(const char *path, n2g_summary_fn fn, void *ctx, n2g_err *err);

#endif
