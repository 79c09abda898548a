/* prune.h — PRUNE of n2g-reference §4 (fast_prune, script.py:351-504) on token ids.
 *
 * A training example is a scrape row r[0..n) (r[0] = BOS) and the neuron's activation at
 * every position acts[0..n). Pivots: positions with acts[p] >= tau * max(acts) (tau = 1:
 * argmax and ties). For each pivot the candidates are the suffixes r[i..p] of length
 * 5, 10, ..., 30 and the full prior (i = 0) when p + 1 <= 30, shortest first; candidate i
 * runs as BOS + r[i..p]. The first candidate whose max sits at the pivot and keeps more than
 * half the pivot's activation is chosen (else the last one). The pruned prompt is
 * BOS + r[chosen..p] + up to 5 following tokens of the pivot's sentence (a sentence ends at
 * a token whose text contains '.', '!' or '\n').
 *
 * Deviation: for i = 0 the candidate / prompt is r[0..] itself (r[0] is already BOS); the
 * reference re-tokenises the joined string and runs [BOS, BOS, ...].
 *
 * The step (n2g build, at the end): n2g_prune_run runs the candidates of a block's training
 * examples through the probe engine, n2g_prune_choose_prompts makes the pruned prompts.
 */
#ifndef N2G_PRUNE_H
#define N2G_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* token text lookup (GPT-2: bpe_token_bytes); returns bytes and sets *len */
typedef const char *(*n2g_tokstr_fn)(void *user, int id, size_t *len);

typedef struct n2g_prune_cfg {
    float proportion_threshold; /* -0.5 */
    float token_activation_threshold; /* 1 */
    int cutoff;                 /* 30 */
    int skip_interval;          /* 5 */
    int max_post_context_tokens;/* 5 */
    int bos;                    /* 50256 */
    int skip_nonpositive;       /* 1: an example whose max <= 0 gives no prompt (GARDE guard) */
    int skip_pos0;              /* 1: position 0 (BOS) is never a pivot nor a candidate's argmax
                                   (when the scrape excluded position 0; reference: 0) */
} n2g_prune_cfg;

void n2g_prune_defaults(n2g_prune_cfg *c);

#define N2G_PRUNE_MAX_CANDS 8

typedef struct n2g_prune_plan {
    int pivot;
    int n_cands;
    int cand_start[N2G_PRUNE_MAX_CANDS]; /* i of each candidate, shortest first */
    int post_end;                        /* prompt = ... r[pivot+1 .. post_end) */
} n2g_prune_plan;

/* Pivots and candidates of one example. Writes up to max_plans plans; returns how many
 * pivots there are (0 when the example is skipped). */
int n2g_prune_plan_example(const int32_t *row, int n, const float *acts, const n2g_prune_cfg *c, n2g_tokstr_fn ts,
                           void *ts_user, n2g_prune_plan *plans, int max_plans);

/* The plan of one given pivot p (n2g build takes the pivot from the scrape: its argmax). */
void n2g_prune_plan_pivot(const int32_t *row, int n, int p, const n2g_prune_cfg *c, n2g_tokstr_fn ts, void *ts_user,
                          n2g_prune_plan *pl);

/* Token sequence of candidate `k` of plan: out capacity >= cutoff + 1; returns length. */
int n2g_prune_candidate(const int32_t *row, const n2g_prune_plan *pl, int k, const n2g_prune_cfg *c, int32_t *out);

/* Chooses among the candidates given their activations cand_acts[k][0..len_k) (len_k as
 * returned by n2g_prune_candidate). Returns the chosen k and sets *t_max (its max). */
int n2g_prune_choose(const n2g_prune_plan *pl, const float *const *cand_acts, const int *cand_len, float pivot_act,
                     const n2g_prune_cfg *c, float *t_max);

/* 1 when candidate k (activations a[0..len)) keeps its max at the pivot and more than half the
 * pivot's activation; sets *t_max to its max. */
int n2g_prune_accepts(const n2g_prune_plan *pl, int k, const float *a, int len, float pivot_act,
                      const n2g_prune_cfg *c, float *t_max);

/* The pruned prompt for the chosen candidate: out capacity >= cutoff + 1 + post; returns length. */
int n2g_prune_prompt(const int32_t *row, const n2g_prune_plan *pl, int chosen, const n2g_prune_cfg *c, int32_t *out);

/* ---- the step (method.h) ---- */
typedef struct n2g_method n2g_method;
typedef struct n2g_job n2g_job;

/* The candidates of every training example of the jobs not skipped (j->cands). The pivot is the
 * scrape's argmax of the row and its activation the scrape's value (the reference reruns the
 * row to find them). As the reference (batch_size 4, shortest first, stop at the first
 * accepted), candidates run in two waves: the 4 shortest, then the rest only for examples
 * where none of those was accepted (two flushes). */
int n2g_prune_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err);
/* Chooses each example's candidate (n2g_prune_choose) and adds its pruned prompt to the job
 * (prompts [0, n_orig), scale = pivot activation / the candidate's max); an example whose
 * choice does not activate gives none (GARDE's guard). */
int n2g_prune_choose_prompts(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err);

#endif
