/* bench_cpu_gemm.c — GFLOP/s of the CPU backend's matmul (and of attention, gelu) on GPT-2-small
 * shapes, N = 1024 rows (--rows N), per ISA. Reports wall-clock and process-CPU-time rates: on a shared
 * machine the CPU-time rate of a 1-thread run is the figure that load does not distort.
 *   bench_cpu_gemm [--threads N] [--variant generic|avx2|avx512] [--reps R] [--rows N] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/ops.h"

static double clk(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = 1, reps = 5, N = 1024;
    const char *variant = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--variant")) variant = argv[i + 1];
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rows")) N = atoi(argv[i + 1]);
    }
    ops_options o = {.kind = OPS_CPU, .threads = threads, .variant = variant};
    ops_ctx *c;
    n2g_err e = {0};
    if (ops_create(&o, &c, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    printf("device: %s\n", ops_device_name(c));
    if (N < 1 || N > 1024) N = 1024;
    int shapes[][2] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};
    size_t maxe = (size_t)3072 * 3072;
    float *h = malloc(maxe * sizeof *h);
    for (size_t i = 0; i < maxe; i++) h[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    /* x and out hold 1024 rows whatever N: attention and gelu below use them at full size */
    ops_buf *x = ops_alloc(c, (size_t)1024 * 3072 * 4, &e), *w = ops_alloc(c, maxe * 4, &e),
            *out = ops_alloc(c, (size_t)1024 * 3072 * 4, &e), *bias = ops_alloc(c, 3072 * 4, &e);
    ops_upload(c, x, 0, h, (size_t)1024 * 3072 * 4, &e);
    ops_upload(c, w, 0, h, maxe * 4, &e);
    for (int s = 0; s < 4; s++) {
        int IC = shapes[s][0], OC = shapes[s][1];
        ops_matmul(c, out, x, w, 0, bias, 0, N, IC, OC); /* warm-up */
        double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
        for (int r = 0; r < reps; r++) ops_matmul(c, out, x, w, 0, bias, 0, N, IC, OC);
        ops_run(c, &e);
        double wt = clk(CLOCK_MONOTONIC) - w0, ct = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
        double fl = 2.0 * N * IC * OC * reps;
        printf("matmul %4d x %4d x %4d: %6.1f GFLOP/s wall, %6.1f GFLOP/s per CPU-second\n", N, IC, OC, fl / wt * 1e-9,
               fl / ct * 1e-9);
    }
    /* attention B=8, T=128, C=768, NH=12 on the same qkv buffer contents */
    {
        ops_attention(c, out, x, 8, 128, 768, 12);
        double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
        for (int r = 0; r < reps; r++) ops_attention(c, out, x, 8, 128, 768, 12);
        double wt = clk(CLOCK_MONOTONIC) - w0, ct = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("attention 8 x 128, C 768, 12 heads: %.2f ms wall, %.2f ms CPU\n", wt / reps * 1e3, ct / reps * 1e3);
    }
    {
        size_t n = (size_t)1024 * 3072;
        ops_gelu(c, out, n);
        double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
        for (int r = 0; r < reps; r++) ops_gelu(c, out, n);
        double wt = clk(CLOCK_MONOTONIC) - w0, ct = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
        printf("gelu %zu elements: %.2f ms wall, %.2f ms CPU (%.2f ns/element CPU)\n", n, wt / reps * 1e3,
               ct / reps * 1e3, ct / reps / n * 1e9);
    }
    ops_free(c, x), ops_free(c, w), ops_free(c, out), ops_free(c, bias);
    free(h);
    ops_destroy(c);
    return 0;
}
