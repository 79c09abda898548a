/* cpu_vec.h — per-ISA builds of the CPU backend's element-wise and row kernels (private). */
#ifndef N2G_CPU_VEC_H
#define N2G_CPU_VEC_H

#include <stddef.h>

typedef struct cpu_vec_fns {
    void (*gelu)(float *x, size_t n);                       /* x[n] = gelu_new(x[n]) */
    void (*add)(float *x, const float *y, size_t n);        /* x[n] += y[n] */
    void (*ln_row)(float *o, const float *x, const float *g, const float *b, int C, float eps); /* one row */
    void (*softmax_row)(float *s, int n, int n_pad, float scale); /* s[n] = softmax(scale s), zero to n_pad */
} cpu_vec_fns;

extern const cpu_vec_fns cpu_vec_generic, cpu_vec_avx2, cpu_vec_avx512;

#endif
