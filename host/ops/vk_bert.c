/* vk_bert.c — the encoder ops on the Vulkan backend (see ops_bert.h; shaders/bert_*.comp). */
#include <math.h>

#include "ops_bert.h"
#include "vk_backend.h"

static size_t zmin(size_t a, size_t b) { return a < b ? a : b; }

enum { ATT_LX = 8 }; /* query rows per workgroup */

/* the attention pipeline (rows: the selected-rows variant with a fourth binding), or NULL */
static vkb_pipe *attn_pipe(vkb *vk, int C, int NH, int rows) {
    int HS = C / NH;
    if (HS > 256) {
        vkb_fail(vk, "bert attention: head size %d > 256 is not supported", HS);
        return NULL;
    }
    static const vkb_kind kinds[] = {VKB_STORAGE, VKB_TEXEL_R32F, VKB_STORAGE, VKB_STORAGE};
    uint32_t spec[] = {ATT_LX, (uint32_t)HS};
    return vkb_pipeline(vk, rows ? "bert_attention_rows" : "bert_attention", rows ? 4 : 3, kinds, 2, spec);
}

/* out [B*T, C]; qkv [B*T, 3C]; lens int32 [B] */
void vk_bert_attention(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off, int B,
                       int T, int C, int NH) {
    vkb *vk = vkb_from_ops(ctx);
    vkb_pipe *p = vk ? attn_pipe(vk, C, NH, 0) : NULL;
    if (!p) return;
    int HS = C / NH;
    const uint32_t lx = ATT_LX;
    const vkb_limits *lim = vkb_get_limits(vk);
    size_t seq = (size_t)T * C;
    size_t bmax = zmin(zmin(lim->max_storage_elems / seq, lim->max_texel_elems / (3 * seq)), lim->max_groups[2]);
    if (bmax == 0) {
        vkb_fail(vk, "bert attention: one sequence (T=%d, C=%d) exceeds the device's binding range", T, C);
        return;
    }
    for (size_t b0 = 0; b0 < (size_t)B; b0 += bmax) {
        size_t nb = zmin(bmax, (size_t)B - b0);
        vkb_binding b[] = {{out, b0 * seq, nb * seq, 1}, {qkv, b0 * 3 * seq, nb * 3 * seq, 0}, {lens, lens_off + b0, nb, 0}};
        struct {
            uint32_t T, C;
            float scale;
        } pc = {(uint32_t)T, (uint32_t)C, 1.0f / sqrtf((float)HS)};
        double flops = 4.0 * HS * NH * nb * (double)T * T;
        vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)((T + lx - 1) / lx), (uint32_t)NH, (uint32_t)nb,
                     "bert_attention", flops);
    }
}

/* out [R, C]; qkv [B*T, 3C]; lens int32 [B]; rows int32 [R] */
void vk_bert_attention_rows(ops_ctx *ctx, ops_buf *out, const ops_buf *qkv, const ops_buf *lens, size_t lens_off,
                            const ops_buf *rows, size_t rows_off, int R, int B, int T, int C, int NH) {
    vkb *vk = vkb_from_ops(ctx);
    vkb_pipe *p = vk ? attn_pipe(vk, C, NH, 1) : NULL;
    if (!p) return;
    int HS = C / NH;
    const uint32_t lx = ATT_LX;
    const vkb_limits *lim = vkb_get_limits(vk);
    size_t nq = (size_t)B * T * 3 * C;
    if (nq > lim->max_texel_elems || (size_t)R * C > lim->max_storage_elems) {
        vkb_fail(vk, "bert attention: a batch of %d x %d tokens (C=%d) exceeds the device's binding range", B, T, C);
        return;
    }
    vkb_binding b[] = {{out, 0, (size_t)R * C, 1}, {qkv, 0, nq, 0}, {lens, lens_off, (size_t)B, 0}, {rows, rows_off, (size_t)R, 0}};
    struct {
        uint32_t T, C;
        float scale;
        uint32_t R;
    } pc = {(uint32_t)T, (uint32_t)C, 1.0f / sqrtf((float)HS), (uint32_t)R};
    vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)((R + lx - 1) / lx), (uint32_t)NH, 1, "bert_attention",
                 4.0 * C * (double)R * T);
}

/* x [n] in place */
void vk_gelu_erf(ops_ctx *ctx, ops_buf *x, size_t n) {
    vkb *vk = vkb_from_ops(ctx);
    if (!vk) return;
    static const vkb_kind kinds[] = {VKB_STORAGE};
    uint32_t spec[] = {256};
    vkb_pipe *p = vkb_pipeline(vk, "bert_gelu_erf", 1, kinds, 1, spec);
    if (!p) return;
    size_t win = vkb_get_limits(vk)->max_storage_elems;
    for (size_t lo = 0; lo < n; lo += win) {
        size_t cnt = zmin(win, n - lo);
        vkb_binding b[] = {{x, lo, cnt, 1}};
        uint32_t pc = (uint32_t)cnt;
        size_t groups = zmin((cnt + 255) / 256, 4096);
        vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)groups, 1, 1, "gelu_erf", 20.0 * (double)cnt);
    }
}
