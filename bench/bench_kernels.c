/* bench_kernels.c — per-kernel GFLOP/s of the GPT-2 ops on GPT-2-small shapes, for every
 * Vulkan kernel variant on a device and for the CPU backend (the peer), as a Markdown table.
 *
 *   bench_kernels [--device N] [--reps R] [--sweep] [--no-cpu] [--kernel K] [--variant NAME]
 *
 * Each figure: R calls recorded into one ops_run (one command buffer on Vulkan), wall time
 * after one warm-up run. --sweep also times the cpu-driver matmul's register-block shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ops/ops.h"
#include "ops/vk_backend.h"
#include "ops/vk_gpt2.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* process CPU seconds (all threads): on a shared machine, flops per CPU-second x cores
 * estimates the quiet-machine speed of a CPU driver */
static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}
static double last_cpu_gflops; /* of the last bench(): GFLOP per CPU-second */

static ops_buf *rbuf(ops_ctx *c, size_t n) {
    n2g_err e = {0};
    ops_buf *b = ops_alloc(c, n * 4, &e);
    if (!b) {
        fprintf(stderr, "alloc: %s\n", e.msg);
        exit(1);
    }
    float *h = malloc(n * 4);
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) h[i] = ((s = s * 1103515245u + 12345u) >> 9) * (1.0f / (1 << 23)) - 0.5f;
    ops_upload(c, b, 0, h, n * 4, &e);
    free(h);
    return b;
}

enum { K_MM, K_ATTN, K_LN, K_GELU };
typedef struct {
    const char *label;
    int kind, N, IC, OC;
} kernel;
static const kernel KERNELS[] = {
    {"matmul 1024x768x2304 (qkv)", K_MM, 1024, 768, 2304},
    {"matmul 1024x768x768 (attn proj)", K_MM, 1024, 768, 768},
    {"matmul 1024x768x3072 (mlp fc)", K_MM, 1024, 768, 3072},
    {"matmul 1024x3072x768 (mlp proj)", K_MM, 1024, 3072, 768},
    {"attention B=1 T=1024 C=768 NH=12", K_ATTN, 1024, 768, 12},
    {"layernorm 1024x768", K_LN, 1024, 768, 0},
    {"gelu 1024x3072", K_GELU, 1024, 3072, 0},
};
#define NK (sizeof KERNELS / sizeof KERNELS[0])

/* GFLOP/s of kernel k on ctx (flop conventions as in the profiler: layernorm 8/elt, gelu 10/elt). */
static double bench(ops_ctx *c, const kernel *k, int reps) {
    n2g_err e = {0};
    double flops = 0;
    ops_buf *a = NULL, *b = NULL, *o = NULL, *bias = NULL;
    switch (k->kind) {
    case K_MM:
        a = rbuf(c, (size_t)k->N * k->IC), b = rbuf(c, (size_t)k->IC * k->OC), o = rbuf(c, (size_t)k->N * k->OC);
        bias = rbuf(c, k->OC);
        flops = 2.0 * k->N * k->IC * k->OC;
        break;
    case K_ATTN:
        a = rbuf(c, (size_t)k->N * 3 * k->IC), o = rbuf(c, (size_t)k->N * k->IC);
        flops = 4.0 * (k->IC / k->OC) * k->OC * ((double)k->N * (k->N + 1) / 2);
        break;
    case K_LN:
        a = rbuf(c, (size_t)k->N * k->IC), o = rbuf(c, (size_t)k->N * k->IC), b = rbuf(c, 2 * (size_t)k->IC);
        flops = 8.0 * k->N * k->IC;
        break;
    case K_GELU:
        a = rbuf(c, (size_t)k->N * k->IC);
        flops = 10.0 * k->N * k->IC;
        break;
    }
    double best = 0;
    for (int round = 0; round < 2; round++) { /* round 0: warm-up (pipeline creation) */
        int r = round ? reps : 1;
        double t0 = now(), c0 = cpu_seconds();
        for (int i = 0; i < r; i++) switch (k->kind) {
            case K_MM: ops_matmul(c, o, a, b, 0, bias, 0, k->N, k->IC, k->OC); break;
            case K_ATTN: ops_attention(c, o, a, 1, k->N, k->IC, k->OC); break;
            case K_LN: ops_layernorm(c, o, a, b, 0, b, (size_t)k->IC, k->N, k->IC, 1e-5f); break;
            case K_GELU: ops_gelu(c, a, (size_t)k->N * k->IC); break;
            }
        if (ops_run(c, &e)) {
            fprintf(stderr, "run: %s\n", e.msg);
            exit(1);
        }
        best = flops * r / (now() - t0) * 1e-9;
        last_cpu_gflops = flops * r / (cpu_seconds() - c0) * 1e-9;
    }
    ops_free(c, a), ops_free(c, b), ops_free(c, o), ops_free(c, bias);
    return best;
}

int main(int argc, char **argv) {
    int device = -1, reps = 5, sweep = 0, with_cpu = 1, only = -1;
    const char *variant = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
            only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--variant") && i + 1 < argc)
            variant = argv[++i];
        else if (!strcmp(argv[i], "--sweep"))
            sweep = 1;
        else if (!strcmp(argv[i], "--no-cpu"))
            with_cpu = 0;
        else {
            fprintf(stderr, "usage: bench_kernels [--device N] [--reps R] [--sweep] [--no-cpu] [--kernel K] [--variant NAME]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    n2g_err e = {0};
    int ncol = VKB_NVARIANTS + with_cpu;
    ops_ctx *ctx[VKB_NVARIANTS + 1] = {0};
    for (int v = 0; v < VKB_NVARIANTS; v++) {
        if (variant && strcmp(variant, vkb_variant_names[v]) && v != 0) continue; /* ctx[0] serves the sweeps */
        ops_options o = {.kind = OPS_VK, .device = device, .variant = vkb_variant_names[v], .quiet = 1};
        if (ops_create(&o, &ctx[v], &e)) {
            fprintf(stderr, "vk: %s\n", e.msg);
            return 1;
        }
    }
    if (with_cpu) {
        ops_options o = {.kind = OPS_CPU};
        if (ops_create(&o, &ctx[VKB_NVARIANTS], &e)) {
            fprintf(stderr, "cpu: %s\n", e.msg);
            return 1;
        }
    }
    printf("device: %s\nreps: %d\n", ops_device_name(ctx[0]), reps);
    printf("cells: wall-clock GFLOP/s (GFLOP per CPU-second of this process, all threads)\n\n");
    printf("| kernel | vk cpu-driver GFLOP/s | vk gpu GFLOP/s |%s\n", with_cpu ? " cpu backend GFLOP/s | best vk / cpu |" : "");
    printf("|---|---|---|%s\n", with_cpu ? "---|---|" : "");
    for (size_t k = 0; k < NK; k++) {
        if (only >= 0 && (size_t)only != k) continue;
        double g[VKB_NVARIANTS + 1];
        printf("| %s |", KERNELS[k].label);
        fflush(stdout);
        for (int v = 0; v < ncol; v++) {
            if (!ctx[v] || (variant && v < VKB_NVARIANTS && strcmp(variant, vkb_variant_names[v]))) {
                g[v] = 0;
                printf(" - |");
                continue;
            }
            g[v] = bench(ctx[v], &KERNELS[k], reps);
            printf(" %.2f (%.1f) |", g[v], last_cpu_gflops);
            fflush(stdout);
        }
        if (with_cpu) printf(" %.2f |", fmax(g[0], g[1]) / g[VKB_NVARIANTS]);
        printf("\n");
    }
    if (sweep) {
        static const int cfg[][3] = {{8, 32, 4},  {8, 16, 8},  {8, 32, 8},  {16, 32, 8}, {8, 64, 8},
                                     {8, 16, 16}, {8, 32, 16}, {4, 32, 8},  {8, 24, 8},  {8, 48, 8}};
        printf("\ncpu-driver matmul 1024x768x3072, register-block sweep (LX invocations x ROWS rows x 4*COLS4 columns):\n\n");
        printf("| LX | ROWS | COLS | GFLOP/s | GFLOP per CPU-second |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
            vk_gpt2_tune t;
            vk_gpt2_default_tune(VKB_VARIANT_CPU, &t);
            t.mm_lx = cfg[i][0], t.mm_rows = cfg[i][1], t.mm_cols4 = cfg[i][2];
            vk_gpt2_set_tune(ctx[0], &t);
            double g = bench(ctx[0], &KERNELS[2], reps);
            printf("| %d | %d | %d | %.2f | %.2f |\n", cfg[i][0], cfg[i][1], 4 * cfg[i][2], g, last_cpu_gflops);
            fflush(stdout);
        }
    }
    if (sweep) {
        printf("\ncpu-driver attention T=1024 (LX invocations x QR query rows each):\n\n"
               "| LX | QR | GFLOP/s | GFLOP per CPU-second |\n|---|---|---|---|\n");
        static const int lq[][2] = {{16, 2}, {16, 4}, {8, 8}, {16, 8}, {8, 16}, {4, 16}};
        for (size_t i = 0; i < sizeof lq / sizeof lq[0]; i++) {
            vk_gpt2_tune t;
            vk_gpt2_default_tune(VKB_VARIANT_CPU, &t);
            t.attn_lx = lq[i][0], t.attn_qr = lq[i][1];
            vk_gpt2_set_tune(ctx[0], &t);
            double g = bench(ctx[0], &KERNELS[4], reps);
            printf("| %d | %d | %.2f | %.2f |\n", lq[i][0], lq[i][1], g, last_cpu_gflops);
            fflush(stdout);
        }
    }
    for (int v = 0; v < ncol; v++)
        if (ctx[v]) ops_destroy(ctx[v]);
    return 0;
}
