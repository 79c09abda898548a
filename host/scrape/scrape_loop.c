/* scrape_loop.c — the scan loop over a partition of the rows (scrape_loop.h). No MPI here: the
 * agreements are dist.h's, the exchanges scrape_ranks.h's. */
#include "scrape_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "scrape_ranks.h"

/* Batches per rank and round under MPI: the ring and the agreements run once per round. */
#define BATCHES_PER_ROUND 8

scrape_part scrape_part_make(int ranks, int rank, int B, int L, int C) {
    scrape_part pt = {ranks, rank, (uint64_t)B};
    if (ranks < 2) return pt;
    pt.share = (uint64_t)B * BATCHES_PER_ROUND; /* their row sums within 256 MiB */
    while (pt.share > (uint64_t)B && pt.share * L * C * 4 > ((uint64_t)256 << 20)) pt.share -= (uint64_t)B;
    return pt;
}

void scrape_part_rows(const scrape_part *pt, uint64_t n, uint64_t *lo, uint64_t *mine) {
    *lo = (uint64_t)pt->rank * pt->share < n ? (uint64_t)pt->rank * pt->share : n;
    *mine = n - *lo < pt->share ? n - *lo : pt->share;
}

/* The progress bar at `rows` rows: the total is estimated from the share of the corpus behind
 * the rows processed so far (not from what the reader has read ahead), and cut to max_rows
 * (--max-tokens). */
static void progress_at(progress *bar, const scrape_source *src, uint64_t rows, uint64_t max_rows, const char *extra) {
    double f = scrape_source_progress(src), total = f > 0 ? (double)rows / f : 0;
    if (max_rows < UINT32_MAX - 1 && (total <= 0 || total > (double)max_rows)) total = (double)max_rows;
    progress_set_total(bar, total);
    progress_update(bar, (double)rows, extra);
}

/* Reads up to n rows into buf (advancing through buf when keep, else reusing its first cap
 * rows); *got = rows read (fewer only at the end of the corpus). */
static int read_rows(scrape_source *src, int32_t *buf, int cap, int ctx, uint64_t n, int keep, uint64_t *got,
                     n2g_err *err) {
    *got = 0;
    while (*got < n) {
        uint64_t left = n - *got;
        int want = left < (uint64_t)cap ? (int)left : cap, g = 0;
        int32_t *dst = keep ? buf + *got * (size_t)ctx : buf;
        if (keep && (uint64_t)want > (uint64_t)cap - *got) want = cap - (int)*got;
        if (scrape_source_next(src, dst, want, &g, err)) return -1;
        if (!g) break;
        *got += (uint64_t)g;
    }
    return 0;
}

/* This process's rows [g0, g0 + mine), batch by batch through the device (several ranks: with
 * their row sums into c->sums); *own = rows run, *ended when the corpus ended first. */
static int run_own(scrape_loop *c, uint64_t g0, uint64_t mine, uint64_t *own, int *ended, n2g_err *err) {
    const scrape_state *st = c->st;
    int ctx = st->ctx, C = st->d_mlp, L = st->n_layers;
    uint64_t S = c->part.share, got;
    while (!*ended && *own < mine) {
        uint64_t want = mine - *own < (uint64_t)c->B ? mine - *own : (uint64_t)c->B;
        if (read_rows(c->src, c->tok, c->B, ctx, want, 1, &got, err)) return -1;
        *ended = got < want;
        if (!got) break;
        uint32_t row0 = (uint32_t)(g0 + *own);
        for (uint64_t b = 0; b < got; b++)
            if (scrape_rows_append(c->rows, row0 + (uint32_t)b, c->tok + b * (size_t)ctx, err)) return -1;
        if (scrape_engine_step(c->eng, c->tok, (int)got, row0, 1, err)) return -1;
        if (c->sums) { /* sums [L][S][C] <- bsums [L][got][C] */
            if (scrape_engine_get_rowsums(c->eng, (int)got, c->bsums, err)) return -1;
            for (int l = 0; l < L; l++)
                memcpy(c->sums + ((size_t)l * S + *own) * C, c->bsums + (size_t)l * got * C, (size_t)got * C * 4);
        }
        *own += got;
    }
    return 0;
}

/* The round that starts at st->rows_scanned: the rows before ours (read past), ours, the rows
 * after ours (read past). *total = the round's rows read (0: the corpus or max_rows is done). */
static int run_round(scrape_loop *c, uint64_t *total, uint64_t *own, n2g_err *err) {
    uint64_t g = c->st->rows_scanned, n = c->max_rows - g, lo, mine, got;
    int ctx = c->st->ctx, ended;
    if (n > (uint64_t)c->part.ranks * c->part.share) n = (uint64_t)c->part.ranks * c->part.share;
    scrape_part_rows(&c->part, n, &lo, &mine);
    *own = 0;
    if (read_rows(c->src, c->scratch, c->B, ctx, lo, 0, &got, err)) return -1;
    *total = got;
    ended = got < lo;
    if (run_own(c, g + lo, mine, own, &ended, err)) return -1;
    *total += *own;
    if (!ended && read_rows(c->src, c->scratch, c->B, ctx, n - lo - mine, 0, &got, err)) return -1;
    if (!ended) *total += got;
    return 0;
}

/* Agreed over the ranks (any rank's flag); one process: its own. */
static int agree(uint64_t flag, scrape_result *res) {
    if (dist_size() < 2) return flag != 0;
    double t = progress_now();
    dist_allreduce_max_u64(&flag, 1);
    res->dist_seconds += progress_now() - t;
    return flag != 0;
}

/* After a round of `total` rows, `own` of them ours: the sums, the counters, the progress bar.
 * Returns the time after them. */
static double round_done(scrape_loop *c, uint64_t total, uint64_t own, double t0, uint64_t start_rows,
                       scrape_result *res) {
    scrape_state *st = c->st;
    if (c->part.ranks > 1) {
        double t = progress_now();
        scrape_ranks_ring_sums(st, c->sums, c->part.share, own);
        res->dist_seconds += progress_now() - t;
    }
    st->rows_scanned += total;
    st->positions += total * (uint64_t)(st->ctx - c->p0);
    double now = progress_now();
    if (c->part.rank == 0) {
        char extra[64];
        snprintf(extra, sizeof extra, "%.0f tok/s",
                 (double)(st->rows_scanned - start_rows) * st->ctx / (now - t0 > 1e-9 ? now - t0 : 1e-9));
        progress_at(c->bar, c->src, st->rows_scanned, c->max_rows, extra);
    }
    return now;
}

static int checkpoint_timed(scrape_loop *c, scrape_result *res, n2g_err *err) {
    double t = progress_now();
    int rc = scrape_loop_checkpoint(c, err);
    if (c->part.ranks > 1) res->dist_seconds += progress_now() - t;
    return rc;
}

static int loop(scrape_loop *c, scrape_result *res, n2g_err *err) {
    const scrape_params *p = c->p;
    scrape_state *st = c->st;
    double t0 = progress_now(), last_ck = t0;
    uint64_t start_rows = st->rows_scanned, rows_at_ck = st->rows_scanned, total, own;
    size_t flush_at = c->flush_min;
    for (;;) {
        if (agree(p->stop && *p->stop, res)) {
            if (checkpoint_timed(c, res, err)) return -1;
            res->interrupted = 1;
            return 0;
        }
        if (run_round(c, &total, &own, err)) return -1;
        if (!total) return 0; /* every rank sees the same stream: all leave here together */
        double now = round_done(c, total, own, t0, start_rows, res);
        int due = agree(now - last_ck >= p->checkpoint_secs, res) ||
                  (p->checkpoint_rows && st->rows_scanned - rows_at_ck >= p->checkpoint_rows);
        if (due) {
            if (checkpoint_timed(c, res, err)) return -1;
            last_ck = progress_now();
            rows_at_ck = st->rows_scanned;
            flush_at = 2 * scrape_rows_bytes(c->rows);
        } else if (scrape_rows_bytes(c->rows) > flush_at) {
            if (scrape_loop_prune(c, err)) return -1;
            flush_at = 2 * scrape_rows_bytes(c->rows);
        }
        if (flush_at < c->flush_min) flush_at = c->flush_min;
    }
}

int scrape_loop_run(scrape_loop *c, scrape_result *res, n2g_err *err) {
    scrape_state *st = c->st;
    size_t B = (size_t)c->B, ctx = (size_t)st->ctx, L = (size_t)st->n_layers, C = (size_t)st->d_mlp;
    int many = c->part.ranks > 1, rc = -1;
    c->scratch = NULL, c->sums = c->bsums = NULL, c->recs = NULL;
    c->tok = malloc(B * ctx * 4);
    c->devstats = st->stats; /* one process: the device holds the run's sums */
    if (many) {
        c->scratch = malloc(B * ctx * 4);
        c->devstats = calloc(L * C * 2, 4);
        c->sums = malloc(L * c->part.share * C * 4);
        c->bsums = malloc(L * B * C * 4);
        c->recs = malloc(L * 3 * C * (size_t)st->k * 4);
    }
    if (!c->tok || (many && (!c->scratch || !c->devstats || !c->sums || !c->bsums || !c->recs))) {
        n2g_fail(err, "out of memory");
    } else if (loop(c, res, err) == 0) {
        rc = 0;
        if (!res->interrupted) {
            if (st->rows_scanned == 0) {
                rc = n2g_fail(err, "%s: the corpus holds no complete row of %d tokens", c->p->corpus[0], st->ctx);
            } else {
                st->flags |= SCRAPE_FLAG_COMPLETE;
                rc = checkpoint_timed(c, res, err);
            }
        }
    }
    free(c->tok);
    free(c->scratch);
    if (many) free(c->devstats);
    free(c->sums);
    free(c->bsums);
    free(c->recs);
    return rc;
}
