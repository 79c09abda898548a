/* vk_rt.c — Vulkan instance, device listing/choice, logical device, memory, one-shot commands,
 * validation messenger. */
#include "vk/vk_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

const char *vk_result_str(VkResult r) {
    switch (r) {
#define C(x) \
    case x:  \
        return #x;
        C(VK_SUCCESS)
        C(VK_NOT_READY)
        C(VK_TIMEOUT)
        C(VK_INCOMPLETE)
        C(VK_ERROR_OUT_OF_HOST_MEMORY)
        C(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        C(VK_ERROR_INITIALIZATION_FAILED)
        C(VK_ERROR_DEVICE_LOST)
        C(VK_ERROR_MEMORY_MAP_FAILED)
        C(VK_ERROR_LAYER_NOT_PRESENT)
        C(VK_ERROR_EXTENSION_NOT_PRESENT)
        C(VK_ERROR_FEATURE_NOT_PRESENT)
        C(VK_ERROR_INCOMPATIBLE_DRIVER)
        C(VK_ERROR_TOO_MANY_OBJECTS)
        C(VK_ERROR_FORMAT_NOT_SUPPORTED)
        C(VK_ERROR_UNKNOWN)
#undef C
    default:
        return "VK_ERROR (unrecognised code)";
    }
}

static int loader_ready(n2g_err *err) {
    static int state; /* 0 untried, 1 ok, -1 failed */
    if (!state) state = volkInitialize() == VK_SUCCESS ? 1 : -1;
    if (state < 0)
        return n2g_fail(err, "Vulkan loader (libvulkan.so.1) not found: install a Vulkan driver "
                             "(e.g. Debian packages libvulkan1 mesa-vulkan-drivers)");
    return 0;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)type;
    vk_rt *rt = user;
    if (!(sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)) return VK_FALSE;
    pthread_mutex_lock(&rt->val_lock);
    if (!rt->val_errors++) {
        snprintf(rt->val_msg, sizeof rt->val_msg, "%s", data && data->pMessage ? data->pMessage : "(no message)");
        for (char *p = rt->val_msg; *p; p++)
            if (*p == '\n') *p = ' ';
    }
    pthread_mutex_unlock(&rt->val_lock);
    return VK_FALSE;
}

static int has_layer(const char *name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS) return 0;
    VkLayerProperties *l = calloc(n ? n : 1, sizeof *l);
    if (!l) return 0;
    vkEnumerateInstanceLayerProperties(&n, l);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= !strcmp(l[i].layerName, name);
    free(l);
    return found;
}

int vk_rt_validation_available(void) { return loader_ready(NULL) == 0 && has_layer(VALIDATION_LAYER); }

/* rt may be NULL (listing only: no validation). */
static int make_instance(vk_rt *rt, int validation, VkInstance *out, n2g_err *err) {
    if (loader_ready(err)) return -1;
    uint32_t ver = 0;
    if (!vkEnumerateInstanceVersion || vkEnumerateInstanceVersion(&ver) != VK_SUCCESS) ver = VK_API_VERSION_1_0;
    if (ver < VK_API_VERSION_1_2)
        return n2g_fail(err, "Vulkan loader supports API %u.%u; n2g needs Vulkan 1.2", VK_API_VERSION_MAJOR(ver),
                        VK_API_VERSION_MINOR(ver));
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "n2g",
                             .pEngineName = "n2g",
                             .apiVersion = VK_API_VERSION_1_2};
    const char *layers[] = {VALIDATION_LAYER};
    const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkDebugUtilsMessengerCreateInfoEXT mci = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
        .pfnUserCallback = on_message,
        .pUserData = rt};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
    if (validation) {
        if (!has_layer(VALIDATION_LAYER))
            return n2g_fail(err, "validation requested but %s is not installed (Debian package "
                                 "vulkan-validationlayers)",
                            VALIDATION_LAYER);
        ci.enabledLayerCount = 1;
        ci.ppEnabledLayerNames = layers;
        ci.enabledExtensionCount = 1;
        ci.ppEnabledExtensionNames = exts;
        ci.pNext = &mci;
    }
    VkResult r = vkCreateInstance(&ci, NULL, out);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return n2g_fail(err, "no Vulkan driver installed (vkCreateInstance: %s); install one (e.g. Debian package "
                             "mesa-vulkan-drivers for the CPU driver lavapipe) or use --device cpu",
                        vk_result_str(r));
    if (r != VK_SUCCESS) return n2g_fail(err, "vkCreateInstance: %s", vk_result_str(r));
    volkLoadInstanceOnly(*out);
    if (validation && rt) {
        r = vkCreateDebugUtilsMessengerEXT(*out, &mci, NULL, &rt->messenger);
        if (r != VK_SUCCESS) {
            vkDestroyInstance(*out, NULL);
            *out = VK_NULL_HANDLE;
            return n2g_fail(err, "vkCreateDebugUtilsMessengerEXT: %s", vk_result_str(r));
        }
    }
    return 0;
}

static const char *type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "cpu";
    default:
        return "other";
    }
}

static void vendor_name(uint32_t id, char *out, size_t cap) {
    const char *n = NULL;
    switch (id) {
    case 0x10DE: n = "NVIDIA"; break;
    case 0x1002: n = "AMD"; break;
    case 0x8086: n = "Intel"; break;
    case 0x13B5: n = "ARM"; break;
    case 0x5143: n = "Qualcomm"; break;
    case 0x1010: n = "ImgTec"; break;
    case 0x106B: n = "Apple"; break;
    case 0x10005: n = "Mesa"; break;
    default: break;
    }
    if (n)
        snprintf(out, cap, "%s", n);
    else
        snprintf(out, cap, "0x%04x", id);
}

static void driver_version_str(uint32_t vendor, uint32_t v, char *out, size_t cap) {
    if (vendor == 0x10DE)
        snprintf(out, cap, "%u.%u.%u.%u", (v >> 22) & 0x3ff, (v >> 14) & 0xff, (v >> 6) & 0xff, v & 0x3f);
    else if (vendor == 0x8086)
        snprintf(out, cap, "%u.%u", v >> 14, v & 0x3fff);
    else
        snprintf(out, cap, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
}

static void fill_info(VkPhysicalDevice pd, int index, vk_device_info *d) {
    memset(d, 0, sizeof *d);
    d->index = index;
    VkPhysicalDeviceDriverProperties drv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(pd, &p);
    if (p.apiVersion >= VK_API_VERSION_1_2) sg.pNext = &drv;
    vkGetPhysicalDeviceProperties2(pd, &p2);
    snprintf(d->name, sizeof d->name, "%s", p.deviceName);
    d->type = p.deviceType;
    d->type_name = type_name(p.deviceType);
    d->vendor_id = p.vendorID;
    d->device_id = p.deviceID;
    vendor_name(p.vendorID, d->vendor, sizeof d->vendor);
    snprintf(d->driver_name, sizeof d->driver_name, "%s", drv.driverName[0] ? drv.driverName : "?");
    snprintf(d->driver_info, sizeof d->driver_info, "%s", drv.driverInfo);
    d->driver_version = p.driverVersion;
    driver_version_str(p.vendorID, p.driverVersion, d->driver_version_str, sizeof d->driver_version_str);
    d->api_version = p.apiVersion;
    d->subgroup_size = sg.subgroupSize;
    d->subgroup_ops = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ? sg.supportedOperations : 0;
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    d->n_heaps = (int)(mp.memoryHeapCount < VK_RT_MAX_HEAPS ? mp.memoryHeapCount : VK_RT_MAX_HEAPS);
    for (int i = 0; i < d->n_heaps; i++) {
        d->heap_size[i] = mp.memoryHeaps[i].size;
        d->heap_device_local[i] = !!(mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT);
    }
    d->max_storage_range = p.limits.maxStorageBufferRange;
    d->max_shared = p.limits.maxComputeSharedMemorySize;
    d->max_texel_elements = p.limits.maxTexelBufferElements;
    uint32_t ne = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &ne, NULL);
    VkExtensionProperties *ext = calloc(ne ? ne : 1, sizeof *ext);
    if (ext) {
        vkEnumerateDeviceExtensionProperties(pd, NULL, &ne, ext);
        for (uint32_t i = 0; i < ne; i++)
            if (!strcmp(ext[i].extensionName, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME)) d->has_push_descriptor = 1;
        free(ext);
    }
}

static int enumerate(VkInstance inst, VkPhysicalDevice **pds, uint32_t *n, n2g_err *err) {
    *pds = NULL;
    *n = 0;
    VkResult r = vkEnumeratePhysicalDevices(inst, n, NULL);
    if (r != VK_SUCCESS) return n2g_fail(err, "vkEnumeratePhysicalDevices: %s", vk_result_str(r));
    if (*n == 0)
        return n2g_fail(err, "no Vulkan device found (install a driver; for a CPU fallback: Debian package "
                             "mesa-vulkan-drivers, or use --device cpu)");
    *pds = calloc(*n, sizeof **pds);
    if (!*pds) return n2g_fail(err, "out of memory");
    vkEnumeratePhysicalDevices(inst, n, *pds);
    return 0;
}

int vk_list_devices(vk_device_info **out, int *n, n2g_err *err) {
    *out = NULL;
    *n = 0;
    VkInstance inst;
    if (make_instance(NULL, 0, &inst, err)) return -1;
    VkPhysicalDevice *pds;
    uint32_t cnt;
    if (enumerate(inst, &pds, &cnt, err)) {
        vkDestroyInstance(inst, NULL);
        return -1;
    }
    vk_device_info *d = calloc(cnt, sizeof *d);
    if (!d) {
        free(pds);
        vkDestroyInstance(inst, NULL);
        return n2g_fail(err, "out of memory");
    }
    for (uint32_t i = 0; i < cnt; i++) fill_info(pds[i], (int)i, &d[i]);
    free(pds);
    vkDestroyInstance(inst, NULL);
    *out = d;
    *n = (int)cnt;
    return 0;
}

int vk_device_usable(const vk_device_info *d) {
    return d->api_version >= VK_API_VERSION_1_2 && d->has_push_descriptor;
}

int vk_default_device(const vk_device_info *devs, int n) {
    static const VkPhysicalDeviceType order[] = {VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
                                                 VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU};
    for (size_t k = 0; k < 2; k++)
        for (int i = 0; i < n; i++)
            if (devs[i].type == order[k] && vk_device_usable(&devs[i])) return i;
    for (int i = 0; i < n; i++)
        if (vk_device_usable(&devs[i])) return i;
    return -1;
}

int vk_default_device_spread(const vk_device_info *devs, int n, int local_rank, int local_size) {
    int def = vk_default_device(devs, n);
    if (def < 0 || local_size <= 1 || local_rank < 0) return def;
    int m = 0; /* the usable devices of the default's type */
    for (int i = 0; i < n; i++) m += devs[i].type == devs[def].type && vk_device_usable(&devs[i]);
    int want = local_rank % m;
    for (int i = 0; i < n; i++)
        if (devs[i].type == devs[def].type && vk_device_usable(&devs[i]) && want-- == 0) return i;
    return def; /* not reached */
}

void vk_device_describe(const vk_device_info *d, char *buf, size_t cap) {
    size_t k = 0;
#define P(...)                                                            \
    do {                                                                  \
        if (k < cap) k += (size_t)snprintf(buf + k, cap - k, __VA_ARGS__); \
    } while (0)
    P("vk:%d  %s\n", d->index, d->name);
    P("      type %s, vendor %s (0x%04x), device 0x%04x\n", d->type_name, d->vendor, d->vendor_id, d->device_id);
    P("      driver %s %s%s%s, Vulkan %u.%u.%u\n", d->driver_name, d->driver_version_str, d->driver_info[0] ? " / " : "",
      d->driver_info, VK_API_VERSION_MAJOR(d->api_version), VK_API_VERSION_MINOR(d->api_version),
      VK_API_VERSION_PATCH(d->api_version));
    P("      subgroup size %u, max shared memory %u KiB, maxStorageBufferRange %llu MiB, maxTexelBufferElements %u\n",
      d->subgroup_size, d->max_shared / 1024, (unsigned long long)(d->max_storage_range >> 20), d->max_texel_elements);
    P("      memory heaps:");
    for (int i = 0; i < d->n_heaps; i++)
        P(" [%d] %.1f GiB%s", i, (double)d->heap_size[i] / (1u << 30), d->heap_device_local[i] ? " device-local" : "");
#undef P
}

int vk_rt_open(vk_rt *rt, int index, int validation, n2g_err *err) {
    memset(rt, 0, sizeof *rt);
    pthread_mutex_init(&rt->val_lock, NULL);
    rt->validation = validation;
    const char *nm = getenv("N2G_VK_NO_MAP");
    rt->no_map = nm && !strcmp(nm, "1");
    if (make_instance(rt, validation, &rt->instance, err)) goto fail;
    VkPhysicalDevice *pds;
    uint32_t cnt;
    if (enumerate(rt->instance, &pds, &cnt, err)) goto fail;
    vk_device_info *all = calloc(cnt, sizeof *all);
    if (!all) {
        free(pds);
        n2g_fail(err, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < cnt; i++) fill_info(pds[i], (int)i, &all[i]);
    if (index < 0) index = vk_default_device(all, (int)cnt);
    if (index < 0) index = 0; /* none usable: the checks below say why device 0 is not */
    if (index >= (int)cnt) {
        free(pds);
        free(all);
        n2g_failc(err, N2G_E_USAGE, "--device %d: no such Vulkan device (%u found, indices 0..%u; see 'n2g devices')",
                  index, cnt, cnt - 1);
        goto fail;
    }
    rt->phys = pds[index];
    rt->info = all[index];
    free(pds);
    free(all);
    if (rt->info.api_version < VK_API_VERSION_1_2) {
        n2g_fail(err, "device %d (%s) supports Vulkan %u.%u; n2g needs 1.2", index, rt->info.name,
                 VK_API_VERSION_MAJOR(rt->info.api_version), VK_API_VERSION_MINOR(rt->info.api_version));
        goto fail;
    }
    if (!rt->info.has_push_descriptor) {
        n2g_fail(err, "device %d (%s) lacks VK_KHR_push_descriptor", index, rt->info.name);
        goto fail;
    }
    vkGetPhysicalDeviceProperties(rt->phys, &rt->props);
    vkGetPhysicalDeviceMemoryProperties(rt->phys, &rt->mem);

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(rt->phys, &nq, NULL);
    VkQueueFamilyProperties *qf = calloc(nq ? nq : 1, sizeof *qf);
    if (!qf) {
        n2g_fail(err, "out of memory");
        goto fail;
    }
    vkGetPhysicalDeviceQueueFamilyProperties(rt->phys, &nq, qf);
    int fam = -1;
    for (uint32_t i = 0; i < nq && fam < 0; i++) /* prefer a compute-only family */
        if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) fam = (int)i;
    for (uint32_t i = 0; i < nq && fam < 0; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) fam = (int)i;
    if (fam >= 0) rt->timestamp_bits = qf[fam].timestampValidBits;
    free(qf);
    if (fam < 0) {
        n2g_fail(err, "device %d (%s) has no compute queue", index, rt->info.name);
        goto fail;
    }
    rt->family = (uint32_t)fam;

    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f12};
    vkGetPhysicalDeviceFeatures2(rt->phys, &f2);
    VkPhysicalDeviceVulkan12Features en12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                             .hostQueryReset = f12.hostQueryReset};
    rt->host_query_reset = !!f12.hostQueryReset;
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = rt->family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    const char *dext[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &en12,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = 1,
                              .ppEnabledExtensionNames = dext};
    VkResult r = vkCreateDevice(rt->phys, &dci, NULL, &rt->dev);
    if (r != VK_SUCCESS) {
        n2g_fail(err, "vkCreateDevice (%s): %s", rt->info.name, vk_result_str(r));
        goto fail;
    }
    volkLoadDevice(rt->dev);
    vkGetDeviceQueue(rt->dev, rt->family, 0, &rt->queue);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = rt->family};
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vkCreateCommandPool(rt->dev, &pci, NULL, &rt->pool)) != VK_SUCCESS ||
        (r = vkCreateFence(rt->dev, &fci, NULL, &rt->fence)) != VK_SUCCESS) {
        n2g_fail(err, "vkCreateCommandPool/Fence: %s", vk_result_str(r));
        goto fail;
    }
    if (vk_rt_take_error(rt, err)) goto fail;
    return 0;
fail:
    vk_rt_close(rt);
    return -1;
}

void vk_rt_close(vk_rt *rt) {
    if (rt->dev) {
        vkDeviceWaitIdle(rt->dev);
        if (rt->fence) vkDestroyFence(rt->dev, rt->fence, NULL);
        if (rt->pool) vkDestroyCommandPool(rt->dev, rt->pool, NULL);
        vkDestroyDevice(rt->dev, NULL);
    }
    if (rt->messenger) vkDestroyDebugUtilsMessengerEXT(rt->instance, rt->messenger, NULL);
    if (rt->instance) vkDestroyInstance(rt->instance, NULL);
    pthread_mutex_destroy(&rt->val_lock);
    memset(rt, 0, sizeof *rt);
}

int vk_rt_take_error(vk_rt *rt, n2g_err *err) {
    if (!rt->validation) return 0;
    pthread_mutex_lock(&rt->val_lock);
    int n = rt->val_errors;
    if (n) n2g_fail(err, "Vulkan validation: %d error(s); first: %s", n, rt->val_msg);
    rt->val_errors = 0;
    rt->val_msg[0] = 0;
    pthread_mutex_unlock(&rt->val_lock);
    return n ? -1 : 0;
}

static int find_type(vk_rt *rt, uint32_t bits, VkMemoryPropertyFlags want) {
    for (uint32_t i = 0; i < rt->mem.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (rt->mem.memoryTypes[i].propertyFlags & want) == want) return (int)i;
    return -1;
}

int vk_buf_create(vk_rt *rt, VkDeviceSize size, VkBufferUsageFlags usage, int where, vk_mem_buf *out, n2g_err *err) {
    memset(out, 0, sizeof *out);
    if (size == 0) size = 4;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = size,
                              .usage = usage,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vkCreateBuffer(rt->dev, &bci, NULL, &out->buf);
    if (r != VK_SUCCESS) return n2g_fail(err, "vkCreateBuffer (%llu bytes): %s", (unsigned long long)size, vk_result_str(r));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(rt->dev, out->buf, &req);
    const VkMemoryPropertyFlags HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const VkMemoryPropertyFlags DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    int uma = rt->info.type != VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    int t = -1;
    if (where == VK_MEM_STAGING) {
        t = find_type(rt, req.memoryTypeBits, HV | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        if (t < 0) t = find_type(rt, req.memoryTypeBits, HV);
    } else {
        if (uma) t = find_type(rt, req.memoryTypeBits, DL | HV);
        if (t < 0) t = find_type(rt, req.memoryTypeBits, DL);
        if (t < 0) t = find_type(rt, req.memoryTypeBits, 0);
    }
    if (t < 0) {
        vkDestroyBuffer(rt->dev, out->buf, NULL);
        out->buf = VK_NULL_HANDLE;
        return n2g_fail(err, "no suitable Vulkan memory type for a %llu-byte buffer", (unsigned long long)size);
    }
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = (uint32_t)t};
    r = vkAllocateMemory(rt->dev, &ai, NULL, &out->mem);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(rt->dev, out->buf, NULL);
        out->buf = VK_NULL_HANDLE;
        return n2g_fail(err, "vkAllocateMemory (%llu bytes): %s", (unsigned long long)req.size, vk_result_str(r));
    }
    vkBindBufferMemory(rt->dev, out->buf, out->mem, 0);
    out->size = size;
    if ((rt->mem.memoryTypes[t].propertyFlags & HV) == HV && !(rt->no_map && where == VK_MEM_DEVICE)) {
        r = vkMapMemory(rt->dev, out->mem, 0, VK_WHOLE_SIZE, 0, &out->map);
        if (r != VK_SUCCESS) out->map = NULL;
    }
    return 0;
}

void vk_buf_destroy(vk_rt *rt, vk_mem_buf *b) {
    if (b->map) vkUnmapMemory(rt->dev, b->mem);
    if (b->buf) vkDestroyBuffer(rt->dev, b->buf, NULL);
    if (b->mem) vkFreeMemory(rt->dev, b->mem, NULL);
    memset(b, 0, sizeof *b);
}

int vk_oneshot_begin(vk_rt *rt, VkCommandBuffer *cmd, n2g_err *err) {
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = rt->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkResult r = vkAllocateCommandBuffers(rt->dev, &ai, cmd);
    if (r != VK_SUCCESS) return n2g_fail(err, "vkAllocateCommandBuffers: %s", vk_result_str(r));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vkBeginCommandBuffer(*cmd, &bi);
    return 0;
}

int vk_oneshot_end(vk_rt *rt, VkCommandBuffer cmd, n2g_err *err) {
    vkEndCommandBuffer(cmd);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    VkResult r = vkQueueSubmit(rt->queue, 1, &si, rt->fence);
    if (r == VK_SUCCESS) r = vkWaitForFences(rt->dev, 1, &rt->fence, VK_TRUE, UINT64_MAX);
    vkResetFences(rt->dev, 1, &rt->fence);
    vkFreeCommandBuffers(rt->dev, rt->pool, 1, &cmd);
    if (r != VK_SUCCESS) return n2g_fail(err, "vkQueueSubmit/vkWaitForFences: %s", vk_result_str(r));
    return vk_rt_take_error(rt, err);
}
