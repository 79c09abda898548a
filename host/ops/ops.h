/* ops.h — the op interface: every GPT-2 (and later DistilBERT) op, two backends.
 *
 * A backend context (ops_ctx) owns device buffers (ops_buf) and executes ops on them.
 *   - OPS_CPU: plain C, multithreaded; the test oracle and the fallback without a GPU.
 *   - OPS_VK:  Vulkan compute shaders (host/vk); kernel variants chosen per device.
 *
 * Execution model. Op calls are *recorded*; ops_run() executes everything recorded since the
 * last run and waits for it. On Vulkan a whole batch goes into one command buffer, with a
 * barrier only where a dispatch reads or writes a buffer that an earlier, not yet
 * barriered dispatch wrote. The CPU backend may execute ops as they are called.
 * ops_upload / ops_download first run whatever is pending, then copy synchronously.
 *
 * All tensors are fp32 (int32 for token ids), row-major, dense, and addressed in *elements*
 * (floats / ints) from the start of a buffer: every tensor argument is (buffer, element
 * offset). Shapes are in the comments, llm.c style. Op calls never fail individually:
 * argument errors are programming errors (asserted); device errors surface from ops_run.
 */
#ifndef N2G_OPS_H
#define N2G_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/err.h"

typedef enum { OPS_CPU = 0, OPS_VK = 1 } ops_kind;

typedef struct ops_ctx ops_ctx;
typedef struct ops_buf ops_buf;

typedef struct ops_options {
    ops_kind kind;
    int device;        /* OPS_VK: device index as listed by `n2g devices`; -1 = default choice */
    int local_rank;    /* ops_open: this process among the local_size processes sharing the machine */
    int local_size;    /*   (MPI ranks: dist_local_rank / dist_local_size); 0 = one process */
    int threads;       /* OPS_CPU: worker threads; 0 = all cores */
    int validation;    /* OPS_VK: enable VK_LAYER_KHRONOS_validation (also env N2G_VALIDATION=1);
                          validation messages make ops_run fail */
    int profile;       /* record per-op timestamps (see ops_profile_print) */
    const char *variant; /* force a kernel variant family ("cpu-driver" / "gpu"); NULL = auto
                            (also env N2G_VARIANT)
                            OPS_CPU: the ISA of its kernels, "generic" / "avx2" / "avx512"
                            (also env N2G_CPU_ISA; default the widest the CPU has) */
    int quiet;         /* suppress the one-line "running on a CPU Vulkan driver" warning */
} ops_options;

/* Creates the backend opt->kind names, on exactly that device. Fails with a clear message when
 * no Vulkan loader/device exists or the index is out of range (tests and benchmarks; commands
 * open their device with ops_open). */
int ops_create(const ops_options *opt, ops_ctx **out, n2g_err *err);

/* The device policy, the same for every command (`--device`): opens the backend that
 * opt->kind / opt->device name, with opt's other settings.
 *   OPS_CPU ("--device cpu"): the CPU backend.
 *   OPS_VK, device N >= 0 ("--device N"): Vulkan device N of `n2g devices`; one that does not
 *     exist (also when there is no Vulkan device at all) is a usage error (N2G_E_USAGE,
 *     "--device N: no such Vulkan device (...)"), never a fallback.
 *   OPS_VK, device -1 (no --device): the first discrete GPU, else the first integrated GPU, else
 *     the first other device n2g can use (virtual; a CPU driver such as lavapipe, with its
 *     one-line warning); with several processes on the machine (local_size > 1) the devices of
 *     that type in turn, device local_rank mod their count. No Vulkan device n2g can use at all
 *     (no loader, driver or device): the CPU backend, with one notice line on stderr
 *     ("n2g: no Vulkan device (why); using the CPU backend") unless opt->quiet.
 * The CPU backend, chosen or fallen back to, with opt->threads 0 and local_size > 1: the cores
 * shared, cores / local_size threads each. ops_kind_of / ops_device_name say what was opened.
 * The kernel family override (opt->variant, N2G_VARIANT) applies to the Vulkan device chosen. */
int ops_open(const ops_options *opt, ops_ctx **out, n2g_err *err);
/* ops_open's usage error for an explicit index that does not exist, without opening anything
 * (the command line is checked before any work); 0 for the CPU backend and the default. */
int ops_check_device(const ops_options *opt, n2g_err *err);
void ops_destroy(ops_ctx *ctx);
ops_kind ops_kind_of(const ops_ctx *ctx);
/* Human-readable device description, e.g. "cpu (2 threads, avx512)" or
 * "vk:0 llvmpipe (LLVM 15.0.6, 256 bits) [cpu] variant=cpu-driver". */
const char *ops_device_name(const ops_ctx *ctx);

/* ---- buffers ---- */
/* Allocates a zero-initialised buffer of `bytes` bytes (may exceed the device's
 * maxStorageBufferRange; the backend splits bindings as needed). NULL on failure. */
ops_buf *ops_alloc(ops_ctx *ctx, size_t bytes, n2g_err *err);
void ops_free(ops_ctx *ctx, ops_buf *b);
size_t ops_buf_bytes(const ops_buf *b);
int ops_upload(ops_ctx *ctx, ops_buf *dst, size_t byte_off, const void *src, size_t bytes, n2g_err *err);
int ops_download(ops_ctx *ctx, const ops_buf *src, size_t byte_off, void *dst, size_t bytes, n2g_err *err);

/* Executes all recorded ops and waits. Returns -1 on device loss / validation errors. */
int ops_run(ops_ctx *ctx, n2g_err *err);

/* ---- GPT-2 ops (all recorded) ---- */

/* out[N, C] = wte[tok[n], :] + wpe[pos0 + n % T, :]   with N = B*T rows, row n = b*T + t.
 * tok: int32 [N]; wte [V, C]; wpe [n_pos, C]. Token ids must be < V (checked by callers). */
void ops_embed(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *wte,
               const ops_buf *wpe, int B, int T, int C);

/* out[N, C] = (x - mean) / sqrt(var + eps) * g + b, per row; two-pass variance, biased. */
void ops_layernorm(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *g, size_t g_off,
                   const ops_buf *b, size_t b_off, int N, int C, float eps);

/* out[N, OC] = x[N, IC] @ w[IC, OC] + bias[OC]   (w in Hugging Face Conv1D layout [in, out];
 * bias may be NULL). out must not alias x. */
void ops_matmul(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                const ops_buf *bias, size_t bias_off, int N, int IC, int OC);

/* Fused matmul epilogues: ops_matmul and the element-wise op that follows it in GPT-2, in one
 * pass over the output (the GPU kernels apply it to the tile in registers; the CPU backend runs
 * the two steps). The results are those of the two ops (the epilogue adds no rounding of its own):
 *   ops_matmul_gelu: out[N, OC] = gelu_new(x @ w + bias)   (the MLP's c_fc and its activation)
 *   ops_matmul_add:  out[N, OC] += x @ w + bias            (a projection and the residual add)
 * out must not alias x. */
void ops_matmul_gelu(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                     const ops_buf *bias, size_t bias_off, int N, int IC, int OC);
void ops_matmul_add(ops_ctx *ctx, ops_buf *out, const ops_buf *x, const ops_buf *w, size_t w_off,
                    const ops_buf *bias, size_t bias_off, int N, int IC, int OC);

/* Element-wise GELU in place: x[n] = gelu_new(x[n]) (tanh form written with exp). */
void ops_gelu(ops_ctx *ctx, ops_buf *x, size_t n);

/* Causal multi-head self-attention.
 * qkv [B*T, 3C] (q | k | v, each C = NH * HS wide, head h at columns h*HS..);
 * out [B*T, C]. scale = 1/sqrt(HS). Row t attends to rows 0..t of the same sequence, so
 * right-padding a shorter sequence changes none of its positions. */
void ops_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, int B, int T, int C, int NH);

/* ---- tree-packed rows (the probe engine's prefix sharing) ----
 * A packed row holds groups one after another. A group is a root sequence and "child"
 * segments that share a prefix with it: a child's tokens are stored after the root without the
 * shared prefix and attend to the root's first np keys instead. Per token, three int32 say
 * where its keys are:
 *   span[3n] = r0, span[3n+1] = np, span[3n+2] = s0: row t of sequence b attends to keys
 *   [r0, r0 + np) and [s0, t] of the same sequence (0 <= r0, r0 + np <= s0 <= t).
 * A root token of a group starting at g0 is (g0, 0, g0); a child segment stored at o that
 * shares p tokens is (g0, p, o) for all its tokens; a plain causal row is (0, 0, 0).
 * The position id of each token is given explicitly (its position in its own sequence). */

/* out[N, C] = wte[tok[n], :] + wpe[pos[n], :], N rows; tok, pos int32 [N] (pos < n_pos). */
void ops_embed_pos(ops_ctx *ctx, ops_buf *out, const ops_buf *tok, size_t tok_off, const ops_buf *pos,
                   size_t pos_off, const ops_buf *wte, const ops_buf *wpe, int N, int C);

/* Attention as ops_attention, except that row t of sequence b attends to the keys
 * [r0, r0 + np) U [s0, t] named by span (int32 [B*T, 3] at element span_off, see above). */
void ops_attention_tree(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *span, size_t span_off, int B,
                        int T, int C, int NH);

/* x[n] += y[n] for n < count (residual add). */
void ops_add(ops_ctx *ctx, ops_buf *x, const ops_buf *y, size_t count);

/* ---- profiling ---- */
/* Prints per-op-kind totals (calls, ms, GFLOP/s where known) since the last reset. */
void ops_profile_print(ops_ctx *ctx, FILE *f);
void ops_profile_reset(ops_ctx *ctx);

#endif
