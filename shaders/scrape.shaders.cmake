# Scrape shaders (host/ops/vk_topk.c).
n2g_shader(topk_rowmax topk.comp DEFINES ROWMAX)
n2g_shader(topk_merge topk.comp DEFINES MERGE)
n2g_shader(topk_fire topk.comp DEFINES FIRE)
