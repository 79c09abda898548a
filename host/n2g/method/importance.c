/* importance.c — importance matrix and normalised activations from masked runs, and the step
 * that runs them through the probe engine for a block of neurons (see importance.h). */
#include "n2g/method/importance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "n2g/method/method.h"

void n2g_importance_masked(const int32_t *y, int L, int k, int mask, int32_t *out) {
    memcpy(out, y, sizeof(int32_t) * (size_t)L);
    out[k] = mask;
}

float n2g_round3(float x) { return (float)(nearbyint((double)x * 1000.0) / 1000.0); }

int n2g_importance_compute(const float *A, int L, float scale, float base_max, int skip0, float *imp,
                           float *norm_act) {
    const float *a = A;
    int ps = skip0 && L > 1 ? 1 : 0;
    for (int j = ps + 1; j < L; j++)
        if (a[j] > a[ps]) ps = j;
    for (int k = 0; k < L; k++)
        for (int j = 0; j < L; j++) {
            float aj = a[j];
            imp[(size_t)k * (size_t)L + (size_t)j] = aj == 0.0f ? 0.0f : 1.0f - A[(size_t)(k + 1) * (size_t)L + (size_t)j] / aj;
        }
    for (int j = 0; j < L; j++) norm_act[j] = base_max == 0.0f ? 0.0f : n2g_round3(a[j] * scale / base_max);
    return ps;
}

/* ---- the step ---- */

/* 1: the unmasked run of prompts [from, n_prompts) */
static int submit_unmasked(n2g_method *m, n2g_job *j, int from, n2g_err *err) {
    for (int q = from; q < j->n_prompts; q++) {
        n2g_prompt *p = &j->prompts[q];
        int L = p->len;
        if (!(p->A = malloc(sizeof(float) * (size_t)(L + 1) * (size_t)L)) ||
            !(p->imp = malloc(sizeof(float) * (size_t)L * (size_t)L)) || !(p->act = malloc(sizeof(float) * (size_t)L)))
            return n2g_fail(err, "out of memory");
        int s = n2g_probe_seq(m->eng, p->tok, L, err);
        if (s < 0 || n2g_probe_want(m->eng, s, j->layer, j->neuron, 0, L, p->A, err)) return -1;
    }
    return 0;
}

/* How much of the importance matrix the graph reads: the lines use column i only where the
 * normalised activation at i exceeds the activation threshold, and augmentation uses column
 * p*. Masked row k changes nothing before k (causal attention), so only rows k <= i_max are
 * needed, each only up to i_max: need = i_max + 1 (L with --full-importance). */
static int extent_needed(const n2g_method *m, const n2g_job *j, const n2g_prompt *p) {
    int L = p->len;
    if (m->full_importance) return L;
    const float *a = p->A;
    int ps = m->skip0 && L > 1 ? 1 : 0;
    for (int i = ps + 1; i < L; i++)
        if (a[i] > a[ps]) ps = i;
    int imax = ps;
    for (int i = 0; i < L; i++)
        if (n2g_round3(a[i] * p->scale / j->base_max) > m->act_threshold && i > imax) imax = i;
    return imax + 1;
}

/* 2 (after the unmasked runs): masked rows 0..need-1, positions k..need-1 */
static int submit_masked(n2g_method *m, n2g_job *j, int from, n2g_err *err) {
    int32_t *tmp = NULL;
    for (int q = from; q < j->n_prompts; q++) {
        n2g_prompt *p = &j->prompts[q];
        int L = p->len, need = p->need = extent_needed(m, j, p);
        int32_t *nt = realloc(tmp, sizeof(int32_t) * (size_t)L);
        if (!nt) {
            free(tmp);
            return n2g_fail(err, "out of memory");
        }
        tmp = nt;
        for (int k = 0; k < need; k++) {
            n2g_importance_masked(p->tok, need, k, m->mask_token, tmp);
            int s = n2g_probe_seq(m->eng, tmp, need, err);
            if (s < 0 || n2g_probe_want(m->eng, s, j->layer, j->neuron, k, need - k,
                                        p->A + (size_t)(k + 1) * (size_t)L + (size_t)k, err)) {
                free(tmp);
                return -1;
            }
        }
    }
    free(tmp);
    return 0;
}

/* 3: fill what was not run with the unmasked values (importance 0) */
static void finish_importance(const n2g_method *m, n2g_job *j, int from) {
    for (int q = from; q < j->n_prompts; q++) {
        n2g_prompt *p = &j->prompts[q];
        int L = p->len, need = p->need;
        for (int k = 0; k < L; k++) {
            float *row = p->A + (size_t)(k + 1) * (size_t)L;
            if (k >= need) {
                memcpy(row, p->A, sizeof(float) * (size_t)L);
                continue;
            }
            memcpy(row, p->A, sizeof(float) * (size_t)k);
            memcpy(row + need, p->A + need, sizeof(float) * (size_t)(L - need));
        }
        p->pstar = n2g_importance_compute(p->A, L, p->scale, j->base_max, m->skip0, p->imp, p->act);
    }
}

int n2g_importance_run(n2g_method *m, n2g_job *jobs, int nj, int augmented, n2g_err *err) {
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0] && submit_unmasked(m, &jobs[i], augmented ? jobs[i].n_orig : 0, err)) return -1;
    if (n2g_probe_flush(m->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0] && submit_masked(m, &jobs[i], augmented ? jobs[i].n_orig : 0, err)) return -1;
    if (n2g_probe_flush(m->eng, err) != 0) return -1;
    for (int i = 0; i < nj; i++)
        if (!jobs[i].skip_reason[0]) finish_importance(m, &jobs[i], augmented ? jobs[i].n_orig : 0);
    return 0;
}
