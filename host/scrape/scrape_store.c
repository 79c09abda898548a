/* scrape_store.c — RUN/examples.bin writer and mmap reader, and the in-memory row store. */
#include "scrape_store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_write.h"
#include "ops/ops_topk.h"
#include "scrape_fs.h"

_Static_assert(sizeof(scrape_header) == 256, "scrape_header must be 256 bytes");

void scrape_rows_init(scrape_rows *r, int ctx) {
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
}

void scrape_rows_free(scrape_rows *r) {
    free(r->ids);
    free(r->tok);
    memset(r, 0, sizeof *r);
}

size_t scrape_rows_bytes(const scrape_rows *r) { return r->n * ((size_t)r->ctx * 4 + 4); }

int scrape_rows_append(scrape_rows *r, uint32_t id, const int32_t *tok, n2g_err *err) {
    if (r->n && id <= r->ids[r->n - 1]) return n2g_fail(err, "row store: row %u appended out of order", id);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        uint32_t *ids = realloc(r->ids, cap * sizeof *ids);
        if (ids) r->ids = ids;
        int32_t *t = ids ? realloc(r->tok, cap * (size_t)r->ctx * sizeof *t) : NULL;
        if (!t) return n2g_fail(err, "row store: out of memory (%zu rows of %d tokens)", cap, r->ctx);
        r->tok = t;
        r->cap = cap;
    }
    r->ids[r->n] = id;
    memcpy(r->tok + r->n * (size_t)r->ctx, tok, (size_t)r->ctx * sizeof *tok);
    r->n++;
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorted unique referenced row ids of the state; *n set. NULL on OOM (n = SIZE_MAX). */
static uint32_t *referenced_rows(const scrape_state *s, size_t *n) {
    size_t ck = (size_t)s->d_mlp * s->k, cap = (size_t)s->n_layers * ck, m = 0;
    uint32_t *ids = malloc((cap ? cap : 1) * sizeof *ids);
    if (!ids) {
        *n = SIZE_MAX;
        return NULL;
    }
    for (int l = 0; l < s->n_layers; l++) {
        const uint32_t *row = s->topk + (size_t)l * 3 * ck + ck;
        for (size_t i = 0; i < ck; i++)
            if (row[i] != OPS_TOPK_EMPTY_ROW) ids[m++] = row[i];
    }
    qsort(ids, m, sizeof *ids, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (!u || ids[u - 1] != ids[i]) ids[u++] = ids[i];
    *n = u;
    return ids;
}

void scrape_rows_prune(scrape_rows *r, const scrape_state *s) {
    size_t nk;
    uint32_t *keep = referenced_rows(s, &nk);
    if (!keep) return; /* out of memory: keep everything (correct, just larger) */
    size_t w = 0, j = 0;
    for (size_t i = 0; i < r->n; i++) {
        while (j < nk && keep[j] < r->ids[i]) j++;
        if (j < nk && keep[j] == r->ids[i]) {
            if (w != i) {
                r->ids[w] = r->ids[i];
                memmove(r->tok + w * (size_t)r->ctx, r->tok + i * (size_t)r->ctx, (size_t)r->ctx * sizeof *r->tok);
            }
            w++;
        }
    }
    r->n = w;
    free(keep);
}

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

static void put_zeros(FILE *f, uint64_t at, uint64_t to) {
    static const char z[64];
    while (at < to) {
        size_t n = to - at < 64 ? (size_t)(to - at) : 64;
        fwrite(z, 1, n, f);
        at += n;
    }
}

/* rows per tokens block (version 2) */
static uint32_t block_rows_for(uint32_t ctx) {
    uint32_t r = SCRAPE_SUM_BLOCK_BYTES / (4u * (ctx ? ctx : 1));
    return r ? r : 1;
}

/* Section offsets for the given shape and version; fills h's offsets, block_rows and file_bytes. */
static void layout(scrape_header *h) {
    uint64_t nck = (uint64_t)h->n_layers * h->d_mlp * h->k;
    uint64_t o = sizeof(scrape_header);
    h->off_layers = o;
    o = align64(o + 4ull * h->n_layers);
    h->off_val = o;
    o = align64(o + 4 * nck);
    h->off_row = o;
    o = align64(o + 4 * nck);
    h->off_pos = o;
    o = align64(o + 4 * nck);
    h->off_stats = o;
    o = align64(o + 16ull * h->n_layers * h->d_mlp);
    h->off_row_ids = o;
    o = align64(o + 4 * h->n_rows);
    h->off_tokens = o;
    o = o + 4ull * h->n_rows * h->ctx;
    if (h->fire_f) {
        o = align64(o);
        h->off_fire = o;
        o += 4ull * nck * (1 + 2ull * h->fire_f);
    }
    if (h->version >= 2) {
        h->block_rows = block_rows_for(h->ctx);
        o = align64(o);
        h->off_sums = o;
        o += 8 * ((h->n_rows + h->block_rows - 1) / h->block_rows);
    }
    h->file_bytes = o;
}

/* writes while hashing: each section's bytes go through one of these */
typedef struct wsec {
    FILE *f;
    scrape_hash h;
} wsec;

static void wput(wsec *w, const void *p, size_t size, size_t n) {
    fwrite(p, size, n, w->f);
    scrape_hash_update(&w->h, p, size * n);
}

static uint64_t wsum(wsec *w) {
    uint64_t v = scrape_hash_final(&w->h);
    scrape_hash_init(&w->h);
    return v;
}

/* the list of the example in slot j of (layer l, neuron c): index into the state's fire store, or -1 */
static long fire_list_of(const scrape_state *s, int l, int c, int j) {
    size_t ck = (size_t)s->d_mlp * s->k, per = ops_topk_fire_words(s->d_mlp, s->k, s->fire_f);
    uint32_t row = s->topk[(size_t)l * 3 * ck + ck + (size_t)c * s->k + j];
    const uint32_t *tag = s->fire + (size_t)l * per + (size_t)c * s->k;
    if (row == OPS_TOPK_EMPTY_ROW) return -1;
    for (int i = 0; i < s->k; i++)
        if (tag[i] == row) return (long)c * s->k + i;
    return -1;
}

size_t scrape_fire_rec_words(const scrape_state *s) { return (size_t)s->k * (1 + 2 * (size_t)s->fire_f); }

void scrape_fire_to_slots(const scrape_state *s, uint32_t *recs, uint32_t absent) {
    size_t ck = (size_t)s->d_mlp * s->k, per = ops_topk_fire_words(s->d_mlp, s->k, s->fire_f), F = (size_t)s->fire_f;
    size_t rw = scrape_fire_rec_words(s);
    for (int l = 0; l < s->n_layers; l++) {
        const uint32_t *st = s->fire + (size_t)l * per, *cnt = st + ck, *pos = st + 2 * ck, *val = pos + ck * F;
        for (int c = 0; c < s->d_mlp; c++) {
            uint32_t *r = recs + ((size_t)l * s->d_mlp + c) * rw, *rp = r + s->k, *rv = rp + (size_t)s->k * F;
            for (int j = 0; j < s->k; j++) {
                long i = fire_list_of(s, l, c, j);
                int empty = s->topk[(size_t)l * 3 * ck + ck + (size_t)c * s->k + j] == OPS_TOPK_EMPTY_ROW;
                r[j] = i >= 0 ? cnt[i] : empty ? OPS_TOPK_FIRE_NONE : absent;
                if (i >= 0) {
                    memcpy(rp + (size_t)j * F, pos + (size_t)i * F, F * 4);
                    memcpy(rv + (size_t)j * F, val + (size_t)i * F, F * 4);
                } else {
                    memset(rp + (size_t)j * F, 0, F * 4);
                    memset(rv + (size_t)j * F, 0, F * 4);
                }
            }
        }
    }
}

void scrape_fire_from_slots(scrape_state *s, const uint32_t *recs, uint32_t absent) {
    size_t ck = (size_t)s->d_mlp * s->k, per = ops_topk_fire_words(s->d_mlp, s->k, s->fire_f), F = (size_t)s->fire_f;
    size_t rw = scrape_fire_rec_words(s);
    for (int l = 0; l < s->n_layers; l++) {
        uint32_t *st = s->fire + (size_t)l * per, *cnt = st + ck, *pos = st + 2 * ck, *val = pos + ck * F;
        memcpy(st, s->topk + (size_t)l * 3 * ck + ck, ck * 4); /* tags = the slots' rows */
        for (int c = 0; c < s->d_mlp; c++) {
            const uint32_t *r = recs + ((size_t)l * s->d_mlp + c) * rw, *rp = r + s->k, *rv = rp + (size_t)s->k * F;
            for (int j = 0; j < s->k; j++) {
                size_t i = (size_t)c * s->k + (size_t)j;
                cnt[i] = r[j] == absent ? OPS_TOPK_FIRE_NONE : r[j];
                memcpy(pos + i * F, rp + (size_t)j * F, F * 4);
                memcpy(val + i * F, rv + (size_t)j * F, F * 4);
            }
        }
    }
}

/* the fire section, in top-k slot order (canonical: independent of which list a row got) */
static void write_fire(wsec *w, const scrape_state *s, const scrape_header *h) {
    size_t ck = (size_t)s->d_mlp * s->k, per = ops_topk_fire_words(s->d_mlp, s->k, s->fire_f), F = (size_t)s->fire_f;
    put_zeros(w->f, h->off_tokens + 4ull * h->n_rows * h->ctx, h->off_fire);
    uint32_t *zero = calloc(F, 4);
    for (int part = 0; part < 3; part++)
        for (int l = 0; l < s->n_layers; l++) {
            const uint32_t *st = s->fire + (size_t)l * per, *cnt = st + ck, *pos = st + 2 * ck, *val = pos + ck * F;
            for (int c = 0; c < s->d_mlp; c++)
                for (int j = 0; j < s->k; j++) {
                    long i = fire_list_of(s, l, c, j);
                    if (part == 0) {
                        uint32_t n = i < 0 ? OPS_TOPK_FIRE_NONE : cnt[i];
                        wput(w, &n, 4, 1);
                    } else {
                        const uint32_t *src = i < 0 ? zero : (part == 1 ? pos : val) + (size_t)i * F;
                        wput(w, src ? src : zero, 4, F);
                    }
                }
        }
    free(zero);
}

int scrape_store_write(const char *path, const scrape_state *s, const scrape_rows *rows, n2g_err *err) {
    return scrape_store_write_n(path, s, rows, NULL, err);
}

int scrape_store_write_n(const char *path, const scrape_state *s, const scrape_rows *rows, uint64_t *n_rows,
                         n2g_err *err) {
    size_t nk;
    uint32_t *keep = referenced_rows(s, &nk);
    if (!keep) return n2g_fail(err, "%s: out of memory", path);
    /* every referenced row must be stored: find each in rows (both ascending) */
    size_t *at = malloc((nk ? nk : 1) * sizeof *at);
    if (!at) {
        free(keep);
        return n2g_fail(err, "%s: out of memory", path);
    }
    size_t j = 0;
    for (size_t i = 0; i < nk; i++) {
        while (j < rows->n && rows->ids[j] < keep[i]) j++;
        if (j == rows->n || rows->ids[j] != keep[i]) {
            uint32_t miss = keep[i];
            free(keep);
            free(at);
            return n2g_fail(err, "%s: internal error: kept row %u has no stored tokens", path, miss);
        }
        at[i] = j;
    }
    scrape_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SCRAPE_MAGIC, 8);
    h.version = SCRAPE_VERSION;
    h.header_bytes = sizeof h;
    h.n_layers = (uint32_t)s->n_layers;
    h.d_mlp = (uint32_t)s->d_mlp;
    h.k = (uint32_t)s->k;
    h.ctx = (uint32_t)s->ctx;
    h.token_bytes = 4;
    h.flags = s->flags;
    h.rows_scanned = s->rows_scanned;
    h.positions = s->positions;
    h.n_rows = nk;
    h.ident_hash = s->ident_hash;
    h.fire_f = s->fire ? (uint32_t)s->fire_f : 0;
    h.fire_ratio = h.fire_f ? s->fire_ratio : 0.0f;
    layout(&h);
    uint64_t n_blocks = h.version >= 2 ? (nk + h.block_rows - 1) / h.block_rows : 0;
    uint64_t *bsum = malloc((n_blocks ? n_blocks : 1) * sizeof *bsum);
    n2g_afile a;
    if (!bsum || n2g_afile_open(&a, path, 0, err)) {
        if (!bsum) n2g_fail(err, "%s: out of memory", path);
        free(bsum);
        free(keep);
        free(at);
        return -1;
    }
    wsec w;
    w.f = a.f;
    scrape_hash_init(&w.h);
    FILE *f = a.f;
    fwrite(&h, sizeof h, 1, f); /* again at the end, with the checksums */
    for (int l = 0; l < s->n_layers; l++) {
        uint32_t v = (uint32_t)s->layers[l];
        wput(&w, &v, 4, 1);
    }
    h.sum[SCRAPE_SUM_LAYERS] = wsum(&w);
    size_t ck = (size_t)s->d_mlp * s->k;
    put_zeros(f, h.off_layers + 4ull * s->n_layers, h.off_val);
    uint64_t off[3] = {h.off_val, h.off_row, h.off_pos}, end[3] = {h.off_row, h.off_pos, h.off_stats};
    for (int part = 0; part < 3; part++) {
        for (int l = 0; l < s->n_layers; l++) wput(&w, s->topk + (size_t)l * 3 * ck + part * ck, 4, ck);
        h.sum[SCRAPE_SUM_VAL + part] = wsum(&w);
        put_zeros(f, off[part] + 4ull * ck * s->n_layers, end[part]);
    }
    for (int l = 0; l < s->n_layers; l++) {
        const uint32_t *tk = s->topk + (size_t)l * 3 * ck;
        for (int c = 0; c < s->d_mlp; c++) {
            const float *st = s->stats + ((size_t)l * s->d_mlp + c) * 2;
            float mx;
            memcpy(&mx, &tk[(size_t)c * s->k], 4); /* slot 0 = the neuron's max (or -inf) */
            double sum = (double)st[0] - (double)st[1];
            float mean = s->positions ? (float)(sum / (double)s->positions) : 0.0f;
            float rec[4] = {mx, mean, st[0], st[1]};
            wput(&w, rec, 4, 4);
        }
    }
    h.sum[SCRAPE_SUM_STATS] = wsum(&w);
    put_zeros(f, h.off_stats + 16ull * s->n_layers * s->d_mlp, h.off_row_ids);
    wput(&w, keep, 4, nk);
    h.sum[SCRAPE_SUM_ROW_IDS] = wsum(&w);
    put_zeros(f, h.off_row_ids + 4ull * nk, h.off_tokens);
    for (size_t i = 0; i < nk; i++) {
        wput(&w, rows->tok + at[i] * (size_t)rows->ctx, 4, (size_t)rows->ctx);
        if ((i + 1) % h.block_rows == 0 || i + 1 == nk) bsum[i / h.block_rows] = wsum(&w);
    }
    if (h.fire_f) {
        write_fire(&w, s, &h);
        h.sum[SCRAPE_SUM_FIRE] = wsum(&w);
    }
    uint64_t end_data = h.fire_f ? h.off_fire + 4ull * ck * s->n_layers * (1 + 2ull * h.fire_f)
                                 : h.off_tokens + 4ull * nk * h.ctx;
    put_zeros(f, end_data, h.off_sums);
    wput(&w, bsum, 8, n_blocks);
    h.sum[SCRAPE_SUM_SUMS] = wsum(&w);
    h.header_sum = 0;
    scrape_hash hh;
    scrape_hash_init(&hh);
    scrape_hash_update(&hh, &h, sizeof h);
    h.header_sum = scrape_hash_final(&hh);
    int seek_failed = fseek(f, 0, SEEK_SET) != 0;
    if (!seek_failed) fwrite(&h, sizeof h, 1, f); /* a write error shows at the commit */
    free(bsum);
    free(keep);
    free(at);
    if (seek_failed) {
        int e = errno;
        n2g_fail(err, "%s: cannot seek: %s", a.tmp, strerror(e));
        n2g_afile_abort(&a);
        return -1;
    }
    if (n_rows) *n_rows = nk;
    return n2g_afile_commit(&a, err);
}

static long find_row(const scrape_map *m, uint32_t row_id);

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Version 1: the reserved bytes are zero (so a damaged version 2 header cannot pass for one);
 * version 2: the reserved bytes are zero and the header checksum holds. */
static int header_intact(const scrape_header *h, const char *path, n2g_err *err) {
    if (h->version < 2) {
        size_t o = offsetof(scrape_header, off_sums);
        if (!all_zero((const unsigned char *)h + o, sizeof *h - o))
            return n2g_fail(err, "%s: damaged header: version 1 with nonzero reserved bytes (bytes %zu..%zu)", path, o,
                            sizeof *h - 1);
        return 0;
    }
    if (h->reserved0 || !all_zero(h->reserved, sizeof h->reserved))
        return n2g_fail(err, "%s: damaged header: nonzero reserved bytes", path);
    scrape_header c = *h;
    c.header_sum = 0;
    scrape_hash x;
    scrape_hash_init(&x);
    scrape_hash_update(&x, &c, sizeof c);
    uint64_t got = scrape_hash_final(&x);
    if (got != h->header_sum)
        return n2g_fail(err, "%s: the header fails its checksum (%016llx, recorded %016llx): the header is damaged", path,
                        (unsigned long long)got, (unsigned long long)h->header_sum);
    return 0;
}

/* Every section's checksum but the tokens' (version 2), and zero padding between sections. */
static int sections_intact(const scrape_map *m, n2g_err *err) {
    const scrape_header *h = m->h;
    const unsigned char *b = m->base;
    uint64_t nck = (uint64_t)h->n_layers * h->d_mlp * h->k, nb = 0;
    if (h->version >= 2) nb = (h->n_rows + h->block_rows - 1) / h->block_rows;
    struct {
        const char *name;
        uint64_t off, len, next;
        int sum;
    } sec[] = {
        {"layers", h->off_layers, 4ull * h->n_layers, h->off_val, SCRAPE_SUM_LAYERS},
        {"val", h->off_val, 4 * nck, h->off_row, SCRAPE_SUM_VAL},
        {"row", h->off_row, 4 * nck, h->off_pos, SCRAPE_SUM_ROW},
        {"pos", h->off_pos, 4 * nck, h->off_stats, SCRAPE_SUM_POS},
        {"stats", h->off_stats, 16ull * h->n_layers * h->d_mlp, h->off_row_ids, SCRAPE_SUM_STATS},
        {"row_ids", h->off_row_ids, 4 * h->n_rows, h->off_tokens, SCRAPE_SUM_ROW_IDS},
        {"tokens", h->off_tokens, 4ull * h->n_rows * h->ctx,
         h->fire_f ? h->off_fire : h->version >= 2 ? h->off_sums : h->file_bytes, -1},
        {"fire", h->off_fire, h->fire_f ? 4 * nck * (1 + 2ull * h->fire_f) : 0,
         h->version >= 2 ? h->off_sums : h->file_bytes, SCRAPE_SUM_FIRE},
        {"sums", h->off_sums, 8 * nb, h->file_bytes, SCRAPE_SUM_SUMS},
    };
    for (size_t i = 0; i < sizeof sec / sizeof *sec; i++) {
        if ((i == 7 && !h->fire_f) || (i == 8 && h->version < 2)) continue;
        if (!all_zero(b + sec[i].off + sec[i].len, (size_t)(sec[i].next - sec[i].off - sec[i].len)))
            return n2g_fail(err, "%s: nonzero padding after section %s: the file is damaged", m->path, sec[i].name);
        if (h->version < 2 || sec[i].sum < 0) continue;
        scrape_hash x;
        scrape_hash_init(&x);
        scrape_hash_update(&x, b + sec[i].off, (size_t)sec[i].len);
        uint64_t got = scrape_hash_final(&x);
        if (got != h->sum[sec[i].sum])
            return n2g_fail(err, "%s: section %s fails its checksum (%016llx, recorded %016llx): the file is damaged",
                            m->path, sec[i].name, (unsigned long long)got, (unsigned long long)h->sum[sec[i].sum]);
    }
    if (h->version >= 2 && !h->fire_f && h->sum[SCRAPE_SUM_FIRE])
        return n2g_fail(err, "%s: damaged header: a checksum for an absent fire section", m->path);
    return 0;
}

int scrape_store_map(const char *path, scrape_map *m, n2g_err *err) {
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return n2g_fail(err, "%s: cannot stat: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size < sizeof(scrape_header)) {
        close(fd);
        return n2g_fail(err, "%s: truncated (%lld bytes, header needs %zu)", path, (long long)st.st_size,
                        sizeof(scrape_header));
    }
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) return n2g_fail(err, "%s: mmap failed: %s", path, strerror(errno));
    m->base = base;
    m->bytes = (size_t)st.st_size;
    const scrape_header *h = base;
    scrape_header want;
    memcpy(&want, h, sizeof want);
    if (memcmp(h->magic, SCRAPE_MAGIC, 8)) {
        scrape_store_unmap(m);
        return n2g_fail(err, "%s: not an n2g examples file (bad magic)", path);
    }
    if ((want.version != 1 && want.version != 2) || want.header_bytes != sizeof want || want.token_bytes != 4) {
        scrape_store_unmap(m);
        if (want.version != 1 && want.version != 2)
            return n2g_fail(err, "%s: unsupported format version %u (this n2g reads version %u, and version 1)", path,
                            want.version, SCRAPE_VERSION);
        if (want.header_bytes != sizeof want)
            return n2g_fail(err, "%s: damaged header: header size %u, expected %zu for version %u", path,
                            want.header_bytes, sizeof want, want.version);
        return n2g_fail(err, "%s: damaged header: token size %u bytes, expected 4", path, want.token_bytes);
    }
    if (!h->n_layers || h->n_layers > 4096 || !h->d_mlp || h->d_mlp > (1u << 20) || !h->k ||
        h->k > OPS_TOPK_MAX_K || !h->ctx || h->ctx > (1u << 20) || h->n_rows > (1ull << 32) ||
        h->fire_f > OPS_TOPK_MAX_F || (h->fire_f && !(h->fire_ratio > 0 && h->fire_ratio <= 1))) {
        scrape_store_unmap(m);
        return n2g_fail(err, "%s: header shape out of range", path);
    }
    layout(&want);
    if (memcmp(&want, h, sizeof want) || want.file_bytes != (uint64_t)st.st_size) {
        /* name what is wrong: the file's size, or the first offset field its shape contradicts */
        static const char *const names[] = {"off_layers", "off_val", "off_row", "off_pos", "off_stats",
                                            "off_row_ids", "off_tokens", "file_bytes", "off_fire"};
        const uint64_t *got = &h->off_layers, *exp = &want.off_layers;
        if (want.file_bytes != (uint64_t)st.st_size) {
            n2g_fail(err, "%s: %lld bytes, but its header (%u layers x %u neurons x top-%u, %llu rows of %u tokens) "
                     "needs %llu: truncated or damaged", path, (long long)st.st_size, want.n_layers, want.d_mlp, want.k,
                     (unsigned long long)want.n_rows, want.ctx, (unsigned long long)want.file_bytes);
        } else {
            size_t f = 0; /* off_layers .. file_bytes, off_fire: consecutive uint64 fields */
            while (f < 9 && got[f] == exp[f]) f++;
            if (f < 9)
                n2g_fail(err, "%s: damaged header: field %s is %llu, but the header's shape gives %llu", path,
                         names[f], (unsigned long long)got[f], (unsigned long long)exp[f]);
            else
                n2g_fail(err, "%s: damaged header", path);
        }
        scrape_store_unmap(m);
        return -1;
    }
    if (header_intact(h, path, err)) {
        scrape_store_unmap(m);
        return -1;
    }
    const char *b = base;
    m->h = h;
    snprintf(m->path, sizeof m->path, "%s", path);
    m->layers = (const uint32_t *)(b + h->off_layers);
    m->val = (const float *)(b + h->off_val);
    m->row = (const uint32_t *)(b + h->off_row);
    m->pos = (const uint32_t *)(b + h->off_pos);
    m->stats = (const float *)(b + h->off_stats);
    m->row_ids = (const uint32_t *)(b + h->off_row_ids);
    m->tokens = (const int32_t *)(b + h->off_tokens);
    if (h->fire_f) {
        uint64_t nck = (uint64_t)h->n_layers * h->d_mlp * h->k;
        m->fire_cnt = (const uint32_t *)(b + h->off_fire);
        m->fire_pos = m->fire_cnt + nck;
        m->fire_val = (const float *)(m->fire_pos + nck * h->fire_f);
    }
    for (uint64_t i = 1; i < h->n_rows; i++)
        if (m->row_ids[i] <= m->row_ids[i - 1]) {
            scrape_store_unmap(m);
            return n2g_fail(err, "%s: row ids not ascending at %llu", path, (unsigned long long)i);
        }
    for (uint32_t l = 0; l < h->n_layers; l++)
        if (l && m->layers[l] <= m->layers[l - 1]) {
            scrape_store_unmap(m);
            return n2g_fail(err, "%s: layers not ascending", path);
        }
    /* every kept example: a stored row, a position inside it, slots filled from the front */
    uint64_t n = (uint64_t)h->n_layers * h->d_mlp * h->k;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t row = m->row[i];
        int first = i % h->k == 0;
        if (row == OPS_TOPK_EMPTY_ROW) continue;
        uint32_t pos = m->pos[i];
        if ((!first && m->row[i - 1] == OPS_TOPK_EMPTY_ROW) || pos >= want.ctx || find_row(m, row) < 0 ||
            row >= want.rows_scanned) {
            scrape_store_unmap(m);
            return n2g_fail(err, "%s: example %llu (slot %llu of neuron %llu) is inconsistent (row %u, position %u)",
                            path, (unsigned long long)i, (unsigned long long)(i % want.k),
                            (unsigned long long)(i / want.k), row, pos);
        }
    }
    if (sections_intact(m, err)) {
        scrape_store_unmap(m);
        return -1;
    }
    if (h->version >= 2) {
        m->block_sum = (const uint64_t *)(b + h->off_sums);
        m->n_blocks = (h->n_rows + h->block_rows - 1) / h->block_rows;
        if (!(m->block_ok = calloc(m->n_blocks ? m->n_blocks : 1, 1))) {
            scrape_store_unmap(m);
            return n2g_fail(err, "%s: out of memory", path);
        }
    }
    return 0;
}

void scrape_store_unmap(scrape_map *m) {
    if (m->base) munmap(m->base, m->bytes);
    free(m->block_ok);
    memset(m, 0, sizeof *m);
}

/* index of row_id among the stored rows, or -1 */
static long find_row(const scrape_map *m, uint32_t row_id) {
    size_t lo = 0, hi = m->h->n_rows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->row_ids[mid] < row_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->h->n_rows && m->row_ids[lo] == row_id ? (long)lo : -1;
}

/* Tokens block b against its checksum, once (the flag is set only after a pass). */
static int verify_block(const scrape_map *m, uint64_t b, n2g_err *err) {
    if (!m->block_sum || __atomic_load_n(&m->block_ok[b], __ATOMIC_ACQUIRE)) return 0;
    const scrape_header *h = m->h;
    uint64_t r0 = b * h->block_rows, r1 = r0 + h->block_rows < h->n_rows ? r0 + h->block_rows : h->n_rows;
    scrape_hash x;
    scrape_hash_init(&x);
    scrape_hash_update(&x, m->tokens + r0 * h->ctx, (size_t)((r1 - r0) * h->ctx * 4));
    uint64_t got = scrape_hash_final(&x);
    if (got != m->block_sum[b])
        return n2g_fail(err, "%s: section tokens, block %llu (stored rows %llu..%llu) fails its checksum (%016llx, "
                        "recorded %016llx): the file is damaged",
                        m->path, (unsigned long long)b, (unsigned long long)r0, (unsigned long long)r1 - 1,
                        (unsigned long long)got, (unsigned long long)m->block_sum[b]);
    __atomic_store_n(&m->block_ok[b], 1, __ATOMIC_RELEASE);
    return 0;
}

int scrape_map_row_get(const scrape_map *m, uint32_t row_id, const int32_t **tok, n2g_err *err) {
    *tok = NULL;
    long i = find_row(m, row_id);
    if (i < 0) return 0;
    const scrape_header *h = m->h;
    if (m->block_sum && verify_block(m, (uint64_t)i / h->block_rows, err)) return -1;
    *tok = m->tokens + (size_t)i * h->ctx;
    return 1;
}

const int32_t *scrape_map_row(const scrape_map *m, uint32_t row_id) {
    const int32_t *t;
    n2g_err e;
    return scrape_map_row_get(m, row_id, &t, &e) == 1 ? t : NULL;
}

int scrape_map_verify_tokens(const scrape_map *m, n2g_err *err) {
    for (uint64_t b = 0; b < m->n_blocks; b++)
        if (verify_block(m, b, err)) return -1;
    return 0;
}
