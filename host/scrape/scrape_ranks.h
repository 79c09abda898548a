/* scrape_ranks.h — what the ranks of a multi-rank scrape exchange (dist.h's collectives applied
 * to the scrape's state; docs/mpi.md). The scan loop (scrape_loop.h) calls them only when
 * dist_size() > 1; every function is collective (all ranks call it, in the same order). */
#ifndef N2G_SCRAPE_RANKS_H
#define N2G_SCRAPE_RANKS_H

#include <stdint.h>

#include "common/err.h"
#include "scrape_store.h"

/* After rank 0 loaded (or initialised) the state: every rank gets flags, rows_scanned, positions
 * and the top-k lists (and firing lists); *resumed too. */
void scrape_ranks_share_state(scrape_state *st, int *resumed);

/* The per-neuron Kahan sums, in row order over the ranks: the running (sum, comp) of st->stats
 * goes round the ring 0 -> 1 -> ... -> R-1 -> 0, each rank adding its own rows' sums
 * sums [L][S][C] (rows 0 .. own-1 of this round's share, in row order). Rank 0 holds the result. */
void scrape_ranks_ring_sums(scrape_state *st, const float *sums, uint64_t S, uint64_t own);

/* st->topk becomes the top-k of every rank's lists (dist_allreduce_topk, the scrape's total
 * order). recs: scratch of n_layers * 3 * d_mlp * k words. */
void scrape_ranks_merge_topk(scrape_state *st, uint32_t *recs);

/* After the top-k merge: st->fire (the device layout) gets the firing list of every kept row,
 * from the rank that scanned it, in slot order (the lists are row-determined, so the bytes are a
 * single process's). */
int scrape_ranks_merge_fire(scrape_state *st, n2g_err *err);

/* The kept rows of ranks > 0 go to rank 0, which merges them into its own (ascending ids);
 * the other ranks' row stores are emptied. */
int scrape_ranks_gather_rows(scrape_rows *rows, n2g_err *err);

#endif
