/* build_round.c — the rounds of a build: blocks of neurons of one layer, each through the
 * method's steps in turn (method/method.h), then its neurons' files; a stop (Ctrl-C) is
 * looked at between steps (see builder.h). */
#include <stdlib.h>

#include "common/progress.h"
#include "dist/dist.h"
#include "n2g/build/builder.h"
#include "n2g/method/importance.h"
#include "n2g/method/test_rows.h"

/* the pruned prompts, scored */
static int score_pruned(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    if (n2g_prune_choose_prompts(m, jobs, nj, err) != 0) return -1;
    return n2g_importance_run(m, jobs, nj, 0, err);
}

/* their augmentations, scored */
static int score_augmented(n2g_method *m, n2g_job *jobs, int nj, n2g_err *err) {
    if (n2g_augment_run(m, jobs, nj, err) != 0) return -1;
    return m->augment ? n2g_importance_run(m, jobs, nj, 1, err) : 0;
}

/* the steps, one per phase of n2g_build_result (their probe counts are the phase's) */
static int (*const steps[N2G_PHASE_COUNT])(n2g_method *, n2g_job *, int, n2g_err *) = {
    [N2G_PHASE_TEST] = n2g_test_rows_run,
    [N2G_PHASE_PRUNE] = n2g_prune_run,
    [N2G_PHASE_IMPORTANCE] = score_pruned,
    [N2G_PHASE_AUGMENTED] = score_augmented,
};

/* acc += the engine's counts since *mark; *mark = now */
static void phase_add(n2g_probe_stats *acc, n2g_probe_stats *mark, const n2g_probe_engine *e) {
    const n2g_probe_stats *now = n2g_probe_get_stats(e);
    acc->seqs_submitted += now->seqs_submitted - mark->seqs_submitted;
    acc->tokens_run += now->tokens_run - mark->tokens_run;
    acc->tokens_shared += now->tokens_shared - mark->tokens_shared;
    acc->token_layers += now->token_layers - mark->token_layers;
    acc->batches += now->batches - mark->batches;
    acc->seconds += now->seconds - mark->seconds;
    *mark = *now;
}

/* the jobs of slot s, freed */
static void free_slot(builder *b, int s) {
    n2g_job *jobs = b->jobs + (size_t)s * (size_t)b->res->block;
    for (int k = 0; k < b->slot_nj[s]; k++) n2g_job_free(&jobs[k]);
    b->slot_nj[s] = 0;
}

/* the nj neurons of b->list from index i, in slot s: loaded, through the steps, and those left
 * to build (b->todo_of) handed to the finisher. The block runs whole even when some of its
 * neurons were finished before (a resumed build): its probes, hence the engine's batches and
 * packed rows, are then those of an uninterrupted build, and on a GPU the last bits of a result
 * can depend on them (docs/build.md, "Same command, same bytes"). The finished neurons' files
 * are not touched. */
static int run_block(builder *b, long i, int nj, int s, n2g_err *err) {
    n2g_build_result *res = b->res;
    n2g_job *jobs = b->jobs + (size_t)s * (size_t)res->block;
    const int *ln = b->list + 2 * i;
    const unsigned char *todo = b->todo_of + i;
    char path[4096];
    int r = 0;
    double t0 = progress_now(), eng = 0;
    /* a result built with other options (--force) goes first: a crash now leaves the neuron to
     * build, never the old result beside new graphs */
    for (int k = 0; k < nj && r == 0; k++) {
        if (!todo[k]) continue;
        n2g_build_path(path, sizeof path, b->run_dir, "build", ln[2 * k], ln[2 * k + 1], ".json");
        r = n2g_build_remove_stale(path, err);
    }
    for (int k = 0; k < nj && r == 0; k++) {
        r = n2g_job_load(&b->m, &jobs[k], ln[2 * k], ln[2 * k + 1], err);
        b->slot_nj[s] = k + 1;
    }
    n2g_probe_stats mark = *n2g_probe_get_stats(b->m.eng);
    for (int p = 0; p < N2G_PHASE_COUNT; p++) {
        if (r == 0 && !STOPPED(b)) r = steps[p](&b->m, jobs, nj, err);
        double before = mark.seconds;
        phase_add(&res->phase[p], &mark, b->m.eng);
        eng += mark.seconds - before;
    }
    res->test_rows_listed = b->m.test_rows_listed, res->test_rows_run = b->m.test_rows_run;
    res->steps_host_s += progress_now() - t0 - eng;
    /* finishing (fit, score, files) is the finisher's; each neuron finished before a stop is kept */
    for (int k = 0; k < nj && r == 0 && !STOPPED(b); k++)
        if (todo[k]) n2g_finisher_submit(b->fin, &jobs[k], s);
    return r;
}

/* The block from list index i: at most `block` neurons of one layer in list order (*nj of
 * them); returns how many of them are left to build. */
static int block_at(const builder *b, long i, int block, int *nj) {
    int n = 0, left = 0;
    while (i + n < b->res->requested && n < block && b->list[2 * (i + n)] == b->list[2 * i]) left += b->todo_of[i + n++];
    *nj = n;
    return left;
}

/* Blocks are runs of at most o->block neurons of one layer in the order of the whole named
 * list (layer, neuron), the same whichever of them are finished: a block without a neuron
 * left to build is skipped, the others are numbered in order and handed out to whichever
 * rank asks next (dist.h; one rank: all), so every rank sees the same blocks. */
int n2g_build_rounds(builder *b, n2g_err *err) {
    n2g_build_result *res = b->res;
    int block = res->block;
    if (!(b->jobs = calloc(2 * (size_t)block, sizeof *b->jobs))) return n2g_fail(err, "out of memory");
    if (n2g_finisher_start(b, b->o->workers, &b->fin, err) != 0) return -1;
    dist_counter *ctr = NULL;
    if (dist_counter_create(&ctr, err) != 0) return -1;
    long mine = dist_counter_next(ctr);
    progress *pg = progress_start("build", (double)b->todo, "neurons", b->o->quiet || dist_rank() > 0);
    long finished = 0; /* neurons left to build in the blocks passed so far */
    int slot = 0, r = 0;
    for (long i = 0, blk = 0; i < res->requested && !res->interrupted;) {
        int nj, left = block_at(b, i, block, &nj);
        if (!left) { /* every neuron of it was finished before */
            i += nj;
            continue;
        }
        if (blk++ != mine) { /* another rank's block */
            i += nj;
            finished += left;
            continue;
        }
        if (STOPPED(b)) {
            res->interrupted = 1;
            continue;
        }
        /* the round before last is finished before its slot is used again */
        r = n2g_finisher_wait(b->fin, slot, err);
        free_slot(b, slot);
        if (r == 0) r = run_block(b, i, nj, slot, err);
        /* a stop can also fail what it interrupted (Graphviz gets the terminal's Ctrl-C) */
        if (STOPPED(b)) {
            n2g_err_clear(err);
            res->interrupted = 1, r = 0;
            continue;
        }
        if (r != 0) break;
        i += nj;
        finished += left;
        slot ^= 1;
        mine = dist_counter_next(ctr);
        progress_update(pg, (double)finished, NULL); /* shows neurons/s and the ETA */
    }
    /* the last rounds' neurons; a failure of theirs counts unless the loop failed first */
    n2g_err e2 = {0};
    int r2 = n2g_finisher_end(b->fin, r ? &e2 : err);
    b->fin = NULL;
    if (r2 != 0 && STOPPED(b)) { /* a stop during the last rounds' finishing */
        n2g_err_clear(err);
        res->interrupted = 1, r2 = 0;
    }
    free_slot(b, 0), free_slot(b, 1);
    progress_finish(pg);
    if (r != 0 || r2 != 0) {
        if (dist_size() == 1) dist_counter_free(ctr); /* several ranks: collective, and the job is aborted */
        return -1;
    }
    dist_counter_free(ctr); /* collective: every rank has run out of blocks */
    res->probe = *n2g_probe_get_stats(b->m.eng);
    if (b->m.mlm) {
        const n2g_mlm_stats *ms = n2g_mlm_get_stats(b->m.mlm);
        res->mlm_masked = ms->masked, res->mlm_emitted = ms->emitted, res->mlm_seconds = ms->seconds;
    }
    return 0;
}
