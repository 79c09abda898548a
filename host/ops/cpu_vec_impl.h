/* cpu_vec_impl.h — element-wise and row kernels of the CPU backend, written as plain loops that
 * the compiler vectorises. Included by cpu_vec_generic.c, cpu_vec_avx2.c and cpu_vec_avx512.c,
 * each compiling it for its ISA (#pragma GCC target) with VEC_TABLE naming the table.
 * No math-library calls in the loops (they would stop vectorisation): exp is vexp below. */
#include <stdint.h>
#include <string.h>

#include "cpu_vec.h"

/* exp(x) for x in [-87.3, 88.3] (clamped outside): Cephes expf — x = n ln2 + r, |r| <= ln2/2,
 * degree-6 polynomial, times 2^n built in the exponent bits. Relative error ~2 ulp. Branch-free
 * so it vectorises; NaN comes out as a number (callers never pass NaN where it matters). */
static inline float vexp(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    float fx = x * 1.44269504088896341f;
    float n = (fx + 12582912.0f) - 12582912.0f; /* round to nearest (|fx| < 2^22) */
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* x[i] = gelu_new(x[i]) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
 * tanh(u) = 1 - 2 / (1 + exp(2u)) */
static void gelu_range(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        float t = 1.0f - 2.0f / (1.0f + vexp(2.0f * u));
        x[i] = 0.5f * v * (1.0f + t);
    }
}

static void add_range(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* sums with 16 independent partial sums: vectorised without reassociation */
static float sum16(const float *x, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += x[i + j];
    float s = 0;
    for (; i < n; i++) s += x[i];
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}

static float sqdev16(const float *x, int n, float m) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) {
            float d = x[i + j] - m;
            acc[j] += d * d;
        }
    float s = 0;
    for (; i < n; i++) s += (x[i] - m) * (x[i] - m);
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}

static float max16(const float *x, int n) {
    float acc[16];
    for (int j = 0; j < 16; j++) acc[j] = -3.0e38f;
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    float m = -3.0e38f;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int j = 0; j < 16; j++) m = acc[j] > m ? acc[j] : m;
    return m;
}

/* o[C] = (x - mean) / sqrt(var + eps) * g + b, two-pass biased variance */
static void ln_row(float *o, const float *x, const float *g, const float *b, int C, float eps) {
    float mean = sum16(x, C) / (float)C;
    float var = sqdev16(x, C, mean) / (float)C;
    float rs = 1.0f / __builtin_sqrtf(var + eps);
    for (int c = 0; c < C; c++) o[c] = (x[c] - mean) * rs * g[c] + b[c];
}

/* s[0..n) = softmax(s * scale); s[n..n_pad) = 0 */
static void softmax_row(float *s, int n, int n_pad, float scale) {
    for (int j = 0; j < n; j++) s[j] *= scale;
    float mx = max16(s, n);
    for (int j = 0; j < n; j++) s[j] = vexp(s[j] - mx);
    float inv = 1.0f / sum16(s, n);
    for (int j = 0; j < n; j++) s[j] *= inv;
    for (int j = n; j < n_pad; j++) s[j] = 0;
}

const cpu_vec_fns VEC_TABLE = {gelu_range, add_range, ln_row, softmax_row};
