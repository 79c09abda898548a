/* cpu_vec_generic.c — cpu_vec_impl.h for the baseline ISA of the build. */
#define VEC_TABLE cpu_vec_generic
#include "cpu_vec_impl.h"
