/* ops_gather.h — the probe engine's gather op: pick scattered values out of a device tensor.
 *
 *   out[out_off + i] = src[idx[idx_off + i]]     for i < n
 *
 * src: any fp32 tensor (the probe engine passes hook_post [B*T, d_mlp], so an index is
 * (b*T + t) * d_mlp + neuron); idx: int32 [n] element indices into src (must be in range);
 * out: fp32, n values from out_off. Recorded like every op; the CPU backend may run it at once.
 * Lives outside ops.c: dispatches on ops_kind_of(ctx) to cpu_gather.c / vk_gather.c.
 */
#ifndef N2G_OPS_GATHER_H
#define N2G_OPS_GATHER_H

#include "ops.h"

void cpu_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx, size_t idx_off,
                size_t n);
void vk_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx, size_t idx_off,
               size_t n);

static inline void ops_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx,
                              size_t idx_off, size_t n) {
    if (n == 0) return;
    if (ops_kind_of(ctx) == OPS_CPU)
        cpu_gather(ctx, out, out_off, src, idx, idx_off, n);
    else
        vk_gather(ctx, out, out_off, src, idx, idx_off, n);
}

#endif
