/* graph.c — lines, insertion, merge_ignores and fit (n2g-reference.md §7.2–§7.4), following
 * the reference NeuronModel statement by statement. */
#include "n2g/graph/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void n2g_params_default(n2g_params *p) {
    p->activation_threshold = 0.5f;
    p->importance_threshold = 0.75f;
}

int n2g_trie_init(n2g_trie *t) {
    memset(t, 0, sizeof *t);
    t->cap = 64;
    t->nodes = malloc((size_t)t->cap * sizeof *t->nodes);
    if (!t->nodes) return -1;
    t->n = 1;
    n2g_node *r = &t->nodes[0];
    memset(r, 0, sizeof *r);
    /* Element(0, 0, ROOT, important=False, activator=False, ignore=True, is_end=False) */
    r->v.token = -1;
    r->v.key = N2G_KEY_ROOT;
    r->v.ignore = 1;
    r->depth = -1;
    r->first = r->last = r->next = r->parent = -1;
    return 0;
}

void n2g_trie_free(n2g_trie *t) {
    free(t->nodes);
    free(t->hkey);
    free(t->hval);
    memset(t, 0, sizeof *t);
}

/* Nodes with at least this many children are looked up through the hash. */
enum { WIDE = 8 };

static size_t hslot(uint64_t k, size_t mask) { return (size_t)((k * 0x9E3779B97F4A7C15ULL) >> 20) & mask; }

static int hash_put(n2g_trie *t, int32_t parent, uint32_t key, int32_t child) {
    if ((t->hn + 1) * 2 > t->hcap) {
        size_t cap = t->hcap ? t->hcap * 2 : 1024;
        uint64_t *nk = malloc(cap * sizeof *nk);
        int32_t *nv = malloc(cap * sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return -1;
        }
        memset(nk, 0xFF, cap * sizeof *nk);
        size_t n = 0;
        for (size_t i = 0; i < t->hcap; i++) {
            if (t->hkey[i] == UINT64_MAX || t->nodes[t->hval[i]].removed) continue;
            size_t h = hslot(t->hkey[i], cap - 1);
            while (nk[h] != UINT64_MAX) h = (h + 1) & (cap - 1);
            nk[h] = t->hkey[i];
            nv[h] = t->hval[i];
            n++;
        }
        free(t->hkey);
        free(t->hval);
        t->hkey = nk;
        t->hval = nv;
        t->hcap = cap;
        t->hn = n;
    }
    uint64_t k = ((uint64_t)(uint32_t)parent << 32) | key;
    size_t h = hslot(k, t->hcap - 1);
    while (t->hkey[h] != UINT64_MAX && t->hkey[h] != k) h = (h + 1) & (t->hcap - 1);
    if (t->hkey[h] == UINT64_MAX) t->hn++;
    t->hkey[h] = k; /* a new child replaces a removed one with the same key */
    t->hval[h] = child;
    return 0;
}

int32_t n2g_trie_child(const n2g_trie *t, int32_t node, uint32_t key) {
    if (t->nodes[node].nchild < WIDE || !t->hcap) {
        for (int32_t c = t->nodes[node].first; c >= 0; c = t->nodes[c].next)
            if (t->nodes[c].v.key == key) return c;
        return -1;
    }
    uint64_t k = ((uint64_t)(uint32_t)node << 32) | key;
    for (size_t h = hslot(k, t->hcap - 1); t->hkey[h] != UINT64_MAX; h = (h + 1) & (t->hcap - 1))
        if (t->hkey[h] == k) return t->nodes[t->hval[h]].removed ? -1 : t->hval[h];
    return -1;
}

int32_t n2g_trie_append(n2g_trie *t, int32_t node, const n2g_elem *e, int32_t depth) {
    if (t->n == t->cap) {
        int32_t cap = t->cap * 2;
        n2g_node *nn = realloc(t->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return -1;
        t->nodes = nn;
        t->cap = cap;
    }
    int32_t c = t->n++;
    n2g_node *x = &t->nodes[c];
    x->v = *e;
    x->depth = depth;
    x->first = x->last = x->next = -1;
    x->parent = node;
    x->nchild = 0;
    x->removed = 0;
    n2g_node *p = &t->nodes[node];
    if (p->last >= 0) t->nodes[p->last].next = c;
    else p->first = c;
    p->last = c;
    p->nchild++;
    /* a node turning wide files all its children in the hash; a wide one files the new one */
    if (p->nchild == WIDE) {
        for (int32_t k = p->first; k >= 0; k = t->nodes[k].next)
            if (hash_put(t, node, t->nodes[k].v.key, k)) return -1;
    } else if (p->nchild > WIDE) {
        if (hash_put(t, node, e->key, c)) return -1;
    }
    return c;
}

int n2g_trie_add(n2g_trie *t, int32_t start, const n2g_elem *line, int len, int graph, int *max_depth) {
    int32_t cur = start;
    int count = 0;
    int32_t start_depth = t->nodes[start].depth;
    for (int i = 0; i < len; i++) {
        n2g_elem e = line[i];
        if (e.ignore && graph) continue;
        if (graph) e.is_end = (i == len - 2);
        count++;
        int32_t c = n2g_trie_child(t, cur, e.key);
        if (c >= 0) { /* first insertion wins: the stored element is never updated */
            cur = c;
            continue;
        }
        int32_t depth = start_depth + count;
        if (max_depth && depth > *max_depth) *max_depth = depth;
        cur = n2g_trie_append(t, cur, &e, depth);
        if (cur < 0) return -1;
    }
    return 0;
}

/* ---- merge_ignores ---- */

typedef struct {
    n2g_elem *e;
    size_t n, cap;
    int32_t *path_len; /* lengths of the collected paths, in order */
    size_t np, pcap;
} pathbuf;

static int pb_push(pathbuf *b, const n2g_elem *e) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        n2g_elem *ne = realloc(b->e, cap * sizeof *ne);
        if (!ne) return -1;
        b->e = ne;
        b->cap = cap;
    }
    b->e[b->n++] = *e;
    return 0;
}

/* The reference's node.paths(): every root-to-leaf path below (and including) node, children
 * in insertion order. Collected iteratively into b (elements concatenated, lengths apart). */
static int collect_paths(const n2g_trie *t, int32_t node, pathbuf *b) {
    /* depth-first with an explicit stack of (node, depth); the current path is b's tail */
    int32_t *stack = NULL, *sdep = NULL;
    size_t sn = 0, scap = 0;
    n2g_elem *cur = NULL;
    size_t curcap = 0;
    int rc = -1;
#define SPUSH(x, d)                                                                  \
    do {                                                                             \
        if (sn == scap) {                                                            \
            scap = scap ? scap * 2 : 64;                                             \
            int32_t *ns = realloc(stack, scap * sizeof *ns);                         \
            if (!ns) goto out;                                                       \
            stack = ns;                                                              \
            int32_t *nd = realloc(sdep, scap * sizeof *nd);                          \
            if (!nd) goto out;                                                       \
            sdep = nd;                                                               \
        }                                                                            \
        stack[sn] = (x);                                                             \
        sdep[sn++] = (d);                                                            \
    } while (0)
    SPUSH(node, 0);
    while (sn) {
        sn--;
        int32_t x = stack[sn], d = sdep[sn];
        if ((size_t)d + 1 > curcap) {
            curcap = (size_t)d + 64;
            n2g_elem *nc = realloc(cur, curcap * sizeof *nc);
            if (!nc) goto out;
            cur = nc;
        }
        cur[d] = t->nodes[x].v;
        if (t->nodes[x].first < 0) {
            for (int k = 0; k <= d; k++)
                if (pb_push(b, &cur[k])) goto out;
            if (b->np == b->pcap) {
                b->pcap = b->pcap ? b->pcap * 2 : 64;
                int32_t *nl = realloc(b->path_len, b->pcap * sizeof *nl);
                if (!nl) goto out;
                b->path_len = nl;
            }
            b->path_len[b->np++] = d + 1;
            continue;
        }
        /* push children in reverse so the first child is visited first */
        size_t mark = sn;
        for (int32_t c = t->nodes[x].first; c >= 0; c = t->nodes[c].next) SPUSH(c, d + 1);
        for (size_t a = mark, z = sn - 1; a < z; a++, z--) {
            int32_t tx = stack[a];
            stack[a] = stack[z];
            stack[z] = tx;
        }
    }
    rc = 0;
out:
#undef SPUSH
    free(stack);
    free(sdep);
    free(cur);
    return rc;
}

static void unlink_child(n2g_trie *t, int32_t node, int32_t child) {
    n2g_node *p = &t->nodes[node];
    int32_t prev = -1;
    for (int32_t c = p->first; c >= 0; prev = c, c = t->nodes[c].next) {
        if (c != child) continue;
        if (prev >= 0) t->nodes[prev].next = t->nodes[c].next;
        else p->first = t->nodes[c].next;
        if (p->last == c) p->last = prev;
        t->nodes[c].next = -1;
        t->nodes[c].removed = 1;
        p->nchild--;
        return;
    }
}

int n2g_merge_ignores(n2g_trie *t) {
    /* BFS; every node is reached once (it is a tree). */
    int32_t *queue = malloc((size_t)t->cap * sizeof *queue);
    size_t qcap = (size_t)t->cap, qh = 0, qt = 0;
    pathbuf pb = {0};
    int32_t *rm = NULL;
    size_t rmcap = 0;
    int rc = -1;
    if (!queue) return -1;
    queue[qt++] = 0;
    while (qh < qt) {
        int32_t node = queue[qh++];
        int32_t w = n2g_trie_child(t, node, N2G_KEY_IGNORE);
        if (w >= 0) {
            size_t nrm = 0;
            for (int32_t c = t->nodes[node].first; c >= 0; c = t->nodes[c].next) {
                if (c == w) continue;
                pb.n = pb.np = 0;
                if (collect_paths(t, c, &pb)) goto out;
                size_t off = 0;
                for (size_t k = 0; k < pb.np; k++) {
                    int32_t len = pb.path_len[k];
                    const n2g_elem *path = pb.e + off;
                    off += (size_t)len;
                    if (len <= 1 || (len == 2 && path[len - 1].key == N2G_KEY_END)) continue;
                    if (n2g_trie_add(t, w, path + 1, len - 1, 0, NULL)) goto out;
                }
                if (!t->nodes[c].v.is_end && n2g_trie_child(t, c, N2G_KEY_END) < 0) {
                    if (nrm == rmcap) {
                        rmcap = rmcap ? rmcap * 2 : 16;
                        int32_t *nr = realloc(rm, rmcap * sizeof *nr);
                        if (!nr) goto out;
                        rm = nr;
                    }
                    rm[nrm++] = c;
                }
            }
            for (size_t k = 0; k < nrm; k++) unlink_child(t, node, rm[k]);
        }
        for (int32_t c = t->nodes[node].first; c >= 0; c = t->nodes[c].next) {
            if (qt == qcap) {
                qcap = (size_t)t->cap > qcap * 2 ? (size_t)t->cap : qcap * 2;
                int32_t *nq = realloc(queue, qcap * sizeof *nq);
                if (!nq) goto out;
                queue = nq;
            }
            queue[qt++] = c;
        }
    }
    rc = 0;
out:
    free(queue);
    free(pb.e);
    free(pb.path_len);
    free(rm);
    return rc;
}

/* ---- lines ---- */

int n2g_make_lines(const n2g_sample *s, const n2g_vocab *vocab, const n2g_params *p, const uint8_t *parent_sets,
                   int parent_len, uint8_t *sets_out, n2g_line_fn emit, void *ctx) {
    int L = s->len;
    int create = parent_sets == NULL;
    n2g_elem stackline[64];
    n2g_elem *line = L + 1 <= 64 ? stackline : malloc(((size_t)L + 1) * sizeof *line);
    if (!line) return -1;
    if (create) memset(sets_out, 0, (size_t)L * (size_t)L);
    int rc = 0;
    for (int i = 0; i < L && !rc; i++) {
        float act = s->act[i];
        if (!(act > p->activation_threshold)) continue;
        const uint8_t *reuse = NULL;
        if (!create) reuse = parent_sets + (size_t)(i < parent_len ? i : parent_len - 1) * (size_t)parent_len;
        int n = 0, last = 0;
        for (int j = 0; j <= i; j++) { /* j counts back from i, as enumerate(reversed(before)) */
            int seq = i - j;
            int32_t tok = s->tokens[seq];
            if (vocab->is_eos[tok]) continue;
            float imp = s->imp[(size_t)seq * (size_t)L + (size_t)i];
            int important = imp > p->importance_threshold || (!create && seq < parent_len && reuse[seq]);
            if (important && create) sets_out[(size_t)i * (size_t)L + (size_t)seq] = 1;
            int ignore = !important && j != 0;
            n2g_elem *e = &line[n++];
            e->importance = imp;
            e->activation = s->act[seq];
            e->token = tok;
            e->key = ignore ? N2G_KEY_IGNORE : vocab->cls[tok];
            e->important = (uint8_t)important;
            e->activator = s->act[seq] > p->activation_threshold;
            e->ignore = (uint8_t)ignore;
            e->is_end = 0;
            if (!ignore) last = j; /* the reference keeps the enumerate index, not the line index */
        }
        if (n > last + 1) n = last + 1;
        n2g_elem *end = &line[n++];
        memset(end, 0, sizeof *end);
        end->activation = act;
        end->token = -1;
        end->key = N2G_KEY_END;
        end->ignore = 1;
        end->is_end = 1;
        rc = emit(ctx, line, n);
    }
    if (line != stackline) free(line);
    return rc;
}

n2g_graph *n2g_graph_new(void) {
    n2g_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->layer = g->neuron = -1;
    n2g_params_default(&g->params);
    g->normalise = 1;
    if (n2g_trie_init(&g->viz) || n2g_trie_init(&g->trie)) {
        n2g_graph_free(g);
        return NULL;
    }
    return g;
}

static void frozen_free(n2g_frozen *f) {
    free(f->child_start);
    free(f->child_key);
    free(f->child_node);
    free(f->ignore_child);
    free(f->end_act);
    free(f->activator);
    free(f->hash_mask);
    free(f->hash_start);
    free(f->hash_key);
    free(f->hash_node);
    memset(f, 0, sizeof *f);
}

void n2g_graph_free(n2g_graph *g) {
    if (!g) return;
    n2g_trie_free(&g->viz);
    n2g_trie_free(&g->trie);
    frozen_free(&g->fz);
    free(g);
}

typedef struct {
    n2g_graph *g;
} fit_ctx;

static int fit_emit(void *ctx, const n2g_elem *line, int len) {
    n2g_graph *g = ((fit_ctx *)ctx)->g;
    if (n2g_trie_add(&g->viz, 0, line, len, 1, &g->max_depth)) return -1;
    return n2g_trie_add(&g->trie, 0, line, len, 0, &g->max_depth);
}

n2g_graph *n2g_fit(const n2g_sample *samples, size_t n, const n2g_vocab *vocab, const n2g_params *params,
                   n2g_err *err) {
    n2g_graph *g = n2g_graph_new();
    uint8_t **sets = calloc(n ? n : 1, sizeof *sets);
    if (!g || !sets) goto oom;
    if (params) g->params = *params;
    g->normalise = vocab->normalise;
    g->vocab_size = vocab->n;
    for (size_t k = 0; k < n; k++) {
        const n2g_sample *s = &samples[k];
        if (s->len <= 0) {
            n2g_fail(err, "sample %zu: expected at least one token", k);
            goto fail;
        }
        for (int i = 0; i < s->len; i++)
            if (s->tokens[i] < 0 || s->tokens[i] >= vocab->n) {
                n2g_fail(err, "sample %zu: token %d at position %d is outside the vocabulary (0..%d)", k,
                         s->tokens[i], i, vocab->n - 1);
                goto fail;
            }
        fit_ctx ctx = {g};
        if (s->parent < 0) {
            sets[k] = malloc((size_t)s->len * (size_t)s->len);
            if (!sets[k]) goto oom;
            if (n2g_make_lines(s, vocab, &g->params, NULL, 0, sets[k], fit_emit, &ctx)) goto oom;
        } else {
            if ((size_t)s->parent >= k || samples[s->parent].parent >= 0) {
                n2g_fail(err, "sample %zu: parent %d is not an earlier original sample", k, s->parent);
                goto fail;
            }
            if (n2g_make_lines(s, vocab, &g->params, sets[s->parent], samples[s->parent].len, NULL, fit_emit, &ctx))
                goto oom;
        }
    }
    if (n2g_merge_ignores(&g->trie) || n2g_graph_freeze(g)) goto oom;
    for (size_t k = 0; k < n; k++) free(sets[k]);
    free(sets);
    return g;
oom:
    n2g_fail(err, "fit: out of memory");
fail:
    if (sets)
        for (size_t k = 0; k < n; k++) free(sets[k]);
    free(sets);
    n2g_graph_free(g);
    return NULL;
}

/* ---- prediction form ---- */

/* qsort_r comparator: children ordered by key (keys indexed by node). Thread-safe. */
static int cmp_by_key(const void *a, const void *b, void *keys) {
    const uint32_t *k = keys;
    uint32_t x = k[*(const int32_t *)a], y = k[*(const int32_t *)b];
    return x < y ? -1 : x > y;
}

int n2g_graph_freeze(n2g_graph *g) {
    const n2g_trie *t = &g->trie;
    n2g_frozen *f = &g->fz;
    frozen_free(f);
    int32_t n = t->n;
    f->n = n;
    f->child_start = calloc((size_t)n + 1, sizeof *f->child_start);
    f->child_key = malloc((size_t)n * sizeof *f->child_key);
    f->child_node = malloc((size_t)n * sizeof *f->child_node);
    f->ignore_child = malloc((size_t)n * sizeof *f->ignore_child);
    f->end_act = malloc((size_t)n * sizeof *f->end_act);
    f->activator = malloc((size_t)n);
    uint32_t *keys = malloc((size_t)n * sizeof *keys);
    if (!f->child_start || !f->child_key || !f->child_node || !f->ignore_child || !f->end_act || !f->activator ||
        !keys) {
        free(keys);
        frozen_free(f);
        return -1;
    }
    int32_t k = 0;
    for (int32_t x = 0; x < n; x++) {
        const n2g_node *nd = &t->nodes[x];
        f->child_start[x] = k;
        f->ignore_child[x] = -1;
        f->end_act[x] = NAN;
        f->activator[x] = nd->v.activator;
        for (int32_t c = nd->first; c >= 0; c = t->nodes[c].next) {
            uint32_t key = t->nodes[c].v.key;
            if (key == N2G_KEY_IGNORE) f->ignore_child[x] = c;
            else if (key == N2G_KEY_END) f->end_act[x] = t->nodes[c].v.activation;
            else {
                f->child_node[k] = c;
                keys[c] = key;
                k++;
            }
        }
        int32_t m = k - f->child_start[x];
        if (m > 1) qsort_r(f->child_node + f->child_start[x], (size_t)m, sizeof(int32_t), cmp_by_key, keys);
        for (int32_t q = f->child_start[x]; q < k; q++) f->child_key[q] = keys[f->child_node[q]];
    }
    f->child_start[n] = k;
    free(keys);
    /* hash tables for nodes with at least N2G_HASH_MIN exact children */
    enum { N2G_HASH_MIN = 16 };
    f->hash_mask = calloc((size_t)n, sizeof *f->hash_mask);
    f->hash_start = calloc((size_t)n, sizeof *f->hash_start);
    if (!f->hash_mask || !f->hash_start) goto oom;
    size_t total = 0;
    for (int32_t x = 0; x < n; x++) {
        int32_t m = f->child_start[x + 1] - f->child_start[x];
        if (m < N2G_HASH_MIN) continue;
        uint32_t size = 1;
        while (size < (uint32_t)m * 2) size <<= 1;
        f->hash_mask[x] = size - 1;
        f->hash_start[x] = (int32_t)total;
        total += size;
    }
    if (total) {
        f->hash_key = malloc(total * sizeof *f->hash_key);
        f->hash_node = malloc(total * sizeof *f->hash_node);
        if (!f->hash_key || !f->hash_node) goto oom;
        for (size_t i = 0; i < total; i++) f->hash_key[i] = N2G_KEY_ROOT;
        for (int32_t x = 0; x < n; x++) {
            if (!f->hash_mask[x]) continue;
            uint32_t *hk = f->hash_key + f->hash_start[x];
            int32_t *hn = f->hash_node + f->hash_start[x];
            for (int32_t q = f->child_start[x]; q < f->child_start[x + 1]; q++) {
                uint32_t h = n2g_key_hash(f->child_key[q]) & f->hash_mask[x];
                while (hk[h] != N2G_KEY_ROOT) h = (h + 1) & f->hash_mask[x];
                hk[h] = f->child_key[q];
                hn[h] = f->child_node[q];
            }
        }
    }
    return 0;
oom:
    frozen_free(f);
    return -1;
}
