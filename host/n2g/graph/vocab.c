/* vocab.c — token strings, normalised keys and class tables (see vocab.h). */
#include "n2g/graph/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/paths.h"

static int arena_put(n2g_vocab *v, const char *s, size_t n, n2g_str *out) {
    if (v->arena_len + n + 1 > v->arena_cap) {
        size_t cap = v->arena_cap ? v->arena_cap : 1 << 16;
        while (cap < v->arena_len + n + 1) cap *= 2;
        char *na = realloc(v->arena, cap);
        if (!na) return -1;
        v->arena = na;
        v->arena_cap = cap;
    }
    memcpy(v->arena + v->arena_len, s, n);
    v->arena[v->arena_len + n] = 0;
    out->s = (const char *)(uintptr_t)v->arena_len; /* fixed up once the arena stops moving */
    out->n = (uint32_t)n;
    v->arena_len += n + 1;
    return 0;
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* cls[i] = smallest id j with str[j] == str[i]. */
static int classes(const n2g_str *str, int n, uint32_t *cls) {
    size_t cap = 1;
    while (cap < (size_t)n * 2 + 2) cap <<= 1;
    int32_t *tab = malloc(cap * sizeof *tab);
    if (!tab) return -1;
    memset(tab, 0xFF, cap * sizeof *tab);
    for (int i = 0; i < n; i++) {
        size_t h = (size_t)hash_bytes(str[i].s, str[i].n) & (cap - 1);
        for (;;) {
            int32_t j = tab[h];
            if (j < 0) {
                tab[h] = i;
                cls[i] = (uint32_t)i;
                break;
            }
            if (str[j].n == str[i].n && !memcmp(str[j].s, str[i].s, str[i].n)) {
                cls[i] = (uint32_t)j;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
    }
    free(tab);
    return 0;
}

n2g_vocab *n2g_vocab_new(int n, const char *const *bytes, const uint32_t *lens, int normalise, n2g_err *err) {
    if (n <= 0) {
        n2g_fail(err, "vocabulary: expected at least one token, got %d", n);
        return NULL;
    }
    n2g_vocab *v = calloc(1, sizeof *v);
    if (!v) goto oom;
    v->n = n;
    v->normalise = normalise;
    v->bytes = calloc((size_t)n, sizeof *v->bytes);
    v->text = calloc((size_t)n, sizeof *v->text);
    v->key = calloc((size_t)n, sizeof *v->key);
    v->cls = calloc((size_t)n, sizeof *v->cls);
    v->raw_cls = calloc((size_t)n, sizeof *v->raw_cls);
    v->is_eos = calloc((size_t)n, 1);
    if (!v->bytes || !v->text || !v->key || !v->cls || !v->raw_cls || !v->is_eos) goto oom;
    size_t maxlen = 0;
    for (int i = 0; i < n; i++)
        if (lens[i] > maxlen) maxlen = lens[i];
    char *tmp = malloc(maxlen * 4 + 16), *tmp2 = malloc(maxlen * 4 + 16);
    if (!tmp || !tmp2) {
        free(tmp);
        free(tmp2);
        goto oom;
    }
    int bad = 0;
    for (int i = 0; i < n && !bad; i++) {
        bad |= arena_put(v, bytes[i], lens[i], &v->bytes[i]);
        size_t tl = n2g_utf8_replace(bytes[i], lens[i], tmp);
        bad |= arena_put(v, tmp, tl, &v->text[i]);
        v->is_eos[i] = tl == 13 && !memcmp(tmp, "<|endoftext|>", 13);
        if (normalise) {
            size_t kl = n2g_normalise(tmp, tl, tmp2, maxlen * 4 + 16);
            bad |= arena_put(v, tmp2, kl, &v->key[i]);
        } else {
            bad |= arena_put(v, tmp, tl, &v->key[i]);
        }
    }
    free(tmp);
    free(tmp2);
    if (bad) goto oom;
    for (int i = 0; i < n; i++) {
        v->bytes[i].s = v->arena + (uintptr_t)v->bytes[i].s;
        v->text[i].s = v->arena + (uintptr_t)v->text[i].s;
        v->key[i].s = v->arena + (uintptr_t)v->key[i].s;
    }
    if (classes(v->key, n, v->cls) || classes(v->text, n, v->raw_cls)) goto oom;
    return v;
oom:
    n2g_vocab_free(v);
    n2g_fail(err, "vocabulary: out of memory");
    return NULL;
}

void n2g_vocab_free(n2g_vocab *v) {
    if (!v) return;
    free(v->bytes);
    free(v->text);
    free(v->key);
    free(v->cls);
    free(v->raw_cls);
    free(v->is_eos);
    free(v->arena);
    free(v);
}

/* GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to 256 + k. */
static void byte_decoder(int dec[512]) {
    for (int i = 0; i < 512; i++) dec[i] = -1;
    int k = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) dec[b] = b;
        else dec[256 + k++] = b;
    }
}

n2g_vocab *n2g_vocab_load(const char *path, int normalise, n2g_err *err) {
    char file[4096];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(file, sizeof file, "%s/encoder.json", path);
        if (stat(file, &st) != 0) snprintf(file, sizeof file, "%s/vocab.json", path);
    } else {
        snprintf(file, sizeof file, "%s", path);
    }
    json_doc *doc = json_parse_file(file, err);
    if (!doc) return NULL;
    const json_value *root = json_root(doc);
    n2g_vocab *v = NULL;
    char **bytes = NULL;
    uint32_t *lens = NULL;
    if (root->type != JSON_OBJECT || root->n == 0) {
        n2g_fail(err, "%s: expected a JSON object mapping token strings to ids", file);
        goto done;
    }
    size_t n = root->n;
    bytes = calloc(n, sizeof *bytes);
    lens = calloc(n, sizeof *lens);
    if (!bytes || !lens) {
        n2g_fail(err, "%s: out of memory", file);
        goto done;
    }
    int dec[512];
    byte_decoder(dec);
    for (size_t i = 0; i < n; i++) {
        const json_value *idv = &root->items[i];
        double d = idv->num;
        if (idv->type != JSON_NUMBER || d < 0 || d >= (double)n || d != (double)(long)d) {
            n2g_fail(err, "%s: token \"%.40s\": expected an id in 0..%zu", file, root->keys[i], n - 1);
            goto done;
        }
        size_t id = (size_t)d;
        if (bytes[id]) {
            n2g_fail(err, "%s: id %zu appears twice", file, id);
            goto done;
        }
        const unsigned char *k = (const unsigned char *)root->keys[i];
        size_t kl = root->key_lens[i];
        char *b = malloc(kl + 1);
        if (!b) {
            n2g_fail(err, "%s: out of memory", file);
            goto done;
        }
        size_t bl = 0;
        for (size_t p = 0; p < kl;) {
            uint32_t cp;
            int adv = 1;
            if (k[p] < 0x80) cp = k[p];
            else if ((k[p] & 0xE0) == 0xC0 && p + 1 < kl) cp = ((k[p] & 0x1Fu) << 6) | (k[p + 1] & 0x3Fu), adv = 2;
            else cp = 0xFFFFFFFF;
            if (cp >= 512 || dec[cp] < 0) {
                free(b);
                n2g_fail(err, "%s: token \"%.40s\": not a GPT-2 byte-level string", file, root->keys[i]);
                goto done;
            }
            b[bl++] = (char)dec[cp];
            p += (size_t)adv;
        }
        bytes[id] = b;
        lens[id] = (uint32_t)bl;
    }
    v = n2g_vocab_new((int)n, (const char *const *)bytes, lens, normalise, err);
done:
    if (bytes)
        for (size_t i = 0; i < root->n; i++) free(bytes[i]);
    free(bytes);
    free(lens);
    json_free(doc);
    return v;
}

int n2g_vocab_find_text(const n2g_vocab *v, const char *s, size_t n) {
    for (int i = 0; i < v->n; i++)
        if (v->text[i].n == n && !memcmp(v->text[i].s, s, n)) return i;
    return -1;
}

const char *n2g_vocab_default_path(void) { return n2g_default_vocab_dir(); }
