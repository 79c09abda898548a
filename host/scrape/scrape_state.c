/* scrape_state.c — the scan state of a job (scrape_job.h): a fresh one, or the one a run's
 * examples.bin holds (a resume). */
#include <stdlib.h>
#include <string.h>

#include "ops/ops_topk.h"
#include "scrape_job.h"

int scrape_job_state(scrape_job *j, n2g_err *err) {
    const scrape_params *p = j->p;
    scrape_state *st = &j->st;
    int C = j->m->cfg.d_mlp, L = j->n_layers;
    st->n_layers = L;
    st->d_mlp = C;
    st->k = p->top_k;
    st->ctx = j->ctx;
    st->flags = p->include_bos ? SCRAPE_FLAG_INCLUDE_BOS : 0;
    st->layers = j->layers;
    st->ident_hash = scrape_ident_hash(&j->id);
    size_t ck = (size_t)C * p->top_k;
    st->topk = malloc((size_t)L * 3 * ck * 4);
    st->stats = calloc((size_t)L * C * 2, 4);
    if (!st->topk || !st->stats) return n2g_fail(err, "out of memory");
    for (int l = 0; l < L; l++) ops_topk_init_host(st->topk + (size_t)l * 3 * ck, C, p->top_k);
    if (p->fire_lists) {
        size_t per = ops_topk_fire_words(C, p->top_k, p->fire_lists);
        st->fire_f = p->fire_lists;
        st->fire_ratio = SCRAPE_FIRE_RATIO;
        if (!(st->fire = malloc((size_t)L * per * 4))) return n2g_fail(err, "out of memory");
        for (int l = 0; l < L; l++) ops_topk_fire_init_host(st->fire + (size_t)l * per, C, p->top_k, p->fire_lists);
    }
    scrape_rows_init(&j->rows, j->ctx);
    return 0;
}

/* The mapped file's top-k lists, sums and firing lists into the state. */
static int load_lists(scrape_job *j, const scrape_map *m, n2g_err *err) {
    scrape_state *st = &j->st;
    size_t ck = (size_t)st->d_mlp * st->k;
    for (int l = 0; l < st->n_layers; l++) {
        uint32_t *dst = st->topk + (size_t)l * 3 * ck;
        memcpy(dst, m->val + l * ck, ck * 4);
        memcpy(dst + ck, m->row + l * ck, ck * 4);
        memcpy(dst + 2 * ck, m->pos + l * ck, ck * 4);
        for (int c = 0; c < st->d_mlp; c++) {
            const float *rec = m->stats + ((size_t)l * st->d_mlp + c) * 4;
            st->stats[((size_t)l * st->d_mlp + c) * 2] = rec[2];
            st->stats[((size_t)l * st->d_mlp + c) * 2 + 1] = rec[3];
        }
    }
    if (!st->fire) return 0;
    /* canonical (slot order, tag = the slot's row) -> the device layout */
    if ((int)m->h->fire_f != st->fire_f || !m->fire_cnt)
        return n2g_fail(err, "%s: holds no firing lists of %d entries (--fire-lists); choose a new --out",
                        j->examples_path, st->fire_f);
    size_t F = (size_t)st->fire_f, per = ops_topk_fire_words(st->d_mlp, st->k, st->fire_f);
    for (int l = 0; l < st->n_layers; l++) {
        uint32_t *fs = st->fire + (size_t)l * per, *cnt = fs + ck, *pos = fs + 2 * ck, *val = pos + ck * F;
        memcpy(fs, m->row + l * ck, ck * 4);
        memcpy(cnt, m->fire_cnt + l * ck, ck * 4);
        memcpy(pos, m->fire_pos + l * ck * F, ck * F * 4);
        memcpy(val, m->fire_val + l * ck * F, ck * F * 4);
    }
    return 0;
}

int scrape_job_load(scrape_job *j, n2g_err *err) {
    scrape_map m;
    if (scrape_store_map(j->examples_path, &m, err)) return -1;
    const scrape_header *h = m.h;
    scrape_state *st = &j->st;
    int rc = 0;
    if (h->ident_hash != st->ident_hash || (int)h->n_layers != st->n_layers || (int)h->d_mlp != st->d_mlp ||
        (int)h->k != st->k || (int)h->ctx != st->ctx) {
        rc = n2g_fail(err, "%s: made with other parameters than %s describes; choose a new --out", j->examples_path,
                      j->manifest_path);
        goto out;
    }
    if ((rc = scrape_map_verify_tokens(&m, err))) goto out; /* every row is read back */
    if ((rc = load_lists(j, &m, err))) goto out;
    st->flags = h->flags;
    st->rows_scanned = h->rows_scanned;
    st->positions = h->positions;
    for (uint64_t i = 0; i < h->n_rows && !rc; i++) rc = scrape_rows_append(&j->rows, m.row_ids[i], m.tokens + i * h->ctx, err);
out:
    scrape_store_unmap(&m);
    return rc;
}
