/* dist_scrape.c — the multi-rank scrape loop (dist_scrape.h). No MPI here: dist.h only. */
#include "dist_scrape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "ops/ops_topk.h"

#define TAG_STATS 72
/* Batches per rank and round (fewer when their row sums would pass 256 MiB): the ring and the
 * agreement on stopping run once per round. */
#define BATCHES_PER_ROUND 8

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

void dist_scrape_share_state(scrape_state *st, int *resumed) {
    uint64_t hdr[4] = {st->flags, st->rows_scanned, st->positions, (uint64_t)*resumed};
    dist_bcast(hdr, sizeof hdr, 0);
    st->flags = (uint32_t)hdr[0];
    st->rows_scanned = hdr[1];
    st->positions = hdr[2];
    *resumed = (int)hdr[3];
    dist_bcast(st->topk, (size_t)st->n_layers * 3 * st->d_mlp * st->k * 4, 0);
    if (st->fire) dist_bcast(st->fire, (size_t)st->n_layers * ops_topk_fire_words(st->d_mlp, st->k, st->fire_f) * 4, 0);
}

#define FIRE_ABSENT 0xFFFFFFFEu /* a kept row whose list is on another rank */

/* After the top-k merge: every rank gets the firing list of every kept row, from the rank that
 * scanned it, in slot order (the lists stay row-determined, so the bytes are a single process's). */
static int share_fire(dist_scrape_ctx *c, n2g_err *err) {
    scrape_state *st = c->st;
    if (!st->fire) return 0;
    size_t n = (size_t)st->n_layers * st->d_mlp, rw = scrape_fire_rec_words(st);
    uint32_t *recs = malloc(n * rw * 4);
    if (!recs) return n2g_fail(err, "out of memory");
    int rc = scrape_engine_get_fire(c->eng, st->fire, err);
    if (rc == 0) {
        scrape_fire_to_slots(st, recs, FIRE_ABSENT);
        dist_allreduce_fire(recs, n, st->k, st->fire_f, FIRE_ABSENT);
        scrape_fire_from_slots(st, recs, FIRE_ABSENT);
        rc = scrape_engine_set_fire(c->eng, st->fire_f, st->fire_ratio, st->fire, err);
    }
    free(recs);
    return rc;
}

/* Merges rank 0's kept rows with rows received (n, [id u32, tokens i32 x ctx] each). */
static int merge_rows(scrape_rows *rows, const uint32_t *in, size_t n, n2g_err *err) {
    if (!n) return 0;
    int ctx = rows->ctx;
    size_t rec = 1 + (size_t)ctx;
    scrape_rows m;
    scrape_rows_init(&m, ctx);
    size_t i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < rows->n || j < n)) {
        uint32_t a = i < rows->n ? rows->ids[i] : UINT32_MAX, b = j < n ? in[j * rec] : UINT32_MAX;
        if (i < rows->n && (j >= n || a <= b)) {
            rc = scrape_rows_append(&m, a, rows->tok + i * (size_t)ctx, err);
            i++;
            if (j < n && a == b) j++;
        } else {
            rc = scrape_rows_append(&m, b, (const int32_t *)(in + j * rec + 1), err);
            j++;
        }
    }
    if (rc) {
        scrape_rows_free(&m);
        return -1;
    }
    scrape_rows_free(rows);
    *rows = m;
    return 0;
}

/* The collective checkpoint (see dist_scrape.h); rank 0 writes when write is set. */
static int checkpoint(dist_scrape_ctx *c, uint32_t *recs, float *devstats, int write, n2g_err *err) {
    scrape_state *st = c->st;
    int C = st->d_mlp, k = st->k, L = st->n_layers;
    size_t per = (size_t)3 * C * k;
    if (scrape_engine_get_state(c->eng, st->topk, devstats, err)) return -1;
    for (int l = 0; l < L; l++) dist_topk_pack(st->topk + l * per, recs + l * per, C, k);
    dist_allreduce_topk(recs, (size_t)L * C, k);
    for (int l = 0; l < L; l++) dist_topk_unpack(recs + l * per, st->topk + l * per, C, k);
    if (scrape_engine_set_state(c->eng, st->topk, devstats, err) || share_fire(c, err)) return -1;
    scrape_rows_prune(c->rows, st);
    /* the surviving rows of ranks > 0 go to rank 0 */
    int me = dist_rank();
    size_t rec = 1 + (size_t)st->ctx, n = me ? c->rows->n : 0;
    uint32_t *out = n ? malloc(n * rec * 4) : NULL;
    if (n && !out) return n2g_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        out[i * rec] = c->rows->ids[i];
        memcpy(out + i * rec + 1, c->rows->tok + i * (size_t)st->ctx, (size_t)st->ctx * 4);
    }
    size_t *counts = calloc((size_t)dist_size(), sizeof *counts);
    void *in = NULL;
    int rc = counts ? dist_gatherv(out, n * rec * 4, 0, &in, counts, err) : n2g_fail(err, "out of memory");
    free(out);
    if (rc == 0 && me) c->rows->n = 0; /* rank 0 keeps them now */
    /* rank 0: each rank's block is ascending and disjoint from the others: merge block by block */
    const uint32_t *at = in;
    for (int r = 0; rc == 0 && !me && r < dist_size(); r++) {
        size_t nr = counts[r] / (rec * 4);
        rc = merge_rows(c->rows, at, nr, err);
        at += nr * rec;
    }
    free(in);
    free(counts);
    if (rc || me || !write) return rc;
    scrape_source_counts(c->src, c->id);
    return scrape_checkpoint_write(c->manifest_path, c->examples_path, c->id, st, c->rows, err);
}

int dist_scrape_scan(dist_scrape_ctx *c, scrape_result *res, n2g_err *err) {
    const scrape_params *p = c->p;
    scrape_state *st = c->st;
    int R = dist_size(), me = dist_rank(), B = c->B, ctx = st->ctx, C = st->d_mlp, L = st->n_layers;
    size_t per = (size_t)3 * C * st->k, nstats = (size_t)L * C * 2;
    uint32_t *recs = malloc((size_t)L * per * 4);
    uint64_t S = (uint64_t)B * BATCHES_PER_ROUND; /* rows per rank and round; their sums within 256 MiB */
    while (S > (uint64_t)B && S * L * C * 4 > ((uint64_t)256 << 20)) S -= (uint64_t)B;
    float *devstats = calloc(nstats, 4), *sums = malloc((size_t)L * S * C * 4), *bsums = malloc((size_t)L * B * C * 4);
    int32_t *scratch = malloc((size_t)B * ctx * 4);
    int rc = -1;
    if (!recs || !devstats || !sums || !bsums || !scratch) {
        n2g_fail(err, "out of memory");
        goto out;
    }
    double t0 = progress_now(), last_ck = t0;
    uint64_t start_rows = st->rows_scanned, rows_at_ck = st->rows_scanned;
    size_t flush_at = c->flush_min;
    for (;;) {
        uint64_t g = st->rows_scanned, n = c->max_rows - g, lo, own = 0, got = 0, total = 0;
        if (n > (uint64_t)R * S) n = (uint64_t)R * S;
        lo = (uint64_t)me * S < n ? (uint64_t)me * S : n;
        uint64_t mine = n - lo < S ? n - lo : S;
        /* the rows before ours, ours (batch by batch through the device), the rows after ours */
        if (read_rows(c->src, scratch, B, ctx, lo, 0, &got, err)) goto out;
        total = got;
        int ended = got < lo;
        while (!ended && own < mine) {
            uint64_t want = mine - own < (uint64_t)B ? mine - own : (uint64_t)B, b;
            if (read_rows(c->src, c->tok, B, ctx, want, 1, &got, err)) goto out;
            ended = got < want;
            if (!got) break;
            uint32_t row0 = (uint32_t)(g + lo + own);
            for (b = 0; b < got; b++)
                if (scrape_rows_append(c->rows, row0 + (uint32_t)b, c->tok + b * (size_t)ctx, err)) goto out;
            if (scrape_engine_step(c->eng, c->tok, (int)got, row0, 1, err) ||
                scrape_engine_get_rowsums(c->eng, (int)got, bsums, err))
                goto out;
            for (int l = 0; l < L; l++) /* sums [L][S][C] <- bsums [L][got][C] */
                memcpy(sums + ((size_t)l * S + own) * C, bsums + (size_t)l * got * C, (size_t)got * C * 4);
            own += got;
        }
        total += own;
        if (!ended && read_rows(c->src, scratch, B, ctx, n - lo - mine, 0, &got, err)) goto out;
        if (!ended) total += got;
        if (!total) break; /* every rank sees the same stream: all leave here together */
        /* the ring: (sum, comp) of every neuron, our rows added in row order */
        double td = progress_now();
        if (me > 0) dist_recv(st->stats, nstats * 4, me - 1, TAG_STATS);
        for (int l = 0; l < L; l++)
            for (uint64_t b = 0; b < own; b++) {
                const float *row = sums + ((size_t)l * S + b) * C;
                float *sc = st->stats + (size_t)l * C * 2;
                for (int ch = 0; ch < C; ch++) ops_kahan_add(&sc[2 * ch], &sc[2 * ch + 1], row[ch]);
            }
        dist_send(st->stats, nstats * 4, (me + 1) % R, TAG_STATS);
        if (me == 0) dist_recv(st->stats, nstats * 4, R - 1, TAG_STATS);
        st->rows_scanned += total;
        st->positions += total * (uint64_t)(ctx - c->p0);
        double now = progress_now();
        if (me == 0) {
            char extra[64];
            snprintf(extra, sizeof extra, "%.0f tok/s",
                     (double)(st->rows_scanned - start_rows) * ctx / (now - t0 > 1e-9 ? now - t0 : 1e-9));
            scrape_progress_update(c->bar, c->src, st->rows_scanned, c->max_rows, extra);
        }
        /* stop (any rank's signal) and time (any rank's clock) are agreed on; rows are known to all */
        uint64_t flags[2] = {p->stop && *p->stop, now - last_ck >= p->checkpoint_secs};
        dist_allreduce_max_u64(flags, 2);
        res->dist_seconds += progress_now() - td;
        int ck = flags[0] || flags[1] || (p->checkpoint_rows && st->rows_scanned - rows_at_ck >= p->checkpoint_rows);
        if (ck) {
            double tc = progress_now();
            if (checkpoint(c, recs, devstats, 1, err)) goto out;
            res->dist_seconds += progress_now() - tc;
            if (flags[0]) {
                res->interrupted = 1;
                break;
            }
            last_ck = progress_now();
            rows_at_ck = st->rows_scanned;
            flush_at = 2 * scrape_rows_bytes(c->rows);
        } else if (scrape_rows_bytes(c->rows) > flush_at) { /* local: our lists only shrink the row set */
            if (scrape_engine_get_state(c->eng, st->topk, devstats, err)) goto out;
            scrape_rows_prune(c->rows, st);
            flush_at = 2 * scrape_rows_bytes(c->rows);
        }
        if (flush_at < c->flush_min) flush_at = c->flush_min;
    }
    if (!res->interrupted) {
        if (st->rows_scanned == 0) {
            n2g_fail(err, "%s: the corpus holds no complete row of %d tokens", p->corpus[0], ctx);
            goto out;
        }
        st->flags |= SCRAPE_FLAG_COMPLETE;
        double tc = progress_now();
        if (checkpoint(c, recs, devstats, 1, err)) goto out;
        res->dist_seconds += progress_now() - tc;
    }
    rc = 0;
out:
    free(recs);
    free(devstats);
    free(sums);
    free(bsums);
    free(scratch);
    return rc;
}
