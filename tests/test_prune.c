/* test_prune.c — PRUNE through the probe engine (what `n2g build` does: plan, all candidates
 * in one flush, choose) against a literal transcription of the reference loop
 * (fast_prune, n2g-reference §4: candidates shortest first, one direct forward pass each,
 * stop at the first accepted) on a small fixture model, CPU backend. Also the candidate
 * lengths and post-context rule on hand-made cases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/gpt2.h"
#include "n2g/probe/probe.h"
#include "n2g/method/prune.h"

static const char *tok_text(void *u, int id, size_t *len) { /* ids divisible by 7 end a sentence */
    (void)u;
    static const char dot[] = ".", word[] = " w";
    *len = 2 - (id % 7 == 0);
    return id % 7 == 0 ? dot : word;
}

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (uint32_t)rs;
}

static gpt2_runner *R;
static int LAYER, NEURON, D;
static void act_of(const int32_t *tok, int n, float *out) { /* direct forward, one sequence */
    float *all = malloc(sizeof(float) * (size_t)(LAYER + 1) * (size_t)n * (size_t)D);
    n2g_err err = {0};
    if (gpt2_hook_post_all(R, tok, n, LAYER, all, &err)) fprintf(stderr, "%s\n", err.msg);
    for (int t = 0; t < n; t++) out[t] = all[((size_t)LAYER * (size_t)n + (size_t)t) * (size_t)D + (size_t)NEURON];
    free(all);
}

/* the reference loop on ids; returns the pruned prompt length (out) and t_max; -1 if skipped */
static int oracle(const int32_t *row, int n, const float *acts, const n2g_prune_cfg *c, int32_t *out, float *tmax) {
    int p = 0;
    for (int i = 1; i < n; i++)
        if (acts[i] > acts[p]) p = i;
    if (!(acts[p] > 0)) return -1;
    int cands[40], nc = 0, count = 0;
    for (int i = p; i >= 0; i--) {
        count++;
        if (count > 30) break;
        if (count != p + 1 && count % 5 != 0) continue;
        cands[nc++] = i;
    }
    int chosen = -1;
    for (int k = 0; k < nc; k++) {
        int i = cands[k], len = 0;
        int32_t seq[40];
        if (i > 0) seq[len++] = c->bos;
        for (int t = i; t <= p; t++) seq[len++] = row[t];
        float a[40];
        act_of(seq, len, a);
        int am = 0;
        for (int t = 1; t < len; t++)
            if (a[t] > a[am]) am = t;
        int targ = i > 0 ? am - 1 + i : am;
        *tmax = a[am];
        if ((targ == p && (a[am] - acts[p]) / acts[p] > -0.5f) || k == nc - 1) {
            chosen = i;
            break;
        }
    }
    int len = 0;
    if (chosen > 0) out[len++] = c->bos;
    for (int t = chosen; t <= p; t++) out[len++] = row[t];
    size_t tl;
    tok_text(NULL, row[p], &tl);
    if (tl != 1) /* the pivot does not end its sentence: up to 5 more tokens, to the sentence end */
        for (int t = p + 1; t < n && t <= p + 5; t++) {
            out[len++] = row[t];
            if (row[t] % 7 == 0) break;
        }
    return len;
}

int main(void) {
    n2g_err err = {0};
    gpt2_model *m = NULL;
    CHECK(gpt2_load(check_src_path("tests/fixtures/gpt2-l3"), &m, &err) == 0, "%s", err.msg);
    if (!m) return check_finish();
    ops_options co = {0};
    co.kind = OPS_CPU;
    ops_ctx *cpu = NULL;
    CHECK(ops_create(&co, &cpu, &err) == 0, "%s", err.msg);
    CHECK(gpt2_runner_create(m, cpu, -1, 1, m->cfg.n_ctx, &R, &err) == 0, "%s", err.msg);
    D = m->cfg.d_mlp;
    n2g_prune_cfg c;
    n2g_prune_defaults(&c);
    c.bos = m->cfg.vocab_size - 1;
    n2g_probe_engine *e = NULL;
    CHECK(n2g_probe_create(m, cpu, NULL, &e, &err) == 0, "%s", err.msg);
    int n = m->cfg.n_ctx, compared = 0, nontrivial = 0;
    for (int trial = 0; trial < 60; trial++) {
        LAYER = trial % m->cfg.n_layer;
        NEURON = (int)(rnd() % (unsigned)D);
        int32_t row[64];
        row[0] = c.bos;
        for (int t = 1; t < n; t++) row[t] = (int32_t)(rnd() % (unsigned)(m->cfg.vocab_size - 1));
        float acts[64];
        act_of(row, n, acts);
        int32_t want[64];
        float want_tmax = 0;
        int wl = oracle(row, n, acts, &c, want, &want_tmax);
        /* the build's way */
        n2g_prune_plan plans[4];
        int np = n2g_prune_plan_example(row, n, acts, &c, tok_text, NULL, plans, 4);
        CHECK((wl < 0) == (np == 0), "trial %d: skipped %d vs %d pivots", trial, wl < 0, np);
        if (np == 0) continue;
        n2g_prune_plan *pl = &plans[0];
        int32_t ct[N2G_PRUNE_MAX_CANDS][40];
        float ca[N2G_PRUNE_MAX_CANDS][40];
        const float *cap[N2G_PRUNE_MAX_CANDS];
        int cl[N2G_PRUNE_MAX_CANDS];
        for (int k = 0; k < pl->n_cands; k++) {
            cl[k] = n2g_prune_candidate(row, pl, k, &c, ct[k]);
            int s = n2g_probe_seq(e, ct[k], cl[k], &err);
            CHECK(s >= 0 && n2g_probe_want(e, s, LAYER, NEURON, 0, cl[k], ca[k], &err) == 0, "%s", err.msg);
            cap[k] = ca[k];
        }
        CHECK(n2g_probe_flush(e, &err) == 0, "%s", err.msg);
        float tmax = 0;
        int k = n2g_prune_choose(pl, cap, cl, acts[pl->pivot], &c, &tmax);
        int32_t got[64];
        int gl = n2g_prune_prompt(row, pl, k, &c, got);
        CHECK(gl == wl && !memcmp(got, want, sizeof(int32_t) * (size_t)gl), "trial %d: pruned prompt differs (%d vs %d tokens)",
              trial, gl, wl);
        CHECK(fabsf(tmax - want_tmax) <= 1e-4f * (1 + fabsf(want_tmax)), "trial %d: t_max %g vs %g", trial, tmax,
              want_tmax);
        compared++;
        nontrivial += k > 0 && k < pl->n_cands - 1;
    }
    CHECK(compared >= 20, "only %d examples compared", compared);
    fprintf(stderr, "test_prune: %d examples compared, %d chose a middle candidate\n", compared, nontrivial);
    /* hand cases: candidate lengths 5..30 + full prior, post context to the sentence end */
    {
        int32_t row[40];
        float acts[40];
        for (int t = 0; t < 40; t++) row[t] = 1, acts[t] = 0.1f;
        row[0] = c.bos;
        acts[33] = 2.0f;  /* pivot 33: candidates 5,10,..,30 (p + 1 = 34 > 30: no full prior) */
        row[35] = 14;     /* ends a sentence: post = 34, 35 */
        n2g_prune_plan pl;
        CHECK(n2g_prune_plan_example(row, 40, acts, &c, tok_text, NULL, &pl, 1) == 1, "one pivot");
        CHECK(pl.pivot == 33 && pl.n_cands == 6 && pl.cand_start[0] == 29 && pl.cand_start[5] == 4,
              "candidates: %d from %d to %d", pl.n_cands, pl.cand_start[0], pl.cand_start[pl.n_cands - 1]);
        CHECK(pl.post_end == 36, "post context ends after the sentence end: %d", pl.post_end);
        acts[33] = 0.1f, acts[7] = 3.0f; /* pivot 7: candidates 5 and the full prior (8 tokens) */
        CHECK(n2g_prune_plan_example(row, 40, acts, &c, tok_text, NULL, &pl, 1) == 1 && pl.n_cands == 2 &&
                  pl.cand_start[0] == 3 && pl.cand_start[1] == 0 && pl.post_end == 13,
              "short prior: %d cands, post_end %d", pl.n_cands, pl.post_end);
        int32_t seq[40];
        CHECK(n2g_prune_candidate(row, &pl, 1, &c, seq) == 8 && seq[0] == c.bos && seq[1] == 1,
              "full prior keeps one BOS");
        CHECK(n2g_prune_candidate(row, &pl, 0, &c, seq) == 6 && seq[0] == c.bos, "suffix gets BOS prepended");
        acts[7] = 0.1f, acts[12] = acts[20] = 5.0f; /* ties: two pivots */
        n2g_prune_plan two[4];
        CHECK(n2g_prune_plan_example(row, 40, acts, &c, tok_text, NULL, two, 4) == 2 && two[0].pivot == 12 &&
                  two[1].pivot == 20,
              "ties give one plan per pivot");
        for (int t = 0; t < 40; t++) acts[t] = -1.0f;
        CHECK(n2g_prune_plan_example(row, 40, acts, &c, tok_text, NULL, two, 4) == 0, "non-positive max skipped");
        c.skip_pos0 = 1;
        acts[0] = 9.0f, acts[5] = 1.0f;
        CHECK(n2g_prune_plan_example(row, 40, acts, &c, tok_text, NULL, two, 4) == 1 && two[0].pivot == 5,
              "skip_pos0 ignores BOS");
    }
    n2g_probe_free(e);
    gpt2_runner_free(R);
    ops_destroy(cpu);
    gpt2_free(m);
    return check_finish();
}
