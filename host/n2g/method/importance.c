/* importance.c — importance matrix and normalised activations from masked runs. */
#include "n2g/method/importance.h"

#include <math.h>
#include <string.h>

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
