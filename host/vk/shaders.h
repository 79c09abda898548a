/* shaders.h — the SPIR-V blobs compiled at build time (shaders/shaders.cmake), by name. */
#ifndef N2G_VK_SHADERS_H
#define N2G_VK_SHADERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct n2g_shader_blob {
    const char *name;
    const uint32_t *code;
    size_t bytes;
} n2g_shader_blob;

/* The blob registered as n2g_shader(NAME ...), or NULL. */
const n2g_shader_blob *vk_shader_find(const char *name);

#endif
