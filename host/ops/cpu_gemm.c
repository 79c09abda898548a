/* cpu_gemm.c — out[N, OC] = x[N, IC] @ w[IC, OC] + bias, rows split over the pool. */
#include "cpu_kernels.h"

typedef struct {
    float *out;
    const float *x, *w, *bias;
    int IC, OC;
} mm_args;

static void mm_rows(void *a_, size_t b, size_t e, int th) {
    (void)th;
    mm_args *a = a_;
    for (size_t n = b; n < e; n++) {
        float *o = a->out + n * (size_t)a->OC;
        const float *x = a->x + n * (size_t)a->IC;
        for (int j = 0; j < a->OC; j++) o[j] = a->bias ? a->bias[j] : 0.0f;
        for (int k = 0; k < a->IC; k++) {
            float xk = x[k];
            const float *w = a->w + (size_t)k * a->OC;
            for (int j = 0; j < a->OC; j++) o[j] += xk * w[j];
        }
    }
}

int cpu_matmul(ops_ctx *ctx, float *out, const float *x, const float *w, const float *bias, int N, int IC, int OC) {
    mm_args a = {out, x, w, bias, IC, OC};
    cpu_parallel_for(ctx, (size_t)N, 1, mm_rows, &a);
    return 0;
}
