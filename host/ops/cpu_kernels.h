/* cpu_kernels.h — the CPU backend's kernels on host pointers (private to host/ops).
 * Each runs its loop on the backend's pool via cpu_parallel_for. Shapes as in ops.h. */
#ifndef N2G_CPU_KERNELS_H
#define N2G_CPU_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_backend.h"
#include "cpu_isa.h"
#include "cpu_vec.h"

/* the ISA this context's kernels use */
cpu_isa cpu_isa_of(ops_ctx *ctx);
const cpu_vec_fns *cpu_vec_of(ops_ctx *ctx);
/* one buffer shared by all threads, at least `bytes` (64-byte aligned), kept across calls;
 * NULL when out of memory. Outside tasks only. */
void *cpu_shared_scratch(ops_ctx *ctx, size_t bytes);

/* out[B*T, C] = wte[tok[n]] + wpe[n % T]; ids >= V give a zero token embedding (callers check). */
void cpu_embed(ops_ctx *ctx, float *out, const int32_t *tok, const float *wte, size_t V, const float *wpe, int B,
               int T, int C);
/* out[N, C] = wte[tok[n]] + wpe[pos[n]] */
void cpu_embed_pos(ops_ctx *ctx, float *out, const int32_t *tok, const int32_t *pos, const float *wte, size_t V,
                   const float *wpe, int N, int C);
/* out[N, C] = layernorm(x[N, C]) * g[C] + b[C] */
void cpu_layernorm(ops_ctx *ctx, float *out, const float *x, const float *g, const float *b, int N, int C, float eps);
/* x[n] = gelu_new(x[n]) for n < count */
void cpu_gelu(ops_ctx *ctx, float *x, size_t count);
/* x[n] += y[n] */
void cpu_add(ops_ctx *ctx, float *x, const float *y, size_t count);
/* out[B*T, C] = causal attention over qkv[B*T, 3C]; -1 when scratch memory is short */
int cpu_attention(ops_ctx *ctx, float *out, const float *qkv, int B, int T, int C, int NH);
/* attention with per-row key spans (ops_attention_tree); -1 when scratch memory is short */
int cpu_attention_tree(ops_ctx *ctx, float *out, const float *qkv, const int32_t *span, int B, int T, int C, int NH);
/* out[N, OC] = x[N, IC] @ w[IC, OC] + bias[OC] (bias may be NULL); w is element w_off of w_buf
 * (w_buf may be NULL: no packed-weight cache); -1 when scratch is short */
int cpu_matmul(ops_ctx *ctx, float *out, const float *x, const float *w, const float *bias, int N, int IC, int OC,
               const ops_buf *w_buf, size_t w_off);
/* Storage for the packed form (`floats` floats, 64-byte aligned) of the [IC, OC] weight at element
 * w_off of buffer w, in panels of NR columns, kept with the buffer: *valid = 1 when it already
 * holds the packed weight, 0 when the caller must fill it now. NULL when the weight may not be
 * kept: the buffer has been written by an op (cpu_buf_written), or the cache is full
 * (N2G_CPU_PACK_CACHE_MB, default 4096; 0 turns it off). Uploads and frees drop the entries. */
float *cpu_pack_cache(ops_ctx *ctx, const ops_buf *w, size_t w_off, int IC, int OC, int NR, size_t floats,
                      int *valid);

/* Serial C[M, N] = A[M, K] @ B[K, N] on the calling thread, for ops that split work themselves.
 * A(i, k) = a[i*lda + k]; B(k, j) = b[k*bk + j*bn] (strides, so a transposed operand needs no
 * copy); C(i, j) = c[i*ldc + j]. tri = 0: everything; tri = 1 (causal columns): row i needs
 * columns j <= i only — C beyond the row's MR-row sliver end is left unwritten; tri = 2 (causal K):
 * row i uses k < its sliver's end only, and A must be 0 at k > i there. scratch holds
 * cpu_gemm_small_scratch(isa, M, N, K) bytes. */
size_t cpu_gemm_small_scratch(cpu_isa isa, int M, int N, int K);
void cpu_gemm_small(cpu_isa isa, int M, int N, int K, const float *a, size_t lda, const float *b, size_t bk,
                    size_t bn, float *c, size_t ldc, int tri, float *scratch);

#endif
