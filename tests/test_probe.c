/* test_probe.c — the probe engine against direct forward passes (gpt2_hook_post_all, one
 * sequence at a time, CPU backend) on a small Hugging Face fixture model, on the CPU backend
 * and (when a Vulkan device exists) the Vulkan backend: duplicates, prefixes, mixed lengths,
 * layers and position ranges, tiny batch limits (many batches), the masked copies of a prompt
 * that tree packing shares a prefix between, and the no-prefix / no-tree mode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/gpt2.h"
#include "n2g/probe/probe.h"

#define NSEQ 52 /* 40 mixed + a prompt and 11 masked copies of it (tree packing) */

typedef struct {
    int32_t tok[128];
    int len;
} tseq;

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)rs;
}

typedef struct {
    int seq, layer, neuron, pos0, count;
    float *out;
} want;

static void run_case(const gpt2_model *m, ops_ctx *ctx, const tseq *seqs, const float *const *oracle, int max_tokens,
                     int max_batch, int no_prefix, const char *what) {
    n2g_err err = {0};
    const gpt2_config *c = &m->cfg;
    n2g_probe_opts o = {max_tokens, max_batch, no_prefix, -1, no_prefix};
    n2g_probe_engine *e;
    CHECK(n2g_probe_create(m, ctx, &o, &e, &err) == 0, "%s: %s", what, err.msg);
    if (!e) return;
    want w[400];
    int nw = 0;
    for (int r = 0; r < 2; r++) { /* two rounds: the engine resets between flushes */
        nw = 0;
        for (int s = 0; s < NSEQ; s++) {
            int id = n2g_probe_seq(e, seqs[s].tok, seqs[s].len, &err);
            CHECK(id >= 0, "%s: %s", what, err.msg);
            int nreq = 1 + (int)(rnd() % 4);
            for (int q = 0; q < nreq && nw < 400; q++) {
                want *x = &w[nw++];
                x->seq = s;
                x->layer = (int)(rnd() % (unsigned)c->n_layer);
                x->neuron = (int)(rnd() % (unsigned)c->d_mlp);
                x->pos0 = (int)(rnd() % (unsigned)seqs[s].len);
                x->count = 1 + (int)(rnd() % (unsigned)(seqs[s].len - x->pos0));
                x->out = malloc(sizeof(float) * (size_t)x->count);
                for (int k = 0; k < x->count; k++) x->out[k] = NAN;
                CHECK(n2g_probe_want(e, id, x->layer, x->neuron, x->pos0, x->count, x->out, &err) == 0, "%s: %s", what,
                      err.msg);
            }
        }
        CHECK(n2g_probe_flush(e, &err) == 0, "%s: flush: %s", what, err.msg);
        double md = 0;
        for (int i = 0; i < nw; i++) {
            const want *x = &w[i];
            const float *ref = oracle[x->seq];
            int T = seqs[x->seq].len;
            for (int k = 0; k < x->count; k++) {
                float want_v = ref[((size_t)x->layer * (size_t)T + (size_t)(x->pos0 + k)) * (size_t)c->d_mlp + (size_t)x->neuron];
                double d = fabs((double)x->out[k] - (double)want_v);
                if (!(d <= md)) md = isnan(d) ? INFINITY : d;
            }
            free(x->out);
        }
        CHECK(md < 2e-4, "%s round %d: max |probe - direct| = %g", what, r, md);
    }
    const n2g_probe_stats *st = n2g_probe_get_stats(e);
    CHECK(st->seqs_submitted == 2 * NSEQ, "%s: submitted %llu", what, (unsigned long long)st->seqs_submitted);
    CHECK(st->seqs_unique < st->seqs_submitted, "%s: dedup found nothing", what);
    if (no_prefix)
        CHECK(st->tokens_shared == 0 && st->tree_rows == 0, "%s: no-tree mode shared %llu tokens", what,
              (unsigned long long)st->tokens_shared);
    else
        CHECK(st->tokens_shared >= 2 * 20 && st->tree_rows >= 2, "%s: tree packing shared %llu tokens in %llu rows", what,
              (unsigned long long)st->tokens_shared, (unsigned long long)st->tree_rows);
    if (no_prefix)
        CHECK(st->runs == st->seqs_unique, "%s: no-prefix runs %llu vs unique %llu", what, (unsigned long long)st->runs,
              (unsigned long long)st->seqs_unique);
    else
        CHECK(st->runs < st->seqs_unique, "%s: prefix merging found nothing (%llu runs)", what,
              (unsigned long long)st->runs);
    CHECK(st->tokens_padded >= st->tokens_run && st->batches >= 1, "%s: batch accounting", what);
    /* bad requests: messages name what is wrong */
    int32_t bad[3] = {1, 2, c->vocab_size};
    CHECK(n2g_probe_seq(e, bad, 3, &err) == -1 && strstr(err.msg, "position 2"), "%s: bad token: %s", what, err.msg);
    CHECK(n2g_probe_seq(e, bad, 0, &err) == -1 && strstr(err.msg, "length 0"), "%s: empty: %s", what, err.msg);
    int id = n2g_probe_seq(e, seqs[0].tok, seqs[0].len, &err);
    float v[200];
    CHECK(n2g_probe_want(e, id, c->n_layer, 0, 0, 1, v, &err) == -1 && strstr(err.msg, "layer"), "%s: layer: %s", what,
          err.msg);
    CHECK(n2g_probe_want(e, id, 0, c->d_mlp, 0, 1, v, &err) == -1 && strstr(err.msg, "neuron"), "%s: neuron: %s",
          what, err.msg);
    CHECK(n2g_probe_want(e, id, 0, 0, seqs[0].len - 1, 2, v, &err) == -1 && strstr(err.msg, "outside the sequence"),
          "%s: positions: %s", what, err.msg);
    n2g_probe_free(e);
}

int main(void) {
    n2g_err err = {0};
    gpt2_model *m = NULL;
    CHECK(gpt2_load(check_src_path("tests/fixtures/gpt2-l3"), &m, &err) == 0, "%s", err.msg);
    if (!m) return check_finish();
    const gpt2_config *c = &m->cfg;
    static tseq seqs[NSEQ];
    for (int s = 0; s < NSEQ; s++) {
        if (s >= 8 && s % 4 == 0) { /* an exact duplicate */
            seqs[s] = seqs[s - 3];
        } else if (s >= 8 && s % 4 == 1) { /* a prefix of an earlier sequence */
            seqs[s] = seqs[s - 5];
            seqs[s].len = 1 + (int)(rnd() % (unsigned)seqs[s].len);
        } else if (s >= 8 && s % 4 == 2) { /* same tokens, one changed at the end: not a prefix */
            seqs[s] = seqs[s - 6];
            seqs[s].tok[seqs[s].len - 1] = (int32_t)((seqs[s].tok[seqs[s].len - 1] + 1 + (int32_t)(rnd() % 100)) % c->vocab_size);
        } else if (s > 40) { /* the prompt seqs[40] with token k masked, cut after k + 1 .. 30 tokens */
            int k = 1 + (s - 41) * 2;
            seqs[s] = seqs[40];
            seqs[s].tok[k] = 1;
            seqs[s].len = k + 1 + (int)(rnd() % (unsigned)(30 - k));
        } else {
            seqs[s].len = s == 40 ? 30 : 1 + (int)(rnd() % (unsigned)(s < 4 ? c->n_ctx : 40));
            seqs[s].tok[0] = c->vocab_size - 1;
            for (int i = 1; i < seqs[s].len; i++) seqs[s].tok[i] = (int32_t)(rnd() % (unsigned)c->vocab_size);
        }
    }
    /* oracle: direct forward of each sequence alone on the CPU backend */
    ops_options co = {0};
    co.kind = OPS_CPU;
    ops_ctx *cpu = NULL;
    CHECK(ops_create(&co, &cpu, &err) == 0, "%s", err.msg);
    gpt2_runner *r = NULL;
    CHECK(gpt2_runner_create(m, cpu, -1, 1, c->n_ctx, &r, &err) == 0, "%s", err.msg);
    float *oracle[NSEQ];
    for (int s = 0; s < NSEQ; s++) {
        oracle[s] = malloc(sizeof(float) * (size_t)c->n_layer * (size_t)seqs[s].len * (size_t)c->d_mlp);
        CHECK(gpt2_hook_post_all(r, seqs[s].tok, seqs[s].len, c->n_layer - 1, oracle[s], &err) == 0, "%s", err.msg);
    }
    /* gpt2_set_tokens_tree checks what it is given: positions and key spans name the bad token */
    int32_t tt[4] = {1, 2, 3, 4}, tp[4] = {0, 1, 2, 3}, ts[12] = {0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 0, 3};
    CHECK(gpt2_set_tokens_tree(r, tt, tp, ts, 1, 4, &err) == -1 && strstr(err.msg, "token 2") &&
              strstr(err.msg, "key span"),
          "bad span: %s", err.msg);
    ts[7] = 2, tp[3] = c->n_ctx; /* token 2 now shares the first two keys: valid */
    CHECK(gpt2_set_tokens_tree(r, tt, tp, ts, 1, 4, &err) == -1 && strstr(err.msg, "token 3: position id"),
          "bad position: %s", err.msg);
    tp[3] = 3;
    CHECK(gpt2_set_tokens_tree(r, tt, tp, ts, 1, 4, &err) == 0, "good tree batch: %s", err.msg);
    gpt2_runner_free(r);
    run_case(m, cpu, seqs, (const float *const *)oracle, 0, 0, 0, "cpu");
    run_case(m, cpu, seqs, (const float *const *)oracle, 160, 3, 0, "cpu small batches");
    run_case(m, cpu, seqs, (const float *const *)oracle, 0, 0, 1, "cpu no-prefix no-tree");
    ops_destroy(cpu);
    ops_options vo = {0};
    vo.kind = OPS_VK;
    vo.device = -1;
    vo.quiet = 1;
    ops_ctx *vk = NULL;
    if (ops_create(&vo, &vk, &err) == 0) {
        run_case(m, vk, seqs, (const float *const *)oracle, 0, 0, 0, "vk");
        run_case(m, vk, seqs, (const float *const *)oracle, 160, 3, 0, "vk small batches");
        run_case(m, vk, seqs, (const float *const *)oracle, 0, 0, 1, "vk no-prefix no-tree");
        ops_destroy(vk);
    } else {
        fprintf(stderr, "test_probe: no Vulkan device (%s); Vulkan half skipped\n", err.msg);
    }
    for (int s = 0; s < NSEQ; s++) free(oracle[s]);
    gpt2_free(m);
    return check_finish();
}
