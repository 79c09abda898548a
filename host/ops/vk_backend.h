/* vk_backend.h — the Vulkan op backend's internal API, for adding ops in their own files.
 *
 * An op is a compute shader (shaders/NAME.comp listed in shaders/<area>.shaders.cmake) plus a
 * small C function that asks for a pipeline and records dispatches. Everything recorded goes
 * into the context's one command buffer and executes at the next ops_run(); a pipeline
 * barrier is inserted automatically before a dispatch that touches a buffer an earlier,
 * not yet barriered dispatch wrote (read-after-write, write-after-write) or writes a buffer an
 * earlier one read (write-after-read). Errors while recording (a missing shader, a binding too
 * large) are remembered and returned by the next ops_run().
 *
 * Shader conventions
 *   - Bindings: set 0, binding i = the i-th vkb_binding of the dispatch, in that order:
 *       VKB_STORAGE       `layout(std430, set=0, binding=i) buffer B { float d[]; }`  (or uint/int)
 *       VKB_TEXEL_R32F    `layout(set=0, binding=i) uniform samplerBuffer t;`  texelFetch(t, j).r
 *       VKB_TEXEL_RGBA32F same, one texel = 4 consecutive floats (element offset and count must
 *                         be multiples of 4).
 *       VKB_IMAGE_R32F / VKB_IMAGE_RGBA32F  `layout(set=0, binding=i, r32f / rgba32f) uniform
 *                         imageBuffer im;`  imageLoad / imageStore (on lavapipe these are
 *                         branch-free, unlike per-invocation storage-buffer accesses).
 *   - Push constants: the runtime fills the first nbind uints with each binding's *base*: the
 *     index (in floats for STORAGE / R32F, in texels for RGBA32F) at which the caller's element
 *     `off` lies inside the bound range (bindings are aligned down to the device's offset
 *     alignment). Index every binding as d[base_i + j]. The caller's own push data follows at
 *     byte 4 * nbind; 128 bytes in all (4 * nbind + push_bytes <= 128).
 *   - Specialization constants: constant_id k gets spec[k] (uint32 bit patterns). Put the
 *     workgroup size there too (layout(local_size_x_id = 0) in;) when it is tunable.
 *   - Ranges: a STORAGE binding covers at most vkb_limits()->max_storage_elems floats; a texel
 *     binding at most max_texel_elems texels. Split bigger work into several dispatches.
 *
 * Example (out[n] = a[n] * s, n < count):
 *
 *     // shaders/scale.comp
 *     layout(local_size_x_id = 0) in;
 *     layout(std430, binding = 0) buffer O { float o[]; };
 *     layout(std430, binding = 1) readonly buffer A { float a[]; };
 *     layout(push_constant) uniform P { uint bo, ba; uint n; float s; };
 *     void main() { uint i = gl_GlobalInvocationID.x; if (i < n) o[bo + i] = a[ba + i] * s; }
 *
 *     // shaders/myarea.shaders.cmake:   n2g_shader(scale scale.comp)
 *
 *     // host/ops/vk_scale.c
 *     vkb *vk = vkb_from_ops(ctx);                     // NULL if ctx is not the Vulkan backend
 *     static const vkb_kind kinds[] = {VKB_STORAGE, VKB_STORAGE};
 *     uint32_t spec[] = {64};
 *     vkb_pipe *p = vkb_pipeline(vk, "scale", 2, kinds, 1, spec);
 *     vkb_binding b[] = {{out, out_off, count, 1}, {a, a_off, count, 0}};
 *     struct { uint32_t n; float s; } pc = {(uint32_t)count, s};
 *     vkb_dispatch(vk, p, b, &pc, sizeof pc, (uint32_t)((count + 63) / 64), 1, 1, "scale", 0.0);
 *     ...  ops_run(ctx, &err);
 *
 * Device-level handles (VkDevice, VkPhysicalDevice, queue, properties, the command buffer being
 * recorded) are in vkb_rt(vk) (host/vk/vk_rt.h) and vkb_cmd(vk) for anything this API lacks;
 * call vkb_barrier(vk) before recording raw commands into vkb_cmd(vk).
 */
#ifndef N2G_VK_BACKEND_H
#define N2G_VK_BACKEND_H

#include "ops/ops.h"
#include "vk/vk_rt.h"

typedef struct vkb vkb;           /* the Vulkan backend context (an ops_ctx of kind OPS_VK) */
typedef struct vkb_pipe vkb_pipe; /* a cached compute pipeline */

typedef enum {
    VKB_STORAGE = 0,       /* storage buffer, read and/or write */
    VKB_TEXEL_R32F = 1,    /* uniform texel buffer (samplerBuffer), read only */
    VKB_TEXEL_RGBA32F = 2,
    VKB_IMAGE_R32F = 3,    /* storage texel buffer (imageBuffer, imageLoad/imageStore) */
    VKB_IMAGE_RGBA32F = 4,
} vkb_kind;

/* Kernel variant families. */
typedef enum { VKB_VARIANT_CPU = 0, VKB_VARIANT_GPU = 1, VKB_NVARIANTS = 2 } vkb_variant;
extern const char *const vkb_variant_names[VKB_NVARIANTS]; /* "cpu-driver", "gpu" */

/* One bound tensor: elements [off, off + count) of buf, in floats (4-byte elements).
 * write: the dispatch writes it (for hazard tracking). The kind comes from the pipeline. */
typedef struct vkb_binding {
    const ops_buf *buf;
    size_t off;
    size_t count;
    int write;
} vkb_binding;

typedef struct vkb_limits {
    size_t max_storage_elems; /* floats one STORAGE binding may cover (after alignment slack) */
    size_t max_texel_elems;   /* texels one texel binding may cover */
    uint32_t max_groups[3];   /* maxComputeWorkGroupCount */
    uint32_t subgroup_size;
    uint32_t max_shared;      /* bytes */
    int subgroup_arith;       /* subgroupAdd/Max usable in compute */
    int subgroup_shuffle;     /* subgroupShuffle(Xor) usable in compute */
    uint32_t max_wg_invocations; /* maxComputeWorkGroupInvocations */
} vkb_limits;

/* The backend behind an ops context, or NULL when ctx is not OPS_VK. */
vkb *vkb_from_ops(ops_ctx *ctx);
const vkb_limits *vkb_get_limits(const vkb *vk);
vkb_variant vkb_get_variant(const vkb *vk);
vk_rt *vkb_rt(vkb *vk);

/* Gets (creating and caching on first use) the compute pipeline of embedded shader `shader`
 * with binding kinds kinds[0..nbind) and specialization constants spec[0..nspec) (ids 0..).
 * Returns NULL on failure and remembers the error for ops_run. */
vkb_pipe *vkb_pipeline(vkb *vk, const char *shader, int nbind, const vkb_kind *kinds, int nspec,
                       const uint32_t *spec);

/* Records one dispatch (see the conventions above). b has the pipeline's nbind entries.
 * prof: the op-kind name shown by ops_profile_print; flops: its work (0 if not meaningful). */
void vkb_dispatch(vkb *vk, vkb_pipe *p, const vkb_binding *b, const void *push, uint32_t push_bytes, uint32_t gx,
                  uint32_t gy, uint32_t gz, const char *prof, double flops);

/* Records vkCmdFillBuffer of `count` uint32 words = value at element `off` (hazard-tracked). */
void vkb_fill(vkb *vk, ops_buf *buf, size_t off, size_t count, uint32_t value);

/* Raw access: the command buffer being recorded (begun if needed) and a full barrier. After
 * recording raw commands that write buffers, call vkb_mark_written for them. */
VkCommandBuffer vkb_cmd(vkb *vk);
void vkb_barrier(vkb *vk);
void vkb_mark_written(vkb *vk, const ops_buf *buf);
VkBuffer vkb_buffer_handle(const ops_buf *buf);

/* Remembers a recording error (first one wins) for the next ops_run. */
void vkb_fail(vkb *vk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
