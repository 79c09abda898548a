/* vk_gpt2.h — tuning knobs of the Vulkan GPT-2 kernels (benchmarks and tests set them). */
#ifndef N2G_VK_GPT2_H
#define N2G_VK_GPT2_H

#include "ops/vk_backend.h"

/* One workgroup tile of the gpu-family matmul: bm x bn outputs, bk deep slices, tm x tn outputs per
 * invocation ((bm/tm) * (bn/tn) invocations). tm, tn, bk multiples of 4; bm % tm == bn % tn == 0. */
typedef struct vk_mm_tile {
    int bm, bn, bk, tm, tn;
} vk_mm_tile;

typedef struct vk_gpt2_tune {
    int mm_lx;    /* cpu-driver matmul: invocations per workgroup */
    int mm_rows;  /* cpu-driver matmul: rows per workgroup (accumulator rows per invocation) */
    int mm_cols4; /* cpu-driver matmul: vec4 columns per invocation */
    int attn_lx;  /* cpu-driver attention: invocations per workgroup */
    int attn_qr;  /* cpu-driver attention (vec4 form): query rows per invocation */
    /* gpu family */
    int gpu_v;    /* kernel version: 2 = register-blocked matmul + flash attention (default), 1 = the
                     first gpu kernels (64x64 matmul tiles, one workgroup per query row) */
    vk_mm_tile mm_tile[3]; /* shape classes, largest first: the first whose tiles make at least
                              mm_groups workgroups serves a matmul (else the last) */
    int mm_groups;
    int fa_nrg;   /* flash attention: row groups per workgroup (workgroup = fa_nrg * fa_tc invocations) */
    int fa_tc;    /* invocations per row group (a power of two, 1..32) */
    int fa_br[3]; /* query rows per workgroup, largest first (multiples of fa_nrg): the first whose
                     workgroup count reaches fa_groups (else the last) */
    int fa_bc;    /* keys per block (a multiple of fa_tc); br, bc are halved to fit shared memory */
    int fa_groups;
    int fa_shuffle; /* row reductions by subgroup shuffles where the device has them (0: shared memory) */
} vk_gpt2_tune;

/* The device-independent defaults of a variant family (gpu fields: a mid-size discrete GPU). */
void vk_gpt2_default_tune(vkb_variant v, vk_gpt2_tune *t);
/* The tuning a Vulkan ops context uses (its device's table entry, or what vk_gpt2_set_tune set);
 * -1 if ctx is not Vulkan. */
int vk_gpt2_get_tune(ops_ctx *ctx, vk_gpt2_tune *t);
/* Sets the tuning of a Vulkan ops context; -1 if ctx is not Vulkan or a value is out of range. */
int vk_gpt2_set_tune(ops_ctx *ctx, const vk_gpt2_tune *t);
/* "cpu-driver" / "gpu" -> index; NULL, "" or "auto" -> -1; -1 return on an unknown name. */
int vk_variant_parse(const char *s, int *out);

/* What the gpu-family kernels would run for a shape (for tests and benchmarks): the matmul tile
 * class index (0..2) for N x OC, and the flash attention's (BR, BC, shuffle) for T, NH, B, HS; -1
 * when the attention falls back to another kernel (v1, or cpu-driver when the head does not fit). */
int vk_gpt2_mm_class(ops_ctx *ctx, size_t N, int OC);
int vk_gpt2_fa_config(ops_ctx *ctx, int B, int T, int NH, int HS, int *br, int *bc, int *shuffle);

#endif
