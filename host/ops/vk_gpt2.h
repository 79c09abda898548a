/* vk_gpt2.h — tuning knobs of the Vulkan GPT-2 kernels (benchmarks and tests set them). */
#ifndef N2G_VK_GPT2_H
#define N2G_VK_GPT2_H

#include "ops/vk_backend.h"

typedef struct vk_gpt2_tune {
    int mm_lx;    /* cpu-driver matmul: invocations per workgroup */
    int mm_rows;  /* cpu-driver matmul: rows per workgroup (accumulator rows per invocation) */
    int mm_cols4; /* cpu-driver matmul: vec4 columns per invocation */
    int attn_lx;  /* cpu-driver attention: invocations per workgroup */
    int attn_qr;  /* cpu-driver attention (vec4 form): query rows per invocation */
} vk_gpt2_tune;

/* The defaults for a variant family. */
void vk_gpt2_default_tune(vkb_variant v, vk_gpt2_tune *t);
/* Sets the tuning of a Vulkan ops context; -1 if ctx is not Vulkan or a value is out of range. */
int vk_gpt2_set_tune(ops_ctx *ctx, const vk_gpt2_tune *t);
/* "cpu-driver" / "gpu" -> index; NULL, "" or "auto" -> -1; -1 return on an unknown name. */
int vk_variant_parse(const char *s, int *out);

#endif
