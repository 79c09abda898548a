/* cpu_vec_avx512.c — cpu_vec_impl.h compiled for AVX-512F with 512-bit vectors (used only when
 * the CPU has AVX-512F). */
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)
#else
#pragma GCC target("avx512f,fma,prefer-vector-width=512")
#endif
#define VEC_TABLE cpu_vec_avx512
#include "cpu_vec_impl.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "cpu_vec.h"
const cpu_vec_fns cpu_vec_avx512 = {0};
#endif
