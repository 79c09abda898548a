/* wordpiece.c — BERT uncased basic tokenizer + WordPiece (see wordpiece.h). */
#include "wordpiece.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/unicode.h"
#include "text/wordpiece_tables.h"

#define WP_MAX_WORD_CHARS 100

struct wp_vocab {
    int n;
    char **tok;
    size_t *len;
    int32_t *slots; /* open addressing, -1 empty */
    size_t nslots;
    wp_special_ids sp;
};

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

int wp_size(const wp_vocab *v) { return v->n; }
const wp_special_ids *wp_specials(const wp_vocab *v) { return &v->sp; }

int wp_id(const wp_vocab *v, const char *s, size_t n) {
    size_t m = v->nslots - 1;
    for (size_t i = hash_bytes(s, n) & m;; i = (i + 1) & m) {
        int32_t id = v->slots[i];
        if (id < 0) return -1;
        if (v->len[id] == n && !memcmp(v->tok[id], s, n)) return id;
    }
}

const char *wp_token(const wp_vocab *v, int id, size_t *len) {
    if (id < 0 || id >= v->n) return NULL;
    if (len) *len = v->len[id];
    return v->tok[id];
}

void wp_free(wp_vocab *v) {
    if (!v) return;
    if (v->tok) free(v->tok[0]);
    free(v->tok);
    free(v->len);
    free(v->slots);
    free(v);
}

int wp_load(const char *path, wp_vocab **out, n2g_err *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return n2g_fail(err, "%s: cannot open the WordPiece vocabulary (vocab.txt)", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return n2g_fail(err, "out of memory");
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 65536, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    wp_vocab *v = calloc(1, sizeof *v);
    if (!v) {
        free(buf);
        return n2g_fail(err, "out of memory");
    }
    int lines = 0;
    for (size_t i = 0; i < n; i++) lines += buf[i] == '\n';
    if (n && buf[n - 1] != '\n') lines++;
    v->tok = calloc((size_t)lines + 1, sizeof *v->tok);
    v->len = calloc((size_t)lines + 1, sizeof *v->len);
    v->nslots = 16;
    while (v->nslots < (size_t)lines * 2 + 2) v->nslots *= 2;
    v->slots = malloc(v->nslots * sizeof *v->slots);
    if (!v->tok || !v->len || !v->slots) {
        free(buf);
        wp_free(v);
        return n2g_fail(err, "out of memory");
    }
    v->tok[0] = buf; /* owns the text */
    memset(v->slots, 0xff, v->nslots * sizeof *v->slots);
    size_t p = 0;
    while (p < n) {
        size_t e = p;
        while (e < n && buf[e] != '\n') e++;
        size_t l = e - p;
        if (l && buf[p + l - 1] == '\r') l--;
        buf[p + l] = 0;
        int id = v->n++;
        v->tok[id] = buf + p;
        v->len[id] = l;
        size_t m = v->nslots - 1, i = hash_bytes(buf + p, l) & m;
        for (; v->slots[i] >= 0; i = (i + 1) & m) {
            int o = v->slots[i];
            if (v->len[o] == l && !memcmp(v->tok[o], buf + p, l)) {
                n2g_fail(err, "%s: token '%.60s' appears twice (lines %d and %d)", path, buf + p, o + 1, id + 1);
                v->tok[0] = buf;
                wp_free(v);
                return -1;
            }
        }
        v->slots[i] = id;
        p = e + 1;
    }
    if (v->n == 0) {
        wp_free(v);
        return n2g_fail(err, "%s: empty vocabulary", path);
    }
    struct {
        const char *s;
        int *dst;
    } sp[] = {{"[PAD]", &v->sp.pad}, {"[UNK]", &v->sp.unk}, {"[CLS]", &v->sp.cls}, {"[SEP]", &v->sp.sep},
              {"[MASK]", &v->sp.mask}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        *sp[i].dst = wp_id(v, sp[i].s, strlen(sp[i].s));
        if (*sp[i].dst < 0) {
            n2g_fail(err, "%s: no %s token (not a BERT WordPiece vocabulary?)", path, sp[i].s);
            wp_free(v);
            return -1;
        }
    }
    *out = v;
    return 0;
}

int wp_ids_push(wp_ids *o, int32_t id) {
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        int32_t *ni = realloc(o->ids, nc * sizeof *ni);
        if (!ni) return -1;
        o->ids = ni, o->cap = nc;
    }
    o->ids[o->n++] = id;
    return 0;
}

/* ---- basic tokenizer over code points ---- */

static int is_cjk(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

static uint32_t lower1(uint32_t cp) {
    if (!(wp_flags(cp) & WP_F_LOWER)) return cp;
    size_t lo = 0, hi = wp_lower_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (wp_lower[2 * mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return wp_lower[2 * lo + 1];
}

/* NFD of one code point into d (cap >= 32); returns the count */
static int nfd1(uint32_t cp, uint32_t *d) {
    if (cp >= 0xAC00 && cp <= 0xD7A3) { /* Hangul syllable */
        uint32_t s = cp - 0xAC00;
        d[0] = 0x1100 + s / 588;
        d[1] = 0x1161 + (s % 588) / 28;
        if (s % 28) {
            d[2] = 0x11A7 + s % 28;
            return 3;
        }
        return 2;
    }
    if (!(wp_flags(cp) & WP_F_DECOMP)) {
        d[0] = cp;
        return 1;
    }
    size_t lo = 0, hi = wp_decomp_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (wp_decomp[3 * mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    uint32_t off = wp_decomp[3 * lo + 1], len = wp_decomp[3 * lo + 2];
    if (len > 32) len = 32;
    memcpy(d, wp_decomp_pool + off, len * sizeof *d);
    return (int)len;
}

static size_t put_utf8(uint32_t cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 63));
        o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63));
    o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* emits one finished piece (UTF-8 in w[0..wl)) */
typedef struct {
    char *w;
    size_t wl, cap;
    wp_word_fn fn;
    void *user;
} piece_buf;

static int piece_flush(piece_buf *b) {
    int rc = 0;
    if (b->wl) rc = b->fn(b->user, b->w, b->wl);
    b->wl = 0;
    return rc;
}

static int piece_add(piece_buf *b, uint32_t cp) {
    if (b->wl + 4 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        char *nw = realloc(b->w, nc);
        if (!nw) return -1;
        b->w = nw, b->cap = nc;
    }
    b->wl += put_utf8(cp, b->w + b->wl);
    return 0;
}

int wp_basic_tokenize(const char *text, size_t n, wp_word_fn fn, void *user, n2g_err *err) {
    piece_buf b = {NULL, 0, 0, fn, user};
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int rc = 0;
    while (i < n && rc == 0) {
        uint32_t cp;
        i += unicode_decode(s + i, n - i, &cp);
        if (cp == UNICODE_INVALID) cp = 0xFFFD;
        int f = wp_flags(cp);
        if (cp == 0 || cp == 0xFFFD || (f & WP_F_CONTROL)) continue;
        if ((f & WP_F_SPACE) || is_cjk(cp)) {
            rc = piece_flush(&b);
            if (rc == 0 && is_cjk(cp)) rc = piece_add(&b, cp) ? -1 : piece_flush(&b);
            continue;
        }
        /* lower-case, NFD, drop Mn, split punctuation */
        uint32_t lo[2];
        int nlo = 1;
        if (cp == 0x130) lo[0] = 'i', lo[1] = 0x307, nlo = 2;
        else lo[0] = lower1(cp);
        for (int a = 0; a < nlo && rc == 0; a++) {
            uint32_t d[32];
            int nd = nfd1(lo[a], d);
            for (int k = 0; k < nd && rc == 0; k++) {
                int g = wp_flags(d[k]);
                if (g & WP_F_MN) continue;
                if (g & WP_F_PUNCT) {
                    rc = piece_flush(&b);
                    if (rc == 0) rc = piece_add(&b, d[k]) ? -1 : piece_flush(&b);
                } else if (piece_add(&b, d[k])) {
                    rc = -1;
                }
            }
        }
    }
    if (rc == 0) rc = piece_flush(&b);
    free(b.w);
    if (rc) return n2g_fail(err, "wordpiece: out of memory");
    return 0;
}

/* ---- WordPiece ---- */

typedef struct {
    const wp_vocab *v;
    wp_ids *out;
    char *tmp;
    size_t cap;
} wp_state;

static int wordpiece_word(void *user, const char *w, size_t n) {
    wp_state *st = user;
    const wp_vocab *v = st->v;
    size_t nch = 0;
    for (size_t i = 0; i < n; i++) nch += ((unsigned char)w[i] & 0xC0) != 0x80;
    if (nch > WP_MAX_WORD_CHARS) return wp_ids_push(st->out, v->sp.unk);
    if (n + 3 > st->cap) {
        size_t nc = (n + 3) * 2;
        char *nt = realloc(st->tmp, nc);
        if (!nt) return -1;
        st->tmp = nt, st->cap = nc;
    }
    size_t mark = st->out->n, start = 0;
    while (start < n) {
        size_t end = n;
        int found = -1;
        while (end > start) {
            size_t l = 0;
            if (start > 0) st->tmp[l++] = '#', st->tmp[l++] = '#';
            memcpy(st->tmp + l, w + start, end - start);
            l += end - start;
            found = wp_id(v, st->tmp, l);
            if (found >= 0) break;
            do end--; /* back off one code point */
            while (end > start && ((unsigned char)w[end] & 0xC0) == 0x80);
        }
        if (found < 0) {
            st->out->n = mark;
            return wp_ids_push(st->out, v->sp.unk);
        }
        if (wp_ids_push(st->out, found)) return -1;
        start = end;
    }
    return 0;
}

/* the special tokens are split out of the text before normalisation, as Hugging Face's
 * added tokens are */
int wp_encode(const wp_vocab *v, const char *text, size_t n, wp_ids *out, n2g_err *err) {
    wp_state st = {v, out, NULL, 0};
    static const char *const names[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    const int ids[5] = {v->sp.pad, v->sp.unk, v->sp.cls, v->sp.sep, v->sp.mask};
    int rc = 0;
    size_t p = 0;
    while (rc == 0 && p < n) {
        size_t best = n, blen = 0;
        int bid = -1;
        for (size_t q = p; q < n && bid < 0; q++) {
            if (text[q] != '[') continue;
            for (int k = 0; k < 5; k++) {
                size_t l = strlen(names[k]);
                if (q + l <= n && !memcmp(text + q, names[k], l)) {
                    best = q, blen = l, bid = ids[k];
                    break;
                }
            }
        }
        rc = wp_basic_tokenize(text + p, best - p, wordpiece_word, &st, err);
        if (rc == 0 && bid >= 0 && wp_ids_push(out, bid)) rc = n2g_fail(err, "wordpiece: out of memory");
        p = best + blen;
    }
    free(st.tmp);
    return rc;
}
