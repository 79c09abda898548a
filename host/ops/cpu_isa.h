/* cpu_isa.h — which vector instruction set the CPU backend's kernels use (private to host/ops).
 * The widest one the running CPU supports is chosen at ops_create (cpu_isa_best); it can be
 * forced lower with ops_options.variant / env N2G_CPU_ISA = "generic" | "avx2" | "avx512". */
#ifndef N2G_CPU_ISA_H
#define N2G_CPU_ISA_H

#include "../common/err.h"

typedef enum { CPU_ISA_GENERIC = 0, CPU_ISA_AVX2 = 1, CPU_ISA_AVX512 = 2 } cpu_isa;

/* widest ISA this CPU (and build) supports: avx512 needs AVX512F, avx2 needs AVX2 + FMA */
cpu_isa cpu_isa_best(void);
int cpu_isa_supported(cpu_isa isa);
const char *cpu_isa_name(cpu_isa isa);
/* parses a name; -1 with a message for unknown names or ISAs this CPU lacks */
int cpu_isa_parse(const char *name, cpu_isa *out, n2g_err *err);

#endif
