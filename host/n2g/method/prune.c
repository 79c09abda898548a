/* prune.c — PRUNE (n2g-reference §4) on token ids, and the step that runs its candidates
 * through the probe engine for a block of neurons (see prune.h). */
#include "n2g/method/prune.h"

#include <stdlib.h>
#include <string.h>

#include "n2g/method/method.h"

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

/* ---- the step ---- */

#define PRUNE_WAVE 4

static int submit_candidates(n2g_method *m, n2g_job *j, n2g_cand_set *cs, int k0, int k1, n2g_err *err) {
    for (int k = k0; k < k1; k++) {
        if (!(cs->acts[k] = malloc(sizeof(float) * (size_t)cs->len[k]))) return n2g_fail(err, "out of memory");
        int s = n2g_probe_seq(m->eng, cs->tok[k], cs->len[k], err);
        if (s < 0 || n2g_probe_want(m->eng, s, j->layer, j->neuron, 0, cs->len[k], cs->acts[k], err)) return -1;
    }
    return 0;
}

/* the candidates of training example e (a new cand_set of j), the first wave submitted */
static int plan_example(n2g_method *m, n2g_job *j, int e, n2g_err *err) {
    const n2g_prune_cfg *pc = &m->pc;
    if (j->ex[e].pos >= (uint32_t)m->ctx_len)
        return n2g_fail(err, "neuron %d:%d: example position %u outside the row", j->layer, j->neuron, j->ex[e].pos);
    n2g_cand_set *cs = &j->cands[j->n_cands++];
    cs->ex = e;
    cs->pivot_act = j->ex[e].value;
    n2g_prune_plan_pivot(j->rows[e], m->ctx_len, (int)j->ex[e].pos, pc, n2g_method_tokstr, m, &cs->plan);
    for (int k = 0; k < cs->plan.n_cands; k++) {
        if (!(cs->tok[k] = malloc(sizeof(int32_t) * (size_t)(pc->cutoff + 2)))) return n2g_fail(err, "out of memory");
        cs->len[k] = n2g_prune_candidate(j->rows[e], &cs->plan, k, pc, cs->tok[k]);
    }
    int w = cs->plan.n_cands < PRUNE_WAVE ? cs->plan.n_cands : PRUNE_WAVE;
    return submit_candidates(m, j, cs, 0, w, err);
}

int n2g_prune_run(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    for (int i = 0; i < nj; i++) {
        n2g_job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        if (!(j->cands = calloc((size_t)j->n_train + 1, sizeof *j->cands))) return n2g_fail(err, "out of memory");
        for (int t = 0; t < j->n_train; t++) {
            int e = j->train[t];
            if (m->pc.skip_nonpositive && !(j->ex[e].value > 0)) continue;
            if (plan_example(m, j, e, err) != 0) return -1;
        }
    }
    if (n2g_probe_flush(m->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++) {
        n2g_job *j = &jobs[i];
        for (int c = 0; c < j->n_cands; c++) {
            n2g_cand_set *cs = &j->cands[c];
            int w = cs->plan.n_cands < PRUNE_WAVE ? cs->plan.n_cands : PRUNE_WAVE, acc = 0;
            float tm;
            for (int k = 0; k < w && !acc; k++)
                acc = n2g_prune_accepts(&cs->plan, k, cs->acts[k], cs->len[k], cs->pivot_act, &m->pc, &tm);
            if (!acc && submit_candidates(m, j, cs, w, cs->plan.n_cands, err) != 0) return -1;
        }
    }
    return n2g_probe_flush(m->eng, err);
}

int n2g_prune_choose_prompts(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    const n2g_prune_cfg *pc = &m->pc;
    for (int i = 0; i < nj; i++) {
        n2g_job *j = &jobs[i];
        if (j->skip_reason[0]) continue;
        for (int c = 0; c < j->n_cands; c++) {
            n2g_cand_set *cs = &j->cands[c];
            float t_max = 0;
            int k = n2g_prune_choose(&cs->plan, (const float *const *)cs->acts, cs->len, cs->pivot_act, pc, &t_max);
            if (k < 0 || !(t_max > 0)) continue; /* GARDE's guard: a truncation must still activate */
            int32_t *tok = malloc(sizeof(int32_t) * (size_t)(pc->cutoff + 2 + pc->max_post_context_tokens));
            if (!tok) return n2g_fail(err, "out of memory");
            int len = n2g_prune_prompt(j->rows[cs->ex], &cs->plan, k, pc, tok);
            if (n2g_job_add_prompt(j, tok, len, -1, cs->pivot_act / t_max, err) != 0) {
                free(tok);
                return -1;
            }
        }
        j->n_orig = j->n_prompts;
    }
    return 0;
}
