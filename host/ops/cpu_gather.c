/* cpu_gather.c — the gather op on the CPU backend (see ops_gather.h). */
#include "cpu_backend.h"
#include "ops_gather.h"

typedef struct {
    float *out;
    const float *src;
    const int32_t *idx;
} gather_args;

static void gather_items(void *arg, size_t begin, size_t end, int thread) {
    (void)thread;
    gather_args *a = arg;
    for (size_t i = begin; i < end; i++) a->out[i] = a->src[a->idx[i]];
}

/* out[out_off + i] = src[idx[idx_off + i]], i < n */
void cpu_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx, size_t idx_off,
                size_t n) {
    gather_args a = {(float *)cpu_buf_ptr(out) + out_off, cpu_buf_ptr(src), (const int32_t *)cpu_buf_ptr(idx) + idx_off};
    if (n < 65536) gather_items(&a, 0, n, 0);
    else cpu_parallel_for(ctx, n, 16384, gather_items, &a);
    cpu_buf_written(out);
}
