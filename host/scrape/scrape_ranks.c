/* scrape_ranks.c — the multi-rank scrape's exchanges (scrape_ranks.h). No MPI here: dist.h only. */
#include "scrape_ranks.h"

#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "ops/ops_topk.h"

#define TAG_SUMS 72
#define FIRE_ABSENT 0xFFFFFFFEu /* a kept row whose list is on another rank */

void scrape_ranks_share_state(scrape_state *st, int *resumed) {
    uint64_t hdr[4] = {st->flags, st->rows_scanned, st->positions, (uint64_t)*resumed};
    dist_bcast(hdr, sizeof hdr, 0);
    st->flags = (uint32_t)hdr[0];
    st->rows_scanned = hdr[1];
    st->positions = hdr[2];
    *resumed = (int)hdr[3];
    dist_bcast(st->topk, (size_t)st->n_layers * 3 * st->d_mlp * st->k * 4, 0);
    if (st->fire) dist_bcast(st->fire, (size_t)st->n_layers * ops_topk_fire_words(st->d_mlp, st->k, st->fire_f) * 4, 0);
}

void scrape_ranks_ring_sums(scrape_state *st, const float *sums, uint64_t S, uint64_t own) {
    int R = dist_size(), me = dist_rank(), C = st->d_mlp, L = st->n_layers;
    size_t bytes = (size_t)L * C * 2 * 4;
    if (me > 0) dist_recv(st->stats, bytes, me - 1, TAG_SUMS);
    for (int l = 0; l < L; l++)
        for (uint64_t b = 0; b < own; b++) {
            const float *row = sums + ((size_t)l * S + b) * C;
            float *sc = st->stats + (size_t)l * C * 2;
            for (int ch = 0; ch < C; ch++) ops_kahan_add(&sc[2 * ch], &sc[2 * ch + 1], row[ch]);
        }
    dist_send(st->stats, bytes, (me + 1) % R, TAG_SUMS);
    if (me == 0) dist_recv(st->stats, bytes, R - 1, TAG_SUMS);
}

void scrape_ranks_merge_topk(scrape_state *st, uint32_t *recs) {
    int C = st->d_mlp, k = st->k, L = st->n_layers;
    size_t per = (size_t)3 * C * k;
    for (int l = 0; l < L; l++) dist_topk_pack(st->topk + l * per, recs + l * per, C, k);
    dist_allreduce_topk(recs, (size_t)L * C, k);
    for (int l = 0; l < L; l++) dist_topk_unpack(recs + l * per, st->topk + l * per, C, k);
}

int scrape_ranks_merge_fire(scrape_state *st, n2g_err *err) {
    size_t n = (size_t)st->n_layers * st->d_mlp, rw = scrape_fire_rec_words(st);
    uint32_t *recs = malloc(n * rw * 4);
    if (!recs) return n2g_fail(err, "out of memory");
    scrape_fire_to_slots(st, recs, FIRE_ABSENT);
    dist_allreduce_fire(recs, n, st->k, st->fire_f, FIRE_ABSENT);
    scrape_fire_from_slots(st, recs, FIRE_ABSENT);
    free(recs);
    return 0;
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

int scrape_ranks_gather_rows(scrape_rows *rows, n2g_err *err) {
    int me = dist_rank(), ctx = rows->ctx;
    size_t rec = 1 + (size_t)ctx, n = me ? rows->n : 0;
    uint32_t *out = n ? malloc(n * rec * 4) : NULL;
    if (n && !out) return n2g_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        out[i * rec] = rows->ids[i];
        memcpy(out + i * rec + 1, rows->tok + i * (size_t)ctx, (size_t)ctx * 4);
    }
    size_t *counts = calloc((size_t)dist_size(), sizeof *counts);
    void *in = NULL;
    int rc = counts ? dist_gatherv(out, n * rec * 4, 0, &in, counts, err) : n2g_fail(err, "out of memory");
    free(out);
    if (rc == 0 && me) rows->n = 0; /* rank 0 keeps them now */
    /* rank 0: each rank's block is ascending and disjoint from the others: merge block by block */
    const uint32_t *at = in;
    for (int r = 0; rc == 0 && !me && r < dist_size(); r++) {
        size_t nr = counts[r] / (rec * 4);
        rc = merge_rows(rows, at, nr, err);
        at += nr * rec;
    }
    free(in);
    free(counts);
    return rc;
}
