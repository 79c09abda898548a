/* ops_sizing.h — the default batch sizes of `n2g build` and `n2g scrape`, chosen from the
 * device an ops context runs on and the model's size (one policy, one function).
 *
 * On a GPU the last bits of a result can depend on how work is batched (docs/build.md, "Same
 * command, same bytes"), so the plan is a pure function of fixed device properties (its type,
 * its largest device-local memory heap, its largest single allocation) and of the model's shape:
 * the same machine and model always get the same sizes, whatever else is running. Explicit
 * options (--batch-tokens, --block, --batch) always win over the plan.
 *
 * The policy (ops_batch_plan_from; docs/build.md and docs/scrape.md quote it):
 *   - the CPU backend: build --batch-tokens 16384, --block 128; scrape --batch 2;
 *   - a Vulkan CPU driver (lavapipe, type "cpu"): build 16384 / 128; scrape 8 rows of 512 tokens
 *     or more (8192 / T rows of T tokens when T is shorter);
 *   - a GPU (discrete, integrated, virtual or other): an activation budget of the device-local
 *     memory left after the weights, a half of it on a discrete GPU (at most 8 GiB), a quarter on
 *     an integrated or other one (its memory is the system's; at most 1 GiB). The build's batch
 *     is the largest power of two of tokens whose activations fit the budget, in 4096 .. 131072
 *     (the probe engine's 512 rows of 256 tokens), with one [tokens, d_mlp] buffer within the
 *     largest allocation; --block = tokens / 128 neurons in 128 .. 512. The scrape's batch is the
 *     largest power of two of rows of T tokens that fit (activations and per-row top-k
 *     candidates), at most 131072 tokens, and at least 1.
 * The activations per token are those gpt2_runner_create allocates: x, ln, att (n_embd each),
 * qkv (3 n_embd), hook_post (d_mlp) floats and the token id. */
#ifndef N2G_OPS_SIZING_H
#define N2G_OPS_SIZING_H

#include <stdint.h>

#include "ops/ops.h"

/* What the plan reads of a device. */
typedef struct ops_device_facts {
    int cpu_backend;         /* the CPU backend: no device limits of its own */
    const char *type;        /* "cpu backend", or the Vulkan type: "discrete", "integrated", "virtual",
                                "cpu" (a CPU driver such as lavapipe), "other" */
    uint64_t local_heap;     /* the largest device-local memory heap, bytes (0: none / unknown) */
    uint64_t max_alloc;      /* maxMemoryAllocationSize (Vulkan 1.1), bytes (0: unknown) */
    uint64_t max_binding;    /* maxStorageBufferRange, bytes (informative: ops bind windows) */
} ops_device_facts;

/* The model's shape (GPT-2 layout) and the scrape's rows. */
typedef struct ops_model_shape {
    int n_layer, n_embd, d_mlp, n_positions, vocab;
    int row_tokens;    /* the scrape's row length (--ctx); 0: n_positions */
    int hooked_layers; /* layers the scrape keeps examples of; 0: n_layer */
} ops_model_shape;

typedef struct ops_batch_plan {
    int build_batch_tokens; /* n2g build --batch-tokens */
    int build_block;        /* n2g build --block */
    int scrape_batch;       /* n2g scrape --batch (rows) */
    uint64_t budget;        /* activation bytes the GPU plan allows (0: fixed values) */
    char basis[200];        /* how they were chosen, one line (--profile) */
} ops_batch_plan;

/* The facts of the device ctx runs on. */
void ops_device_facts_of(ops_ctx *ctx, ops_device_facts *f);
/* The policy above (pure). */
void ops_batch_plan_from(const ops_device_facts *d, const ops_model_shape *m, ops_batch_plan *p);
/* Both: the plan for the device ctx runs on. */
void ops_batch_plan_for(ops_ctx *ctx, const ops_model_shape *m, ops_batch_plan *p);
/* fp32 bytes of a GPT-2-layout model's weights (embeddings, every layer, the final layer norm). */
uint64_t ops_model_weight_bytes(const ops_model_shape *m);

#endif
