/* scrape_fs.c — file identity hashes (scrape_fs.h). */
#include "scrape_fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FH_P 0x100000001b3ULL
#define FH_S 0xcbf29ce484222325ULL

void scrape_hash_init(scrape_hash *h) {
    memset(h, 0, sizeof *h);
    for (int i = 0; i < 4; i++) h->lane[i] = FH_S + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
}

static inline uint64_t rd64(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8); /* one load; the same value as below */
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
#endif
}

static void fh_blocks(scrape_hash *h, const unsigned char *p, size_t nblk) {
    uint64_t a = h->lane[0], b = h->lane[1], c = h->lane[2], d = h->lane[3];
    for (size_t i = 0; i < nblk; i++, p += 32) {
        a = (a ^ rd64(p)) * FH_P;
        b = (b ^ rd64(p + 8)) * FH_P;
        c = (c ^ rd64(p + 16)) * FH_P;
        d = (d ^ rd64(p + 24)) * FH_P;
    }
    h->lane[0] = a, h->lane[1] = b, h->lane[2] = c, h->lane[3] = d;
}

void scrape_hash_update(scrape_hash *h, const void *data, size_t n) {
    const unsigned char *p = data;
    h->len += n;
    if (h->ntail) {
        size_t take = 32 - h->ntail < n ? 32 - h->ntail : n;
        memcpy(h->tail + h->ntail, p, take);
        h->ntail += take, p += take, n -= take;
        if (h->ntail < 32) return;
        fh_blocks(h, h->tail, 1);
        h->ntail = 0;
    }
    fh_blocks(h, p, n / 32);
    p += n / 32 * 32;
    n %= 32;
    memcpy(h->tail, p, n);
    h->ntail = n;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t scrape_hash_final(scrape_hash *h) {
    uint64_t r = h->len * 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < h->ntail; i++) r = (r ^ h->tail[i]) * FH_P;
    for (int i = 0; i < 4; i++) r = mix64(r ^ mix64(h->lane[i] + (uint64_t)i));
    return r;
}

int scrape_hash_file(const char *path, uint64_t *hash, uint64_t *bytes, n2g_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return n2g_fail(err, "%s: out of memory", path);
    }
    scrape_hash h;
    scrape_hash_init(&h);
    size_t got;
    while ((got = fread(buf, 1, cap, f)) > 0) scrape_hash_update(&h, buf, got);
    int bad = ferror(f);
    free(buf);
    fclose(f);
    if (bad) return n2g_fail(err, "%s: read error", path);
    *bytes = h.len;
    *hash = scrape_hash_final(&h);
    return 0;
}
