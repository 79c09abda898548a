/* evaluate.h — token-level scores of a graph or baseline (n2g-reference.md §9).
 *
 * A token fires when its normalised activation is >= fire_threshold (0.5); it is predicted to
 * fire when the prediction is >= fire_threshold. The report follows sklearn's
 * classification_report(y, y_pred, output_dict=True): classes are the labels present in y or
 * y_pred; precision = TP/(TP+FP) and recall = TP/(TP+FN), 0 when the denominator is 0;
 * F1 = 2PR/(P+R), 0 when P+R = 0; plus accuracy, macro and support-weighted averages. */
#ifndef N2G_EVALUATE_H
#define N2G_EVALUATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "n2g/graph/graph.h"
#include "n2g/graph/samples.h"

typedef struct n2g_class_stats {
    double precision, recall, f1;
    long support;
} n2g_class_stats;

typedef struct n2g_eval {
    int has[2];              /* class 0 (non-firing) / 1 (firing) present in y or y_pred */
    n2g_class_stats cls[2];
    double accuracy;
    n2g_class_stats macro, weighted;
    double correlation;      /* 1 - MSE/Var(y) over the activations; NaN when Var(y) = 0 */
    long n_tokens;
} n2g_eval;

/* Scores predictions pred[n] against true normalised activations y[n]. */
void n2g_eval_scores(const float *y, const float *pred, size_t n, float fire_threshold, n2g_eval *out);

/* Predicts every test row with the graph (rows pooled) and scores the result. */
int n2g_evaluate(const n2g_graph *g, const n2g_vocab *vocab, const n2g_row *rows, size_t n_rows,
                 float fire_threshold, n2g_eval *out, n2g_err *err);

/* Per-layer averages as the reference's get_summary_stats: only neurons whose report has
 * class 1 are eligible; when nothing was predicted to fire (recall0 == 1 and recall1 == 0)
 * the firing precision counts as 1.0 (F1 unchanged); means (and population standard
 * deviations) over neurons of each metric. */
typedef struct n2g_summary {
    long eligible, ineligible, precision_case;
    double sum[2][3], sumsq[2][3]; /* [class][P,R,F1] */
} n2g_summary;

void n2g_summary_init(n2g_summary *s);
void n2g_summary_add(n2g_summary *s, const n2g_eval *e);
/* mean[class][P,R,F1] and std likewise; NaN when no neuron was eligible. */
void n2g_summary_get(const n2g_summary *s, double mean[2][3], double stdev[2][3]);

/* Writes one neuron's report as the reference's stats.json entry:
 * {"0": {"precision":..,"recall":..,"f1-score":..,"support":..}, "1": {...}, "accuracy": ..,
 *  "macro avg": {...}, "weighted avg": {...}, "correlation": ..}  (indent = spaces before keys) */
void n2g_eval_write_json(FILE *f, const n2g_eval *e, int indent);
/* Parses that object back (for the summary over a stats.json). */
struct json_value;
int n2g_eval_from_json(const struct json_value *o, n2g_eval *e, const char *what, n2g_err *err);

#endif
