/* vk_topk.c — Vulkan backend of ops_rowmax / ops_topk_merge / ops_topk_fire (shaders/topk.comp). */
#include <assert.h>

#include "topk_backends.h"
#include "vk_backend.h"

#define WG 64

void vk_rowmax(ops_ctx *ctx, ops_buf *rmax, ops_buf *rarg, ops_buf *rsum, size_t out_off, const ops_buf *x, int B,
               int T, int C, int p0) {
    vkb *vk = vkb_from_ops(ctx);
    assert(vk);
    static const vkb_kind kinds[4] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
    /* slices of positions per neuron: 1 on CPU drivers, 4 on GPUs (more invocations in flight) */
    uint32_t spec[2] = {WG, vkb_get_variant(vk) == VKB_VARIANT_GPU ? 4u : 1u};
    vkb_pipe *pl = vkb_pipeline(vk, "topk_rowmax", 4, kinds, 2, spec);
    if (!pl) return;
    /* a hook bigger than one storage binding is reduced in chunks of rows */
    size_t row_elems = (size_t)T * C, max_rows = vkb_get_limits(vk)->max_storage_elems / row_elems;
    if (max_rows < 1) {
        vkb_fail(vk, "ops_rowmax: one row of %d x %d floats exceeds a storage binding", T, C);
        return;
    }
    for (int b0 = 0; b0 < B; b0 += (int)max_rows) {
        int nb = B - b0 < (int)max_rows ? B - b0 : (int)max_rows;
        size_t o = out_off + (size_t)b0 * C, n = (size_t)nb * C;
        vkb_binding bind[4] = {{x, (size_t)b0 * row_elems, (size_t)nb * row_elems, 0},
                               {rmax, o, n, 1},
                               {rarg, o, n, 1},
                               {rsum, o, n, 1}};
        struct {
            uint32_t B, T, C, p0;
        } pc = {(uint32_t)nb, (uint32_t)T, (uint32_t)C, (uint32_t)p0};
        vkb_dispatch(vk, pl, bind, &pc, sizeof pc, (uint32_t)((C + WG - 1) / WG), (uint32_t)nb, 1, "topk_rowmax", 0.0);
    }
}

void vk_topk_merge(ops_ctx *ctx, ops_buf *topk, size_t topk_off, ops_buf *stats, size_t stats_off,
                   const ops_buf *rmax, const ops_buf *rarg, const ops_buf *rsum, size_t in_off, int B, int C, int k,
                   uint32_t row0) {
    vkb *vk = vkb_from_ops(ctx);
    assert(vk);
    static const vkb_kind kinds[5] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
    uint32_t spec[1] = {WG};
    vkb_pipe *pl = vkb_pipeline(vk, "topk_merge", 5, kinds, 1, spec);
    if (!pl) return;
    size_t n = (size_t)B * C;
    vkb_binding bind[5] = {{topk, topk_off, (size_t)3 * C * k, 1},
                           {stats, stats_off, (size_t)2 * C, 1},
                           {rmax, in_off, n, 0},
                           {rarg, in_off, n, 0},
                           {rsum, in_off, n, 0}};
    struct {
        uint32_t B, C, k, row0;
    } pc = {(uint32_t)B, (uint32_t)C, (uint32_t)k, row0};
    vkb_dispatch(vk, pl, bind, &pc, sizeof pc, (uint32_t)((C + WG - 1) / WG), 1, 1, "topk_merge", 0.0);
}

void vk_topk_fire(ops_ctx *ctx, ops_buf *fire, size_t fire_off, const ops_buf *topk, size_t topk_off,
                  const ops_buf *x, int B, int T, int C, int k, int F, uint32_t row0, int p0, float ratio) {
    vkb *vk = vkb_from_ops(ctx);
    assert(vk);
    static const vkb_kind kinds[3] = {VKB_STORAGE, VKB_STORAGE, VKB_STORAGE};
    uint32_t spec[1] = {WG};
    vkb_pipe *pl = vkb_pipeline(vk, "topk_fire", 3, kinds, 1, spec);
    if (!pl) return;
    /* a hook bigger than one storage binding is read in windows of rows; the first dispatch
     * also hands out the lists of the whole batch, so the result equals one dispatch */
    size_t row_elems = (size_t)T * C, max_rows = vkb_get_limits(vk)->max_storage_elems / row_elems;
    if (max_rows < 1) {
        vkb_fail(vk, "ops_topk_fire: one row of %d x %d floats exceeds a storage binding", T, C);
        return;
    }
    if (ops_topk_fire_words(C, k, F) > vkb_get_limits(vk)->max_storage_elems) {
        vkb_fail(vk, "ops_topk_fire: a fire store of %d x %d x %d entries exceeds a storage binding", C, k, F);
        return;
    }
    for (int b0 = 0; b0 < B; b0 += (int)max_rows) {
        int nb = B - b0 < (int)max_rows ? B - b0 : (int)max_rows;
        vkb_binding bind[3] = {{fire, fire_off, ops_topk_fire_words(C, k, F), 1},
                               {topk, topk_off, (size_t)2 * C * k, 0},
                               {x, (size_t)b0 * row_elems, (size_t)nb * row_elems, 0}};
        struct {
            uint32_t B, T, C, k, F, row0, p0, xr0, xB, assign;
            float ratio;
        } pc = {(uint32_t)B, (uint32_t)T, (uint32_t)C, (uint32_t)k, (uint32_t)F, row0, (uint32_t)p0,
                row0 + (uint32_t)b0, (uint32_t)nb, b0 == 0, ratio};
        vkb_dispatch(vk, pl, bind, &pc, sizeof pc, (uint32_t)((C + WG - 1) / WG), 1, 1, "topk_fire", 0.0);
    }
}
