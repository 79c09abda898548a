/* prune.c — PRUNE (n2g-reference §4) on token ids; the forward passes are the caller's
 * (the build submits the candidates to the probe engine). */
#include "n2g/method/prune.h"

#include <string.h>

void n2g_prune_defaults(n2g_prune_cfg *c) {
    c->proportion_threshold = -0.5f;
    c->token_activation_threshold = 1.0f;
    c->cutoff = 30;
    c->skip_interval = 5;
    c->max_post_context_tokens = 5;
    c->bos = 50256;
    c->skip_nonpositive = 1;
    c->skip_pos0 = 0;
}

static int ends_sentence(n2g_tokstr_fn ts, void *u, int id) {
    size_t n = 0;
    const char *s = ts ? ts(u, id, &n) : NULL;
    for (size_t i = 0; s && i < n; i++)
        if (s[i] == '.' || s[i] == '!' || s[i] == '\n') return 1;
    return 0;
}

int n2g_prune_plan_example(const int32_t *row, int n, const float *acts, const n2g_prune_cfg *c, n2g_tokstr_fn ts,
                           void *ts_user, n2g_prune_plan *plans, int max_plans) {
    int p0 = c->skip_pos0 ? 1 : 0;
    if (n <= p0) return 0;
    float M = acts[p0];
    for (int i = p0 + 1; i < n; i++)
        if (acts[i] > M) M = acts[i];
    if (c->skip_nonpositive && !(M > 0)) return 0;
    int np = 0;
    for (int p = p0; p < n; p++) {
        if (!(acts[p] >= c->token_activation_threshold * M)) continue;
        if (np < max_plans) n2g_prune_plan_pivot(row, n, p, c, ts, ts_user, &plans[np]);
        np++;
    }
    return np;
}

void n2g_prune_plan_pivot(const int32_t *row, int n, int p, const n2g_prune_cfg *c, n2g_tokstr_fn ts, void *ts_user,
                          n2g_prune_plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->pivot = p;
    int count = 0;
    for (int i = p; i >= 0; i--) {
        count++;
        if (count > c->cutoff) break;
        if (count != p + 1 && count % c->skip_interval != 0) continue;
        if (pl->n_cands < N2G_PRUNE_MAX_CANDS) pl->cand_start[pl->n_cands++] = i;
    }
    /* post context: rest of the pivot's sentence, at most max_post tokens */
    int e = p + 1;
    if (!ends_sentence(ts, ts_user, row[p]))
        while (e < n && e - (p + 1) < c->max_post_context_tokens) {
            int end = ends_sentence(ts, ts_user, row[e]);
            e++;
            if (end) break;
        }
    pl->post_end = e;
}

static int seq_from(const int32_t *row, int start, int end, const n2g_prune_cfg *c, int32_t *out) {
    int k = 0;
    if (start > 0) out[k++] = c->bos; /* i = 0: row[0] is already BOS */
    for (int i = start; i < end; i++) out[k++] = row[i];
    return k;
}

int n2g_prune_candidate(const int32_t *row, const n2g_prune_plan *pl, int k, const n2g_prune_cfg *c, int32_t *out) {
    return seq_from(row, pl->cand_start[k], pl->pivot + 1, c, out);
}

int n2g_prune_prompt(const int32_t *row, const n2g_prune_plan *pl, int chosen, const n2g_prune_cfg *c, int32_t *out) {
    return seq_from(row, pl->cand_start[chosen], pl->post_end, c, out);
}

int n2g_prune_accepts(const n2g_prune_plan *pl, int k, const float *a, int len, float pivot_act,
                      const n2g_prune_cfg *c, float *t_max) {
    int am = c->skip_pos0 && len > 1 ? 1 : 0;
    for (int j = am + 1; j < len; j++)
        if (a[j] > a[am]) am = j;
    int i = pl->cand_start[k];
    int t_arg = i > 0 ? am - 1 + i : am; /* candidate index -> row index */
    *t_max = a[am];
    return t_arg == pl->pivot && (a[am] - pivot_act) / pivot_act > c->proportion_threshold;
}

int n2g_prune_choose(const n2g_prune_plan *pl, const float *const *cand_acts, const int *cand_len, float pivot_act,
                     const n2g_prune_cfg *c, float *t_max) {
    for (int k = 0; k < pl->n_cands; k++)
        if (n2g_prune_accepts(pl, k, cand_acts[k], cand_len[k], pivot_act, c, t_max) || k == pl->n_cands - 1)
            return k;
    *t_max = 0;
    return -1;
}
