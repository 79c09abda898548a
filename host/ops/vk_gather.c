/* vk_gather.c — the gather op on the Vulkan backend (see ops_gather.h; shaders/gather.comp).
 * A source larger than one storage binding is bound window by window; every dispatch scans
 * all n indices and writes the ones inside its window. */
#include "ops_gather.h"
#include "vk_backend.h"

/* out[out_off + i] = src[idx[idx_off + i]], i < n */
void vk_gather(ops_ctx *ctx, ops_buf *out, size_t out_off, const ops_buf *src, const ops_buf *idx, size_t idx_off,
               size_t n) {
    vkb *vk = vkb_from_ops(ctx);
    if (!vk) return;
    static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
    uint32_t spec[] = {256};
    vkb_pipe *p = vkb_pipeline(vk, "gather", 3, kinds, 1, spec);
    if (!p) return;
    const vkb_limits *lim = vkb_get_limits(vk);
    size_t total = ops_buf_bytes(src) / 4;
    size_t win = lim->max_storage_elems;
    if (n > win) {
        vkb_fail(vk, "gather: %zu values exceed one storage binding (%zu)", n, win);
        return;
    }
    size_t groups = (n + 255) / 256;
    if (groups > 4096) groups = 4096;
    for (size_t lo = 0; lo < total; lo += win) {
        size_t cnt = total - lo < win ? total - lo : win;
        vkb_binding b[] = {{out, out_off, n, 1}, {src, lo, cnt, 0}, {idx, idx_off, n, 0}};
        struct {
            uint32_t n, lo, cnt;
        } pc = {(uint32_t)n, (uint32_t)lo, (uint32_t)cnt};
        vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)groups, 1, 1, "gather", 0.0);
    }
}
