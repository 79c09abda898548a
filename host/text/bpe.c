/* bpe.c — GPT-2 pre-tokenisation, merging by rank, the per-thread piece cache, decode. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "text/bpe_impl.h"
#include "text/unicode.h"

/* ---- pre-tokeniser --------------------------------------------------------------------- */

/* Classes of ASCII characters (\s = White_Space: \t \n \v \f \r and space; not 0x1C-0x1F). */
static const uint8_t ascii_class[128] = {
    ['\t'] = UNICODE_SPACE, ['\n'] = UNICODE_SPACE, ['\v'] = UNICODE_SPACE, ['\f'] = UNICODE_SPACE, ['\r'] = UNICODE_SPACE,
    [' '] = UNICODE_SPACE,
    ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Class of the character at s[i] and its length (an invalid byte is a length-1 OTHER). */
static inline int class_at(const unsigned char *s, size_t n, size_t i, size_t *len) {
    unsigned c = s[i];
    if (c < 0x80) {
        *len = 1;
        return ascii_class[c];
    }
    uint32_t cp;
    *len = unicode_decode(s + i, n - i, &cp);
    return cp == UNICODE_INVALID ? UNICODE_OTHER : unicode_class(cp);
}

static inline size_t run_end(const unsigned char *s, size_t n, size_t j, int cls) {
    while (j < n) {
        if (s[j] < 0x80) {
            if (ascii_class[s[j]] != cls) break;
            j++;
            continue;
        }
        size_t l;
        if (class_at(s, n, j, &l) != cls) break;
        j += l;
    }
    return j;
}

size_t bpe_piece_end(const unsigned char *s, size_t n, size_t i) {
    unsigned c = s[i];
    /* 's|'t|'re|'ve|'m|'ll|'d (lowercase only, as GPT-2) */
    if (c == '\'' && i + 1 < n) {
        unsigned d = s[i + 1];
        if (d == 's' || d == 't' || d == 'm' || d == 'd') return i + 2;
        if (i + 2 < n && ((d == 'r' && s[i + 2] == 'e') || (d == 'v' && s[i + 2] == 'e') || (d == 'l' && s[i + 2] == 'l')))
            return i + 3;
    }
    size_t l;
    /* ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+' */
    if (c == ' ' && i + 1 < n) {
        int k = class_at(s, n, i + 1, &l);
        if (k != UNICODE_SPACE) return run_end(s, n, i + 1 + l, k);
    } else {
        int k = class_at(s, n, i, &l);
        if (k != UNICODE_SPACE) return run_end(s, n, i + l, k);
    }
    /* '\s+(?!\S)|\s+': the whitespace run, less its last character when a non-space follows */
    size_t j = i, last = i;
    while (j < n) {
        if (class_at(s, n, j, &l) != UNICODE_SPACE) break;
        last = j;
        j += l;
    }
    if (j == n) return n;
    return last > i ? last : j;
}

/* ---- merging ---------------------------------------------------------------------------- */

static inline void pair_lookup(const bpe_tokenizer *t, int32_t a, int32_t b, int32_t *rank, int32_t *merged) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    uint32_t h = bpe_hash_pair(key) & t->pmask;
    for (;;) {
        uint64_t k = t->pkey[h];
        if (k == key) {
            *rank = t->prank[h];
            *merged = t->pmerged[h];
            return;
        }
        if (k == ~0ull) {
            *rank = INT_MAX;
            *merged = -1;
            return;
        }
        h = (h + 1) & t->pmask;
    }
}

static inline int same_bytes(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static inline int32_t token_lookup(const bpe_tokenizer *t, const unsigned char *s, size_t n, uint32_t hash) {
    uint32_t h = hash & t->tmap_mask;
    for (;; h = (h + 1) & t->tmap_mask) {
        int32_t id = t->tmap[h];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && same_bytes((const unsigned char *)t->pool + t->tok_off[id], s, n)) return id;
    }
}

/* Merges the bytes of one piece (n >= 2) by rank, lowest first, leftmost on ties: tiktoken's
 * byte_pair_merge. work: 3n int32 scratch. Returns the number of ids left in work[0..m).
 * O(n^2): for short pieces. */
static size_t merge_short(const bpe_tokenizer *t, const unsigned char *s, size_t n, int32_t *work) {
    int32_t *part = work, *rank = work + n, *merged = work + 2 * n;
    for (size_t i = 0; i < n; i++) part[i] = t->byte_id[s[i]];
    size_t m = n;
    for (size_t i = 0; i + 1 < m; i++) pair_lookup(t, part[i], part[i + 1], &rank[i], &merged[i]);
    while (m > 1) {
        int32_t best = INT_MAX;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < m; i++)
            if (rank[i] < best) best = rank[i], bi = i;
        if (best == INT_MAX) break;
        part[bi] = merged[bi];
        size_t tail = m - bi - 2; /* parts after bi + 1 */
        memmove(part + bi + 1, part + bi + 2, tail * sizeof *part);
        memmove(rank + bi + 1, rank + bi + 2, (tail ? tail - 1 : 0) * sizeof *rank);
        memmove(merged + bi + 1, merged + bi + 2, (tail ? tail - 1 : 0) * sizeof *merged);
        m--;
        if (bi > 0) pair_lookup(t, part[bi - 1], part[bi], &rank[bi - 1], &merged[bi - 1]);
        if (bi + 1 < m) pair_lookup(t, part[bi], part[bi + 1], &rank[bi], &merged[bi]);
    }
    return m;
}

/* The same merge order in O(n log n) for long pieces: parts in a linked list, candidate pairs in
 * a min-heap on (rank, start offset) — start offsets keep list order, so ties go leftmost — with
 * stale entries recognised by a per-part revision. work: MERGE_LONG_WORK * n int32. */
#define MERGE_SHORT_MAX 128
#define MERGE_LONG_WORK 13

typedef struct {
    int32_t rank, pos, rev;
} merge_cand;

static int cand_less(const merge_cand *a, const merge_cand *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void cand_push(merge_cand *h, size_t *hn, merge_cand c) {
    size_t i = (*hn)++;
    while (i > 0 && cand_less(&c, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = c;
}

static merge_cand cand_pop(merge_cand *h, size_t *hn) {
    merge_cand top = h[0], last = h[--*hn];
    size_t i = 0, n = *hn;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && cand_less(&h[c + 1], &h[c])) c++;
        if (!cand_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (n) h[i] = last;
    return top;
}

static size_t merge_long(const bpe_tokenizer *t, const unsigned char *s, size_t n, int32_t *work) {
    int32_t *id = work, *nx = work + n, *pv = work + 2 * n, *rev = work + 3 * n;
    merge_cand *h = (merge_cand *)(work + 4 * n);
    size_t hn = 0;
    int32_t rank, merged, end = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_id[s[i]];
        nx[i] = (int32_t)i + 1;
        pv[i] = (int32_t)i - 1;
        rev[i] = 0;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        pair_lookup(t, id[i], id[i + 1], &rank, &merged);
        if (rank != INT_MAX) cand_push(h, &hn, (merge_cand){rank, (int32_t)i, 0});
    }
    while (hn) {
        merge_cand c = cand_pop(h, &hn);
        int32_t l = c.pos;
        if (id[l] < 0 || rev[l] != c.rev || nx[l] == end) continue; /* stale */
        int32_t r = nx[l];
        pair_lookup(t, id[l], id[r], &rank, &merged);
        id[l] = merged;
        id[r] = -1;
        nx[l] = nx[r];
        if (nx[l] != end) pv[nx[l]] = l;
        rev[l]++;
        if (pv[l] >= 0) {
            int32_t p = pv[l];
            rev[p]++;
            pair_lookup(t, id[p], id[l], &rank, &merged);
            if (rank != INT_MAX) cand_push(h, &hn, (merge_cand){rank, p, rev[p]});
        }
        if (nx[l] != end) {
            pair_lookup(t, id[l], id[nx[l]], &rank, &merged);
            if (rank != INT_MAX) cand_push(h, &hn, (merge_cand){rank, l, rev[l]});
        }
    }
    size_t m = 0;
    for (int32_t i = 0; i != end; i = nx[i]) work[m++] = id[i]; /* m <= i: never overwrites ahead */
    return m;
}

static int ids_append(bpe_ids *v, const int32_t *ids, size_t n);

/* ---- very long pieces: window by window, in bounded memory -------------------------------------
 *
 * GPT-2's pre-tokenizer leaves a run of letters (or of punctuation, or of other symbols) as one
 * piece, however long: 50 MB of text without spaces is one piece. Merging it whole needs
 * MERGE_LONG_WORK int32 per byte (2.6 GB for 50 MB). A piece longer than chunk_step + chunk_margin
 * bytes is merged window by window instead, with the same result:
 *
 * A token sequence is the piece's BPE encoding iff it is "valid": re-encoding its bytes gives it
 * back. Every prefix of a valid sequence is valid, and two valid sequences joined where the last
 * token of the first and the first of the second form a valid pair are valid together (the
 * properties behind GitHub's linear-time `bpe` crate, rust-gems/crates/bpe). So: merge a window
 * [pos, reach + step + margin), keep its tokens that end by reach + step (a prefix of a valid
 * sequence, so valid), and append them if the seam pair (the last token out, the window's first)
 * re-encodes to itself; if it does not, take the last token back and start the window at its
 * first byte. What is out is always the valid encoding of its bytes, and at the end of the piece
 * that is the encoding tiktoken's merge gives. Each window needs MERGE_LONG_WORK x its length;
 * `reach` (the furthest end so far) grows by about a step per window, so the loop ends; a seam
 * that fails is rare (the margin keeps the tokens near a window's cut out). */
static size_t chunk_step = 32768, chunk_margin = 512;
static _Atomic unsigned long chunk_seams_redone; /* windows restarted at a failed seam (tests) */

unsigned long bpe_test_seams_redone(void) { return chunk_seams_redone; }

void bpe_test_set_chunk(size_t step, size_t margin) {
    chunk_step = step ? step : 32768;
    chunk_margin = step ? margin : 512;
}

size_t bpe_test_merge_reference(const bpe_tokenizer *t, const unsigned char *s, size_t n, int32_t *work) {
    if (n == 1) {
        work[0] = t->byte_id[s[0]];
        return 1;
    }
    return merge_short(t, s, n, work);
}

/* 1 when tokens a, b side by side are the BPE encoding of their bytes */
static int pair_valid(const bpe_tokenizer *t, int32_t a, int32_t b, int *oom) {
    size_t la = t->tok_len[a], lb = t->tok_len[b], n = la + lb;
    unsigned char sbuf[512];
    int32_t wbuf[3 * 512];
    unsigned char *s = n <= sizeof sbuf ? sbuf : malloc(n);
    int32_t *w = n <= sizeof sbuf ? wbuf : malloc(3 * n * sizeof *w);
    int ok = 0;
    if (!s || !w) {
        *oom = 1;
    } else {
        memcpy(s, t->pool + t->tok_off[a], la);
        memcpy(s + la, t->pool + t->tok_off[b], lb);
        size_t m = merge_short(t, s, n, w); /* n >= 2 */
        ok = m == 2 && w[0] == a && w[1] == b;
    }
    if (s != sbuf) free(s);
    if (w != wbuf) free(w);
    return ok;
}

static int merge_chunked(const bpe_tokenizer *t, const unsigned char *s, size_t n, bpe_ids *out, int32_t **work,
                         size_t *cap) {
    size_t base = out->n, pos = 0, reach = 0;
    int oom = 0;
    while (pos < n) {
        size_t target = reach + chunk_step, end = target + chunk_margin;
        if (end >= n) end = target = n;
        size_t len = end - pos, need = MERGE_LONG_WORK * len;
        if (need > *cap) {
            int32_t *p = realloc(*work, need * sizeof *p);
            if (!p) return -1;
            *work = p;
            *cap = need;
        }
        int32_t *w = *work;
        size_t m = len == 1 ? (w[0] = t->byte_id[s[pos]], 1)
                            : len <= MERGE_SHORT_MAX ? merge_short(t, s + pos, len, w) : merge_long(t, s + pos, len, w);
        size_t k = 0, e = pos;
        while (k < m && (k == 0 || e + t->tok_len[w[k]] <= target)) e += t->tok_len[w[k++]];
        if (out->n > base && !pair_valid(t, out->ids[out->n - 1], w[0], &oom)) {
            if (oom) return -1;
            pos -= t->tok_len[out->ids[--out->n]]; /* the seam is wrong: take the token back */
            chunk_seams_redone++;
            continue;
        }
        if (ids_append(out, w, k)) return -1;
        pos = e;
        if (pos > reach) reach = pos;
    }
    return 0;
}

/* ---- per-thread piece cache --------------------------------------------------------------- */

#define CACHE_SLOTS (1u << 16)
#define CACHE_BYTES (1u << 20)
#define CACHE_IDS (1u << 18)
#define CACHE_MAX_PIECE 64

typedef struct {
    uint32_t hash, off, ids_off;
    uint16_t len, n_ids; /* len 0 = empty */
} cache_slot;

struct bpe_cache {
    cache_slot *slots;
    unsigned char *bytes;
    int32_t *ids;
    size_t bytes_len, ids_len, count;
    int32_t *work;
    size_t work_cap;
};

bpe_cache *bpe_cache_new(void) {
    bpe_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->slots = calloc(CACHE_SLOTS, sizeof *c->slots);
    c->bytes = malloc(CACHE_BYTES);
    c->ids = malloc(CACHE_IDS * sizeof *c->ids);
    if (!c->slots || !c->bytes || !c->ids) {
        bpe_cache_free(c);
        return NULL;
    }
    return c;
}

void bpe_cache_free(bpe_cache *c) {
    if (!c) return;
    free(c->slots);
    free(c->bytes);
    free(c->ids);
    free(c->work);
    free(c);
}

int bpe_ids_push(bpe_ids *v, int32_t id) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        int32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return -1;
        v->ids = p;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

static int ids_append(bpe_ids *v, const int32_t *ids, size_t n) {
    if (v->n + n > v->cap) {
        size_t cap = v->cap ? v->cap : 256;
        while (cap < v->n + n) cap *= 2;
        int32_t *p = realloc(v->ids, cap * sizeof *p);
        if (!p) return -1;
        v->ids = p;
        v->cap = cap;
    }
    memcpy(v->ids + v->n, ids, n * sizeof *ids);
    v->n += n;
    return 0;
}

/* Encodes one piece s[0..n) and appends its ids. */
static int encode_piece(const bpe_tokenizer *t, const unsigned char *s, size_t n, bpe_ids *out, bpe_cache *c,
                        int32_t *stack_work, size_t stack_cap, int32_t **heap_work, size_t *heap_cap) {
    if (n == 1) return bpe_ids_push(out, t->byte_id[s[0]]);
    uint32_t h = (uint32_t)bpe_hash_bytes(s, n);
    int32_t id = token_lookup(t, s, n, h);
    if (id >= 0) return bpe_ids_push(out, id);
    cache_slot *slot = NULL;
    if (c && n <= CACHE_MAX_PIECE) {
        uint32_t i = h & (CACHE_SLOTS - 1);
        for (;; i = (i + 1) & (CACHE_SLOTS - 1)) {
            cache_slot *e = &c->slots[i];
            if (!e->len) {
                slot = e;
                break;
            }
            if (e->hash == h && e->len == n && same_bytes(c->bytes + e->off, s, n))
                return ids_append(out, c->ids + e->ids_off, e->n_ids);
        }
    }
    if (n > chunk_step + chunk_margin) return merge_chunked(t, s, n, out, heap_work, heap_cap); /* never cached */
    int32_t *work = stack_work;
    size_t need = n <= MERGE_SHORT_MAX ? 3 * n : MERGE_LONG_WORK * n;
    if (need > stack_cap) {
        if (need > *heap_cap) {
            int32_t *p = realloc(*heap_work, need * sizeof *p);
            if (!p) return -1;
            *heap_work = p;
            *heap_cap = need;
        }
        work = *heap_work;
    }
    size_t m = n <= MERGE_SHORT_MAX ? merge_short(t, s, n, work) : merge_long(t, s, n, work);
    if (slot) {
        if (c->count * 2 >= CACHE_SLOTS || c->bytes_len + n > CACHE_BYTES || c->ids_len + m > CACHE_IDS) {
            memset(c->slots, 0, CACHE_SLOTS * sizeof *c->slots); /* full: start over (bounded memory) */
            c->count = c->bytes_len = c->ids_len = 0;
            uint32_t i = h & (CACHE_SLOTS - 1);
            slot = &c->slots[i];
        }
        slot->hash = h;
        slot->len = (uint16_t)n;
        slot->n_ids = (uint16_t)m;
        slot->off = (uint32_t)c->bytes_len;
        slot->ids_off = (uint32_t)c->ids_len;
        memcpy(c->bytes + c->bytes_len, s, n);
        memcpy(c->ids + c->ids_len, work, m * sizeof *work);
        c->bytes_len += n;
        c->ids_len += m;
        c->count++;
    }
    return ids_append(out, work, m);
}

static int encode_ordinary(const bpe_tokenizer *t, const unsigned char *s, size_t n, bpe_ids *out, bpe_cache *c) {
    int32_t stack_work[3 * MERGE_SHORT_MAX];
    int32_t *heap_work = c ? c->work : NULL;
    size_t heap_cap = c ? c->work_cap : 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t e = bpe_piece_end(s, n, i);
        rc = encode_piece(t, s + i, e - i, out, c, stack_work, sizeof stack_work / sizeof *stack_work, &heap_work, &heap_cap);
        i = e;
    }
    if (c) {
        c->work = heap_work;
        c->work_cap = heap_cap;
    } else {
        free(heap_work);
    }
    return rc;
}

int bpe_encode(const bpe_tokenizer *t, const char *text, size_t len, int flags, bpe_ids *out, bpe_cache *cache,
               n2g_err *err) {
    const unsigned char *s = (const unsigned char *)text;
    if (!(flags & BPE_SPECIAL) || !t->n_special) {
        if (encode_ordinary(t, s, len, out, cache)) return n2g_fail(err, "out of memory while encoding");
        return 0;
    }
    /* next occurrence of each special token at or after i (len = none) */
    size_t next[BPE_MAX_SPECIAL];
    for (int k = 0; k < t->n_special; k++) next[k] = 0;
    int first = 1;
    size_t i = 0;
    while (i < len) {
        size_t best = len;
        int bk = -1;
        for (int k = 0; k < t->n_special; k++) {
            size_t sl;
            const char *sb = bpe_token_bytes(t, t->special_id[k], &sl);
            if (first || (next[k] < i && next[k] != len)) {
                const char *p = len - i >= sl ? memmem(text + i, len - i, sb, sl) : NULL;
                next[k] = p ? (size_t)(p - text) : len;
            }
            if (next[k] < best || (next[k] == best && next[k] < len && bk >= 0 && sl > t->tok_len[t->special_id[bk]]))
                best = next[k], bk = k; /* earliest; the longest of those starting there */
        }
        first = 0;
        if (encode_ordinary(t, s + i, best - i, out, cache)) return n2g_fail(err, "out of memory while encoding");
        if (bk < 0) break;
        size_t sl;
        bpe_token_bytes(t, t->special_id[bk], &sl);
        if (bpe_ids_push(out, t->special_id[bk])) return n2g_fail(err, "out of memory while encoding");
        i = best + sl;
    }
    return 0;
}

int bpe_decode(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len, n2g_err *err) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_vocab || !t->tok_len[ids[i]])
            return n2g_fail(err, "token id %d at position %zu is not in the vocabulary (size %d)", ids[i], i, t->n_vocab);
        total += t->tok_len[ids[i]];
    }
    char *out = malloc(total + 1);
    if (!out) return n2g_fail(err, "out of memory while decoding");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + k, t->pool + t->tok_off[ids[i]], t->tok_len[ids[i]]);
        k += t->tok_len[ids[i]];
    }
    out[k] = 0;
    *text = out;
    *len = k;
    return 0;
}
