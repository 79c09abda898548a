/* scrape_store.h — RUN/examples.bin: the per-neuron top-k and the tokens of the kept rows.
 *
 * One little-endian file, mmappable; every section starts at a multiple of 64 bytes.
 *   header (256 bytes, scrape_header below)
 *   layers   u32 [n_layers]               the layer of each slot, ascending
 *   val      f32 [n_layers, d_mlp, k]     row max of each example, sorted: value desc, row asc
 *   row      u32 [n_layers, d_mlp, k]     row index (0-based, in corpus stream order)
 *   pos      u32 [n_layers, d_mlp, k]     position of the row's max (first on ties)
 *   stats    f32 [n_layers, d_mlp, 4]     max, mean, sum, sum_comp (Kahan compensation)
 *   row_ids  u32 [n_rows]                 ascending: every row some neuron kept, once
 *   tokens   i32 [n_rows, ctx]            the tokens of those rows
 *   fire     (only when fire_f > 0: `n2g scrape --fire-lists`) the firing list of each example,
 *            in top-k slot order (ops_topk.h: the positions of the example's row whose
 *            activation is >= fire_ratio * the row's max):
 *            cnt u32 [n_layers, d_mlp, k]; pos u32 [n_layers, d_mlp, k, fire_f];
 *            val f32 [n_layers, d_mlp, k, fire_f] (cnt > fire_f: only the first fire_f kept;
 *            OPS_TOPK_FIRE_NONE: no list)
 *   sums     u64 [n_blocks]               (version 2) the checksum of each block of block_rows
 *                                         rows of the tokens section (the last one shorter)
 * Empty slots (fewer than k rows scanned): val = -inf, row = 0xFFFFFFFF, pos = 0.
 * Count (positions per neuron that entered max / mean) is the header's `positions`, the same
 * for every neuron. flags: bit 0 = scan complete, bit 1 = position 0 included (--include-bos).
 *
 * Checksums (version 2; n2g-fh64, scrape_fs.h): sum[] holds one per section over its bytes
 * (layers, val, row, pos, stats, row_ids, fire (0 when absent), sums), header_sum covers the
 * 256 header bytes with header_sum itself zeroed, and the padding between sections is zero.
 * A reader verifies the header and every section but tokens when it maps the file, and each
 * tokens block the first time a row in it is read (scrape_map_row_get), so opening a run of
 * GBs of tokens to read a few rows stays cheap. Version 1 files (no checksums) are still read;
 * their reserved bytes must be zero, so a version 2 file whose version field was damaged to 1
 * is refused rather than read unchecked.
 */
#ifndef N2G_SCRAPE_STORE_H
#define N2G_SCRAPE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SCRAPE_MAGIC "N2GSCRP1"
#define SCRAPE_VERSION 2 /* written; version 1 is read too */
#define SCRAPE_SUM_BLOCK_BYTES (1u << 20) /* tokens blocks: the whole rows of about this many bytes */
enum { SCRAPE_SUM_LAYERS, SCRAPE_SUM_VAL, SCRAPE_SUM_ROW, SCRAPE_SUM_POS, SCRAPE_SUM_STATS, SCRAPE_SUM_ROW_IDS,
       SCRAPE_SUM_FIRE, SCRAPE_SUM_SUMS, SCRAPE_NSUM };
#define SCRAPE_FLAG_COMPLETE 1u
#define SCRAPE_FLAG_INCLUDE_BOS 2u

typedef struct scrape_header {
    char magic[8];
    uint32_t version, header_bytes, n_layers, d_mlp, k, ctx, token_bytes, flags;
    uint64_t rows_scanned; /* rows of the corpus stream consumed */
    uint64_t positions;    /* activations per neuron that entered max / mean */
    uint64_t n_rows;       /* rows stored */
    uint64_t ident_hash;   /* hash of the manifest's identity (model, corpus, parameters) */
    uint64_t off_layers, off_val, off_row, off_pos, off_stats, off_row_ids, off_tokens, file_bytes;
    uint64_t off_fire; /* 0 when the run keeps no firing lists */
    uint32_t fire_f;   /* entries per list (0: none) */
    float fire_ratio;  /* a list holds the positions >= fire_ratio * the row's max */
    /* version 2 (all zero in version 1) */
    uint64_t off_sums;            /* the tokens blocks' checksums */
    uint32_t block_rows;          /* rows per tokens block: max(1, SCRAPE_SUM_BLOCK_BYTES / (4 ctx)) */
    uint32_t reserved0;           /* 0 */
    uint64_t sum[SCRAPE_NSUM];    /* per section (SCRAPE_SUM_*) */
    uint64_t header_sum;          /* this header with header_sum = 0 */
    uint8_t reserved[16];         /* 0 */
} scrape_header;

/* The scan state as the device holds it. */
typedef struct scrape_state {
    int n_layers, d_mlp, k, ctx;
    uint32_t flags;
    const int *layers;       /* [n_layers] */
    uint32_t *topk;          /* [n_layers][3 * d_mlp * k] words: val | row | pos (ops_topk.h) */
    float *stats;            /* [n_layers][d_mlp][2]: sum, comp */
    int fire_f;              /* firing lists: entries per list, 0 = none */
    float fire_ratio;
    uint32_t *fire;          /* [n_layers][ops_topk_fire_words(d_mlp, k, fire_f)] (ops_topk.h layout) */
    uint64_t rows_scanned, positions, ident_hash;
} scrape_state;

/* Rows kept so far, ascending ids, each with ctx tokens. */
typedef struct scrape_rows {
    size_t n, cap;
    uint32_t *ids;
    int32_t *tok; /* [cap, ctx] */
    int ctx;
} scrape_rows;

void scrape_rows_init(scrape_rows *r, int ctx);
void scrape_rows_free(scrape_rows *r);
/* Appends rows (ids must exceed every stored id). */
int scrape_rows_append(scrape_rows *r, uint32_t id, const int32_t *tok, n2g_err *err);
/* Drops every row that no slot of the state references. */
void scrape_rows_prune(scrape_rows *r, const scrape_state *s);
size_t scrape_rows_bytes(const scrape_rows *r);

/* The firing lists in top-k slot order, one record of scrape_fire_rec_words(s) words per (layer,
 * neuron): cnt [k], pos [k, F], val [k, F]. A kept row with no list in the state gets cnt =
 * absent (empty slots: OPS_TOPK_FIRE_NONE). */
size_t scrape_fire_rec_words(const scrape_state *s);
void scrape_fire_to_slots(const scrape_state *s, uint32_t *recs, uint32_t absent);
/* Back to the state's layout: list j of each neuron tagged with slot j's row; cnt = absent
 * becomes OPS_TOPK_FIRE_NONE (no list). */
void scrape_fire_from_slots(scrape_state *s, const uint32_t *recs, uint32_t absent);

/* Writes PATH atomically. Every row referenced by the state must be in rows (checked). */
int scrape_store_write(const char *path, const scrape_state *s, const scrape_rows *rows, n2g_err *err);

/* Like scrape_store_write; *n_rows (may be NULL) gets the rows stored (the header's n_rows). */
int scrape_store_write_n(const char *path, const scrape_state *s, const scrape_rows *rows, uint64_t *n_rows,
                         n2g_err *err);

/* A read-only mapping of an examples.bin, validated (sizes, offsets, sortedness of row_ids,
 * every example's row and position; version 2: the header's and every section's checksum but
 * the tokens', which are checked block by block as rows are read). */
typedef struct scrape_map {
    void *base;
    size_t bytes;
    const scrape_header *h;
    const uint32_t *layers, *row, *pos, *row_ids;
    const float *val, *stats;
    const int32_t *tokens;  /* unverified: read rows through scrape_map_row_get */
    const uint32_t *fire_cnt, *fire_pos; /* NULL when the run keeps no firing lists */
    const float *fire_val;
    const uint64_t *block_sum;      /* version 2: [n_blocks]; NULL for version 1 */
    unsigned char *block_ok;        /* [n_blocks]: verified (atomic flags) */
    uint64_t n_blocks;
    char path[4096];
} scrape_map;
int scrape_store_map(const char *path, scrape_map *m, n2g_err *err);
void scrape_store_unmap(scrape_map *m);
/* Row tokens [ctx] by row id: 1 (and *tok) when stored, 0 when not, -1 when the tokens block
 * holding it fails its checksum (err names the file, the section and the rows). */
int scrape_map_row_get(const scrape_map *m, uint32_t row_id, const int32_t **tok, n2g_err *err);
/* Row tokens [ctx] by row id; NULL when the row is not stored or its block is damaged. */
const int32_t *scrape_map_row(const scrape_map *m, uint32_t row_id);
/* Verifies every tokens block now (a resume reads them all). */
int scrape_map_verify_tokens(const scrape_map *m, n2g_err *err);

#endif
