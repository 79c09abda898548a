/* vk_gather.c — placeholder until the Vulkan backend lands (vk_backend.h). */
#include <assert.h>

#include "ops_gather.h"

void vk_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx, size_t idx_off,
               size_t n) {
    (void)ctx, (void)out, (void)out_off, (void)src, (void)idx, (void)idx_off, (void)n;
    assert(!"vk_gather: Vulkan backend not built");
}
