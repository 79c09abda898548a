/* cpu_vec_avx2.c — cpu_vec_impl.h compiled for AVX2 + FMA (used only when the CPU has them). */
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#pragma GCC target("avx2,fma")
#define VEC_TABLE cpu_vec_avx2
#include "cpu_vec_impl.h"
#else
#include "cpu_vec.h"
const cpu_vec_fns cpu_vec_avx2 = {0};
#endif
