/* dist_scrape.h — the multi-rank scrape loop (used by scrape.c when dist_size() > 1).
 *
 * Rows are dealt in rounds of R*S rows (R ranks, S = 8 batches of B rows): in the round that
 * starts at global row g, rank r runs rows [g + r*S, g + (r+1)*S) on its own device, batch by
 * batch, with their global row ids, so each rank's device top-k is the top-k of its rows under
 * the scrape's total order.
 * Every rank reads (tokenizes) the whole stream and skips the other ranks' rows: the rows are
 * those of a single-process scan, whatever R.
 *
 * Per-neuron sums: the Kahan sum over rows in row order cannot be split into partial sums
 * without changing its last bits, so the running (sum, compensation) is passed round the ring
 * 0 -> 1 -> ... -> R-1 -> 0 once per round; each rank adds its rows' sums (downloaded from the
 * device) in row order. Rank 0 holds the result.
 *
 * Checkpoints are collective, at round boundaries: the device top-k of all ranks are merged
 * (dist_allreduce_topk) and every rank continues from the merged lists; each rank keeps the
 * tokens of its rows that the merged lists reference and sends them to rank 0, which writes
 * examples.bin and then manifest.json exactly as a single process would at that row count
 * (scrape_checkpoint_write).
 */
#ifndef N2G_DIST_SCRAPE_H
#define N2G_DIST_SCRAPE_H

#include "common/progress.h"
#include "scrape/scrape.h"
#include "scrape/scrape_engine.h"
#include "scrape/scrape_manifest.h"
#include "scrape/scrape_source.h"
#include "scrape/scrape_store.h"

typedef struct dist_scrape_ctx {
    const scrape_params *p;
    const char *manifest_path, *examples_path; /* written by rank 0 */
    scrape_ident *id;                          /* rank 0 (its corpus files' problem counts are updated) */
    scrape_state *st;   /* every rank: topk = the merged lists; stats valid on rank 0 */
    scrape_rows *rows;  /* rank 0: the kept rows of all ranks; others: their own since the last checkpoint */
    scrape_engine *eng;
    scrape_source *src; /* positioned at st->rows_scanned */
    int32_t *tok;       /* [B, ctx] */
    int B, p0;
    uint64_t max_rows;
    size_t flush_min;   /* local row-store pruning threshold */
    progress *bar;      /* rank 0 */
} dist_scrape_ctx;

/* Runs the scan to its end (or to a stop), writing collective checkpoints. res->interrupted is
 * set after a stop. Collective. */
int dist_scrape_scan(dist_scrape_ctx *c, scrape_result *res, n2g_err *err);

/* After rank 0 loaded (or initialised) the state: every rank gets flags, rows_scanned, positions
 * and the top-k lists; *resumed too. Collective. */
void dist_scrape_share_state(scrape_state *st, int *resumed);

#endif
