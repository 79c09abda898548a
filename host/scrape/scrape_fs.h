/* scrape_fs.h — file identity hashes for run directories. (Writing: common/atomic_write.h.) */
#ifndef N2G_SCRAPE_FS_H
#define N2G_SCRAPE_FS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

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

#endif
