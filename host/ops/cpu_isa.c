/* cpu_isa.c — runtime ISA detection (__builtin_cpu_supports) for the CPU backend. */
#include "cpu_isa.h"

#include <string.h>

int cpu_isa_supported(cpu_isa isa) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    switch (isa) {
    case CPU_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    case CPU_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default:
        return 1;
    }
#else
    return isa == CPU_ISA_GENERIC;
#endif
}

cpu_isa cpu_isa_best(void) {
    if (cpu_isa_supported(CPU_ISA_AVX512)) return CPU_ISA_AVX512;
    if (cpu_isa_supported(CPU_ISA_AVX2)) return CPU_ISA_AVX2;
    return CPU_ISA_GENERIC;
}

static const char *const names[] = {"generic", "avx2", "avx512"};

const char *cpu_isa_name(cpu_isa isa) { return names[isa]; }

int cpu_isa_parse(const char *name, cpu_isa *out, n2g_err *err) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            if (!cpu_isa_supported((cpu_isa)i))
                return n2g_fail(err, "cpu backend: this CPU does not support the %s kernels", name);
            *out = (cpu_isa)i;
            return 0;
        }
    return n2g_fail(err, "cpu backend: unknown kernel variant '%s' (expected generic, avx2 or avx512)", name);
}
