/* cpu_kernels.h — the CPU backend's kernels on host pointers (private to host/ops).
 * Each runs its loop on the backend's pool via cpu_parallel_for. Shapes as in ops.h. */
#ifndef N2G_CPU_KERNELS_H
#define N2G_CPU_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_backend.h"

/* out[B*T, C] = wte[tok[n]] + wpe[n % T]; ids >= V give a zero token embedding (callers check). */
void cpu_embed(ops_ctx *ctx, float *out, const int32_t *tok, const float *wte, size_t V, const float *wpe, int B,
               int T, int C);
/* out[N, C] = layernorm(x[N, C]) * g[C] + b[C] */
void cpu_layernorm(ops_ctx *ctx, float *out, const float *x, const float *g, const float *b, int N, int C, float eps);
/* x[n] = gelu_new(x[n]) for n < count */
void cpu_gelu(ops_ctx *ctx, float *x, size_t count);
/* x[n] += y[n] */
void cpu_add(ops_ctx *ctx, float *x, const float *y, size_t count);
/* out[B*T, C] = causal attention over qkv[B*T, 3C]; -1 when scratch memory is short */
int cpu_attention(ops_ctx *ctx, float *out, const float *qkv, int B, int T, int C, int NH);
/* out[N, OC] = x[N, IC] @ w[IC, OC] + bias[OC] (bias may be NULL); -1 when scratch is short */
int cpu_matmul(ops_ctx *ctx, float *out, const float *x, const float *w, const float *bias, int N, int IC, int OC);

/* scalar gelu_new written with exp (the definition every backend follows) */
static inline float cpu_gelu1(float x) {
    const float s = 0.7978845608028654f; /* sqrt(2/pi) */
    float u = s * (x + 0.044715f * x * x * x);
    float t = 1.0f - 2.0f / (1.0f + expf(2.0f * u)); /* tanh(u); exp overflow gives 1, underflow -1 */
    return 0.5f * x * (1.0f + t);
}

#endif
