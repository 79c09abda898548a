/* store.c — neuron store, search and similar (see store.h). */
#include "n2g/graph/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/atomic_write.h"

/* String interning: id <-> bytes, open addressing. */
typedef struct {
    char **str;
    uint32_t *len;
    size_t n, cap;
    int32_t *tab;
    size_t tcap;
} intern;

static uint64_t hb(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int32_t intern_find(const intern *t, const char *s, size_t n) {
    if (!t->tcap) return -1;
    size_t h = (size_t)hb(s, n) & (t->tcap - 1);
    for (; t->tab[h] >= 0; h = (h + 1) & (t->tcap - 1)) {
        int32_t i = t->tab[h];
        if (t->len[i] == n && !memcmp(t->str[i], s, n)) return i;
    }
    return -1;
}

static int32_t intern_put(intern *t, const char *s, size_t n) {
    int32_t f = intern_find(t, s, n);
    if (f >= 0) return f;
    if ((t->n + 1) * 2 > t->tcap) {
        size_t tcap = t->tcap ? t->tcap * 2 : 64;
        int32_t *tab = malloc(tcap * sizeof *tab);
        if (!tab) return -1;
        memset(tab, 0xFF, tcap * sizeof *tab);
        for (size_t i = 0; i < t->n; i++) {
            size_t h = (size_t)hb(t->str[i], t->len[i]) & (tcap - 1);
            while (tab[h] >= 0) h = (h + 1) & (tcap - 1);
            tab[h] = (int32_t)i;
        }
        free(t->tab);
        t->tab = tab;
        t->tcap = tcap;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **ns = realloc(t->str, cap * sizeof *ns);
        if (!ns) return -1;
        t->str = ns;
        uint32_t *nl = realloc(t->len, cap * sizeof *nl);
        if (!nl) return -1;
        t->len = nl;
        t->cap = cap;
    }
    char *c = malloc(n + 1);
    if (!c) return -1;
    memcpy(c, s, n);
    c[n] = 0;
    t->str[t->n] = c;
    t->len[t->n] = (uint32_t)n;
    size_t h = (size_t)hb(s, n) & (t->tcap - 1);
    while (t->tab[h] >= 0) h = (h + 1) & (t->tcap - 1);
    t->tab[h] = (int32_t)t->n;
    return (int32_t)t->n++;
}

static void intern_free(intern *t) {
    for (size_t i = 0; i < t->n; i++) free(t->str[i]);
    free(t->str);
    free(t->len);
    free(t->tab);
}

typedef struct {
    int32_t *v;
    size_t n, cap;
} ivec;

static int iv_push(ivec *a, int32_t x) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        int32_t *nv = realloc(a->v, cap * sizeof *nv);
        if (!nv) return -1;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* Entries arrive neuron by neuron, so a repeat is almost always the last entry; any other
 * repeats are removed where order matters (iv_unique after sorting). */
static int iv_has(const ivec *a, int32_t x) { return a->n && a->v[a->n - 1] == x; }

static void iv_unique(ivec *a) {
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!k || a->v[k - 1] != a->v[i]) a->v[k++] = a->v[i];
    a->n = k;
}

struct n2g_store {
    intern tokens[2];  /* per type: token strings in insertion order */
    ivec *lists[2];    /* per type, per token: neuron ids */
    size_t lcap[2];
    intern neurons;    /* "L_N" names */
};

n2g_store *n2g_store_new(void) { return calloc(1, sizeof(n2g_store)); }

void n2g_store_free(n2g_store *s) {
    if (!s) return;
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < s->tokens[t].n; i++) free(s->lists[t][i].v);
        free(s->lists[t]);
        intern_free(&s->tokens[t]);
    }
    intern_free(&s->neurons);
    free(s);
}

int n2g_store_add(n2g_store *s, int type, const char *tok, size_t n, const char *neuron, n2g_err *err) {
    if (type != 0 && type != 1) return n2g_fail(err, "store: bad token type %d", type);
    int32_t nid = intern_put(&s->neurons, neuron, strlen(neuron));
    int32_t tid = intern_put(&s->tokens[type], tok, n);
    if (nid < 0 || tid < 0) return n2g_fail(err, "store: out of memory");
    if ((size_t)tid >= s->lcap[type]) {
        size_t cap = s->lcap[type] ? s->lcap[type] * 2 : 64;
        while (cap <= (size_t)tid) cap *= 2;
        ivec *nl = realloc(s->lists[type], cap * sizeof *nl);
        if (!nl) return n2g_fail(err, "store: out of memory");
        memset(nl + s->lcap[type], 0, (cap - s->lcap[type]) * sizeof *nl);
        s->lists[type] = nl;
        s->lcap[type] = cap;
    }
    ivec *l = &s->lists[type][tid];
    if (iv_has(l, nid)) return 0;
    if (iv_push(l, nid)) return n2g_fail(err, "store: out of memory");
    return 0;
}

int n2g_store_add_graph(n2g_store *s, const n2g_graph *g, const n2g_vocab *vocab, n2g_err *err) {
    char name[64];
    snprintf(name, sizeof name, "%d_%d", g->layer, g->neuron);
    const n2g_trie *t = &g->trie;
    int32_t *queue = malloc((size_t)t->n * sizeof *queue);
    if (!queue) return n2g_fail(err, "store: out of memory");
    size_t qh = 0, qt = 0;
    queue[qt++] = 0;
    int rc = 0;
    while (qh < qt && !rc) {
        const n2g_node *nd = &t->nodes[queue[qh++]];
        uint32_t k = nd->v.key;
        if (k != N2G_KEY_ROOT && k != N2G_KEY_END && k != N2G_KEY_IGNORE) {
            if (nd->v.token < 0 || nd->v.token >= vocab->n) {
                rc = n2g_fail(err, "store: token %d is outside the vocabulary", nd->v.token);
                break;
            }
            const n2g_str *str = &vocab->key[nd->v.token];
            rc = n2g_store_add(s, nd->v.activator ? N2G_ACTIVATING : N2G_IMPORTANT, str->s, str->n, name, err);
        }
        for (int32_t c = nd->first; c >= 0; c = t->nodes[c].next) queue[qt++] = c;
    }
    free(queue);
    return rc;
}

static int name_cmp(const char *a, const char *b) {
    long la = 0, na = 0, lb = 0, nb = 0;
    int ka = sscanf(a, "%ld_%ld", &la, &na), kb = sscanf(b, "%ld_%ld", &lb, &nb);
    if (ka == 2 && kb == 2) {
        if (la != lb) return la < lb ? -1 : 1;
        if (na != nb) return na < nb ? -1 : 1;
        return 0;
    }
    return strcmp(a, b);
}

static int cmp_nid(const void *x, const void *y, void *store) {
    const n2g_store *s = store;
    return name_cmp(s->neurons.str[*(const int32_t *)x], s->neurons.str[*(const int32_t *)y]);
}

static void sort_ids(const n2g_store *s, int32_t *v, size_t n) {
    if (n > 1) qsort_r(v, n, sizeof *v, cmp_nid, (void *)s);
}

int n2g_store_save(const n2g_store *s, const char *path, n2g_err *err) {
    n2g_afile o;
    if (n2g_afile_open(&o, path, 0, err)) return -1;
    FILE *f = o.f;
    static const char *names[2] = {"activating", "important"};
    fputs("{", f);
    for (int t = 0; t < 2; t++) {
        fprintf(f, "%s\n  \"%s\": {", t ? "," : "", names[t]);
        size_t written = 0;
        for (size_t i = 0; i < s->tokens[t].n; i++) {
            ivec *l = &s->lists[t][i];
            if (!l->n) continue;
            sort_ids(s, l->v, l->n);
            iv_unique(l);
            fputs(written++ ? ",\n    " : "\n    ", f);
            json_write_string(f, s->tokens[t].str[i], s->tokens[t].len[i]);
            fputs(": [", f);
            for (size_t k = 0; k < l->n; k++) {
                fputs(k ? ",\n      " : "\n      ", f);
                const char *nm = s->neurons.str[l->v[k]];
                json_write_string(f, nm, strlen(nm));
            }
            fputs("\n    ]", f);
        }
        fputs(written ? "\n  }" : "}", f);
    }
    fputs("\n}\n", f);
    return n2g_afile_commit(&o, err);
}

n2g_store *n2g_store_load(const char *path, int missing_ok, n2g_err *err) {
    struct stat st;
    if (missing_ok && stat(path, &st) != 0 && errno == ENOENT) return n2g_store_new();
    json_doc *doc = json_parse_file(path, err);
    if (!doc) return NULL;
    n2g_store *s = n2g_store_new();
    const json_value *r = json_root(doc);
    if (!s) {
        n2g_fail(err, "%s: out of memory", path);
        goto fail;
    }
    if (r->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected {\"activating\": {...}, \"important\": {...}}", path);
        goto fail;
    }
    for (int t = 0; t < 2; t++) {
        const char *tn = t ? "important" : "activating";
        const json_value *m = json_get(r, tn);
        if (!m) continue;
        if (m->type != JSON_OBJECT) {
            n2g_fail(err, "%s: %s: expected an object mapping tokens to neuron lists", path, tn);
            goto fail;
        }
        for (size_t i = 0; i < m->n; i++) {
            const json_value *l = &m->items[i];
            if (l->type != JSON_ARRAY) {
                n2g_fail(err, "%s: %s[\"%.40s\"]: expected a list of neuron names", path, tn, m->keys[i]);
                goto fail;
            }
            for (size_t k = 0; k < l->n; k++) {
                if (l->items[k].type != JSON_STRING) {
                    n2g_fail(err, "%s: %s[\"%.40s\"][%zu]: expected a neuron name \"L_N\"", path, tn, m->keys[i], k);
                    goto fail;
                }
                if (n2g_store_add(s, t, m->keys[i], m->key_lens[i], l->items[k].str, err)) goto fail;
            }
        }
    }
    json_free(doc);
    return s;
fail:
    json_free(doc);
    n2g_store_free(s);
    return NULL;
}

static int add_matches(const n2g_store *s, int t, const char *tok, size_t n, uint8_t *mark) {
    int32_t id = intern_find(&s->tokens[t], tok, n);
    if (id < 0) return 0;
    const ivec *l = &s->lists[t][id];
    for (size_t k = 0; k < l->n; k++) mark[l->v[k]] = 1;
    return 0;
}

int n2g_store_search(const n2g_store *s, const char *const *toks, size_t ntok, int type, int exact,
                     const char ***out, size_t *nout, n2g_err *err) {
    size_t nn = s->neurons.n;
    uint8_t *all = malloc(nn + 1), *cur = malloc(nn + 1);
    int32_t *ids = malloc((nn + 1) * sizeof *ids);
    *out = NULL;
    *nout = 0;
    if (!all || !cur || !ids) {
        free(all);
        free(cur);
        free(ids);
        return n2g_fail(err, "search: out of memory");
    }
    memset(all, 1, nn + 1);
    for (size_t q = 0; q < ntok; q++) {
        memset(cur, 0, nn + 1);
        size_t tl = strlen(toks[q]);
        char *norm = malloc(tl * 4 + 16);
        size_t nl = norm ? n2g_normalise(toks[q], tl, norm, tl * 4 + 16) : 0;
        for (int t = 0; t < 2; t++) {
            if (type != N2G_ANY && type != t) continue;
            add_matches(s, t, toks[q], tl, cur);
            if (!exact && norm && (nl != tl || memcmp(norm, toks[q], tl))) add_matches(s, t, norm, nl, cur);
        }
        free(norm);
        for (size_t i = 0; i < nn; i++) all[i] &= cur[i];
    }
    size_t k = 0;
    for (size_t i = 0; i < nn && ntok; i++)
        if (all[i]) ids[k++] = (int32_t)i;
    sort_ids(s, ids, k);
    const char **names = malloc((k ? k : 1) * sizeof *names);
    if (!names) {
        free(all);
        free(cur);
        free(ids);
        return n2g_fail(err, "search: out of memory");
    }
    for (size_t i = 0; i < k; i++) names[i] = s->neurons.str[ids[i]];
    *out = names;
    *nout = k;
    free(all);
    free(cur);
    free(ids);
    return 0;
}

/* Per neuron, per type: the sorted token ids. */
typedef struct {
    ivec tok[2];
} ntoks;

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static size_t inter(const ivec *a, const ivec *b) {
    size_t i = 0, j = 0, k = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] == b->v[j]) k++, i++, j++;
        else if (a->v[i] < b->v[j]) i++;
        else j++;
    }
    return k;
}

static int pair_push(n2g_pair **v, size_t *n, size_t *cap, const char *a, const char *b) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        n2g_pair *nv = realloc(*v, *cap * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
    }
    (*v)[*n].a = a;
    (*v)[(*n)++].b = b;
    return 0;
}

/* the state of one n2g_store_similar */
typedef struct simctx {
    const n2g_store *s;
    size_t nn;      /* neurons */
    ntoks *nt;      /* [nn] each neuron's tokens, sorted, per type */
    int32_t *order; /* neurons in name order; rank: the inverse */
    int32_t *rank;
    ivec *post;     /* token -> neurons (both types: the important tokens after the activating) */
    int32_t *seen;  /* [nn] the last rank that listed the neuron as a candidate */
    int32_t *cand;  /* [nn] candidates of one neuron */
} simctx;

/* nt, post, order, rank and seen from the store's lists */
static int sim_index(simctx *c) {
    const n2g_store *s = c->s;
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < s->tokens[t].n; i++) {
            const ivec *l = &s->lists[t][i];
            size_t pid = t ? s->tokens[0].n + i : i;
            for (size_t k = 0; k < l->n; k++)
                if (iv_push(&c->nt[l->v[k]].tok[t], (int32_t)i) || iv_push(&c->post[pid], l->v[k])) return -1;
        }
    for (size_t i = 0; i < c->nn; i++) {
        c->order[i] = (int32_t)i;
        for (int t = 0; t < 2; t++) {
            if (c->nt[i].tok[t].n) qsort(c->nt[i].tok[t].v, c->nt[i].tok[t].n, sizeof(int32_t), cmp_i32);
            iv_unique(&c->nt[i].tok[t]);
        }
    }
    sort_ids(s, c->order, c->nn);
    for (size_t i = 0; i < c->nn; i++) c->rank[c->order[i]] = (int32_t)i;
    for (size_t i = 0; i < c->nn; i++) c->seen[i] = -1;
    return 0;
}

/* The neurons before order[ri] in name order that share at least one token with it (a pair with
 * no shared token has overlap 0 < threshold in both tests), as ranks in c->cand, sorted. */
static size_t sim_candidates(simctx *c, size_t ri) {
    int32_t a = c->order[ri];
    size_t nc = 0;
    for (int t = 0; t < 2; t++)
        for (size_t k = 0; k < c->nt[a].tok[t].n; k++) {
            size_t tok = (size_t)c->nt[a].tok[t].v[k];
            const ivec *p = &c->post[t ? c->s->tokens[0].n + tok : tok];
            for (size_t q = 0; q < p->n; q++) {
                int32_t b = p->v[q];
                if (c->rank[b] < (int32_t)ri && c->seen[b] != (int32_t)ri) {
                    c->seen[b] = (int32_t)ri;
                    c->cand[nc++] = c->rank[b];
                }
            }
        }
    qsort(c->cand, nc, sizeof *c->cand, cmp_i32);
    return nc;
}

/* 1: a and b are similar (overlap over the larger set >= thr for both types); 2: one is a subset
 * of the other (over the smaller set), *sup = the superset; 0: neither */
static int sim_compare(const simctx *c, int32_t a, int32_t b, double thr, int32_t *sup) {
    int all_sim = 1, all_sub = 1;
    size_t l1 = 0, l2 = 0;
    for (int t = 0; t < 2; t++) {
        l1 = c->nt[a].tok[t].n;
        l2 = c->nt[b].tok[t].n;
        double in = (double)inter(&c->nt[a].tok[t], &c->nt[b].tok[t]);
        size_t mx = l1 > l2 ? l1 : l2, mn = l1 < l2 ? l1 : l2;
        all_sim &= in / (double)(mx > 1 ? mx : 1) >= thr;
        all_sub &= in / (double)(mn > 1 ? mn : 1) >= thr;
    }
    /* superset first; sizes of the last type compared ("important"), as the reference */
    *sup = l2 < l1 ? a : b;
    return all_sim ? 1 : all_sub ? 2 : 0;
}

int n2g_store_similar(const n2g_store *s, double thr, n2g_pair **similar, size_t *n_similar, n2g_pair **subset,
                      size_t *n_subset, n2g_err *err) {
    size_t nn = s->neurons.n, scap = 0, ucap = 0;
    *similar = *subset = NULL;
    *n_similar = *n_subset = 0;
    simctx c = {.s = s, .nn = nn};
    c.nt = calloc(nn + 1, sizeof *c.nt);
    c.order = malloc((nn + 1) * sizeof *c.order), c.rank = malloc((nn + 1) * sizeof *c.rank);
    c.post = calloc(s->tokens[0].n + s->tokens[1].n + 1, sizeof *c.post);
    c.seen = malloc((nn + 1) * sizeof *c.seen), c.cand = malloc((nn + 1) * sizeof *c.cand);
    int rc = -1;
    if (!c.nt || !c.order || !c.rank || !c.post || !c.seen || !c.cand || sim_index(&c)) goto done;
    for (size_t ri = 0; ri < nn; ri++) {
        int32_t a = c.order[ri];
        size_t nc = sim_candidates(&c, ri);
        for (size_t k = 0; k < nc; k++) {
            int32_t b = c.order[c.cand[k]], sup;
            int how = sim_compare(&c, a, b, thr, &sup);
            const char *na = s->neurons.str[a], *nb = s->neurons.str[b];
            if (how == 1 && pair_push(similar, n_similar, &scap, na, nb)) goto done;
            if (how == 2 && pair_push(subset, n_subset, &ucap, sup == a ? na : nb, sup == a ? nb : na)) goto done;
        }
    }
    rc = 0;
done:
    if (rc) {
        free(*similar);
        free(*subset);
        *similar = *subset = NULL;
        *n_similar = *n_subset = 0;
        n2g_fail(err, "similar: out of memory");
    }
    for (size_t i = 0; c.nt && i < nn; i++) {
        free(c.nt[i].tok[0].v);
        free(c.nt[i].tok[1].v);
    }
    for (size_t i = 0; c.post && i < s->tokens[0].n + s->tokens[1].n; i++) free(c.post[i].v);
    free(c.nt), free(c.order), free(c.rank), free(c.post), free(c.seen), free(c.cand);
    return rc;
}
