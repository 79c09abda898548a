/* bpe_load.c — loading a GPT-2 byte-level BPE vocabulary: vocab.json + merges.txt,
 * encoder.json + vocab.bpe, or tokenizer.json; the byte <-> unicode map; the lookup tables. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/json.h"
#include "common/paths.h"
#include "text/bpe_impl.h"
#include "text/corpus.h"
#include "text/unicode.h"

/* GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to U+0100.. in order. */
static void byte_unicode_maps(uint32_t b2u[256], int16_t u2b[512]) {
    int n = 0;
    for (int i = 0; i < 512; i++) u2b[i] = -1;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        b2u[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
        u2b[b2u[b]] = (int16_t)b;
    }
}

/* Maps a byte-level token string (UTF-8 of mapped code points) to raw bytes in out (>= n bytes).
 * Returns the raw length, or -1 (with *bad set) on a character outside the alphabet. */
static long unmap_token(const int16_t u2b[512], const char *s, size_t n, char *out, uint32_t *bad) {
    size_t i = 0, k = 0;
    while (i < n) {
        uint32_t cp;
        i += unicode_decode((const unsigned char *)s + i, n - i, &cp);
        if (cp >= 512 || u2b[cp] < 0) {
            *bad = cp;
            return -1;
        }
        out[k++] = (char)u2b[cp];
    }
    return (long)k;
}

typedef struct {
    bpe_tokenizer *t;
    size_t pool_len, pool_cap;
    int16_t u2b[512];
    int32_t *rank; /* [n_vocab] merge rank that makes the token; INT_MAX when none */
} builder;

static uint32_t pow2_at_least(size_t n) {
    uint32_t c = 16;
    while (c < n) c <<= 1;
    return c;
}

static int tmap_find(const bpe_tokenizer *t, const char *s, size_t n) {
    uint32_t h = (uint32_t)bpe_hash_bytes((const unsigned char *)s, n) & t->tmap_mask;
    for (;; h = (h + 1) & t->tmap_mask) {
        int32_t id = t->tmap[h];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && !memcmp(t->pool + t->tok_off[id], s, n)) return id;
    }
}

int bpe_token_id(const bpe_tokenizer *t, const char *s, size_t len) { return tmap_find(t, s, len); }

static void tmap_insert(bpe_tokenizer *t, int32_t id) {
    uint32_t h = (uint32_t)bpe_hash_bytes((const unsigned char *)t->pool + t->tok_off[id], t->tok_len[id]) & t->tmap_mask;
    while (t->tmap[h] >= 0) h = (h + 1) & t->tmap_mask;
    t->tmap[h] = id;
}

/* Adds token `id` with raw bytes s[0..n); fails on a duplicate id or duplicate bytes. */
static int add_token(builder *b, int32_t id, const char *s, size_t n, const char *what, n2g_err *err) {
    bpe_tokenizer *t = b->t;
    if (id < 0 || id >= t->n_vocab) return n2g_fail(err, "%s: token id %d out of range", what, id);
    if (t->tok_len[id]) return n2g_fail(err, "%s: token id %d appears twice", what, id);
    if (n == 0) return n2g_fail(err, "%s: token id %d is an empty string", what, id);
    if (b->pool_len + n > b->pool_cap) {
        size_t cap = (b->pool_len + n) * 2;
        char *p = realloc(t->pool, cap);
        if (!p) return n2g_fail(err, "out of memory");
        t->pool = p;
        b->pool_cap = cap;
    }
    if (tmap_find(t, s, n) >= 0) return n2g_fail(err, "%s: token id %d duplicates another token's bytes", what, id);
    memcpy(t->pool + b->pool_len, s, n);
    t->tok_off[id] = (uint32_t)b->pool_len;
    t->tok_len[id] = (uint32_t)n;
    b->pool_len += n;
    tmap_insert(t, id);
    return 0;
}

static int builder_init(builder *b, int n_vocab, n2g_err *err) {
    memset(b, 0, sizeof *b);
    uint32_t b2u[256];
    byte_unicode_maps(b2u, b->u2b);
    bpe_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return n2g_fail(err, "out of memory");
    b->t = t;
    t->n_vocab = n_vocab;
    t->eot = -1;
    t->tok_off = calloc((size_t)n_vocab, sizeof *t->tok_off);
    t->tok_len = calloc((size_t)n_vocab, sizeof *t->tok_len);
    b->rank = malloc((size_t)n_vocab * sizeof *b->rank);
    t->tmap_mask = pow2_at_least((size_t)n_vocab * 2) - 1;
    t->tmap = malloc(((size_t)t->tmap_mask + 1) * sizeof *t->tmap);
    if (!t->tok_off || !t->tok_len || !b->rank || !t->tmap) return n2g_fail(err, "out of memory");
    memset(t->tmap, 0xff, ((size_t)t->tmap_mask + 1) * sizeof *t->tmap);
    for (int i = 0; i < n_vocab; i++) b->rank[i] = INT_MAX;
    return 0;
}

/* Adds the tokens of a vocab.json-style object (byte-mapped strings -> ids). */
static int add_vocab_object(builder *b, const json_value *obj, const char *what, n2g_err *err) {
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < obj->n; i++) {
        const json_value *v = &obj->items[i];
        const char *key = obj->keys[i];
        if (v->type != JSON_NUMBER || v->num != (double)(int32_t)v->num) {
            free(buf);
            return n2g_fail(err, "%s: token \"%.60s\": expected an integer id", what, key);
        }
        if (obj->key_lens[i] > cap) {
            cap = obj->key_lens[i] * 2;
            char *p = realloc(buf, cap);
            if (!p) return free(buf), n2g_fail(err, "out of memory");
            buf = p;
        }
        uint32_t bad = 0;
        long n = unmap_token(b->u2b, key, obj->key_lens[i], buf, &bad);
        if (n < 0) {
            free(buf);
            return n2g_fail(err, "%s: token \"%.60s\" (id %d): character U+%04X is outside GPT-2's byte alphabet", what,
                            key, (int)v->num, bad);
        }
        if (add_token(b, (int32_t)v->num, buf, (size_t)n, what, err)) return free(buf), -1;
    }
    free(buf);
    return 0;
}

/* Largest id in a vocab object + 1 (for sizing), or -1 on a bad value. */
static int vocab_object_size(const json_value *obj, const char *what, n2g_err *err) {
    if (!obj || obj->type != JSON_OBJECT) return n2g_fail(err, "%s: expected an object of token -> id", what);
    double mx = -1;
    for (size_t i = 0; i < obj->n; i++) {
        const json_value *v = &obj->items[i];
        if (v->type != JSON_NUMBER || v->num < 0 || v->num > 16777216 || v->num != (double)(int32_t)v->num)
            return n2g_fail(err, "%s: token \"%.60s\": expected an integer id in [0, 16777216]", what, obj->keys[i]);
        if (v->num > mx) mx = v->num;
    }
    if (mx < 0) return n2g_fail(err, "%s: the vocabulary is empty", what);
    return (int)mx + 1;
}

/* Records merge `rank`: left + right (byte-mapped strings). */
static int add_merge(builder *b, const char *l, size_t ln, const char *r, size_t rn, int rank, const char *what, int line,
                     n2g_err *err) {
    char buf[1024];
    uint32_t bad = 0;
    if (ln + rn > sizeof buf) return n2g_fail(err, "%s:%d: merge is too long", what, line);
    long a = unmap_token(b->u2b, l, ln, buf, &bad);
    long c = a < 0 ? -1 : unmap_token(b->u2b, r, rn, buf + a, &bad);
    if (a <= 0 || c <= 0) return n2g_fail(err, "%s:%d: merge \"%.*s %.*s\" is not two byte-level tokens", what, line,
                                          (int)(ln > 60 ? 60 : ln), l, (int)(rn > 60 ? 60 : rn), r);
    bpe_tokenizer *t = b->t;
    if (tmap_find(t, buf, (size_t)a) < 0 || tmap_find(t, buf + a, (size_t)c) < 0)
        return n2g_fail(err, "%s:%d: merge \"%.*s %.*s\": a part is not in the vocabulary", what, line, (int)(ln > 60 ? 60 : ln),
                        l, (int)(rn > 60 ? 60 : rn), r);
    int id = tmap_find(t, buf, (size_t)(a + c));
    if (id < 0)
        return n2g_fail(err, "%s:%d: merge \"%.*s %.*s\": the merged token is not in the vocabulary", what, line,
                        (int)(ln > 60 ? 60 : ln), l, (int)(rn > 60 ? 60 : rn), r);
    if (rank < b->rank[id]) b->rank[id] = rank;
    return 0;
}

static int add_merges_text(builder *b, const char *text, size_t len, const char *what, n2g_err *err) {
    size_t i = 0;
    int line = 0, rank = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n') e++;
        line++;
        size_t n = e;
        if (n > i && text[n - 1] == '\r') n--;
        if (n > i && !(line == 1 && text[i] == '#')) {
            const char *sp = memchr(text + i, ' ', n - i);
            if (!sp || sp == text + i || sp + 1 >= text + n || memchr(sp + 1, ' ', (size_t)(text + n - sp - 1)))
                return n2g_fail(err, "%s:%d: expected two tokens separated by one space", what, line);
            if (add_merge(b, text + i, (size_t)(sp - text - i), sp + 1, (size_t)(text + n - sp - 1), rank++, what, line, err))
                return -1;
        }
        i = e + 1;
    }
    if (!rank) return n2g_fail(err, "%s: no merges", what);
    return 0;
}

static int add_special(bpe_tokenizer *t, int id) {
    for (int i = 0; i < t->n_special; i++)
        if (t->special_id[i] == id) return 0;
    if (t->n_special < BPE_MAX_SPECIAL) t->special_id[t->n_special++] = id;
    return 0;
}

/* Finishes: byte tokens, the pair table (every split of every merged token, as tiktoken's
 * rank-of-concatenation lookup does), the end-of-text token. */
static bpe_tokenizer *builder_finish(builder *b, const char *what, n2g_err *err) {
    bpe_tokenizer *t = b->t;
    for (int c = 0; c < 256; c++) {
        char ch = (char)c;
        t->byte_id[c] = tmap_find(t, &ch, 1);
        if (t->byte_id[c] < 0) {
            n2g_fail(err, "%s: the vocabulary lacks the single-byte token for byte 0x%02X", what, c);
            goto fail;
        }
    }
    size_t n_pairs = 0;
    for (int id = 0; id < t->n_vocab; id++)
        if (b->rank[id] != INT_MAX) n_pairs += t->tok_len[id] - 1;
    t->pmask = pow2_at_least(n_pairs * 2 + 16) - 1;
    size_t pn = (size_t)t->pmask + 1;
    t->pkey = malloc(pn * sizeof *t->pkey);
    t->pmerged = malloc(pn * sizeof *t->pmerged);
    t->prank = malloc(pn * sizeof *t->prank);
    if (!t->pkey || !t->pmerged || !t->prank) {
        n2g_fail(err, "out of memory");
        goto fail;
    }
    memset(t->pkey, 0xff, pn * sizeof *t->pkey);
    for (int id = 0; id < t->n_vocab; id++) {
        if (b->rank[id] == INT_MAX) continue;
        const char *s = t->pool + t->tok_off[id];
        uint32_t n = t->tok_len[id];
        for (uint32_t k = 1; k < n; k++) {
            int a = tmap_find(t, s, k), c = tmap_find(t, s + k, n - k);
            if (a < 0 || c < 0) continue;
            uint64_t key = (uint64_t)a << 32 | (uint32_t)c;
            uint32_t h = bpe_hash_pair(key) & t->pmask;
            while (t->pkey[h] != ~0ull && t->pkey[h] != key) h = (h + 1) & t->pmask;
            t->pkey[h] = key;
            t->pmerged[h] = id;
            t->prank[h] = b->rank[id];
        }
    }
    t->eot = tmap_find(t, "<|endoftext|>", 13);
    if (t->eot >= 0) add_special(t, t->eot);
    free(b->rank);
    return t;
fail:
    free(b->rank);
    bpe_free(t);
    return NULL;
}

static void builder_abort(builder *b) {
    free(b->rank);
    bpe_free(b->t);
}

static bpe_tokenizer *load_vocab_merges(const json_doc *vocab, const char *vocab_what, const char *merges, size_t merges_len,
                                        const char *merges_what, n2g_err *err) {
    const json_value *root = json_root(vocab);
    int n = vocab_object_size(root, vocab_what, err);
    if (n < 0) return NULL;
    builder b;
    if (builder_init(&b, n, err) || add_vocab_object(&b, root, vocab_what, err) ||
        add_merges_text(&b, merges, merges_len, merges_what, err)) {
        builder_abort(&b);
        return NULL;
    }
    return builder_finish(&b, vocab_what, err);
}

bpe_tokenizer *bpe_load_files(const char *vocab_path, const char *merges_path, n2g_err *err) {
    json_doc *doc = json_parse_file(vocab_path, err);
    if (!doc) return NULL;
    size_t mlen;
    char *m = corpus_read_file(merges_path, &mlen, err);
    bpe_tokenizer *t = m ? load_vocab_merges(doc, vocab_path, m, mlen, merges_path, err) : NULL;
    free(m);
    json_free(doc);
    return t;
}

bpe_tokenizer *bpe_load_memory(const char *vocab_json, size_t vocab_len, const char *merges, size_t merges_len,
                               const char *what, n2g_err *err) {
    char vw[300], mw[300];
    snprintf(vw, sizeof vw, "%s (vocab)", what);
    snprintf(mw, sizeof mw, "%s (merges)", what);
    json_doc *doc = json_parse(vocab_json, vocab_len, vw, err);
    if (!doc) return NULL;
    bpe_tokenizer *t = load_vocab_merges(doc, vw, merges, merges_len, mw, err);
    json_free(doc);
    return t;
}

bpe_tokenizer *bpe_load_tokenizer_json(const char *path, n2g_err *err) {
    json_doc *doc = json_parse_file(path, err);
    if (!doc) return NULL;
    const json_value *root = json_root(doc), *model = json_get(root, "model");
    const json_value *vocab = json_get(model, "vocab"), *merges = json_get(model, "merges");
    const json_value *type = json_get(model, "type"), *added = json_get(root, "added_tokens");
    builder b;
    char what[600];
    snprintf(what, sizeof what, "%s: model.vocab", path);
    if (!model || model->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected an object \"model\"", path);
        goto fail0;
    }
    if (type && (type->type != JSON_STRING || strcmp(type->str, "BPE"))) {
        n2g_fail(err, "%s: model.type: expected \"BPE\"", path);
        goto fail0;
    }
    if (!merges || merges->type != JSON_ARRAY) {
        n2g_fail(err, "%s: model.merges: expected an array", path);
        goto fail0;
    }
    int n = vocab_object_size(vocab, what, err);
    if (n < 0) goto fail0;
    /* added tokens may lie beyond the model vocabulary */
    if (added && added->type == JSON_ARRAY)
        for (size_t i = 0; i < added->n; i++) {
            int id;
            if (json_get_int(&added->items[i], "id", "added_tokens[]", &id, err)) goto fail0;
            if (id < 0 || id > 16777216) {
                n2g_fail(err, "%s: added_tokens[%zu].id out of range", path, i);
                goto fail0;
            }
            if (id >= n) n = id + 1;
        }
    if (builder_init(&b, n, err) || add_vocab_object(&b, vocab, what, err)) goto fail;
    snprintf(what, sizeof what, "%s: model.merges", path);
    for (size_t i = 0; i < merges->n; i++) {
        const json_value *m = &merges->items[i];
        const char *l, *r;
        size_t ln, rn;
        if (m->type == JSON_STRING) {
            const char *sp = memchr(m->str, ' ', m->n);
            if (!sp) {
                n2g_fail(err, "%s[%zu]: expected \"LEFT RIGHT\"", what, i);
                goto fail;
            }
            l = m->str, ln = (size_t)(sp - m->str), r = sp + 1, rn = m->n - ln - 1;
        } else if (m->type == JSON_ARRAY && m->n == 2 && m->items[0].type == JSON_STRING && m->items[1].type == JSON_STRING) {
            l = m->items[0].str, ln = m->items[0].n, r = m->items[1].str, rn = m->items[1].n;
        } else {
            n2g_fail(err, "%s[%zu]: expected \"LEFT RIGHT\" or [LEFT, RIGHT]", what, i);
            goto fail;
        }
        if (add_merge(&b, l, ln, r, rn, (int)i, what, (int)i + 1, err)) goto fail;
    }
    if (added && added->type == JSON_ARRAY)
        for (size_t i = 0; i < added->n; i++) {
            const json_value *a = &added->items[i], *content = json_get(a, "content"), *special = json_get(a, "special");
            int id;
            json_get_int(a, "id", "added_tokens[]", &id, err);
            if (!content || content->type != JSON_STRING || !content->n) {
                n2g_fail(err, "%s: added_tokens[%zu].content: expected a non-empty string", path, i);
                goto fail;
            }
            if (!b.t->tok_len[id] && add_token(&b, id, content->str, content->n, path, err)) goto fail;
            if (special && special->type == JSON_TRUE) add_special(b.t, id);
        }
    bpe_tokenizer *t = builder_finish(&b, path, err);
    json_free(doc);
    return t;
fail:
    builder_abort(&b);
fail0:
    json_free(doc);
    return NULL;
}

static int file_exists(const char *dir, const char *name, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s", dir, name);
    return n2g_is_file(out);
}

bpe_tokenizer *bpe_load_dir(const char *dir, n2g_err *err) {
    char a[4096], b[4096];
    if (file_exists(dir, "vocab.json", a, sizeof a) && file_exists(dir, "merges.txt", b, sizeof b))
        return bpe_load_files(a, b, err);
    if (file_exists(dir, "encoder.json", a, sizeof a) && file_exists(dir, "vocab.bpe", b, sizeof b))
        return bpe_load_files(a, b, err);
    if (file_exists(dir, "tokenizer.json", a, sizeof a)) return bpe_load_tokenizer_json(a, err);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return n2g_fail(err, "%s: no such directory", dir), NULL;
    return n2g_fail(err, "%s: no tokenizer found (expected vocab.json + merges.txt, encoder.json + vocab.bpe, or tokenizer.json)",
                    dir),
           NULL;
}

/* 1 when a file (of any kind, readable or not) has the name DIR/NAME. */
static int present(const char *dir, const char *name, char *out, size_t cap) {
    struct stat st;
    snprintf(out, cap, "%s/%s", dir, name);
    return stat(out, &st) == 0;
}

int bpe_model_vocab(const char *dir) {
    static const char *const names[] = {"vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "tokenizer.json"};
    char p[4096];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (present(dir, names[i], p, sizeof p)) return BPE_VOCAB_MODEL;
    return BPE_VOCAB_BUNDLED;
}

bpe_tokenizer *bpe_load_model(const char *dir, int quiet, int *source, n2g_err *err) {
    static const char *const pairs[2][2] = {{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}};
    char a[4096], b[4096];
    if (source) *source = bpe_model_vocab(dir);
    for (int i = 0; i < 2; i++) {
        int ha = present(dir, pairs[i][0], a, sizeof a), hb = present(dir, pairs[i][1], b, sizeof b);
        if (!ha && !hb) continue;
        if (!ha || !hb)
            return n2g_fail(err, "%s: missing (%s is there; the model's tokenizer needs both files)", ha ? b : a,
                            ha ? a : b),
                   NULL;
        return bpe_load_files(a, b, err);
    }
    if (present(dir, "tokenizer.json", a, sizeof a)) return bpe_load_tokenizer_json(a, err);
    static int told; /* once per process: a command may load it several times */
    if (!quiet && !told) {
        told = 1;
        const char *env = getenv("N2G_VOCAB");
        fprintf(stderr, "n2g: note: %s has no tokenizer files (vocab.json + merges.txt); using the bundled GPT-2 "
                        "vocabulary (%s)\n",
                dir, env && *env ? env : n2g_default_vocab_dir());
    }
    return bpe_load_default(err);
}

static int has_tokenizer(const char *dir) {
    char a[4096], b[4096];
    return (file_exists(dir, "vocab.json", a, sizeof a) && file_exists(dir, "merges.txt", b, sizeof b)) ||
           (file_exists(dir, "encoder.json", a, sizeof a) && file_exists(dir, "vocab.bpe", b, sizeof b)) ||
           file_exists(dir, "tokenizer.json", a, sizeof a);
}

bpe_tokenizer *bpe_load_default(n2g_err *err) {
    const char *env = getenv("N2G_VOCAB");
    if (env && *env) {
        bpe_tokenizer *t = bpe_load_dir(env, err);
        if (!t) n2g_wrap(err, "$N2G_VOCAB");
        return t;
    }
    const char *dir = n2g_default_vocab_dir();
    if (has_tokenizer(dir)) return bpe_load_dir(dir, err);
    char exe[4096], inst[4096 + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(inst, sizeof inst, "%s/../share/n2g/gpt2", exe);
        if (has_tokenizer(inst)) return bpe_load_dir(inst, err);
    }
    return n2g_failc(err, N2G_E_FAIL,
                     "no GPT-2 vocabulary found in %s (nor <exe dir>/../share/n2g/gpt2): pass --model DIR or --vocab DIR, "
                     "or set N2G_VOCAB (or N2G_DATA) to a directory with vocab.json + merges.txt",
                     dir),
           NULL;
}

void bpe_free(bpe_tokenizer *t) {
    if (!t) return;
    free(t->tok_off);
    free(t->tok_len);
    free(t->pool);
    free(t->tmap);
    free(t->pkey);
    free(t->pmerged);
    free(t->prank);
    free(t);
}

int bpe_vocab_size(const bpe_tokenizer *t) { return t->n_vocab; }
int bpe_eot_id(const bpe_tokenizer *t) { return t->eot; }

const char *bpe_token_bytes(const bpe_tokenizer *t, int id, size_t *len) {
    if (id < 0 || id >= t->n_vocab || !t->tok_len[id]) return NULL;
    if (len) *len = t->tok_len[id];
    return t->pool + t->tok_off[id];
}
