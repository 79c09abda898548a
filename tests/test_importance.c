/* test_importance.c — the importance matrix as `n2g build` computes it (probe engine, masked
 * rows asked only for positions >= k, the unmasked prefix copied) against the reference's
 * definition evaluated directly (n2g-reference §5: every masked row run in full by a direct
 * forward pass, I[k][j] = 1 - A[k+1][j] / a[j] in double), on a small fixture model. Also
 * p*, the normalised activations (round(a * s / base_max, 3)) and the a[j] == 0 guard. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/gpt2.h"
#include "n2g/method/importance.h"
#include "n2g/probe/probe.h"

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void) {
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (uint32_t)rs;
}

int main(void) {
    n2g_err err = {0};
    gpt2_model *m = NULL;
    CHECK(gpt2_load(check_src_path("tests/fixtures/gpt2-l3"), &m, &err) == 0, "%s", err.msg);
    if (!m) return check_finish();
    int D = m->cfg.d_mlp, V = m->cfg.vocab_size, mask = 1;
    ops_options co = {0};
    co.kind = OPS_CPU;
    ops_ctx *cpu = NULL;
    CHECK(ops_create(&co, &cpu, &err) == 0, "%s", err.msg);
    gpt2_runner *r = NULL;
    CHECK(gpt2_runner_create(m, cpu, -1, 1, m->cfg.n_ctx, &r, &err) == 0, "%s", err.msg);
    n2g_probe_engine *e = NULL;
    CHECK(n2g_probe_create(m, cpu, NULL, &e, &err) == 0, "%s", err.msg);
    enum { NP = 6, LMAX = 36 };
    int32_t y[NP][LMAX];
    int len[NP], layer[NP], neuron[NP];
    static float A[NP][(LMAX + 1) * LMAX];
    int32_t tmp[LMAX];
    for (int p = 0; p < NP; p++) {
        len[p] = 5 + (int)(rnd() % 30);
        layer[p] = p % m->cfg.n_layer;
        neuron[p] = (int)(rnd() % (unsigned)D);
        y[p][0] = V - 1;
        for (int t = 1; t < len[p]; t++) y[p][t] = (int32_t)(rnd() % (unsigned)V);
        int L = len[p], s = n2g_probe_seq(e, y[p], L, &err);
        CHECK(s >= 0 && n2g_probe_want(e, s, layer[p], neuron[p], 0, L, A[p], &err) == 0, "%s", err.msg);
        for (int k = 0; k < L; k++) {
            n2g_importance_masked(y[p], L, k, mask, tmp);
            s = n2g_probe_seq(e, tmp, L, &err);
            CHECK(s >= 0 && n2g_probe_want(e, s, layer[p], neuron[p], k, L - k, &A[p][(k + 1) * L + k], &err) == 0,
                  "%s", err.msg);
        }
    }
    CHECK(n2g_probe_flush(e, &err) == 0, "%s", err.msg);
    float *all = malloc(sizeof(float) * (size_t)m->cfg.n_layer * LMAX * (size_t)D);
    for (int p = 0; p < NP; p++) {
        int L = len[p], l = layer[p], nn = neuron[p];
        for (int k = 0; k < L; k++) memcpy(&A[p][(k + 1) * L], A[p], sizeof(float) * (size_t)k);
        float imp[LMAX * LMAX], act[LMAX];
        float scale = 1.25f, base = 0.37f;
        int ps = n2g_importance_compute(A[p], L, scale, base, 0, imp, act);
        /* oracle */
        double a[LMAX];
        gpt2_hook_post_all(r, y[p], L, l, all, &err);
        for (int j = 0; j < L; j++) a[j] = all[((size_t)l * (size_t)L + (size_t)j) * (size_t)D + (size_t)nn];
        int ops = 0;
        for (int j = 1; j < L; j++)
            if (a[j] > a[ops]) ops = j;
        CHECK(ps == ops, "prompt %d: p* %d vs %d", p, ps, ops);
        double md = 0;
        for (int k = 0; k < L; k++) {
            n2g_importance_masked(y[p], L, k, mask, tmp);
            gpt2_hook_post_all(r, tmp, L, l, all, &err);
            for (int j = 0; j < L; j++) {
                double am = all[((size_t)l * (size_t)L + (size_t)j) * (size_t)D + (size_t)nn];
                double want = a[j] == 0 ? 0 : 1 - am / a[j];
                double d = fabs(want - imp[k * L + j]) / (1 + fabs(want));
                if (fabs(a[j]) > 1e-3 && d > md) md = d; /* tiny a[j]: the ratio is ill-conditioned */
                if (j < k) CHECK(imp[k * L + j] == 0, "prompt %d: I[%d][%d] = %g before the mask", p, k, j, imp[k * L + j]);
            }
        }
        CHECK(md < 1e-3, "prompt %d: max relative importance error %g", p, md);
        for (int j = 0; j < L; j++)
            CHECK(fabs(act[j] - round(a[j] * scale / base * 1000) / 1000) < 1.5e-3, "prompt %d: norm act %d", p, j);
    }
    free(all);
    /* guards */
    float A2[3 * 2] = {0, 2, 5, 1, 0, 3}, imp[4], act[2];
    int ps = n2g_importance_compute(A2, 2, 1, 4, 0, imp, act);
    CHECK(ps == 1 && imp[0] == 0 && fabsf(imp[1] - 0.5f) < 1e-6f && imp[2] == 0 && fabsf(imp[3] + 0.5f) < 1e-6f,
          "a[j] == 0 gives importance 0: %g %g %g %g", imp[0], imp[1], imp[2], imp[3]);
    CHECK(act[0] == 0 && act[1] == 0.5f, "normalised %g %g", act[0], act[1]);
    CHECK(n2g_round3(0.0005f) == 0.0f || n2g_round3(0.0005f) == 0.001f, "round3");
    CHECK(n2g_round3(1.23449f) == 1.234f && n2g_round3(-2.0006f) == -2.001f, "round3 values");
    float A3[3 * 2] = {9, 2, 0, 0, 0, 0};
    CHECK(n2g_importance_compute(A3, 2, 1, 1, 1, imp, act) == 1, "skip0 excludes BOS from p*");
    n2g_probe_free(e);
    gpt2_runner_free(r);
    ops_destroy(cpu);
    gpt2_free(m);
    return check_finish();
}
