/* scrape_checkpoint.c — the scan loop's one checkpoint, for one process and for the ranks of an
 * MPI job alike, and the local pruning of the row store (scrape_loop.h). */
#include "scrape_loop.h"
#include "scrape_ranks.h"

int scrape_loop_checkpoint(scrape_loop *c, n2g_err *err) {
    scrape_state *st = c->st;
    int many = c->part.ranks > 1;
    if (scrape_engine_get_state(c->eng, st->topk, c->devstats, err)) return -1;
    if (many) { /* every rank continues from the merged lists */
        scrape_ranks_merge_topk(st, c->recs);
        if (scrape_engine_set_state(c->eng, st->topk, c->devstats, err)) return -1;
    }
    if (st->fire) {
        if (scrape_engine_get_fire(c->eng, st->fire, err)) return -1;
        if (many && (scrape_ranks_merge_fire(st, err) ||
                     scrape_engine_set_fire(c->eng, st->fire_f, st->fire_ratio, st->fire, err)))
            return -1;
    }
    scrape_rows_prune(c->rows, st);
    if (many && scrape_ranks_gather_rows(c->rows, err)) return -1;
    if (c->part.rank > 0) return 0;
    scrape_source_counts(c->src, c->id);
    /* examples.bin, then the manifest: the manifest never claims more than the state holds */
    return scrape_checkpoint_write(c->manifest_path, c->examples_path, c->id, st, c->rows, err);
}

int scrape_loop_prune(scrape_loop *c, n2g_err *err) {
    /* several ranks: this rank's lists only shrink the row set the merged lists keep */
    if (scrape_engine_get_state(c->eng, c->st->topk, c->devstats, err)) return -1;
    scrape_rows_prune(c->rows, c->st);
    return 0;
}
