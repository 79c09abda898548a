/* topk_backends.h — the backend halves of ops_topk.h. Private to host/ops/. */
#ifndef N2G_TOPK_BACKENDS_H
#define N2G_TOPK_BACKENDS_H

#include "ops_topk.h"

void cpu_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
                int T, int C, int p0);
void cpu_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                    const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                    uint32_t row0);
void cpu_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                   const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio);
void vk_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
               int T, int C, int p0);
void vk_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                   const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                   uint32_t row0);
void vk_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                  const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio);

#endif
