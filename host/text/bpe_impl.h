/* bpe_impl.h — the tokenizer's tables, shared by bpe_load.c and bpe.c (not a public header). */
#ifndef N2G_BPE_IMPL_H
#define N2G_BPE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "text/bpe.h"

#define BPE_MAX_SPECIAL 16

struct bpe_tokenizer {
    int n_vocab;
    uint32_t *tok_off, *tok_len; /* [n_vocab] raw bytes of each token in pool; len 0 = no such id */
    char *pool;
    int32_t *tmap; /* open addressing: token bytes -> id, -1 empty */
    uint32_t tmap_mask;
    uint64_t *pkey; /* pair map: (left id << 32 | right id) -> merged id and rank; key ~0 empty */
    int32_t *pmerged, *prank;
    uint32_t pmask;
    int32_t byte_id[256];
    int n_special;
    int32_t special_id[BPE_MAX_SPECIAL];
    int eot;
};

static inline uint64_t bpe_hash_bytes(const unsigned char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* Test hooks (bpe.c). Pieces longer than step + margin bytes are merged window by window (step
 * 0 restores the defaults, 32768 + 512); the reference is tiktoken's quadratic byte_pair_merge
 * of a whole piece (work: 3n int32; returns the number of ids in work). */
void bpe_test_set_chunk(size_t step, size_t margin);
size_t bpe_test_merge_reference(const bpe_tokenizer *t, const unsigned char *s, size_t n, int32_t *work);
unsigned long bpe_test_seams_redone(void); /* windows restarted at a seam that was not valid */

static inline uint32_t bpe_hash_pair(uint64_t key) { return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32); }

#endif
