/* vk_rt.h — the Vulkan runtime: loader (volk), instance, device listing and choice, logical
 * device, memory, buffers, one-shot commands, validation messages. Knows nothing of models
 * or ops (host/ops/vk_backend.h builds the op backend on top of it). */
#ifndef N2G_VK_RT_H
#define N2G_VK_RT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <volk.h>

#include "common/err.h"

#define VK_RT_MAX_HEAPS 16

/* What `n2g devices` shows for one physical device. */
typedef struct vk_device_info {
    int index;                    /* position in vkEnumeratePhysicalDevices order */
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    VkPhysicalDeviceType type;
    const char *type_name;        /* "discrete", "integrated", "virtual", "cpu", "other" */
    uint32_t vendor_id, device_id;
    char vendor[32];              /* "NVIDIA", "AMD", "Intel", "Mesa (CPU)", ... or hex id */
    char driver_name[VK_MAX_DRIVER_NAME_SIZE];
    char driver_info[VK_MAX_DRIVER_INFO_SIZE];
    uint32_t driver_version;      /* raw */
    char driver_version_str[32];  /* decoded with the vendor's packing */
    uint32_t api_version;
    uint32_t subgroup_size;
    uint32_t subgroup_ops;        /* VkSubgroupFeatureFlags supported in compute */
    int n_heaps;
    uint64_t heap_size[VK_RT_MAX_HEAPS];
    int heap_device_local[VK_RT_MAX_HEAPS];
    uint64_t max_storage_range;   /* maxStorageBufferRange, bytes */
    uint32_t max_shared;          /* maxComputeSharedMemorySize, bytes */
    uint32_t max_texel_elements;  /* maxTexelBufferElements */
    int has_push_descriptor;      /* VK_KHR_push_descriptor */
} vk_device_info;

/* Lists every Vulkan device (*out malloc'ed, free() it). Fails with a clear message when the
 * Vulkan loader is missing or reports no device. */
int vk_list_devices(vk_device_info **out, int *n, n2g_err *err);
/* 1 when n2g can run on the device: Vulkan 1.2 and VK_KHR_push_descriptor. */
int vk_device_usable(const vk_device_info *d);
/* Default choice among the usable devices: the first discrete GPU, else the first integrated,
 * else the first other (virtual, CPU driver such as lavapipe); -1 when none is usable. */
int vk_default_device(const vk_device_info *devs, int n);
/* The default for one of local_size processes sharing this machine: the usable devices of the
 * default's type, in listing order, device local_rank mod their count (local_size <= 1:
 * vk_default_device); -1 when none is usable. */
int vk_default_device_spread(const vk_device_info *devs, int n, int local_rank, int local_size);
/* One line per device for `n2g devices` (multi-line block, no trailing newline issues). */
void vk_device_describe(const vk_device_info *d, char *buf, size_t cap);

/* An open device. */
typedef struct vk_rt {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice phys;
    VkDevice dev;
    VkQueue queue;
    uint32_t family;
    vk_device_info info;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem;
    int no_map;                   /* env N2G_VK_NO_MAP=1: never map device buffers (tests the
                                     staging path of discrete GPUs on any device) */
    int host_query_reset;         /* vkResetQueryPool usable */
    uint32_t timestamp_bits;      /* timestampValidBits of the queue family (0: no timestamps) */
    VkCommandPool pool;           /* for one-shot commands */
    VkFence fence;
    /* validation: messages of ERROR severity since the last vk_rt_take_error */
    int validation;
    pthread_mutex_t val_lock;
    int val_errors;
    char val_msg[768];
} vk_rt;

/* 1 when the Vulkan loader is present and VK_LAYER_KHRONOS_validation is installed. */
int vk_rt_validation_available(void);

/* Opens device `index` (-1: default choice). validation: enable VK_LAYER_KHRONOS_validation
 * with a messenger (fails clearly if the layer is not installed). */
int vk_rt_open(vk_rt *rt, int index, int validation, n2g_err *err);
void vk_rt_close(vk_rt *rt);
/* If validation reported errors since the last call: fills err, clears, returns -1. */
int vk_rt_take_error(vk_rt *rt, n2g_err *err);
/* "vkFoo: VK_ERROR_..." */
const char *vk_result_str(VkResult r);

/* A buffer with its memory. map != NULL when the memory is host visible (and coherent). */
typedef struct vk_mem_buf {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;
    void *map;
} vk_mem_buf;

enum { VK_MEM_DEVICE = 0, VK_MEM_STAGING = 1 };
/* where: VK_MEM_DEVICE prefers device-local memory (host-visible too when the device is
 * integrated or a CPU); VK_MEM_STAGING needs host-visible coherent memory. */
int vk_buf_create(vk_rt *rt, VkDeviceSize size, VkBufferUsageFlags usage, int where, vk_mem_buf *out,
                  n2g_err *err);
void vk_buf_destroy(vk_rt *rt, vk_mem_buf *b);

/* One-shot command buffer: begin, (caller records), end + submit + wait. */
int vk_oneshot_begin(vk_rt *rt, VkCommandBuffer *cmd, n2g_err *err);
int vk_oneshot_end(vk_rt *rt, VkCommandBuffer cmd, n2g_err *err);

#endif
