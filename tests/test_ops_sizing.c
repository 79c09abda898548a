/* test_ops_sizing.c — ops_sizing.h, the default batch sizes from the device and the model:
 *   - the weights' size against the data bytes of real fp32 checkpoints (safetensors: file size
 *     minus its header);
 *   - the fixed sizes of the CPU backend and of a Vulkan CPU driver (the documented values);
 *   - on synthetic GPUs (a datacentre GPU, a small discrete one, laptop integrated GPUs) with a
 *     GPT-2-small and a GPT-2-xl shape: the activations of a batch (the runner's buffers, counted
 *     here from gpt2_runner_create's list) plus the weights fit the device's memory with room to
 *     spare, one [tokens, d_mlp] buffer fits the largest allocation, a large GPU gets more than
 *     the fixed sizes, sizes never shrink as memory grows, tokens are powers of two;
 *   - the plan is a pure function: the same facts give the same plan, and ops_batch_plan_for on
 *     the devices of this machine equals ops_batch_plan_from on their facts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "model/gpt2.h"
#include "ops/ops_sizing.h"
#include "vk/vk_rt.h"

#define GiB (1ull << 30)

/* the tensor data bytes of DIR/model.safetensors: its size minus the 8-byte length and the header */
static long long data_bytes(const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    FILE *f = fopen(p, "rb");
    unsigned char h[8];
    if (!f || fread(h, 1, 8, f) != 8) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    unsigned long long n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | h[i];
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size - 8 - (long long)n : -1;
}

static void check_weights(const char *fixture) {
    char dir[4096], cfgp[4200];
    snprintf(dir, sizeof dir, "%s", check_src_path(fixture));
    snprintf(cfgp, sizeof cfgp, "%s/config.json", dir);
    gpt2_config c;
    n2g_err e = {0};
    CHECK(gpt2_config_read(cfgp, &c, &e) == 0, "%s: %s", fixture, e.msg);
    ops_model_shape m = {c.n_layer, c.n_embd, c.d_mlp, c.n_positions, c.vocab_size, 0, 0};
    long long want = data_bytes(dir);
    CHECK(want > 0 && (long long)ops_model_weight_bytes(&m) == want, "%s: weights %llu bytes, the file holds %lld",
          fixture, (unsigned long long)ops_model_weight_bytes(&m), want);
}

/* bytes per token of the runner's activations: tok (int32), x, ln, att [C], qkv [3C], h [D] */
static unsigned long long act_per_token(const ops_model_shape *m) {
    unsigned long long C = (unsigned long long)m->n_embd, D = (unsigned long long)m->d_mlp;
    return 4 + 4 * C + 4 * C + 4 * C + 4 * 3 * C + 4 * D;
}

static int is_pow2(unsigned long long x) { return x && !(x & (x - 1)); }

static void check_gpu(const char *what, const ops_device_facts *d, const ops_model_shape *m) {
    ops_batch_plan p;
    ops_batch_plan_from(d, m, &p);
    unsigned long long W = ops_model_weight_bytes(m), T = (unsigned long long)m->row_tokens;
    unsigned long long build = (unsigned long long)p.build_batch_tokens * act_per_token(m);
    /* a scrape batch: rows x T tokens of activations and three [L, rows, D] candidate buffers */
    unsigned long long scrape = (unsigned long long)p.scrape_batch * T * act_per_token(m) +
                                3ull * (unsigned long long)m->hooked_layers * p.scrape_batch * m->d_mlp * 4;
    if (W >= d->local_heap) { /* the model does not fit at all: the smallest sizes */
        CHECK(p.build_batch_tokens == 4096 && p.build_block == 128 && p.scrape_batch == 1, "%s: %d / %d / %d", what,
              p.build_batch_tokens, p.build_block, p.scrape_batch);
        return;
    }
    /* room to spare: at most half of what the weights leave on a discrete GPU, a quarter otherwise */
    unsigned long long room = (d->local_heap - W) / (strcmp(d->type, "discrete") ? 4 : 2);
    CHECK(W + build <= d->local_heap && build <= room, "%s: build batch %d tokens = %llu bytes, %llu allowed", what,
          p.build_batch_tokens, build, room);
    CHECK(W + scrape <= d->local_heap && scrape <= room, "%s: scrape batch %d rows = %llu bytes, %llu allowed", what,
          p.scrape_batch, scrape, room);
    CHECK((unsigned long long)p.build_batch_tokens * m->d_mlp * 4 <= d->max_alloc,
          "%s: a [%d, %d] buffer exceeds the largest allocation", what, p.build_batch_tokens, m->d_mlp);
    CHECK(is_pow2((unsigned long long)p.build_batch_tokens) && p.build_batch_tokens >= 4096 &&
              p.build_batch_tokens <= 131072,
          "%s: build batch %d", what, p.build_batch_tokens);
    CHECK(p.build_block >= 128 && p.build_block <= 512, "%s: block %d", what, p.build_block);
    CHECK(p.scrape_batch >= 1 && is_pow2((unsigned long long)p.scrape_batch) &&
              (unsigned long long)p.scrape_batch * T <= 131072,
          "%s: scrape batch %d rows of %llu", what, p.scrape_batch, T);
    CHECK(strstr(p.basis, d->type) != NULL, "%s: the basis '%s' names the device type", what, p.basis);
    ops_batch_plan q;
    ops_batch_plan_from(d, m, &q);
    CHECK(!memcmp(&p, &q, sizeof p), "%s: the same facts, another plan", what);
}

int main(void) {
    check_weights("tests/fixtures/gpt2-tiny");
    check_weights("tests/fixtures/gpt2-l3");

    ops_model_shape small = {12, 768, 3072, 1024, 50257, 1024, 12}, xl = {48, 1600, 6400, 1024, 50257, 1024, 48};
    ops_batch_plan p;
    /* fixed sizes off a GPU: the CPU backend, lavapipe */
    ops_device_facts cpu = {.cpu_backend = 1, .type = "cpu backend"};
    ops_batch_plan_from(&cpu, &small, &p);
    CHECK(p.build_batch_tokens == 16384 && p.build_block == 128 && p.scrape_batch == 2 && p.budget == 0,
          "CPU backend: %d / %d / %d", p.build_batch_tokens, p.build_block, p.scrape_batch);
    ops_device_facts lvp = {.type = "cpu", .local_heap = 64 * GiB, .max_alloc = 64 * GiB, .max_binding = 128u << 20};
    ops_batch_plan_from(&lvp, &small, &p);
    CHECK(p.build_batch_tokens == 16384 && p.build_block == 128 && p.scrape_batch == 8 && p.budget == 0,
          "lavapipe, rows of 1024: %d / %d / %d", p.build_batch_tokens, p.build_block, p.scrape_batch);
    ops_model_shape short_rows = small;
    short_rows.row_tokens = 64;
    ops_batch_plan_from(&lvp, &short_rows, &p);
    CHECK(p.scrape_batch == 128, "lavapipe, rows of 64: %d rows", p.scrape_batch);
    ops_device_facts noheap = {.type = "virtual"};
    ops_batch_plan_from(&noheap, &small, &p);
    CHECK(p.build_batch_tokens == 16384 && p.build_block == 128, "no device-local heap: fixed sizes");

    /* GPUs */
    ops_device_facts h200 = {.type = "discrete", .local_heap = 140 * GiB, .max_alloc = 140 * GiB, .max_binding = 4 * GiB};
    ops_device_facts small_dgpu = {.type = "discrete", .local_heap = 4 * GiB, .max_alloc = 4 * GiB, .max_binding = 4 * GiB};
    ops_device_facts igpu = {.type = "integrated", .local_heap = 2 * GiB, .max_alloc = 1 * GiB, .max_binding = 1 * GiB};
    ops_device_facts igpu_big = {.type = "integrated", .local_heap = 16 * GiB, .max_alloc = 4 * GiB, .max_binding = 2 * GiB};
    ops_device_facts tight_alloc = {.type = "discrete", .local_heap = 24 * GiB, .max_alloc = 256u << 20, .max_binding = 256u << 20};
    const ops_device_facts *gpus[] = {&h200, &small_dgpu, &igpu, &igpu_big, &tight_alloc};
    const char *names[] = {"H200", "4 GiB discrete", "2 GiB integrated", "16 GiB integrated", "256 MiB allocations"};
    for (int g = 0; g < 5; g++) {
        char what[128];
        snprintf(what, sizeof what, "%s, GPT-2 small", names[g]);
        check_gpu(what, gpus[g], &small);
        snprintf(what, sizeof what, "%s, GPT-2 xl", names[g]);
        check_gpu(what, gpus[g], &xl);
    }
    ops_batch_plan_from(&h200, &small, &p);
    CHECK(p.build_batch_tokens >= 65536 && p.build_block >= 512 && p.scrape_batch * 1024 >= 65536,
          "a large GPU is filled: %d tokens, block %d, scrape %d rows", p.build_batch_tokens, p.build_block,
          p.scrape_batch);
    /* more memory never gives smaller batches */
    ops_batch_plan prev = {0};
    for (unsigned long long heap = 1 * GiB; heap <= 256 * GiB; heap *= 2) {
        ops_device_facts d = {.type = "discrete", .local_heap = heap, .max_alloc = heap, .max_binding = 4 * GiB};
        ops_batch_plan_from(&d, &small, &p);
        CHECK(p.build_batch_tokens >= prev.build_batch_tokens && p.build_block >= prev.build_block &&
                  p.scrape_batch >= prev.scrape_batch,
              "heap %llu GiB: smaller than with half of it", heap / GiB);
        prev = p;
    }

    /* the devices of this machine: ops_batch_plan_for = ops_batch_plan_from(facts) */
    ops_options o = {.kind = OPS_CPU};
    ops_ctx *ctx = NULL;
    n2g_err e = {0};
    CHECK(ops_create(&o, &ctx, &e) == 0, "%s", e.msg);
    ops_device_facts f;
    ops_device_facts_of(ctx, &f);
    CHECK(f.cpu_backend, "the CPU backend's facts");
    ops_destroy(ctx);
    vk_device_info *devs = NULL;
    int n = 0;
    if (vk_list_devices(&devs, &n, &e) == 0) {
        for (int i = 0; i < n; i++) {
            if (!vk_device_usable(&devs[i])) continue;
            ops_options v = {.kind = OPS_VK, .device = i, .quiet = 1};
            if (ops_create(&v, &ctx, &e) != 0) {
                CHECK(0, "device %d: %s", i, e.msg);
                continue;
            }
            ops_device_facts_of(ctx, &f);
            CHECK(!f.cpu_backend && !strcmp(f.type, devs[i].type_name), "device %d: type %s", i, f.type);
            ops_batch_plan a, b2;
            ops_batch_plan_for(ctx, &small, &a);
            ops_batch_plan_from(&f, &small, &b2);
            CHECK(!memcmp(&a, &b2, sizeof a), "device %d: ops_batch_plan_for differs from its facts' plan", i);
            printf("device %d (%s): build --batch-tokens %d --block %d, scrape --batch %d; %s\n", i, f.type,
                   a.build_batch_tokens, a.build_block, a.scrape_batch, a.basis);
            ops_destroy(ctx);
        }
        free(devs);
    }
    return check_finish();
}
