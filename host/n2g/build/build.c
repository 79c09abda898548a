/* build.c — `n2g build`: open the run, list the neurons left to build, set up the model and the
 * probe engine, run the rounds, aggregate (see build.h; the parts in builder.h). */
#include "n2g/build/build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/progress.h"
#include "dist/dist.h"
#include "n2g/build/builder.h"
#include "n2g/graph/export_dot.h"
#include "n2g/graph/graph.h"
#include "n2g/graph/vocab_bpe.h"
#include "ops/ops_sizing.h"
#include "scrape/scrape_lock.h"

void n2g_build_defaults(n2g_build_opts *o) {
    memset(o, 0, sizeof *o);
    o->augment = N2G_AUGMENT_CASINGS;
    o->mask_token = 1;
    o->seed = 0;
    o->block = 0; /* from the device (ops_sizing.h) */
    o->workers = -1;
    o->dev.kind = OPS_VK;
    o->dev.device = -1;
}

void n2g_build_path(char *buf, size_t cap, const char *run, const char *sub, int l, int n, const char *ext) {
    snprintf(buf, cap, "%s/%s/%d_%d%s", run, sub, l, n, ext);
}

int n2g_build_remove_stale(const char *path, n2g_err *err) {
    if (unlink(path) == 0 || errno == ENOENT) return 0;
    return n2g_fail(err, "%s: cannot remove the earlier build's file: %s", path, strerror(errno));
}

/* the model the run was scraped from (checked; --model DIR names it when the run moved), and
 * its tokenizer by the rule of every command, whose vocabulary the graphs and the aggregate use;
 * then the named neurons */
static int open_run(builder *b, n2g_err *err) {
    if (scrape_run_use_model(b->run, b->o->model_dir, err) != 0) return -1;
    const char *model_dir = scrape_run_model_dir(b->run);
    if (!(b->m.tok = bpe_load_model(model_dir, dist_rank() > 0, NULL, err)) ||
        !(b->vocab = n2g_vocab_from_bpe(b->m.tok, 1, err)) || !(b->m.cache = bpe_cache_new()))
        return -1;
    int nlay = scrape_run_n_layers(b->run);
    int layers[256];
    for (int i = 0; i < nlay && i < 256; i++) layers[i] = scrape_run_layer(b->run, i);
    return n2g_build_parse_neurons(b->o->neurons, layers, nlay, scrape_run_d_mlp(b->run), &b->list,
                                   &b->res->requested, err);
}

/* what is left to do: neurons without a result, and with --force those built with other
 * options (b->todo_of marks them in b->list, which keeps every named neuron: the blocks are
 * formed from all of them, see build_round.c) */
static int list_todo(builder *b, n2g_err *err) {
    n2g_build_result *res = b->res;
    char path[4096];
    if (!(b->todo_of = calloc((size_t)res->requested, 1))) return n2g_fail(err, "out of memory");
    for (long i = 0; i < res->requested; i++) {
        int l = b->list[2 * i], n = b->list[2 * i + 1];
        n2g_build_path(path, sizeof path, b->run_dir, "build", l, n, ".json");
        if (n2g_is_file(path)) {
            int st = n2g_build_check_done(b, l, n, path, err);
            if (st < 0) return -1;
            if (st == 0) {
                res->done_before++;
                continue;
            }
            res->rebuilt++;
        }
        b->todo_of[i] = 1;
        b->todo++;
    }
    if (res->dot_missing && b->todo > 0 && dist_rank() == 0)
        fprintf(stderr, "n2g build: warning: Graphviz '%s' was not found: writing graphs/L_N.dot without the SVG "
                        "pictures (the report draws the graphs from graphs/L_N.json)\n",
                n2g_dot_program());
    dist_barrier(); /* several ranks: nobody writes a result before every rank has listed what is left */
    return 0;
}

/* --batch-tokens and --block: as given, else from the device and the model (ops_sizing.h).
 * Several ranks cut the list into the same rounds: rank 0's --block for all. */
static void choose_sizes(builder *b) {
    const gpt2_config *c = &b->model->cfg;
    ops_model_shape shape = {c->n_layer, c->n_embd, c->d_mlp, c->n_positions, c->vocab_size, 0, 0};
    ops_batch_plan plan;
    ops_batch_plan_for(b->ctx, &shape, &plan);
    n2g_build_result *res = b->res;
    res->batch_tokens = b->o->max_tokens > 0 ? b->o->max_tokens : plan.build_batch_tokens;
    int block = b->o->block > 0 ? b->o->block : plan.build_block;
    if (b->o->block <= 0) dist_bcast(&block, sizeof block, 0);
    res->block = block;
    snprintf(res->sizes_basis, sizeof res->sizes_basis, "%s", plan.basis);
}

/* the model, the steps' settings, the backend, the MLM and the probe engine */
static int set_up(builder *b, n2g_err *err) {
    const n2g_build_opts *o = b->o;
    n2g_method *m = &b->m;
    if (gpt2_load(scrape_run_model_dir(b->run), &b->model, err) != 0) return -1;
    m->ctx_len = scrape_run_ctx(b->run);
    m->skip0 = !scrape_run_include_bos(b->run);
    /* (the table exists: the record had rank 0 count it when it was missing) */
    if (o->augment != N2G_AUGMENT_NONE && !b->casings && n2g_build_casings_open(b, err) != 0) return -1;
    m->casings = b->casings;
    n2g_prune_defaults(&m->pc);
    m->pc.skip_pos0 = m->skip0;
    m->pc.bos = bpe_eot_id(m->tok) >= 0 ? bpe_eot_id(m->tok) : 50256;
    n2g_params gp;
    n2g_params_default(&gp);
    m->act_threshold = gp.activation_threshold;
    n2g_augment_defaults(&m->ac);
    m->ac.bos = m->ac.eot = m->pc.bos;
    m->ac.max_len = b->model->cfg.n_ctx;
    m->seed = o->seed, m->augment = o->augment != N2G_AUGMENT_NONE, m->mask_token = o->mask_token;
    m->full_importance = o->full_importance, m->rerun_test_rows = o->rerun_test_rows;
    if (o->mask_token < 0 || o->mask_token >= b->model->cfg.vocab_size)
        return n2g_failc(err, N2G_E_USAGE, "--mask-token %d outside the vocabulary (0..%d)", o->mask_token,
                         b->model->cfg.vocab_size - 1);
    if (ops_open(&o->dev, &b->ctx, err) != 0) return -1;
    if (o->augment == N2G_AUGMENT_MLM && n2g_mlm_open(o->mlm_dir, b->ctx, 0, &m->mlm, err) != 0) return -1;
    int maxl = 0;
    for (long i = 0; i < b->res->requested; i++)
        if (b->todo_of[i] && b->list[2 * i] > maxl) maxl = b->list[2 * i];
    choose_sizes(b);
    n2g_probe_opts po = {.max_tokens = b->res->batch_tokens, .max_batch = 512, .max_layer = maxl, .no_tree = o->no_tree};
    return n2g_probe_create(b->model, b->ctx, &po, &m->eng, err);
}

/* every rank's counts; one writer of stats / neuron_store (a stopped build leaves them to the
 * rerun) */
static int finish(builder *b, n2g_err *err) {
    n2g_build_result *res = b->res;
    uint64_t counts[2] = {(uint64_t)res->built, (uint64_t)res->no_graph};
    dist_allreduce_sum_u64(counts, 2); /* also waits for every rank's last results */
    res->built = (long)counts[0], res->no_graph = (long)counts[1];
    if (!res->interrupted && dist_rank() == 0) return n2g_build_aggregate(b, err);
    return 0;
}

static void builder_close(builder *b) {
    n2g_mlm_round_clear(&b->m.mlm_round);
    if (b->ctx && b->o->dev.profile) ops_profile_print(b->ctx, stderr);
    n2g_mlm_close(b->m.mlm); /* device buffers: before ops_destroy */
    n2g_probe_free(b->m.eng);
    ops_destroy(b->ctx);
    gpt2_free(b->model);
    n2g_vocab_free(b->vocab);
    bpe_cache_free(b->m.cache);
    bpe_free(b->m.tok);
    n2g_casings_free(b->casings);
    scrape_run_close(b->run);
    free(b->list);
    free(b->todo_of);
    free(b->jobs);
}

int n2g_build_run(const char *run_dir, const n2g_build_opts *o, n2g_build_result *res, n2g_err *err) {
    double t0 = progress_now();
    builder b;
    memset(&b, 0, sizeof b);
    n2g_build_result rdummy;
    if (!res) res = &rdummy;
    memset(res, 0, sizeof *res);
    b.run_dir = run_dir, b.o = o, b.res = res;
    scrape_lock *lock = NULL; /* one writer per run directory; the job's ranks are one (rank 0 locks) */
    if (dist_rank() == 0 && scrape_lock_take(run_dir, &lock, err) != 0) return -1;
    if (scrape_run_open(run_dir, 0, &b.run, err) != 0) {
        scrape_lock_release(lock);
        return -1;
    }
    b.m.run = b.run;
    int rc = open_run(&b, err);
    if (rc == 0) rc = n2g_build_prepare(&b, err);
    if (rc == 0) rc = list_todo(&b, err);
    if (rc == 0 && b.todo > 0) rc = set_up(&b, err);
    if (rc == 0 && b.todo > 0) rc = n2g_build_rounds(&b, err);
    if (rc == 0) rc = finish(&b, err);
    builder_close(&b);
    scrape_lock_release(lock);
    res->seconds = progress_now() - t0;
    return rc;
}
