/* casings.c — word → casings table: count, load, save. */
#include "n2g/method/casings.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/json.h"
#include "n2g/method/wordsplit.h"

typedef struct entry {
    char *key;
    size_t klen;
    n2g_casing *c;
    int n, cap;
} entry;

struct n2g_casings {
    entry *slots;
    size_t cap, used;
};

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

n2g_casings *n2g_casings_new(void) {
    n2g_casings *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = 1024;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    return t;
}

void n2g_casings_free(n2g_casings *t) {
    if (!t) return;
    for (size_t i = 0; i < t->cap; i++) {
        entry *e = &t->slots[i];
        if (!e->key) continue;
        for (int k = 0; k < e->n; k++) free(e->c[k].text);
        free(e->c);
        free(e->key);
    }
    free(t->slots);
    free(t);
}

static entry *find(const n2g_casings *t, const char *k, size_t n) {
    size_t i = hash_bytes(k, n) & (t->cap - 1);
    while (t->slots[i].key) {
        if (t->slots[i].klen == n && !memcmp(t->slots[i].key, k, n)) return &t->slots[i];
        i = (i + 1) & (t->cap - 1);
    }
    return &t->slots[i];
}

static int grow(n2g_casings *t) {
    size_t ncap = t->cap * 2;
    entry *ns = calloc(ncap, sizeof *ns), *old = t->slots;
    if (!ns) return -1;
    size_t ocap = t->cap;
    t->slots = ns;
    t->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key) *find(t, old[i].key, old[i].klen) = old[i];
    free(old);
    return 0;
}

static char *dupn(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Adds `count` to (key, casing); returns -1 when out of memory. */
static int add(n2g_casings *t, const char *key, size_t klen, const char *cs, size_t clen, double count) {
    if ((t->used + 1) * 2 > t->cap && grow(t) != 0) return -1;
    entry *e = find(t, key, klen);
    if (!e->key) {
        if (!(e->key = dupn(key, klen))) return -1;
        e->klen = klen;
        t->used++;
    }
    for (int k = 0; k < e->n; k++)
        if (e->c[k].len == clen && !memcmp(e->c[k].text, cs, clen)) {
            e->c[k].count += count;
            return 0;
        }
    if (e->n == e->cap) {
        int nc = e->cap ? e->cap * 2 : 2;
        n2g_casing *c = realloc(e->c, sizeof *c * (size_t)nc);
        if (!c) return -1;
        e->c = c;
        e->cap = nc;
    }
    char *d = dupn(cs, clen);
    if (!d) return -1;
    e->c[e->n++] = (n2g_casing){d, clen, count};
    return 0;
}

int n2g_casings_count_text(n2g_casings *t, const char *text, size_t n, n2g_err *err) {
    n2g_word *w;
    int nw = n2g_wordsplit(text, n, &w);
    if (nw < 0) return n2g_fail(err, "casings: out of memory");
    char *low = malloc(n + 1);
    if (!low && nw > 0) {
        free(w);
        return n2g_fail(err, "casings: out of memory");
    }
    int rc = 0;
    for (int i = 0; i < nw && rc == 0; i++) {
        if (!w[i].is_word) continue;
        /* the word's core without leading / trailing apostrophes (the augmentation key) */
        size_t a = w[i].off, b = w[i].off + w[i].len;
        while (a < b && text[a] == '\'') a++;
        while (b > a && text[b - 1] == '\'') b--;
        size_t ln = n2g_lower(text + a, b - a, low);
        if (add(t, low, ln, text + a, b - a, 1) != 0) rc = n2g_fail(err, "casings: out of memory");
    }
    free(low);
    free(w);
    return rc;
}

static int cmp_casing(const void *a, const void *b) {
    const n2g_casing *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, m);
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static int cmp_entry_ptr(const void *a, const void *b) {
    const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
    size_t m = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, m);
    return c ? c : (x->klen < y->klen ? -1 : x->klen > y->klen);
}

static int save_fn(FILE *f, void *user, n2g_err *err) {
    n2g_casings *t = user;
    entry **order = malloc(sizeof *order * (t->used + 1));
    if (!order) return n2g_fail(err, "casings: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].key) order[k++] = &t->slots[i];
    qsort(order, k, sizeof *order, cmp_entry_ptr);
    fputc('{', f);
    for (size_t i = 0; i < k; i++) {
        entry *e = order[i];
        fputs(i ? ",\n" : "\n", f);
        json_write_string(f, e->key, e->klen);
        fputs(": [", f);
        for (int c = 0; c < e->n; c++) {
            fputs(c ? ", [" : "[", f);
            json_write_string(f, e->c[c].text, e->c[c].len);
            fprintf(f, ", %.17g]", e->c[c].count);
        }
        fputc(']', f);
    }
    fputs("\n}\n", f);
    free(order);
    return ferror(f) ? n2g_fail(err, "casings: write failed") : 0;
}

void n2g_casings_sort(n2g_casings *t) {
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].key) qsort(t->slots[i].c, (size_t)t->slots[i].n, sizeof(n2g_casing), cmp_casing);
}

int n2g_casings_save(n2g_casings *t, const char *path, n2g_err *err) {
    n2g_casings_sort(t);
    if (n2g_atomic_write(path, save_fn, t, err) != 0) return -1;
    return 0;
}

int n2g_casings_load(const char *path, n2g_casings **out, n2g_err *err) {
    *out = NULL;
    json_doc *doc = json_parse_file(path, err);
    if (!doc) return -1;
    const json_value *r = json_root(doc);
    n2g_casings *t = NULL;
    if (r->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected an object of word -> [[casing, count], ...], got %s", path, json_type_name(r->type));
        goto fail;
    }
    if (!(t = n2g_casings_new())) {
        n2g_fail(err, "casings: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < r->n; i++) {
        const json_value *v = &r->items[i];
        if (v->type != JSON_ARRAY) {
            n2g_fail(err, "%s: word \"%s\": expected an array of [casing, count] pairs, got %s", path, r->keys[i],
                     json_type_name(v->type));
            goto fail;
        }
        for (size_t c = 0; c < v->n; c++) {
            const json_value *p = &v->items[c];
            if (p->type != JSON_ARRAY || p->n != 2 || p->items[0].type != JSON_STRING ||
                p->items[1].type != JSON_NUMBER) {
                n2g_fail(err, "%s: word \"%s\" entry %zu: expected [casing string, count number]", path, r->keys[i], c);
                goto fail;
            }
            /* bounded, so that sums of repeated entries stay finite (1e999 reads as inf, which the
             * table could not write back as JSON) */
            double count = p->items[1].num;
            if (!(count >= 0 && count <= 9007199254740992.0)) {
                n2g_fail(err, "%s: word \"%s\" entry %zu: count %g is out of range (0 .. 2^53)", path, r->keys[i], c,
                         count);
                goto fail;
            }
            if (add(t, r->keys[i], r->key_lens[i], p->items[0].str, p->items[0].n, p->items[1].num) != 0) {
                n2g_fail(err, "casings: out of memory");
                goto fail;
            }
        }
    }
    /* keep the file's order (most frequent first by contract) */
    json_free(doc);
    *out = t;
    return 0;
fail:
    n2g_casings_free(t);
    json_free(doc);
    return -1;
}

const n2g_casing *n2g_casings_get(const n2g_casings *t, const char *lower, size_t len, int *n) {
    entry *e = find(t, lower, len);
    *n = e->key ? e->n : 0;
    return e->key ? e->c : NULL;
}

size_t n2g_casings_words(const n2g_casings *t) { return t->used; }
