/* vk_backend.c — the Vulkan op backend's core: buffers, upload/download, pipeline cache,
 * dispatch recording with hazard barriers, ops_run, timestamp profiling. */
#include "ops/vk_backend.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops_impl.h"
#include "ops/vk_backend_impl.h"
#include "vk/shaders.h"

const char *const vkb_variant_names[VKB_NVARIANTS] = {"cpu-driver", "gpu"};

#define PUSH_MAX 128u
#define MAX_BIND 16
#define MAX_SPEC 16
#define STAGING_BYTES ((VkDeviceSize)16 << 20)
#define QUERY_CAP 8192u

typedef struct vkb_view {
    VkFormat fmt;
    VkDeviceSize base, range;
    VkBufferView view;
} vkb_view;

struct ops_buf {
    size_t bytes; /* must be first (ops_buf_bytes) */
    vk_mem_buf m;
    uint64_t w_epoch, r_epoch; /* 1 + epoch of the last write / read; 0 = none */
    vkb_view *views;
    int nviews, capviews;
};

struct vkb_pipe {
    char shader[64];
    int nbind, nspec;
    vkb_kind kinds[MAX_BIND];
    uint32_t spec[MAX_SPEC];
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkPipeline pipe;
};

vkb *vkb_from_ops(ops_ctx *ctx) { return ctx && ctx->kind == OPS_VK ? (vkb *)ctx : NULL; }
const vkb_limits *vkb_get_limits(const vkb *vk) { return &vk->lim; }
vkb_variant vkb_get_variant(const vkb *vk) { return vk->variant; }
vk_rt *vkb_rt(vkb *vk) { return &vk->rt; }
VkBuffer vkb_buffer_handle(const ops_buf *buf) { return buf->m.buf; }

void vkb_fail(vkb *vk, const char *fmt, ...) {
    if (vk->failed) return;
    vk->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vk->ferr.msg, sizeof vk->ferr.msg, fmt, ap);
    va_end(ap);
    vk->ferr.code = N2G_E_FAIL;
}

/* ---- open / close ---- */

int vkb_open(vkb *vk, const ops_options *opt, n2g_err *err) {
    const char *ev = getenv("N2G_VALIDATION");
    int validation = opt->validation || (ev && *ev && strcmp(ev, "0"));
    if (vk_rt_open(&vk->rt, opt->device, validation, err)) return -1;
    const VkPhysicalDeviceLimits *L = &vk->rt.props.limits;
    VkDeviceSize sa = L->minStorageBufferOffsetAlignment;
    vk->max_range = L->maxStorageBufferRange;
    vk->max_texels = L->maxTexelBufferElements;
    /* test-only: binding limits as small as N MiB (storage bytes; R32F texels * 4), so that the
       paths for tables beyond one binding run on any device (test_vk_runtime) */
    const char *sim = getenv("N2G_VK_SIM_BINDING_MIB");
    unsigned long long sim_mib = sim && *sim ? strtoull(sim, NULL, 10) : 0;
    if (sim_mib >= 1 && sim_mib < (1ull << 20)) {
        VkDeviceSize cap = (VkDeviceSize)sim_mib << 20;
        if (cap < vk->max_range) vk->max_range = cap;
        if (cap / 4 < vk->max_texels) vk->max_texels = (uint32_t)(cap / 4);
    }
    /* shaders index with 32-bit ints: keep every binding below 2^30 elements */
    vk->lim.max_storage_elems = (size_t)((vk->max_range - (sa > 4 ? sa : 4)) / 16 * 4);
    if (vk->lim.max_storage_elems > (1u << 30)) vk->lim.max_storage_elems = 1u << 30;
    vk->lim.max_texel_elems = vk->max_texels - 64;
    if (vk->lim.max_texel_elems > (1u << 28)) vk->lim.max_texel_elems = 1u << 28;
    for (int i = 0; i < 3; i++) vk->lim.max_groups[i] = L->maxComputeWorkGroupCount[i];
    vk->lim.subgroup_size = vk->rt.info.subgroup_size;
    vk->lim.max_shared = L->maxComputeSharedMemorySize;
    uint32_t need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    vk->lim.subgroup_arith = (vk->rt.info.subgroup_ops & need) == need;
    need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_SHUFFLE_BIT;
    vk->lim.subgroup_shuffle = (vk->rt.info.subgroup_ops & need) == need;
    vk->lim.max_wg_invocations = L->maxComputeWorkGroupInvocations;
    if (vk->lim.max_wg_invocations > L->maxComputeWorkGroupSize[0]) vk->lim.max_wg_invocations = L->maxComputeWorkGroupSize[0];
    vk->profile = opt->profile && vk->rt.timestamp_bits && vk->rt.host_query_reset;
    if (vk->profile) {
        VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                    .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                    .queryCount = QUERY_CAP};
        VkResult r = vkCreateQueryPool(vk->rt.dev, &qi, NULL, &vk->qpool);
        if (r != VK_SUCCESS) return n2g_fail(err, "vkCreateQueryPool: %s", vk_result_str(r));
        vk->qtag = calloc(QUERY_CAP / 2, sizeof *vk->qtag);
        if (!vk->qtag) return n2g_fail(err, "out of memory");
    }
    vk->dummy = vkb_alloc(vk, 64, err);
    if (!vk->dummy) return -1;
    return 0;
}

static void view_free(vkb *vk, ops_buf *b) {
    for (int i = 0; i < b->nviews; i++) vkDestroyBufferView(vk->rt.dev, b->views[i].view, NULL);
    free(b->views);
    b->views = NULL;
    b->nviews = b->capviews = 0;
}

void vkb_close(vkb *vk) {
    if (!vk->rt.dev) return;
    vkDeviceWaitIdle(vk->rt.dev);
    if (vk->dummy) vkb_free(vk, vk->dummy);
    for (int i = 0; i < vk->npipes; i++) {
        vkb_pipe *p = vk->pipes[i];
        vkDestroyPipeline(vk->rt.dev, p->pipe, NULL);
        vkDestroyPipelineLayout(vk->rt.dev, p->layout, NULL);
        vkDestroyDescriptorSetLayout(vk->rt.dev, p->dsl, NULL);
        free(p);
    }
    free(vk->pipes);
    if (vk->cmd) vkFreeCommandBuffers(vk->rt.dev, vk->rt.pool, 1, &vk->cmd);
    if (vk->qpool) vkDestroyQueryPool(vk->rt.dev, vk->qpool, NULL);
    free(vk->qtag);
    vk_buf_destroy(&vk->rt, &vk->staging);
    vk_rt_close(&vk->rt);
}

/* ---- buffers ---- */

static int copy_via_staging(vkb *vk, ops_buf *dev, size_t off, void *host, size_t bytes, int to_dev, n2g_err *err) {
    if (!vk->staging.buf &&
        vk_buf_create(&vk->rt, STAGING_BYTES, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEM_STAGING, &vk->staging, err))
        return -1;
    if (!vk->staging.map) return n2g_fail(err, "staging buffer is not host visible");
    for (size_t done = 0; done < bytes;) {
        size_t n = bytes - done < STAGING_BYTES ? bytes - done : (size_t)STAGING_BYTES;
        if (to_dev) memcpy(vk->staging.map, (char *)host + done, n);
        VkCommandBuffer cmd;
        if (vk_oneshot_begin(&vk->rt, &cmd, err)) return -1;
        VkBufferCopy c = {.srcOffset = to_dev ? 0 : off + done, .dstOffset = to_dev ? off + done : 0, .size = n};
        if (to_dev)
            vkCmdCopyBuffer(cmd, vk->staging.buf, dev->m.buf, 1, &c);
        else
            vkCmdCopyBuffer(cmd, dev->m.buf, vk->staging.buf, 1, &c);
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0,
                             NULL);
        if (vk_oneshot_end(&vk->rt, cmd, err)) return -1;
        if (!to_dev) memcpy((char *)host + done, vk->staging.map, n);
        done += n;
    }
    return 0;
}

ops_buf *vkb_alloc(vkb *vk, size_t bytes, n2g_err *err) {
    ops_buf *b = calloc(1, sizeof *b);
    if (!b) {
        n2g_fail(err, "out of memory");
        return NULL;
    }
    b->bytes = bytes;
    VkDeviceSize sz = ((VkDeviceSize)bytes + 15) & ~(VkDeviceSize)15;
    if (sz == 0) sz = 16;
    if (vk_buf_create(&vk->rt, sz,
                      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                          VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                          VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEM_DEVICE, &b->m, err)) {
        free(b);
        return NULL;
    }
    if (b->m.map) {
        memset(b->m.map, 0, sz);
    } else {
        VkCommandBuffer cmd;
        if (vk_oneshot_begin(&vk->rt, &cmd, err)) goto fail;
        vkCmdFillBuffer(cmd, b->m.buf, 0, VK_WHOLE_SIZE, 0);
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0,
                             NULL, 0, NULL);
        if (vk_oneshot_end(&vk->rt, cmd, err)) goto fail;
    }
    return b;
fail:
    vk_buf_destroy(&vk->rt, &b->m);
    free(b);
    return NULL;
}

void vkb_free(vkb *vk, ops_buf *b) {
    if (vk->recording) { /* ops recorded on it must finish first */
        n2g_err e = {0};
        if (vkb_run(vk, &e)) vkb_fail(vk, "%s", e.msg);
    }
    view_free(vk, b);
    vk_buf_destroy(&vk->rt, &b->m);
    free(b);
}

int vkb_upload(vkb *vk, ops_buf *dst, size_t off, const void *src, size_t bytes, n2g_err *err) {
    if (vkb_run(vk, err)) return -1;
    if (dst->m.map) {
        memcpy((char *)dst->m.map + off, src, bytes);
        return 0;
    }
    return copy_via_staging(vk, dst, off, (void *)src, bytes, 1, err);
}

int vkb_download(vkb *vk, const ops_buf *src, size_t off, void *dst, size_t bytes, n2g_err *err) {
    if (vkb_run(vk, err)) return -1;
    if (src->m.map) {
        memcpy(dst, (const char *)src->m.map + off, bytes);
        return 0;
    }
    return copy_via_staging(vk, (ops_buf *)src, off, dst, bytes, 0, err);
}

/* ---- pipelines ---- */

static VkDescriptorType desc_type(vkb_kind k) {
    switch (k) {
    case VKB_STORAGE: return VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    case VKB_TEXEL_R32F:
    case VKB_TEXEL_RGBA32F: return VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
    default: return VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
    }
}

vkb_pipe *vkb_pipeline(vkb *vk, const char *shader, int nbind, const vkb_kind *kinds, int nspec, const uint32_t *spec) {
    if (nbind > MAX_BIND || nspec > MAX_SPEC || strlen(shader) >= sizeof vk->pipes[0]->shader) {
        vkb_fail(vk, "vkb_pipeline(%s): too many bindings/spec constants", shader);
        return NULL;
    }
    for (int i = 0; i < vk->npipes; i++) {
        vkb_pipe *p = vk->pipes[i];
        if (p->nbind == nbind && p->nspec == nspec && !strcmp(p->shader, shader) &&
            (!nbind || !memcmp(p->kinds, kinds, nbind * sizeof *kinds)) &&
            (!nspec || !memcmp(p->spec, spec, nspec * sizeof *spec)))
            return p;
    }
    const n2g_shader_blob *blob = vk_shader_find(shader);
    if (!blob) {
        vkb_fail(vk, "shader '%s' is not embedded in this build", shader);
        return NULL;
    }
    vkb_pipe *p = calloc(1, sizeof *p);
    if (!p) {
        vkb_fail(vk, "out of memory");
        return NULL;
    }
    snprintf(p->shader, sizeof p->shader, "%s", shader);
    p->nbind = nbind;
    p->nspec = nspec;
    if (nbind) memcpy(p->kinds, kinds, nbind * sizeof *kinds);
    if (nspec) memcpy(p->spec, spec, nspec * sizeof *spec);
    VkDevice dev = vk->rt.dev;
    VkDescriptorSetLayoutBinding lb[MAX_BIND];
    for (int i = 0; i < nbind; i++)
        lb[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                               .descriptorType = desc_type(kinds[i]),
                                               .descriptorCount = 1,
                                               .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dli = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                           .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
                                           .bindingCount = (uint32_t)nbind,
                                           .pBindings = lb};
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = PUSH_MAX};
    VkSpecializationMapEntry me[MAX_SPEC];
    for (int i = 0; i < nspec; i++) me[i] = (VkSpecializationMapEntry){(uint32_t)i, (uint32_t)(4 * i), 4};
    VkSpecializationInfo si = {(uint32_t)nspec, me, 4 * (size_t)nspec, p->spec};
    VkShaderModuleCreateInfo smi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                    .codeSize = blob->bytes,
                                    .pCode = blob->code};
    VkShaderModule sm = VK_NULL_HANDLE;
    VkResult r = vkCreateDescriptorSetLayout(dev, &dli, NULL, &p->dsl);
    if (r == VK_SUCCESS) {
        VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                          .setLayoutCount = 1,
                                          .pSetLayouts = &p->dsl,
                                          .pushConstantRangeCount = 1,
                                          .pPushConstantRanges = &pr};
        r = vkCreatePipelineLayout(dev, &pli, NULL, &p->layout);
    }
    if (r == VK_SUCCESS) r = vkCreateShaderModule(dev, &smi, NULL, &sm);
    if (r == VK_SUCCESS) {
        VkComputePipelineCreateInfo ci = {
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                      .module = sm,
                      .pName = "main",
                      .pSpecializationInfo = nspec ? &si : NULL},
            .layout = p->layout};
        r = vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &ci, NULL, &p->pipe);
        vkDestroyShaderModule(dev, sm, NULL);
    }
    if (r != VK_SUCCESS) {
        vkb_fail(vk, "creating the pipeline of shader '%s': %s", shader, vk_result_str(r));
        if (p->pipe) vkDestroyPipeline(dev, p->pipe, NULL);
        if (p->layout) vkDestroyPipelineLayout(dev, p->layout, NULL);
        if (p->dsl) vkDestroyDescriptorSetLayout(dev, p->dsl, NULL);
        free(p);
        return NULL;
    }
    if (vk->npipes == vk->cappipes) {
        int nc = vk->cappipes ? 2 * vk->cappipes : 16;
        vkb_pipe **np = realloc(vk->pipes, nc * sizeof *np);
        if (!np) {
            vkb_fail(vk, "out of memory");
            return NULL; /* p leaks only on OOM */
        }
        vk->pipes = np;
        vk->cappipes = nc;
    }
    vk->pipes[vk->npipes++] = p;
    return p;
}

/* ---- recording ---- */

static int begin_recording(vkb *vk) {
    if (vk->recording) return 0;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = vk->rt.pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkResult r = VK_SUCCESS;
    if (!vk->cmd) r = vkAllocateCommandBuffers(vk->rt.dev, &ai, &vk->cmd);
    if (r != VK_SUCCESS) {
        vk->cmd = VK_NULL_HANDLE;
        vkb_fail(vk, "vkAllocateCommandBuffers: %s", vk_result_str(r));
        return -1;
    }
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vkBeginCommandBuffer(vk->cmd, &bi);
    if (vk->profile) vkResetQueryPool(vk->rt.dev, vk->qpool, 0, QUERY_CAP);
    vk->qused = 0;
    vk->recording = 1;
    vk->epoch++;
    return 0;
}

VkCommandBuffer vkb_cmd(vkb *vk) {
    begin_recording(vk);
    return vk->cmd;
}

void vkb_barrier(vkb *vk) {
    if (begin_recording(vk)) return;
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    VkPipelineStageFlags st = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(vk->cmd, st, st, 0, 1, &mb, 0, NULL, 0, NULL);
    vk->epoch++;
    vk->nbarriers++;
}

void vkb_mark_written(vkb *vk, const ops_buf *buf) { ((ops_buf *)buf)->w_epoch = vk->epoch + 1; }

/* Barrier if touching these bindings now would race with earlier un-barriered work. */
static void hazards(vkb *vk, const ops_buf *const *bufs, const int *writes, int n) {
    uint64_t cur = vk->epoch + 1;
    int need = 0;
    for (int i = 0; i < n; i++)
        if (bufs[i]->w_epoch == cur || (writes[i] && bufs[i]->r_epoch == cur)) need = 1;
    if (need) vkb_barrier(vk);
    cur = vk->epoch + 1;
    for (int i = 0; i < n; i++) {
        ops_buf *b = (ops_buf *)bufs[i];
        if (writes[i])
            b->w_epoch = cur;
        else
            b->r_epoch = cur;
    }
}

static VkBufferView get_view(vkb *vk, ops_buf *b, VkFormat fmt, VkDeviceSize ts, VkDeviceSize off_bytes,
                             VkDeviceSize need_bytes, uint32_t *resid) {
    VkDeviceSize align = vk->rt.props.limits.minTexelBufferOffsetAlignment;
    if (align < ts) align = ts;
    VkDeviceSize maxr = (VkDeviceSize)vk->max_texels * ts;
    VkDeviceSize bufsz = b->m.size;
    for (int i = 0; i < b->nviews; i++) {
        vkb_view *v = &b->views[i];
        if (v->fmt == fmt && v->base <= off_bytes && off_bytes + need_bytes <= v->base + v->range &&
            (off_bytes - v->base) / ts < ((VkDeviceSize)1 << 31)) {
            *resid = (uint32_t)((off_bytes - v->base) / ts);
            return v->view;
        }
    }
    /* a new view: from a coarse base when the range fits, so few views serve many offsets */
    VkDeviceSize gran = (VkDeviceSize)16 << 20;
    if (gran % align) gran = align;
    VkDeviceSize base = off_bytes / gran * gran;
    if (off_bytes + need_bytes > base + maxr) base = off_bytes / align * align;
    VkDeviceSize range = bufsz - base;
    if (range > maxr) range = maxr;
    range = range / ts * ts;
    if (off_bytes + need_bytes > base + range) {
        vkb_fail(vk, "texel binding of %llu bytes exceeds maxTexelBufferElements (%u)",
                 (unsigned long long)need_bytes, vk->max_texels);
        return VK_NULL_HANDLE;
    }
    VkBufferViewCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                 .buffer = b->m.buf,
                                 .format = fmt,
                                 .offset = base,
                                 .range = range};
    VkBufferView view;
    VkResult r = vkCreateBufferView(vk->rt.dev, &ci, NULL, &view);
    if (r != VK_SUCCESS) {
        vkb_fail(vk, "vkCreateBufferView: %s", vk_result_str(r));
        return VK_NULL_HANDLE;
    }
    if (b->nviews == b->capviews) {
        int nc = b->capviews ? 2 * b->capviews : 4;
        vkb_view *nv = realloc(b->views, nc * sizeof *nv);
        if (!nv) {
            vkDestroyBufferView(vk->rt.dev, view, NULL);
            vkb_fail(vk, "out of memory");
            return VK_NULL_HANDLE;
        }
        b->views = nv;
        b->capviews = nc;
    }
    b->views[b->nviews++] = (vkb_view){fmt, base, range, view};
    *resid = (uint32_t)((off_bytes - base) / ts);
    return view;
}

static int prof_begin(vkb *vk, const char *name, double flops) {
    if (!vk->profile) return 0;
    if (vk->qused + 2 > QUERY_CAP) {
        vk->unprofiled++;
        return 0;
    }
    int k;
    for (k = 0; k < vk->nkinds; k++)
        if (!strcmp(vk->kinds[k].name, name)) break;
    if (k == vk->nkinds) {
        if (k == VKB_MAX_PROF_KINDS) return 0;
        snprintf(vk->kinds[k].name, sizeof vk->kinds[k].name, "%.31s", name);
        vk->nkinds++;
    }
    vk->qtag[vk->qused / 2].kind = k;
    vk->qtag[vk->qused / 2].flops = flops;
    vkCmdWriteTimestamp(vk->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, vk->qpool, vk->qused);
    return 1;
}

static void prof_end(vkb *vk, int open) {
    if (!open) return;
    vkCmdWriteTimestamp(vk->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vk->qpool, vk->qused + 1);
    vk->qused += 2;
}

void vkb_dispatch(vkb *vk, vkb_pipe *p, const vkb_binding *b, const void *push, uint32_t push_bytes, uint32_t gx,
                  uint32_t gy, uint32_t gz, const char *prof, double flops) {
    if (vk->failed || !p) return;
    if (4u * p->nbind + push_bytes > PUSH_MAX) {
        vkb_fail(vk, "%s: %u bytes of push constants (at most %u)", p->shader, 4u * p->nbind + push_bytes, PUSH_MAX);
        return;
    }
    if (gx > vk->lim.max_groups[0] || gy > vk->lim.max_groups[1] || gz > vk->lim.max_groups[2]) {
        vkb_fail(vk, "%s: dispatch %ux%ux%u exceeds maxComputeWorkGroupCount", p->shader, gx, gy, gz);
        return;
    }
    if (gx == 0 || gy == 0 || gz == 0) return;
    if (begin_recording(vk)) return;
    const ops_buf *bufs[MAX_BIND];
    int writes[MAX_BIND];
    uint32_t pc[PUSH_MAX / 4];
    VkWriteDescriptorSet w[MAX_BIND];
    VkDescriptorBufferInfo bi[MAX_BIND];
    VkBufferView views[MAX_BIND];
    const VkPhysicalDeviceLimits *L = &vk->rt.props.limits;
    for (int i = 0; i < p->nbind; i++) {
        ops_buf *buf = (ops_buf *)b[i].buf;
        if (!buf) {
            vkb_fail(vk, "%s: binding %d is NULL", p->shader, i);
            return;
        }
        size_t nel = buf->bytes / 4;
        if (b[i].off > nel || b[i].count > nel - b[i].off) {
            vkb_fail(vk, "%s: binding %d: elements [%zu, %zu) exceed the buffer (%zu floats)", p->shader, i, b[i].off,
                     b[i].off + b[i].count, nel);
            return;
        }
        bufs[i] = buf;
        writes[i] = b[i].write;
        VkDeviceSize off = (VkDeviceSize)b[i].off * 4, cnt = (VkDeviceSize)b[i].count * 4;
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1};
        if (p->kinds[i] == VKB_STORAGE) {
            VkDeviceSize base = off / L->minStorageBufferOffsetAlignment * L->minStorageBufferOffsetAlignment;
            VkDeviceSize range = off - base + (cnt ? cnt : 4);
            if (base + range > buf->m.size) range = buf->m.size - base;
            if (range > vk->max_range) {
                vkb_fail(vk,
                         "%s: binding %d covers %llu bytes, more than maxStorageBufferRange (%llu); split the work "
                         "or bind it as a texel buffer",
                         p->shader, i, (unsigned long long)range, (unsigned long long)vk->max_range);
                return;
            }
            bi[i] = (VkDescriptorBufferInfo){buf->m.buf, base, range};
            w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
            w[i].pBufferInfo = &bi[i];
            pc[i] = (uint32_t)((off - base) / 4);
        } else {
            int rgba = p->kinds[i] == VKB_TEXEL_RGBA32F || p->kinds[i] == VKB_IMAGE_RGBA32F;
            VkDeviceSize ts = rgba ? 16 : 4;
            if (rgba && (b[i].off % 4 || b[i].count % 4)) {
                vkb_fail(vk, "%s: binding %d: RGBA32F binding needs offset and count multiples of 4 (got %zu, %zu)",
                         p->shader, i, b[i].off, b[i].count);
                return;
            }
            views[i] = get_view(vk, buf, rgba ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT, ts, off,
                                cnt ? cnt : ts, &pc[i]);
            if (!views[i]) return;
            w[i].descriptorType = desc_type(p->kinds[i]);
            w[i].pTexelBufferView = &views[i];
        }
    }
    if (push_bytes) memcpy(pc + p->nbind, push, push_bytes);
    hazards(vk, bufs, writes, p->nbind);
    vkCmdBindPipeline(vk->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
    vkCmdPushDescriptorSetKHR(vk->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, (uint32_t)p->nbind, w);
    vkCmdPushConstants(vk->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4u * p->nbind + push_bytes, pc);
    int open = prof_begin(vk, prof ? prof : p->shader, flops);
    vkCmdDispatch(vk->cmd, gx, gy, gz);
    prof_end(vk, open);
    vk->ndispatch++;
}

void vkb_fill(vkb *vk, ops_buf *buf, size_t off, size_t count, uint32_t value) {
    if (vk->failed || !count) return;
    if (off > buf->bytes / 4 || count > buf->bytes / 4 - off) {
        vkb_fail(vk, "vkb_fill: elements [%zu, %zu) exceed the buffer", off, off + count);
        return;
    }
    if (begin_recording(vk)) return;
    const ops_buf *bufs[1] = {buf};
    int wr[1] = {1};
    hazards(vk, bufs, wr, 1);
    vkCmdFillBuffer(vk->cmd, buf->m.buf, (VkDeviceSize)off * 4, (VkDeviceSize)count * 4, value);
}

/* ---- run ---- */

static void collect_profile(vkb *vk) {
    if (!vk->profile || !vk->qused) return;
    uint64_t *ts = malloc(vk->qused * sizeof *ts);
    if (!ts) return;
    VkResult r = vkGetQueryPoolResults(vk->rt.dev, vk->qpool, 0, vk->qused, vk->qused * sizeof *ts, ts, sizeof *ts,
                                       VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (r == VK_SUCCESS) {
        double period = vk->rt.props.limits.timestampPeriod;
        uint64_t mask = vk->rt.timestamp_bits >= 64 ? ~0ull : ((1ull << vk->rt.timestamp_bits) - 1);
        for (uint32_t q = 0; q + 1 < vk->qused; q += 2) {
            vkb_prof_kind *k = &vk->kinds[vk->qtag[q / 2].kind];
            k->calls++;
            k->ns += (double)((ts[q + 1] - ts[q]) & mask) * period;
            k->flops += vk->qtag[q / 2].flops;
        }
    }
    free(ts);
}

int vkb_run(vkb *vk, n2g_err *err) {
    if (vk->failed) {
        if (vk->recording) {
            vkEndCommandBuffer(vk->cmd);
            vkResetCommandBuffer(vk->cmd, 0);
            vk->recording = 0;
        }
        *err = vk->ferr;
        vk->failed = 0;
        n2g_err_clear(&vk->ferr);
        vk_rt_take_error(&vk->rt, NULL);
        return -1;
    }
    if (!vk->recording) return vk_rt_take_error(&vk->rt, err);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(vk->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    vkEndCommandBuffer(vk->cmd);
    vk->recording = 0;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &vk->cmd};
    VkResult r = vkQueueSubmit(vk->rt.queue, 1, &si, vk->rt.fence);
    if (r == VK_SUCCESS) r = vkWaitForFences(vk->rt.dev, 1, &vk->rt.fence, VK_TRUE, UINT64_MAX);
    vkResetFences(vk->rt.dev, 1, &vk->rt.fence);
    vk->epoch++;
    if (r != VK_SUCCESS) {
        vkResetCommandBuffer(vk->cmd, 0);
        return n2g_fail(err, "running the recorded ops: %s", vk_result_str(r));
    }
    collect_profile(vk);
    vkResetCommandBuffer(vk->cmd, 0);
    return vk_rt_take_error(&vk->rt, err);
}

void vkb_profile_print(vkb *vk, FILE *f) {
    if (!vk->profile) {
        fprintf(f, "profile: off (enable with --profile%s)\n",
                vk->rt.timestamp_bits ? "" : "; this device's queue has no timestamps");
        return;
    }
    double tot = 0;
    for (int i = 0; i < vk->nkinds; i++) tot += vk->kinds[i].ns;
    fprintf(f, "%-16s %8s %10s %8s %10s\n", "op", "calls", "ms", "share", "GFLOP/s");
    for (int i = 0; i < vk->nkinds; i++) {
        vkb_prof_kind *k = &vk->kinds[i];
        if (!k->calls) continue;
        fprintf(f, "%-16s %8ld %10.3f %7.1f%% ", k->name, k->calls, k->ns * 1e-6, tot > 0 ? 100.0 * k->ns / tot : 0.0);
        if (k->flops > 0 && k->ns > 0)
            fprintf(f, "%10.2f\n", k->flops / k->ns);
        else
            fprintf(f, "%10s\n", "-");
    }
    fprintf(f, "%-16s %8s %10.3f\n", "total", "", tot * 1e-6);
    if (vk->unprofiled)
        fprintf(f, "(%ld dispatches not timed: more than %u in one ops_run)\n", vk->unprofiled, QUERY_CAP / 2);
}

void vkb_profile_reset(vkb *vk) {
    vk->unprofiled = 0;
    for (int i = 0; i < vk->nkinds; i++) {
        vk->kinds[i].calls = 0;
        vk->kinds[i].ns = vk->kinds[i].flops = 0;
    }
}
