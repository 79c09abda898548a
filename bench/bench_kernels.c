/* bench_kernels.c — per-kernel GFLOP/s of the GPT-2 ops on GPT-2-small shapes, for every
 * Vulkan kernel family on a device (the gpu family in its current version and the first one, v1)
 * and for the CPU backend (the peer), as a Markdown table (or tab-separated with --tsv).
 *
 *   bench_kernels [--device N] [--reps R] [--no-cpu] [--kernel K] [--variant NAME] [--no-v1]
 *                 [--rows N] [--seq T] [--batch B] [--tsv] [--sweep] [--sweep-gpu]
 *
 * Shapes: matmuls of --rows rows (default 1024) for qkv, attn proj, mlp fc (also with its GELU
 * epilogue), mlp proj (also with the residual add); attention of 12 heads of 64 over --seq
 * tokens (default 1024) for B = 1 and B = --batch (default 16); layernorm, gelu.
 * Each figure: R calls recorded into one ops_run (one command buffer on Vulkan), wall time
 * after one warm-up run. Flop conventions as the profiler's: matmul 2·N·IC·OC, attention
 * 4·HS·NH·B·T(T+1)/2, layernorm 8 and gelu 10 per element.
 * --sweep: the cpu-driver matmul's register blocks and attention rows; --sweep-gpu: the gpu
 * family's matmul tiles and flash-attention blocks (to fill a device's table in ops_vk.c).
 * --tsv: "kernel<TAB>column<TAB>GFLOP/s" lines (bench/gpu.sh reads them). */
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

enum { K_MM, K_MM_GELU, K_MM_ADD, K_ATTN, K_LN, K_GELU };
typedef struct {
    char label[64];
    int kind, N, IC, OC; /* attention: N = T, IC = C, OC = NH, B = batch */
    int B;
} kernel;
#define MAXK 16
static kernel KERNELS[MAXK];
static int NK;

static void add_kernel(int kind, int N, int IC, int OC, int B, const char *what) {
    kernel *k = &KERNELS[NK++];
    *k = (kernel){.kind = kind, .N = N, .IC = IC, .OC = OC, .B = B};
    if (kind == K_ATTN)
        snprintf(k->label, sizeof k->label, "attention B=%d T=%d C=%d NH=%d", B, N, IC, OC);
    else if (kind == K_LN || kind == K_GELU)
        snprintf(k->label, sizeof k->label, "%s %dx%d", what, N, IC);
    else
        snprintf(k->label, sizeof k->label, "matmul %dx%dx%d (%s)", N, IC, OC, what);
}

/* GFLOP/s of kernel k on ctx */
static double bench(ops_ctx *c, const kernel *k, int reps) {
    n2g_err e = {0};
    double flops = 0;
    ops_buf *a = NULL, *b = NULL, *o = NULL, *bias = NULL;
    switch (k->kind) {
    case K_MM:
    case K_MM_GELU:
    case K_MM_ADD:
        a = rbuf(c, (size_t)k->N * k->IC), b = rbuf(c, (size_t)k->IC * k->OC), o = rbuf(c, (size_t)k->N * k->OC);
        bias = rbuf(c, k->OC);
        flops = 2.0 * k->N * k->IC * k->OC;
        break;
    case K_ATTN:
        a = rbuf(c, (size_t)k->B * k->N * 3 * k->IC), o = rbuf(c, (size_t)k->B * k->N * k->IC);
        flops = 4.0 * (k->IC / k->OC) * k->OC * k->B * ((double)k->N * (k->N + 1) / 2);
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
            case K_MM_GELU: ops_matmul_gelu(c, o, a, b, 0, bias, 0, k->N, k->IC, k->OC); break;
            case K_MM_ADD: ops_matmul_add(c, o, a, b, 0, bias, 0, k->N, k->IC, k->OC); break;
            case K_ATTN: ops_attention(c, o, a, k->B, k->N, k->IC, k->OC); break;
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

static void sweep_cpu(ops_ctx *c, int reps, int fc, int attn) {
    static const int cfg[][3] = {{8, 32, 4},  {8, 16, 8},  {8, 32, 8},  {16, 32, 8}, {8, 64, 8},
                                 {8, 16, 16}, {8, 32, 16}, {4, 32, 8},  {8, 24, 8},  {8, 48, 8}};
    vk_gpt2_tune base;
    vk_gpt2_get_tune(c, &base);
    printf("\ncpu-driver %s, register-block sweep (LX invocations x ROWS rows x 4*COLS4 columns):\n\n",
           KERNELS[fc].label);
    printf("| LX | ROWS | COLS | GFLOP/s | GFLOP per CPU-second |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        vk_gpt2_tune t = base;
        t.mm_lx = cfg[i][0], t.mm_rows = cfg[i][1], t.mm_cols4 = cfg[i][2];
        vk_gpt2_set_tune(c, &t);
        double g = bench(c, &KERNELS[fc], reps);
        printf("| %d | %d | %d | %.2f | %.2f |\n", cfg[i][0], cfg[i][1], 4 * cfg[i][2], g, last_cpu_gflops);
        fflush(stdout);
    }
    printf("\ncpu-driver %s (LX invocations x QR query rows each):\n\n"
           "| LX | QR | GFLOP/s | GFLOP per CPU-second |\n|---|---|---|---|\n",
           KERNELS[attn].label);
    static const int lq[][2] = {{16, 2}, {16, 4}, {8, 8}, {16, 8}, {8, 16}, {4, 16}};
    for (size_t i = 0; i < sizeof lq / sizeof lq[0]; i++) {
        vk_gpt2_tune t = base;
        t.attn_lx = lq[i][0], t.attn_qr = lq[i][1];
        vk_gpt2_set_tune(c, &t);
        double g = bench(c, &KERNELS[attn], reps);
        printf("| %d | %d | %.2f | %.2f |\n", lq[i][0], lq[i][1], g, last_cpu_gflops);
        fflush(stdout);
    }
    vk_gpt2_set_tune(c, &base);
}

/* The gpu family's tiles and flash blocks: each matmul shape under each tile, each attention
 * shape under each block configuration (what a device's table entry should say). */
static void sweep_gpu(ops_ctx *c, int reps) {
    static const vk_mm_tile tiles[] = {{128, 128, 8, 8, 8},  {128, 128, 16, 8, 8}, {128, 64, 8, 8, 4},
                                       {128, 64, 16, 8, 8},  {64, 128, 8, 4, 8},   {64, 64, 16, 4, 4},
                                       {64, 64, 8, 8, 8},    {64, 64, 16, 8, 4},   {32, 64, 16, 4, 4},
                                       {32, 32, 16, 4, 4}};
    vk_gpt2_tune base;
    vk_gpt2_get_tune(c, &base);
    printf("\ngpu matmul tiles (BM x BN x BK / TM x TN per invocation), GFLOP/s:\n\n| tile |");
    for (int k = 0; k < NK; k++)
        if (KERNELS[k].kind == K_MM) printf(" %s |", KERNELS[k].label);
    printf("\n|---|");
    for (int k = 0; k < NK; k++)
        if (KERNELS[k].kind == K_MM) printf("---|");
    printf("\n");
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        vk_gpt2_tune t = base;
        t.mm_tile[0] = t.mm_tile[1] = t.mm_tile[2] = tiles[i];
        if (vk_gpt2_set_tune(c, &t)) continue;
        printf("| %dx%dx%d / %dx%d |", tiles[i].bm, tiles[i].bn, tiles[i].bk, tiles[i].tm, tiles[i].tn);
        for (int k = 0; k < NK; k++)
            if (KERNELS[k].kind == K_MM) printf(" %.1f |", bench(c, &KERNELS[k], reps)), fflush(stdout);
        printf("\n");
    }
    static const int fcfg[][5] = {/* nrg, tc, br, bc, shuffle */
                                  {8, 8, 64, 32, 1}, {8, 8, 32, 32, 1}, {8, 8, 16, 32, 1}, {8, 8, 64, 16, 1},
                                  {8, 8, 64, 64, 1}, {4, 8, 32, 32, 1}, {16, 8, 64, 32, 1}, {8, 4, 32, 32, 1},
                                  {8, 8, 64, 32, 0}, {16, 4, 64, 32, 1}};
    printf("\ngpu flash attention (row groups x invocations per group, BR query rows x BC keys per block), GFLOP/s:\n\n"
           "| nrg x tc | BR x BC | shuffle |");
    for (int k = 0; k < NK; k++)
        if (KERNELS[k].kind == K_ATTN) printf(" %s |", KERNELS[k].label);
    printf("\n|---|---|---|");
    for (int k = 0; k < NK; k++)
        if (KERNELS[k].kind == K_ATTN) printf("---|");
    printf("\n");
    for (size_t i = 0; i < sizeof fcfg / sizeof fcfg[0]; i++) {
        vk_gpt2_tune t = base;
        t.fa_nrg = fcfg[i][0], t.fa_tc = fcfg[i][1], t.fa_bc = fcfg[i][3], t.fa_shuffle = fcfg[i][4];
        t.fa_br[0] = t.fa_br[1] = t.fa_br[2] = fcfg[i][2];
        if (vk_gpt2_set_tune(c, &t)) continue;
        int br = 0, bc = 0, sh = 0;
        if (vk_gpt2_fa_config(c, 1, 1024, 12, 64, &br, &bc, &sh)) continue;
        printf("| %dx%d | %dx%d | %d |", fcfg[i][0], fcfg[i][1], br, bc, sh);
        for (int k = 0; k < NK; k++)
            if (KERNELS[k].kind == K_ATTN) printf(" %.1f |", bench(c, &KERNELS[k], reps)), fflush(stdout);
        printf("\n");
    }
    vk_gpt2_set_tune(c, &base);
}

int main(int argc, char **argv) {
    int device = -1, reps = 5, sweep = 0, sweep_g = 0, with_cpu = 1, only = -1, v1 = 1, tsv = 0;
    int rows = 1024, seq = 1024, batch = 16;
    const char *variant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--device") && more) device = atoi(argv[++i]);
        else if (!strcmp(a, "--reps") && more) reps = atoi(argv[++i]);
        else if (!strcmp(a, "--kernel") && more) only = atoi(argv[++i]);
        else if (!strcmp(a, "--variant") && more) variant = argv[++i];
        else if (!strcmp(a, "--rows") && more) rows = atoi(argv[++i]);
        else if (!strcmp(a, "--seq") && more) seq = atoi(argv[++i]);
        else if (!strcmp(a, "--batch") && more) batch = atoi(argv[++i]);
        else if (!strcmp(a, "--sweep")) sweep = 1;
        else if (!strcmp(a, "--sweep-gpu")) sweep_g = 1;
        else if (!strcmp(a, "--no-cpu")) with_cpu = 0;
        else if (!strcmp(a, "--no-v1")) v1 = 0;
        else if (!strcmp(a, "--tsv")) tsv = 1;
        else {
            fprintf(stderr, "usage: bench_kernels [--device N] [--reps R] [--no-cpu] [--kernel K] [--variant NAME] "
                            "[--no-v1] [--rows N] [--seq T] [--batch B] [--tsv] [--sweep] [--sweep-gpu]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (rows < 1 || seq < 1 || batch < 1) {
        fprintf(stderr, "bench_kernels: --rows, --seq, --batch must be >= 1\n");
        return 2;
    }
    add_kernel(K_MM, rows, 768, 2304, 1, "qkv");
    add_kernel(K_MM, rows, 768, 768, 1, "attn proj");
    add_kernel(K_MM, rows, 768, 3072, 1, "mlp fc");
    add_kernel(K_MM, rows, 3072, 768, 1, "mlp proj");
    add_kernel(K_MM_GELU, rows, 768, 3072, 1, "mlp fc + gelu");
    add_kernel(K_MM_ADD, rows, 3072, 768, 1, "mlp proj + residual");
    add_kernel(K_ATTN, seq, 768, 12, 1, NULL);
    if (batch > 1) add_kernel(K_ATTN, seq, 768, 12, batch, NULL);
    add_kernel(K_LN, rows, 768, 0, 1, "layernorm");
    add_kernel(K_GELU, rows, 3072, 0, 1, "gelu");

    /* columns: vk cpu-driver, vk gpu, vk gpu v1, cpu backend */
    enum { COL_CPUDRV, COL_GPU, COL_V1, COL_CPU, NCOL };
    static const char *const colname[NCOL] = {"vk cpu-driver", "vk gpu", "vk gpu v1", "cpu backend"};
    n2g_err e = {0};
    ops_ctx *ctx[NCOL] = {0};
    for (int v = 0; v < 3; v++) {
        const char *fam = v == COL_CPUDRV ? "cpu-driver" : "gpu";
        int sweeps = v == COL_CPUDRV ? sweep : v == COL_GPU ? sweep_g : 0;
        if (variant && strcmp(variant, fam) && !sweeps) continue;
        if (v == COL_V1 && !v1) continue;
        ops_options o = {.kind = OPS_VK, .device = device, .variant = fam, .quiet = 1};
        if (ops_create(&o, &ctx[v], &e)) {
            fprintf(stderr, "vk: %s\n", e.msg);
            return 1;
        }
        if (v == COL_V1) {
            vk_gpt2_tune t;
            vk_gpt2_get_tune(ctx[v], &t);
            t.gpu_v = 1;
            vk_gpt2_set_tune(ctx[v], &t);
        }
    }
    if (with_cpu) {
        ops_options o = {.kind = OPS_CPU};
        if (ops_create(&o, &ctx[COL_CPU], &e)) {
            fprintf(stderr, "cpu: %s\n", e.msg);
            return 1;
        }
    }
    int run_col[NCOL];
    for (int v = 0; v < NCOL; v++)
        run_col[v] = ctx[v] && !(variant && v < COL_CPU && strcmp(variant, v == COL_CPUDRV ? "cpu-driver" : "gpu"));
    ops_ctx *any = ctx[COL_GPU] ? ctx[COL_GPU] : ctx[COL_CPUDRV] ? ctx[COL_CPUDRV] : ctx[COL_CPU];
    if (!any) {
        fprintf(stderr, "bench_kernels: nothing to run\n");
        return 2;
    }
    if (!tsv) {
        printf("device: %s\nreps: %d\n", ops_device_name(any), reps);
        printf("cells: wall-clock GFLOP/s (GFLOP per CPU-second of this process, all threads)\n\n| kernel |");
        for (int v = 0; v < NCOL; v++)
            if (run_col[v]) printf(" %s GFLOP/s |", colname[v]);
        printf("%s\n|---|", with_cpu ? " best vk / cpu |" : "");
        for (int v = 0; v < NCOL; v++)
            if (run_col[v]) printf("---|");
        printf("%s\n", with_cpu ? "---|" : "");
    } else {
        printf("device\t%s\n", ops_device_name(any));
    }
    for (int k = 0; k < NK; k++) {
        if (only >= 0 && only != k) continue;
        double g[NCOL] = {0};
        if (!tsv) printf("| %s |", KERNELS[k].label), fflush(stdout);
        for (int v = 0; v < NCOL; v++) {
            if (!run_col[v]) continue;
            g[v] = bench(ctx[v], &KERNELS[k], reps);
            if (tsv)
                printf("%s\t%s\t%.2f\n", KERNELS[k].label, colname[v], g[v]);
            else
                printf(" %.2f (%.1f) |", g[v], last_cpu_gflops);
            fflush(stdout);
        }
        if (!tsv && with_cpu) printf(" %.2f |", fmax(fmax(g[COL_CPUDRV], g[COL_GPU]), g[COL_V1]) / g[COL_CPU]);
        if (!tsv) printf("\n");
    }
    if (sweep && ctx[COL_CPUDRV]) sweep_cpu(ctx[COL_CPUDRV], reps, 2, 6);
    if (sweep_g && ctx[COL_GPU]) sweep_gpu(ctx[COL_GPU], reps);
    for (int v = 0; v < NCOL; v++)
        if (ctx[v]) ops_destroy(ctx[v]);
    return 0;
}
