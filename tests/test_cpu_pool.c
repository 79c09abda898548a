/* test_cpu_pool.c — cpu_backend.h: cpu_parallel_for visits every item exactly once with valid
 * thread ids and chunks of at least `grain`, for many sizes and thread counts; per-thread
 * scratch; cpu_buf_ptr sees uploaded bytes. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/cpu_backend.h"

typedef struct {
    atomic_int *hits;
    atomic_int bad_thread, small_chunk, calls;
    int threads;
    size_t n, grain;
    ops_ctx *ctx;
} visit_args;

static void visit(void *a_, size_t b, size_t e, int th) {
    visit_args *a = a_;
    atomic_fetch_add(&a->calls, 1);
    if (th < 0 || th >= a->threads) atomic_fetch_add(&a->bad_thread, 1);
    if (e - b < a->grain && e != a->n) atomic_fetch_add(&a->small_chunk, 1);
    int *scratch = cpu_scratch(a->ctx, th);
    for (size_t i = b; i < e; i++) {
        atomic_fetch_add(&a->hits[i], 1);
        scratch[i % 16] = (int)i; /* each thread writes only its own scratch */
    }
}

int main(void) {
    int thread_counts[] = {1, 2, 3, 8};
    for (int ti = 0; ti < 4; ti++) {
        ops_options o = {.kind = OPS_CPU, .threads = thread_counts[ti]};
        ops_ctx *c;
        n2g_err e = {0};
        CHECK(ops_create(&o, &c, &e) == 0, "%s", e.msg);
        CHECK(cpu_threads(c) == thread_counts[ti], "threads %d", cpu_threads(c));
        CHECK(cpu_scratch_reserve(c, 64) == 0, "scratch");
        size_t sizes[] = {0, 1, 2, 7, 64, 1000, 100003};
        size_t grains[] = {1, 5, 4096};
        for (size_t si = 0; si < 7; si++)
            for (size_t gi = 0; gi < 3; gi++) {
                size_t n = sizes[si];
                visit_args a = {.threads = cpu_threads(c), .n = n, .grain = grains[gi], .ctx = c};
                a.hits = calloc(n + 1, sizeof *a.hits);
                for (int rep = 0; rep < 3; rep++) cpu_parallel_for(c, n, grains[gi], visit, &a);
                int wrong = 0;
                for (size_t i = 0; i < n; i++) wrong += atomic_load(&a.hits[i]) != 3;
                CHECK(wrong == 0, "threads %d n %zu grain %zu: %d items not visited exactly once per loop",
                      thread_counts[ti], n, grains[gi], wrong);
                CHECK(atomic_load(&a.bad_thread) == 0, "thread ids out of range");
                CHECK(atomic_load(&a.small_chunk) == 0, "chunk below grain");
                CHECK(n > 0 || atomic_load(&a.calls) == 0, "n = 0 runs nothing");
                free(a.hits);
            }
        /* buffers: upload then read through cpu_buf_ptr */
        ops_buf *b = ops_alloc(c, 40, &e);
        float v[10];
        for (int i = 0; i < 10; i++) v[i] = (float)i * 1.5f;
        CHECK(b && ops_upload(c, b, 0, v, sizeof v, &e) == 0, "upload");
        CHECK(b && !memcmp(cpu_buf_ptr(b), v, sizeof v), "cpu_buf_ptr sees the upload");
        CHECK(b && ((uintptr_t)cpu_buf_ptr(b) & 63) == 0, "64-byte aligned");
        CHECK(ops_upload(c, b, 8, v, 40, &e) == -1 && strstr(e.msg, "exceed the buffer"), "upload past the end: %s",
              e.msg);
        ops_free(c, b);
        ops_destroy(c);
    }
    return check_finish();
}
