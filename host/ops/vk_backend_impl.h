/* vk_backend_impl.h — the Vulkan backend context, shared by vk_backend.c and ops_vk.c only. */
#ifndef N2G_VK_BACKEND_IMPL_H
#define N2G_VK_BACKEND_IMPL_H

#include "ops/ops_impl.h"
#include "ops/vk_backend.h"

#define VKB_MAX_PROF_KINDS 32

typedef struct vkb_prof_kind {
    char name[32];
    long calls;
    double ns, flops;
} vkb_prof_kind;

struct vkb {
    ops_ctx base; /* must be first */
    vk_rt rt;
    vkb_variant variant;
    vkb_limits lim;
    VkDeviceSize max_range; /* maxStorageBufferRange, or less under N2G_VK_SIM_BINDING_MIB */
    uint32_t max_texels;    /* maxTexelBufferElements, or less under N2G_VK_SIM_BINDING_MIB */
    int quiet;
    /* recording */
    VkCommandBuffer cmd;
    int recording;
    uint64_t epoch; /* hazard epoch: bumped by each barrier and each submit */
    long ndispatch, nbarriers; /* totals, for tests */
    int failed;
    n2g_err ferr;
    /* pipelines */
    vkb_pipe **pipes;
    int npipes, cappipes;
    ops_buf *dummy; /* bound where an optional input is absent */
    vk_mem_buf staging;
    /* profiling */
    int profile;
    VkQueryPool qpool;
    uint32_t qused;
    struct {
        int kind;
        double flops;
    } *qtag;
    vkb_prof_kind kinds[VKB_MAX_PROF_KINDS];
    int nkinds;
    long unprofiled; /* dispatches beyond the query pool's capacity */
};

int vkb_open(vkb *vk, const ops_options *opt, n2g_err *err);
void vkb_close(vkb *vk);
ops_buf *vkb_alloc(vkb *vk, size_t bytes, n2g_err *err);
void vkb_free(vkb *vk, ops_buf *b);
int vkb_upload(vkb *vk, ops_buf *dst, size_t off, const void *src, size_t bytes, n2g_err *err);
int vkb_download(vkb *vk, const ops_buf *src, size_t off, void *dst, size_t bytes, n2g_err *err);
int vkb_run(vkb *vk, n2g_err *err);
void vkb_profile_print(vkb *vk, FILE *f);
void vkb_profile_reset(vkb *vk);

#endif
