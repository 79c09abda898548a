/* scrape.c — `n2g scrape` (scrape.h): its steps in order (scrape_job.h), then the scan loop
 * (scrape_loop.h) or, for a run finished earlier, its manifest. */
#include "scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "dist/dist.h"
#include "ops/ops_sizing.h"
#include "scrape_engine.h"
#include "scrape_job.h"
#include "scrape_loop.h"
#include "scrape_ranks.h"
#include "scrape_source.h"
#include "text/corpus.h"

/* The row store is pruned to the kept rows whenever it grows past this, or past twice its size
 * after the last pruning (so a store of many kept rows is not pruned after every batch). */
#define SCRAPE_ROWSTORE_FLUSH_BYTES ((size_t)256 << 20)

/* One line on the corpus files with problems (bad JSONL lines skipped, invalid UTF-8 replaced,
 * cut short), or "" when there were none. */
static void corpus_summary(const scrape_ident *id, char *buf, size_t n) {
    size_t o = 0;
    int shown = 0, more = 0;
    uint64_t sk = 0, rp = 0, cut = 0;
    buf[0] = 0;
#define PUT(...) (o < n ? (o += (size_t)snprintf(buf + o, n - o, __VA_ARGS__)) : 0)
    for (int i = 0; i < id->n_files; i++) {
        const scrape_file_id *f = &id->files[i];
        if (!f->skipped && !f->replaced && !f->truncated) continue;
        sk += f->skipped, rp += f->replaced, cut += f->truncated != 0;
        if (shown == 4) {
            more++;
            continue;
        }
        const char *sep = ":";
        PUT("%s%s", shown++ ? "; " : "", f->path);
        if (f->skipped) PUT("%s %llu JSONL lines skipped", sep, (unsigned long long)f->skipped), sep = ",";
        if (f->replaced)
            PUT("%s %llu invalid UTF-8 sequences replaced by U+FFFD", sep, (unsigned long long)f->replaced), sep = ",";
        if (f->truncated) PUT("%s cut short (damaged or unreadable)", sep);
    }
    if (more)
        PUT("; and %d more files (in all: %llu lines skipped, %llu sequences replaced, %llu files cut short)", more,
            (unsigned long long)sk, (unsigned long long)rp, (unsigned long long)cut);
#undef PUT
}

void scrape_job_free(scrape_job *j) {
    bpe_free(j->tok);
    scrape_lock_release(j->lock);
    gpt2_free(j->m);
    free(j->id.files);
    corpus_free_list(j->flist, j->n_files);
    free(j->st.topk);
    free(j->st.stats);
    free(j->st.fire);
    scrape_rows_free(&j->rows);
    free(j);
}

/* A run finished earlier: make sure the manifest says so; nothing is read. */
static int finish_complete(scrape_job *j, scrape_result *res, n2g_err *err) {
    scrape_scan_info info = {1, j->st.rows_scanned, j->st.rows_scanned * (uint64_t)j->st.ctx, j->st.positions,
                             j->rows.n};
    int rc = 0;
    if (j->rank == 0) {
        scrape_manifest_read_counts(j->manifest_path, j->id.files, j->n_files); /* no corpus read now */
        rc = scrape_manifest_write(j->manifest_path, &j->id, &info, err);
    }
    corpus_summary(&j->id, res->corpus_note, sizeof res->corpus_note);
    res->already_complete = 1;
    res->rows = j->st.rows_scanned;
    res->tokens = j->st.rows_scanned * j->ctx;
    res->rows_stored = j->rows.n;
    return rc;
}

/* The device and the corpus from the state's row count, then the loop over this process's
 * share of the rows. */
static int scan_run(scrape_job *j, scrape_result *res, n2g_err *err) {
    const scrape_params *p = j->p;
    scrape_state *st = &j->st;
    int B = p->batch, rc = -1;
    ops_ctx *ops = NULL;
    scrape_engine *eng = NULL;
    scrape_source *src = NULL;
    progress *bar = NULL;
    if (ops_open(&p->ops, &ops, err)) goto done;
    snprintf(res->device, sizeof res->device, "%s", ops_device_name(ops));
    /* --batch as given, else from the device and the model (ops_sizing.h); the ranks share the
     * rows by batches, so they take rank 0's */
    const gpt2_config *cf = &j->m->cfg;
    ops_model_shape shape = {cf->n_layer, cf->n_embd, cf->d_mlp, cf->n_positions, cf->vocab_size, j->ctx, j->n_layers};
    ops_batch_plan plan;
    ops_batch_plan_for(ops, &shape, &plan);
    if (!B) {
        B = plan.scrape_batch;
        dist_bcast(&B, sizeof B, 0);
    }
    if (B < 1) B = 1;
    res->batch = B;
    snprintf(res->sizes_basis, sizeof res->sizes_basis, "%s", plan.basis);
    if (scrape_engine_create(j->m, ops, j->layers, j->n_layers, p->top_k, j->ctx, B, j->p0, &eng, err) ||
        scrape_engine_set_state(eng, st->topk, st->stats, err) ||
        (st->fire && scrape_engine_set_fire(eng, st->fire_f, st->fire_ratio, st->fire, err)))
        goto done;
    if (scrape_source_open(p->corpus, p->n_corpus, j->tok, j->ctx, p->strict, &src, err)) goto done;
    if (st->rows_scanned && scrape_source_skip(src, st->rows_scanned, err)) {
        n2g_wrap(err, "resuming %s after row %llu", p->out, (unsigned long long)st->rows_scanned);
        goto done;
    }
    bar = progress_start("scrape", 0, "rows", p->quiet || j->rank > 0);
    progress_set_start(bar, (double)st->rows_scanned); /* a resumed run: the pace is this process's */
    double t0 = progress_now();
    uint64_t start_rows = st->rows_scanned;
    scrape_loop c = {.p = p, .manifest_path = j->manifest_path, .examples_path = j->examples_path, .id = &j->id,
                     .st = st, .rows = &j->rows, .eng = eng, .src = src, .B = B, .p0 = j->p0,
                     .max_rows = j->max_rows, .bar = bar,
                     .part = scrape_part_make(j->ranks, j->rank, B, j->n_layers, st->d_mlp),
                     .flush_min = p->rowstore_bytes ? p->rowstore_bytes : SCRAPE_ROWSTORE_FLUSH_BYTES};
    if (scrape_loop_run(&c, res, err)) goto done;
    scrape_source_counts(src, &j->id);
    corpus_summary(&j->id, res->corpus_note, sizeof res->corpus_note);
    res->seconds = progress_now() - t0;
    res->rows = st->rows_scanned;
    res->tokens = st->rows_scanned * (uint64_t)j->ctx;
    res->rows_stored = j->rows.n;
    res->tokens_per_s = res->seconds > 0 ? (double)(st->rows_scanned - start_rows) * j->ctx / res->seconds : 0;
    res->ranks = j->ranks;
    rc = 0;
done:
    progress_finish(bar);
    scrape_source_close(src);
    if (ops && p->ops.profile && j->rank == 0) ops_profile_print(ops, stderr);
    scrape_engine_free(eng);
    ops_destroy(ops);
    return rc;
}

int scrape_scan(const scrape_params *p, scrape_result *res, n2g_err *err) {
    memset(res, 0, sizeof *res);
    if (scrape_params_check(p, err)) return -1;
    scrape_job *j = calloc(1, sizeof *j);
    if (!j) return n2g_fail(err, "out of memory");
    j->p = p;
    j->ranks = dist_size(); /* several ranks: scrape_loop.h */
    j->rank = dist_rank();
    int rc = -1;
    if (scrape_job_model(j, err) || scrape_rundir_claim(j, err) || scrape_job_identity(j, err) ||
        scrape_job_state(j, err) || scrape_rundir_open(j, &res->resumed, err))
        goto done;
    if (j->ranks > 1) scrape_ranks_share_state(&j->st, &res->resumed);
    if (j->st.flags & SCRAPE_FLAG_COMPLETE)
        rc = finish_complete(j, res, err);
    else
        rc = scan_run(j, res, err);
done:
    scrape_job_free(j);
    return rc;
}
