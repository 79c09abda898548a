/* cpu_vec_avx2.c — cpu_vec_impl.h compiled for AVX2 + FMA (used only when the CPU has them). */
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#define VEC_TABLE cpu_vec_avx2
#include "cpu_vec_impl.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "cpu_vec.h"
const cpu_vec_fns cpu_vec_avx2 = {0};
#endif
