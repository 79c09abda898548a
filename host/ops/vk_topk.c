/* vk_topk.c — Vulkan backend of ops_rowmax / ops_topk_merge (shaders/topk.comp). */
#include <assert.h>

#include "topk_backends.h"

void vk_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
               int T, int C, int p0) {
    (void)ctx, (void)rmax, (void)rarg, (void)rsum, (void)out_off, (void)x, (void)B, (void)T, (void)C, (void)p0;
    assert(!"vk_rowmax: Vulkan backend not wired yet");
}

void vk_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                   const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                   uint32_t row0) {
    (void)ctx, (void)topk, (void)topk_off, (void)stats, (void)stats_off, (void)rmax, (void)rarg, (void)rsum,
        (void)in_off, (void)B, (void)C, (void)k, (void)row0;
    assert(!"vk_topk_merge: Vulkan backend not wired yet");
}
