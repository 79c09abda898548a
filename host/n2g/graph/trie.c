/* trie.c — the trie of lines: insertion (the reference's add / NeuronNode children) and
 * merge_ignores (n2g-reference.md §7.3), following the reference NeuronModel statement by
 * statement (see graph.h). */
#include <stdlib.h>
#include <string.h>

#include "n2g/graph/graph.h"

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
