/* cpu_backend.h — what other host/ops files need to add ops to the CPU backend.
 *
 * CPU buffers are plain host memory (64-byte aligned, zero-initialised). Ops execute
 * eagerly when called; ops_run() only reports success. An op written in its own file
 * (e.g. a top-k merge or a gather) gets its operands' host pointers with cpu_buf_ptr()
 * and splits its work over the backend's thread pool with cpu_parallel_for():
 *
 *     static void my_rows(void *arg, size_t begin, size_t end, int thread) { ... }
 *     if (ops_kind_of(ctx) == OPS_CPU) {
 *         float *x = cpu_buf_ptr(buf);
 *         cpu_parallel_for(ctx, n_rows, 1, my_rows, &args);
 *         cpu_buf_written(buf);     (for every buffer the op writes)
 *     }
 */
#ifndef N2G_CPU_BACKEND_H
#define N2G_CPU_BACKEND_H

#include <stddef.h>

#include "ops.h"

/* Host address of a CPU-backend buffer (element 0). The buffer must come from an OPS_CPU ctx. */
void *cpu_buf_ptr(const ops_buf *b);

/* An op that writes a buffer through cpu_buf_ptr calls this once per output buffer: the backend
 * keeps derived copies (packed matmul weights) of buffers that only uploads have written. */
void cpu_buf_written(ops_buf *b);

/* Work item function: processes items [begin, end); `thread` is in [0, cpu_threads(ctx)),
 * unique among the calls running at the same time (index per-thread scratch with it). */
typedef void (*cpu_task_fn)(void *arg, size_t begin, size_t end, int thread);

/* Runs fn over items [0, n) on the pool (the calling thread takes part) and returns when all
 * are done. Items are handed out in chunks of at least `grain` items. Not reentrant: do not
 * call it from inside a task. */
void cpu_parallel_for(ops_ctx *ctx, size_t n, size_t grain, cpu_task_fn fn, void *arg);

/* Number of threads of the pool (>= 1). */
int cpu_threads(const ops_ctx *ctx);

/* Per-thread scratch memory, kept across calls. cpu_scratch_reserve (outside tasks) makes
 * every thread's scratch at least `bytes` bytes (64-byte aligned); returns -1 when out of
 * memory. cpu_scratch (inside a task) returns thread `thread`'s scratch. A reserve may move
 * the scratch, so use it only within the op that reserved it. */
int cpu_scratch_reserve(ops_ctx *ctx, size_t bytes);
void *cpu_scratch(ops_ctx *ctx, int thread);

#endif
