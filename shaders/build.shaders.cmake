# build.shaders.cmake — the build step's ops (host/ops/vk_gather.c).
n2g_shader(gather gather.comp)
