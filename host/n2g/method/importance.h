/* importance.h — SALIENCY / IMPORTANCE of n2g-reference §5 (fast_measure_importance).
 *
 * For a prompt y[0..L) (y[0] = BOS) the caller runs L + 1 sequences — y itself and, for each
 * k, y with y[k] := mask (k = 0, BOS, included) — and passes the activations
 * A[(L+1) x L] (row 0 = unmasked a). Then
 *   imp[k * L + j] = 1 - A[k+1][j] / a[j]    (0 where a[j] == 0: GARDE's guard; the reference
 *                                             divides by zero)
 *   p*            = argmax_j a[j]            (first maximum)
 *   norm_act[j]   = round(a[j] * scale / base_max, 3)
 * Positions j < k of masked row k see the same tokens as y (causal attention), so the build
 * requests only j >= k from masked rows and copies a[j] for j < k (importance exactly 0).
 *
 * The step (n2g build, at the end): n2g_importance_run runs those sequences of a block's
 * prompts through the probe engine and fills each prompt's importance matrix.
 */
#ifndef N2G_IMPORTANCE_H
#define N2G_IMPORTANCE_H

#include <stdint.h>

#include "common/err.h"

/* out[L] = y with y[k] := mask */
void n2g_importance_masked(const int32_t *y, int L, int k, int mask, int32_t *out);

/* A: [(L+1) * L]; imp: [L * L]; norm_act: [L]. Returns p* (skip0: position 0 excluded from
 * the argmax when L > 1, following the scrape's treatment of BOS). */
int n2g_importance_compute(const float *A, int L, float scale, float base_max, int skip0, float *imp,
                           float *norm_act);

/* Python round(x, 3) (round half to even on the scaled value). */
float n2g_round3(float x);

/* ---- the step (method.h) ---- */
typedef struct n2g_method n2g_method;
typedef struct n2g_job n2g_job;

/* Scores the prompts of the jobs not skipped — the pruned originals [0, n_orig), or with
 * augmented the augmentations [n_orig, n_prompts) — in two flushes: each prompt unmasked, then
 * its masked rows, only as far as the graph reads them (the rows and columns up to the last
 * position that activates or p*; every row in full with m->full_importance); what is not run
 * takes the unmasked values (importance 0). Fills each prompt's A, imp, act and pstar. */
int n2g_importance_run(n2g_method *m, n2g_job *jobs, int nj, int augmented, n2g_err *err);

#endif
