/* scrape_fs.h — atomic file writes and file identity hashes for run directories. */
#ifndef N2G_SCRAPE_FS_H
#define N2G_SCRAPE_FS_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

/* Atomic replace: scrape_atomic_open creates PATH.tmp for writing; scrape_atomic_commit flushes,
 * fsyncs and closes it, renames it over PATH and fsyncs the directory. On any failure the
 * temporary is removed and PATH is left as it was. */
typedef struct scrape_afile {
    FILE *f;
    char path[4096], tmp[4112];
} scrape_afile;
int scrape_atomic_open(scrape_afile *a, const char *path, n2g_err *err);
int scrape_atomic_commit(scrape_afile *a, n2g_err *err);
void scrape_atomic_abort(scrape_afile *a);

/* n2g-fh64: a 64-bit content hash (4 interleaved FNV-1a-style lanes over 8-byte little-endian
 * words, then a final mix with the length). Identity check, not cryptographic. */
typedef struct scrape_hash {
    uint64_t lane[4];
    uint64_t len;
    unsigned char tail[32];
    size_t ntail;
} scrape_hash;
void scrape_hash_init(scrape_hash *h);
void scrape_hash_update(scrape_hash *h, const void *data, size_t n);
uint64_t scrape_hash_final(scrape_hash *h);
/* Hashes a whole file; also returns its size. Message names the file on failure. */
int scrape_hash_file(const char *path, uint64_t *hash, uint64_t *bytes, n2g_err *err);

/* Creates directory DIR if missing (parents must exist); checks it is writable. */
int scrape_mkdir(const char *dir, n2g_err *err);

#endif
