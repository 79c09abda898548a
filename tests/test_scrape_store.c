/* test_scrape_store.c — examples.bin's integrity: checksums (format version 2) and the reading
 * of version 1 files.
 *
 *  - the checksums the writer records are those of the documented byte ranges (recomputed here
 *    from the header's offsets and the docs' section shapes, not with the reader's code);
 *  - flipping any single byte of a small file, one byte at a time, is refused: by the mapping
 *    (header and sections) or by the tokens check (scrape_map_row_get / verify_tokens) — no
 *    byte of the file can change unnoticed;
 *  - tokens blocks are checked when first read: with one row per block, a damaged block fails
 *    only the reads of its own rows, naming the file, the section and the rows;
 *  - a version 1 file (no checksums) is read; one with a nonzero reserved byte is not, and a
 *    version 2 file whose version field says 1 is refused, so damage cannot pass as an old file.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ops/ops_topk.h"
#include "scrape/scrape_fs.h"
#include "scrape/scrape_store.h"

/* A state of n_layers x d_mlp x k over rows 0..nrows-1 of ctx tokens; every row referenced. */
typedef struct {
    scrape_state st;
    scrape_rows rows;
    int layers[4];
} fixture;

static void make(fixture *f, int n_layers, int d_mlp, int k, int ctx, int nrows, int fire_f) {
    memset(f, 0, sizeof *f);
    for (int l = 0; l < n_layers; l++) f->layers[l] = 2 * l + 1;
    scrape_state *s = &f->st;
    s->n_layers = n_layers, s->d_mlp = d_mlp, s->k = k, s->ctx = ctx;
    s->layers = f->layers;
    s->flags = SCRAPE_FLAG_COMPLETE;
    s->rows_scanned = (uint64_t)nrows + 3;
    s->positions = s->rows_scanned * (uint64_t)(ctx - 1);
    s->ident_hash = 0x0123456789abcdefull;
    size_t ck = (size_t)d_mlp * k;
    s->topk = calloc((size_t)n_layers * 3 * ck, 4);
    s->stats = calloc((size_t)n_layers * d_mlp * 2, 4);
    int r = 0;
    for (int l = 0; l < n_layers; l++) {
        uint32_t *val = s->topk + (size_t)l * 3 * ck, *row = val + ck, *pos = row + ck;
        for (int c = 0; c < d_mlp; c++)
            for (int j = 0; j < k; j++) {
                size_t i = (size_t)c * k + j;
                if (c == d_mlp - 1 && j == k - 1) { /* one empty slot */
                    float ninf = -INFINITY;
                    memcpy(&val[i], &ninf, 4);
                    row[i] = OPS_TOPK_EMPTY_ROW;
                    pos[i] = 0;
                    continue;
                }
                float v = 10.0f - (float)j - 0.01f * (float)c;
                memcpy(&val[i], &v, 4);
                row[i] = (uint32_t)(r++ % nrows);
                pos[i] = (uint32_t)(1 + (c + j) % (ctx - 1));
            }
        for (int c = 0; c < d_mlp * 2; c++) s->stats[(size_t)l * d_mlp * 2 + c] = 0.5f * (float)c;
    }
    if (fire_f) {
        s->fire_f = fire_f;
        s->fire_ratio = 0.5f;
        size_t per = ops_topk_fire_words(d_mlp, k, fire_f);
        s->fire = calloc((size_t)n_layers * per, 4);
        for (int l = 0; l < n_layers; l++)
            ops_topk_fire_init_host(s->fire + (size_t)l * per, d_mlp, k, fire_f);
    }
    scrape_rows_init(&f->rows, ctx);
    int32_t *tok = malloc((size_t)ctx * 4);
    n2g_err e = {0};
    for (int i = 0; i < nrows; i++) {
        for (int t = 0; t < ctx; t++) tok[t] = (int32_t)((i * 7919 + t * 31) % 50257);
        CHECK(!scrape_rows_append(&f->rows, (uint32_t)i, tok, &e), "append: %s", e.msg);
    }
    free(tok);
}

static void unmake(fixture *f) {
    free(f->st.topk);
    free(f->st.stats);
    free(f->st.fire);
    scrape_rows_free(&f->rows);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static uint64_t fh(const unsigned char *p, size_t n) {
    scrape_hash h;
    scrape_hash_init(&h);
    scrape_hash_update(&h, p, n);
    return scrape_hash_final(&h);
}

/* 0 when the file maps and every row's tokens read; else -1 with the message in e */
static int read_all(const char *path, n2g_err *e) {
    scrape_map m;
    if (scrape_store_map(path, &m, e)) return -1;
    int rc = scrape_map_verify_tokens(&m, e);
    scrape_store_unmap(&m);
    return rc;
}

int main(void) {
    const char *tmp = check_tmpdir("scrape_store");
    char path[4200], p2[4200];
    snprintf(path, sizeof path, "%s/examples.bin", tmp);
    snprintf(p2, sizeof p2, "%s/damaged.bin", tmp);
    n2g_err e = {0};

    /* ---- a small file: the recorded checksums, then every byte flipped ---- */
    for (int fire = 0; fire < 2; fire++) {
        fixture f;
        make(&f, 2, 3, 2, 5, 6, fire ? 3 : 0);
        CHECK(!scrape_store_write(path, &f.st, &f.rows, &e), "write: %s", e.msg);
        size_t n;
        unsigned char *b = slurp(path, &n);
        scrape_header h;
        memcpy(&h, b, sizeof h);
        CHECK(h.version == 2 && h.file_bytes == n, "version %u, %llu bytes of %zu", h.version,
              (unsigned long long)h.file_bytes, n);
        /* the documented ranges (docs/scrape.md), from the header's offsets */
        uint64_t nck = (uint64_t)h.n_layers * h.d_mlp * h.k;
        CHECK(h.sum[SCRAPE_SUM_LAYERS] == fh(b + h.off_layers, 4 * h.n_layers), "layers sum");
        CHECK(h.sum[SCRAPE_SUM_VAL] == fh(b + h.off_val, 4 * nck), "val sum");
        CHECK(h.sum[SCRAPE_SUM_ROW] == fh(b + h.off_row, 4 * nck), "row sum");
        CHECK(h.sum[SCRAPE_SUM_POS] == fh(b + h.off_pos, 4 * nck), "pos sum");
        CHECK(h.sum[SCRAPE_SUM_STATS] == fh(b + h.off_stats, 16ull * h.n_layers * h.d_mlp), "stats sum");
        CHECK(h.sum[SCRAPE_SUM_ROW_IDS] == fh(b + h.off_row_ids, 4 * h.n_rows), "row_ids sum");
        CHECK(h.sum[SCRAPE_SUM_FIRE] == (fire ? fh(b + h.off_fire, 4 * nck * (1 + 2ull * h.fire_f)) : 0), "fire sum");
        uint64_t nb = (h.n_rows + h.block_rows - 1) / h.block_rows;
        CHECK(h.block_rows == (1u << 20) / (4 * 5) && nb == 1, "block_rows %u, %llu blocks", h.block_rows,
              (unsigned long long)nb);
        uint64_t bs;
        memcpy(&bs, b + h.off_sums, 8);
        CHECK(bs == fh(b + h.off_tokens, 4ull * h.n_rows * h.ctx), "tokens block sum");
        CHECK(h.sum[SCRAPE_SUM_SUMS] == fh(b + h.off_sums, 8 * nb), "sums sum");
        scrape_header z = h;
        z.header_sum = 0;
        CHECK(h.header_sum == fh((const unsigned char *)&z, sizeof z), "header sum");
        CHECK(!read_all(path, &e), "intact file refused: %s", e.msg);

        /* every single byte, flipped, is noticed */
        size_t missed = 0, first_missed = 0;
        for (size_t i = 0; i < n; i++) {
            b[i] ^= 0x40;
            spit(p2, b, n);
            b[i] ^= 0x40;
            n2g_err e2 = {0};
            if (read_all(p2, &e2) == 0) {
                if (!missed) first_missed = i;
                missed++;
            } else {
                CHECK(strstr(e2.msg, p2) != NULL, "byte %zu: message does not name the file: %s", i, e2.msg);
            }
        }
        CHECK(missed == 0, "fire %d: %zu of %zu flipped bytes read without an error (first at %zu)", fire, missed, n,
              first_missed);
        /* which message: a header field, a section, a token */
        struct {
            size_t off;
            const char *needle;
        } named[] = {{40, "header fails its checksum"},               /* rows_scanned */
                     {48, "header fails its checksum"},               /* positions */
                     {64, "header fails its checksum"},               /* ident_hash */
                     {(size_t)h.off_val + 1, "section val fails its checksum"},
                     {(size_t)h.off_stats + 5, "section stats fails its checksum"},
                     {(size_t)h.off_tokens + 3, "section tokens, block 0 (stored rows 0..5) fails its checksum"}};
        for (size_t c = 0; c < sizeof named / sizeof *named; c++) {
            b[named[c].off] ^= 0x01;
            spit(p2, b, n);
            b[named[c].off] ^= 0x01;
            n2g_err e2 = {0};
            CHECK(read_all(p2, &e2) == -1 && strstr(e2.msg, named[c].needle), "byte %zu: '%s' (want '%s')",
                  named[c].off, e2.msg, named[c].needle);
        }

        /* version 1: the same data without checksums is read; a nonzero reserved byte is not */
        if (!fire) {
            uint64_t end_data = h.off_tokens + 4ull * h.n_rows * h.ctx;
            unsigned char *v1 = malloc(end_data);
            memcpy(v1, b, end_data);
            scrape_header o = h;
            o.version = 1;
            o.file_bytes = end_data;
            memset((unsigned char *)&o + offsetof(scrape_header, off_sums), 0,
                   sizeof o - offsetof(scrape_header, off_sums));
            memcpy(v1, &o, sizeof o);
            spit(p2, v1, end_data);
            CHECK(!read_all(p2, &e), "version 1 file refused: %s", e.msg);
            scrape_map m;
            if (!scrape_store_map(p2, &m, &e)) {
                const int32_t *t = NULL;
                CHECK(scrape_map_row_get(&m, 3, &t, &e) == 1 && t && t[1] == (3 * 7919 + 31) % 50257, "v1 row 3");
                scrape_store_unmap(&m);
            }
            v1[200] = 1; /* a reserved byte */
            spit(p2, v1, end_data);
            CHECK(read_all(p2, &e) == -1 && strstr(e.msg, "version 1 with nonzero reserved bytes"), "v1 reserved: %s",
                  e.msg);
            free(v1);
            /* a version 2 file that says version 1: refused */
            b[8] = 1;
            spit(p2, b, n);
            b[8] = 2;
            CHECK(read_all(p2, &e) == -1, "version 2 read as version 1");
        }
        free(b);
        unmake(&f);
    }

    /* ---- tokens blocks are checked when first read ---- */
    {
        fixture f;
        int ctx = 1 << 18; /* one row per block */
        make(&f, 1, 2, 2, ctx, 3, 0);
        CHECK(!scrape_store_write(path, &f.st, &f.rows, &e), "write: %s", e.msg);
        size_t n;
        unsigned char *b = slurp(path, &n);
        scrape_header h;
        memcpy(&h, b, sizeof h);
        CHECK(h.block_rows == 1, "block_rows %u", h.block_rows);
        b[h.off_tokens + 4ull * ctx + 100] ^= 0x10; /* a token of stored row 1 */
        spit(p2, b, n);
        free(b);
        scrape_map m;
        CHECK(!scrape_store_map(p2, &m, &e), "a damaged token fails the mapping: %s", e.msg);
        const int32_t *t;
        CHECK(scrape_map_row_get(&m, 0, &t, &e) == 1, "row 0 (block 0) reads: %s", e.msg);
        CHECK(scrape_map_row_get(&m, 2, &t, &e) == 1, "row 2 (block 2) reads: %s", e.msg);
        n2g_err e2 = {0};
        CHECK(scrape_map_row_get(&m, 1, &t, &e2) == -1 && !t &&
                  strstr(e2.msg, "section tokens, block 1 (stored rows 1..1) fails its checksum"),
              "row 1: %s", e2.msg);
        CHECK(scrape_map_row(&m, 1) == NULL, "scrape_map_row of a damaged row");
        CHECK(scrape_map_row_get(&m, 9, &t, &e) == 0, "an unstored row");
        CHECK(scrape_map_verify_tokens(&m, &e) == -1, "verify_tokens misses the damaged block");
        scrape_store_unmap(&m);
        unmake(&f);
    }
    return check_finish();
}
