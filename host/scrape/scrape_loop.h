/* scrape_loop.h — the scan loop: corpus rows through the device top-k (scrape_engine.h), with
 * checkpoints, over a partition of the rows among the job's processes: one process takes every
 * row, an MPI rank its share (docs/mpi.md). The same loop either way.
 *
 * Rows are taken in rounds of up to ranks * share rows. In the round that starts at global row
 * g, rank r runs rows [g + r*share, g + (r+1)*share) on its device, batch by batch (B rows), with
 * their global row ids, so its device top-k is the top-k of its rows under the scrape's total
 * order; it reads (tokenizes) past the other ranks' rows, so the rows are a single process's,
 * whatever the number of ranks. One process: share = B, a round is one batch. Several ranks:
 * share = 8 B (fewer batches when their row sums would pass 256 MiB), so that what the ranks
 * exchange per round stays small next to the forward passes.
 *
 * Each round, in order:
 *   - a stop (a signal on any rank; agreed on) writes a checkpoint and ends the scan;
 *   - the round's rows: read past, run, read past;
 *   - the per-neuron Kahan sums over rows in row order: one process keeps them on the device;
 *     several pass them round the ring (scrape_ranks_ring_sums), added from each rank's row sums;
 *   - a checkpoint when one is due (--checkpoint-secs by any rank's clock, agreed on;
 *     --checkpoint-rows), else the host row store is pruned to the kept rows when it has grown.
 *
 * scrape_loop_checkpoint is the one checkpoint: the device state is read back; several ranks
 * merge their top-k and firing lists (every rank continues from the merged lists) and send the
 * tokens of their kept rows to rank 0; rank 0 writes examples.bin, then manifest.json
 * (scrape_checkpoint_write), exactly as one process would at that row count. */
#ifndef N2G_SCRAPE_LOOP_H
#define N2G_SCRAPE_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "common/progress.h"
#include "scrape.h"
#include "scrape_engine.h"
#include "scrape_manifest.h"
#include "scrape_source.h"
#include "scrape_store.h"

/* Which rows of a round are this process's. */
typedef struct scrape_part {
    int ranks, rank;
    uint64_t share; /* rows per rank and round */
} scrape_part;

/* The partition for batches of B rows of L layers of C neurons: one process (ranks = 1) takes
 * every row, one batch per round; ranks > 1: 8 batches per rank and round (fewer when their row
 * sums, L * share * C floats, would pass 256 MiB). */
scrape_part scrape_part_make(int ranks, int rank, int B, int L, int C);
/* This process's rows of a round of n rows: [*lo, *lo + *mine), counted from the round's first. */
void scrape_part_rows(const scrape_part *pt, uint64_t n, uint64_t *lo, uint64_t *mine);

typedef struct scrape_loop {
    const scrape_params *p;
    const char *manifest_path, *examples_path; /* written by rank 0 */
    scrape_ident *id;   /* rank 0: its corpus files' problem counts are updated at each checkpoint */
    scrape_state *st;   /* topk: the (merged) lists; stats: the run's on rank 0 */
    scrape_rows *rows;  /* rank 0: the kept rows of all ranks; others: their own since the last checkpoint */
    scrape_engine *eng;
    scrape_source *src; /* positioned at st->rows_scanned */
    scrape_part part;
    int B, p0;          /* rows per batch; first position that counts */
    uint64_t max_rows;
    size_t flush_min;   /* the row store is pruned past this (and past twice its size after a pruning) */
    progress *bar;      /* rank 0's */
    /* the loop's buffers (scrape_loop_run) */
    int32_t *tok;       /* [B, ctx]: this process's rows */
    int32_t *scratch;   /* [B, ctx]: the rows read past (several ranks) */
    float *devstats;    /* where the device's sums are read back to: st->stats (one process), else scratch */
    float *sums, *bsums; /* several ranks: this round's row sums [L][share][C], one batch's [L][B][C] */
    uint32_t *recs;     /* several ranks: top-k records for the merge */
} scrape_loop;

/* Runs the scan from st->rows_scanned to the end of the corpus or max_rows (then the state is
 * complete and checkpointed), or to a stop (a checkpoint is written; res->interrupted). Fills
 * res->dist_seconds (several ranks). Collective. */
int scrape_loop_run(scrape_loop *c, scrape_result *res, n2g_err *err);

/* The checkpoint (above). Collective. */
int scrape_loop_checkpoint(scrape_loop *c, n2g_err *err);
/* Prunes the host row store to the rows this process's device lists reference (local). */
int scrape_loop_prune(scrape_loop *c, n2g_err *err);

#endif
