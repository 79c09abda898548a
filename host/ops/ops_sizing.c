/* ops_sizing.c — default batch sizes from the device and the model (see ops_sizing.h). */
#include "ops/ops_sizing.h"

#include <stdio.h>
#include <string.h>

#include "ops/vk_backend.h"

void ops_device_facts_of(ops_ctx *ctx, ops_device_facts *f) {
    memset(f, 0, sizeof *f);
    vkb *vk = ctx ? vkb_from_ops(ctx) : NULL;
    if (!vk) {
        f->cpu_backend = 1;
        f->type = "cpu backend";
        return;
    }
    vk_rt *rt = vkb_rt(vk);
    const vk_device_info *d = &rt->info;
    f->type = d->type_name ? d->type_name : "other";
    for (int i = 0; i < d->n_heaps && i < VK_RT_MAX_HEAPS; i++)
        if (d->heap_device_local[i] && d->heap_size[i] > f->local_heap) f->local_heap = d->heap_size[i];
    f->max_binding = d->max_storage_range;
    VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3};
    vkGetPhysicalDeviceProperties2(rt->phys, &p2);
    f->max_alloc = m3.maxMemoryAllocationSize;
}

uint64_t ops_model_weight_bytes(const ops_model_shape *m) {
    uint64_t C = (uint64_t)m->n_embd, D = (uint64_t)m->d_mlp;
    /* ln_1, attn (qkv, proj), ln_2, mlp (fc, proj) with their biases */
    uint64_t layer = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * D + D) + (D * C + C);
    return 4 * ((uint64_t)m->vocab * C + (uint64_t)m->n_positions * C + (uint64_t)m->n_layer * layer + 2 * C);
}

static uint64_t pow2_floor(uint64_t x) {
    uint64_t p = 1;
    while (p <= x / 2) p *= 2;
    return x ? p : 0;
}

static uint64_t clamp_u64(uint64_t x, uint64_t lo, uint64_t hi) { return x < lo ? lo : x > hi ? hi : x; }

enum {
    FIXED_TOKENS = 16384, FIXED_BLOCK = 128, /* the build's defaults off a GPU */
    GPU_MIN_TOKENS = 4096, GPU_MAX_TOKENS = 131072, /* the probe engine's 512 rows of 256 tokens */
    TOKENS_PER_NEURON = 128, MIN_BLOCK = 128, MAX_BLOCK = 512,
};

void ops_batch_plan_from(const ops_device_facts *d, const ops_model_shape *m, ops_batch_plan *p) {
    memset(p, 0, sizeof *p);
    int T = m->row_tokens > 0 ? m->row_tokens : m->n_positions;
    if (T < 1) T = 1;
    int L = m->hooked_layers > 0 ? m->hooked_layers : m->n_layer;
    p->build_batch_tokens = FIXED_TOKENS, p->build_block = FIXED_BLOCK;
    if (d->cpu_backend) {
        p->scrape_batch = 2;
        snprintf(p->basis, sizeof p->basis, "the CPU backend: fixed sizes");
        return;
    }
    int gpu = strcmp(d->type, "cpu") != 0 && d->local_heap > 0;
    if (!gpu) {
        p->scrape_batch = T >= 512 ? 8 : 8192 / T;
        snprintf(p->basis, sizeof p->basis, "%s: fixed sizes",
                 !strcmp(d->type, "cpu") ? "a Vulkan CPU driver (lavapipe)" : "a Vulkan device without device-local memory");
        return;
    }
    int discrete = !strcmp(d->type, "discrete");
    uint64_t weights = ops_model_weight_bytes(m);
    uint64_t avail = d->local_heap > weights ? d->local_heap - weights : 0;
    uint64_t budget = discrete ? avail / 2 : avail / 4, cap = discrete ? (8ull << 30) : (1ull << 30);
    if (budget > cap) budget = cap;
    p->budget = budget;
    uint64_t C = (uint64_t)m->n_embd, D = (uint64_t)m->d_mlp;
    uint64_t per_token = 4 * (6 * C + D) + 4; /* gpt2_runner_create's activations */
    uint64_t tokens = pow2_floor(budget / per_token);
    if (d->max_alloc && D)
        while (tokens > GPU_MIN_TOKENS && tokens * D * 4 > d->max_alloc) tokens /= 2;
    tokens = clamp_u64(tokens, GPU_MIN_TOKENS, GPU_MAX_TOKENS);
    p->build_batch_tokens = (int)tokens;
    p->build_block = (int)clamp_u64(tokens / TOKENS_PER_NEURON, MIN_BLOCK, MAX_BLOCK);
    uint64_t per_row = (uint64_t)T * per_token + 3ull * (uint64_t)L * D * 4; /* + the rows' top-k candidates */
    uint64_t rows = pow2_floor(budget / per_row), max_rows = GPU_MAX_TOKENS / (uint64_t)T;
    if (d->max_alloc && D)
        while (rows > 1 && rows * (uint64_t)T * D * 4 > d->max_alloc) rows /= 2;
    p->scrape_batch = (int)clamp_u64(rows, 1, max_rows > 1 ? max_rows : 1);
    snprintf(p->basis, sizeof p->basis,
             "a %s GPU with %.1f GiB of device-local memory: %.2f GiB for activations (weights %.2f GiB)", d->type,
             (double)d->local_heap / (1ull << 30), (double)budget / (1ull << 30), (double)weights / (1ull << 30));
}

void ops_batch_plan_for(ops_ctx *ctx, const ops_model_shape *m, ops_batch_plan *p) {
    ops_device_facts f;
    ops_device_facts_of(ctx, &f);
    ops_batch_plan_from(&f, m, p);
}
