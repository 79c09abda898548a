/* test_dist_topk.c — the multi-rank top-k merge (dist.h, no MPI needed): lists of random rows
 * (few distinct values, so ties are common) dealt to 1-5 "ranks", some rows held by several
 * ranks (as after a checkpoint, when every rank continues from the merged lists), each rank's
 * list its top k; merging them pairwise in a random order must give the top k of the union
 * sorted by the total order (value desc, row asc) — the brute-force oracle. Also: the layout
 * packing round-trips, and the no-MPI layer is rank 0 of 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dist/dist.h"
#include "topk_oracle.h"

static uint32_t rng = 12345;
static uint32_t rnd(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static uint32_t fw(float f) {
    uint32_t w;
    memcpy(&w, &f, 4);
    return w;
}

/* record [3k] from a sorted oracle list of n (<= k) entries */
static void to_rec(const oracle_ex *e, int n, int k, uint32_t *rec) {
    for (int i = 0; i < k; i++) {
        rec[i] = fw(i < n ? e[i].v : -INFINITY);
        rec[k + i] = i < n ? e[i].row : 0xFFFFFFFFu;
        rec[2 * k + i] = i < n ? e[i].pos : 0;
    }
}

int main(void) {
    CHECK(dist_size() >= 1 && dist_rank() == 0, "a process started by hand is rank 0");
    int bad_trials = 0;
    for (int trial = 0; trial < 3000; trial++) {
        int k = 1 + (int)(rnd() % 9), R = 1 + (int)(rnd() % 5), N = (int)(rnd() % (4 * k + 2));
        oracle_ex all[64];
        for (int i = 0; i < N; i++) {
            all[i].row = (uint32_t)i * 3 + rnd() % 3; /* distinct, ascending */
            all[i].v = (float)(rnd() % 4) - 1.5f;     /* ties */
            all[i].pos = rnd() % 32;
        }
        /* deal: each row to one rank, sometimes also to others */
        uint32_t recs[5][3 * 16];
        for (int r = 0; r < R; r++) {
            oracle_ex mine[64];
            int m = 0;
            for (int i = 0; i < N; i++)
                if ((int)(all[i].row % (uint32_t)R) == r || rnd() % 4 == 0) mine[m++] = all[i];
            qsort(mine, (size_t)m, sizeof *mine, oracle_ex_cmp);
            to_rec(mine, m < k ? m : k, k, recs[r]);
        }
        /* merge in a random order */
        int order[5];
        for (int r = 0; r < R; r++) order[r] = r;
        for (int r = R - 1; r > 0; r--) {
            int j = (int)(rnd() % (uint32_t)(r + 1)), t = order[r];
            order[r] = order[j], order[j] = t;
        }
        uint32_t acc[3 * 16], tmp[3 * 16];
        memcpy(acc, recs[order[0]], sizeof(uint32_t) * 3 * (size_t)k);
        for (int r = 1; r < R; r++) {
            dist_topk_merge_rec(recs[order[r]], acc, tmp, k);
            memcpy(acc, tmp, sizeof(uint32_t) * 3 * (size_t)k);
        }
        oracle_ex sorted[64];
        memcpy(sorted, all, sizeof(oracle_ex) * (size_t)N);
        qsort(sorted, (size_t)N, sizeof *sorted, oracle_ex_cmp);
        uint32_t want[3 * 16];
        to_rec(sorted, N < k ? N : k, k, want);
        if (memcmp(acc, want, sizeof(uint32_t) * 3 * (size_t)k)) bad_trials++;
    }
    CHECK(bad_trials == 0, "%d of 3000 merged lists differ from the sorted union", bad_trials);

    /* packing: store val [C,k] | row [C,k] | pos [C,k] <-> records [C][3k] */
    enum { C = 7, K = 3 };
    uint32_t store[3 * C * K], recs[3 * C * K], back[3 * C * K];
    for (int i = 0; i < 3 * C * K; i++) store[i] = (uint32_t)i;
    dist_topk_pack(store, recs, C, K);
    int ok = 1;
    for (int c = 0; c < C; c++)
        for (int part = 0; part < 3; part++)
            for (int j = 0; j < K; j++) ok &= recs[c * 3 * K + part * K + j] == store[part * C * K + c * K + j];
    CHECK(ok, "pack puts neuron c's values, rows, positions in record c");
    dist_topk_unpack(recs, back, C, K);
    CHECK(!memcmp(store, back, sizeof store), "unpack inverts pack");

    /* the shared counter hands out 0, 1, 2, ... (one rank) */
    n2g_err err = {0};
    dist_counter *ctr = NULL;
    CHECK(dist_counter_create(&ctr, &err) == 0, "counter: %s", err.msg);
    if (ctr) {
        long a = dist_counter_next(ctr), b = dist_counter_next(ctr), c = dist_counter_next(ctr);
        CHECK(a == 0 && b == 1 && c == 2, "counter gave %ld %ld %ld", a, b, c);
        dist_counter_free(ctr);
    }
    return check_finish();
}
