/* export_dot.c — DOT writer following the reference's build() and the python graphviz
 * package's quoting; SVG through the dot program (see export_dot.h). */
#include "n2g/graph/export_dot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_write.h"
#include "common/u64map.h"

extern char **environ;

/* A growable byte buffer. */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 0;
}

static int sb_puts(sbuf *b, const char *s) { return sb_put(b, s, strlen(s)); }

/* json.dumps(s) (ensure_ascii) of a UTF-8 string, without the surrounding quotes. */
static int json_ascii(sbuf *b, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    char tmp[16];
    while (u < end) {
        unsigned c = *u;
        uint32_t cp;
        int adv = 1;
        if (c < 0x80) cp = c;
        else if ((c & 0xE0) == 0xC0 && u + 1 < end) cp = ((c & 0x1Fu) << 6) | (u[1] & 0x3Fu), adv = 2;
        else if ((c & 0xF0) == 0xE0 && u + 2 < end)
            cp = ((c & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu), adv = 3;
        else if ((c & 0xF8) == 0xF0 && u + 3 < end)
            cp = ((c & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) | ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu), adv = 4;
        else cp = 0xFFFD;
        u += adv;
        int r = 0;
        switch (cp) {
        case '"': r = sb_puts(b, "\\\""); break;
        case '\\': r = sb_puts(b, "\\\\"); break;
        case '\n': r = sb_puts(b, "\\n"); break;
        case '\r': r = sb_puts(b, "\\r"); break;
        case '\t': r = sb_puts(b, "\\t"); break;
        case '\b': r = sb_puts(b, "\\b"); break;
        case '\f': r = sb_puts(b, "\\f"); break;
        default:
            if (cp >= 0x20 && cp < 0x7F) {
                char ch = (char)cp;
                r = sb_put(b, &ch, 1);
            } else if (cp < 0x10000) {
                snprintf(tmp, sizeof tmp, "\\u%04x", cp);
                r = sb_puts(b, tmp);
            } else {
                uint32_t v = cp - 0x10000;
                snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
                r = sb_puts(b, tmp);
            }
        }
        if (r) return -1;
    }
    return 0;
}

/* The reference's display_token into d: the token itself when it holds '"', else its
 * JSON-escaped ASCII form with '[]"' stripped from both ends; a token of spaces only in single
 * quotes. */
static int display_token(sbuf *d, const char *tok, size_t n) {
    if (memchr(tok, '"', n)) {
        if (sb_put(d, tok, n)) return -1;
    } else {
        sbuf j = {0};
        if (json_ascii(&j, tok, n)) {
            free(j.s);
            return -1;
        }
        /* .strip('[]"') */
        size_t a = 0, z = j.n;
        while (a < z && strchr("[]\"", j.s[a])) a++;
        while (z > a && strchr("[]\"", j.s[z - 1])) z--;
        int r = sb_put(d, j.s ? j.s + a : "", z - a);
        free(j.s);
        if (r) return -1;
    }
    int all_space = d->n > 0;
    for (size_t i = 0; i < d->n; i++) all_space &= d->s[i] == ' ';
    if (!all_space) return 0;
    sbuf q = {0};
    if (sb_puts(&q, "'") || sb_put(&q, d->s, d->n) || sb_puts(&q, "'")) {
        free(q.s);
        return -1;
    }
    free(d->s);
    *d = q;
    return 0;
}

/* 1 when graphviz's quote() leaves s[0..n) bare: a plain ID (not a keyword) or a numeral */
static int dot_bare(const char *s, size_t n) {
    int id = n > 0, num = 0;
    for (size_t i = 0; i < n && id; i++) {
        unsigned char c = (unsigned char)s[i];
        int letter = c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        id = letter || (i > 0 && c >= '0' && c <= '9');
    }
    if (n) {
        /* numeral: -?(\.[0-9]+|[0-9]+(\.[0-9]*)?) */
        size_t p = 0;
        if (s[p] == '-') p++;
        size_t dg = 0;
        while (p < n && s[p] >= '0' && s[p] <= '9') p++, dg++;
        if (dg) {
            if (p < n && s[p] == '.') {
                p++;
                while (p < n && s[p] >= '0' && s[p] <= '9') p++;
            }
            num = p == n;
        } else if (p < n && s[p] == '.') {
            p++;
            size_t fd = 0;
            while (p < n && s[p] >= '0' && s[p] <= '9') p++, fd++;
            num = fd && p == n;
        }
    }
    static const char *kw[] = {"node", "edge", "graph", "digraph", "subgraph", "strict"};
    if (id)
        for (size_t k = 0; k < 6; k++)
            if (strlen(kw[k]) == n && !strncasecmp(kw[k], s, n)) id = 0;
    return id || num;
}

/* The reference's display_token, then graphviz.escape (backslashes doubled), then the
 * graphviz package's quote(), appended to out. Returns the display length in code points
 * (it decides the font size), -1 when out of memory. */
static int dot_label(sbuf *out, const char *tok, size_t n) {
    sbuf d = {0}, e = {0};
    int rc = -1;
    if (display_token(&d, tok, n)) goto done;
    /* escape(): double the backslashes */
    for (size_t i = 0; i < d.n; i++)
        if (sb_put(&e, d.s[i] == '\\' ? "\\\\" : d.s + i, d.s[i] == '\\' ? 2 : 1)) goto done;
    if (!e.s && sb_put(&e, "", 0)) goto done;
    if (dot_bare(e.s, e.n)) {
        rc = sb_put(out, e.s, e.n);
    } else {
        rc = sb_puts(out, "\"");
        for (size_t i = 0; i < e.n && !rc; i++) rc = sb_put(out, e.s[i] == '"' ? "\\\"" : e.s + i, e.s[i] == '"' ? 2 : 1);
        if (!rc) rc = sb_puts(out, "\"");
    }
    rc = rc ? -1 : (int)n2g_utf8_count(d.s ? d.s : "", d.n);
done:
    free(d.s);
    free(e.s);
    return rc;
}

static int clamp255(double x) {
    if (!(x > -1e9)) x = -1e9;
    if (x > 1e9) x = 1e9;
    long v = (long)x; /* int() truncates toward zero */
    return (int)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static long trunc_long(double x) {
    if (!(x > -1e9)) x = -1e9;
    if (x > 1e9) x = 1e9;
    return (long)x;
}

/* the state of one DOT export */
typedef struct dotw {
    const n2g_graph *g;
    const n2g_trie *t;
    const n2g_vocab *vocab;
    int32_t *gid;     /* [n] each node's merged id */
    n2g_u64map ents;      /* (depth, class) -> merged id */
    n2g_u64map edge_seen; /* (parent id, id) */
    int *depths;      /* the depths met, in order: one cluster each */
    size_t ndepth;
    int next_gid;
    sbuf *sub;        /* [n + 1] each cluster's node lines */
    uint8_t *added;   /* merged ids written */
    sbuf edges;
} dotw;

/* the reference: adjust(x, y) = (x - y) / (1 - y); s = int(adjust(..) * 255) */
static long node_shade(const n2g_graph *g, const n2g_node *nd) {
    if (nd->depth == 0) {
        double y = g->params.activation_threshold - 0.2 > 0 ? g->params.activation_threshold - 0.2 : 0;
        return trunc_long(((double)nd->v.activation - y) / (1 - y) * 255);
    }
    double y = g->params.importance_threshold - 0.2 > 0.1 ? g->params.importance_threshold - 0.2 : 0.1;
    return trunc_long(((double)nd->v.importance - y) / (1 - y) * 255);
}

/* the line of merged node id into cluster sg */
static int node_line(const dotw *w, sbuf *sg, int id, const n2g_node *nd, const char *tok, uint32_t tn) {
    char buf[256];
    long sc = node_shade(w->g, nd), green_raw = 255 - sc;
    int r = nd->depth == 0 ? 255 : clamp255((double)(255 - sc));
    int gcol = clamp255((double)(255 - sc));
    int b = nd->depth == 0 ? gcol : 255;
    snprintf(buf, sizeof buf, "\t\t%d [label=", id);
    if (sb_puts(sg, buf)) return -1;
    int dlen = dot_label(sg, tok, tn);
    if (dlen < 0) return -1;
    const char *fontcolor = nd->depth != 0 && green_raw < 130 ? "white" : "black";
    snprintf(buf, sizeof buf,
             " fillcolor=\"#%02x%02x%02x\" fontcolor=%s fontsize=%s penwidth=%s shape=box "
             "style=\"filled,solid\"]\n",
             r, gcol, b, fontcolor, dlen < 12 ? "25" : "18", nd->v.is_end ? "7" : "3");
    return sb_puts(sg, buf);
}

/* node x (in BFS order): merged with the nodes of its depth and token class, its line in its
 * depth's cluster (once), the edge from its parent (once) */
static int dot_node(dotw *w, int32_t x, n2g_err *err) {
    const n2g_node *nd = &w->t->nodes[x];
    const char *tok = "**ROOT**";
    uint32_t tn = 8;
    if (nd->v.key != N2G_KEY_ROOT) {
        if (nd->v.token < 0 || nd->v.token >= w->vocab->n)
            return n2g_fail(err, "dot: node token %d is outside the vocabulary", nd->v.token);
        tok = w->vocab->key[nd->v.token].s;
        tn = w->vocab->key[nd->v.token].n;
    }
    size_t di = 0;
    while (di < w->ndepth && w->depths[di] != nd->depth) di++;
    if (di == w->ndepth) w->depths[w->ndepth++] = nd->depth;
    /* nodes are merged by (depth, normalised token): the class identifies the string */
    uint32_t cls = nd->v.key == N2G_KEY_ROOT ? 0xFFFFFFFEu : w->vocab->cls[nd->v.token]; /* never the empty key */
    int fresh;
    int id = n2g_u64map_get_or_put(&w->ents, ((uint64_t)(uint32_t)nd->depth << 32) | cls, w->next_gid, &fresh);
    if (fresh) w->next_gid++;
    w->gid[x] = id;
    if (!w->added[id] && !nd->v.ignore) {
        if (node_line(w, &w->sub[di], id, nd, tok, tn)) return -1;
        w->added[id] = 1;
    }
    int32_t p = nd->parent;
    if (p >= 0 && !w->t->nodes[p].v.ignore) {
        int fresh_edge;
        n2g_u64map_get_or_put(&w->edge_seen, ((uint64_t)(uint32_t)w->gid[p] << 32) | (uint32_t)id, 0, &fresh_edge);
        if (fresh_edge) {
            char buf[256];
            snprintf(buf, sizeof buf, "\t%d -> %d [dir=back penwidth=3]\n", w->gid[p], id);
            if (sb_puts(&w->edges, buf)) return -1;
        }
    }
    return 0;
}

int n2g_graph_write_dot_file(const n2g_graph *g, const n2g_vocab *vocab, FILE *f, n2g_err *err) {
    const n2g_trie *t = &g->viz;
    int32_t n = t->n;
    dotw w = {.g = g, .t = t, .vocab = vocab};
    int32_t *order = malloc((size_t)n * sizeof *order);
    w.gid = malloc((size_t)n * sizeof *w.gid);
    w.depths = malloc(((size_t)n + 1) * sizeof *w.depths);
    w.sub = calloc((size_t)n + 1, sizeof *w.sub);
    w.added = calloc((size_t)n + 1, 1);
    int rc = -1;
    if (!order || !w.gid || !w.depths || !w.sub || !w.added || n2g_u64map_init(&w.ents, (size_t)n) ||
        n2g_u64map_init(&w.edge_seen, (size_t)n))
        goto done;
    /* BFS order over the graph */
    size_t qh = 0, qt = 0;
    order[qt++] = 0;
    while (qh < qt) {
        int32_t x = order[qh++];
        for (int32_t c = t->nodes[x].first; c >= 0; c = t->nodes[c].next) order[qt++] = c;
    }
    for (size_t q = 0; q < qt; q++)
        if (dot_node(&w, order[q], err)) goto done;
    fputs("digraph {\n\tgraph [nodesep=0.2 rankdir=RL ranksep=1.5 splines=spline]\n"
          "\tnode [fixedsize=true height=0.75 width=2]\n",
          f);
    if (w.edges.n) fwrite(w.edges.s, 1, w.edges.n, f);
    for (size_t di = 0; di < w.ndepth; di++) {
        fprintf(f, "\tsubgraph cluster_%d {\n\t\tgraph [pencolor=white penwidth=3]\n", g->max_depth - w.depths[di]);
        if (w.sub[di].n) fwrite(w.sub[di].s, 1, w.sub[di].n, f);
        fputs("\t}\n", f);
    }
    fputs("}\n", f);
    rc = 0;
done:
    if (rc && err && !err->msg[0]) n2g_fail(err, "dot: out of memory");
    for (int32_t i = 0; w.sub && i <= n; i++) free(w.sub[i].s);
    free(w.sub), free(order), free(w.gid), free(w.depths), free(w.added), free(w.edges.s);
    n2g_u64map_free(&w.ents);
    n2g_u64map_free(&w.edge_seen);
    return rc;
}

int n2g_graph_write_dot(const n2g_graph *g, const n2g_vocab *vocab, const char *path, n2g_err *err) {
    n2g_afile o;
    if (n2g_afile_open(&o, path, 0, err)) return -1;
    if (n2g_graph_write_dot_file(g, vocab, o.f, err)) {
        n2g_afile_abort(&o);
        return n2g_wrap(err, "%s", path);
    }
    return n2g_afile_commit(&o, err);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *n2g_dot_program(void) {
    const char *dot = getenv("N2G_DOT");
    return dot && *dot ? dot : "dot";
}

int n2g_dot_available(void) {
    const char *dot = n2g_dot_program();
    if (strchr(dot, '/')) return access(dot, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    for (const char *p = path;; p++) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        /* an empty PATH entry is the current directory */
        int len = snprintf(buf, sizeof buf, "%.*s/%s", n ? (int)n : 1, n ? p : ".", dot);
        struct stat st;
        if (len > 0 && (size_t)len < sizeof buf && stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
            return 1;
        if (!e) return 0;
        p = e;
    }
}

/* waits for pid until deadline (then kills it); -1 with errno when waitpid fails */
static int wait_until(pid_t pid, int *status, double deadline, int *timed_out) {
    *timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
            *timed_out = 1;
            return 0;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* dot's standard output, read through the pipe fd until EOF or the deadline (*timed_out) */
static int read_all(int fd, sbuf *out, double deadline, int *timed_out) {
    char chunk[65536];
    *timed_out = 0;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            *timed_out = 1;
            return 0;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int k = poll(&p, 1, left > 1.0 ? 1000 : (int)(left * 1000) + 1);
        if (k < 0 && errno != EINTR) return -1;
        if (k <= 0) continue; /* a signal (Ctrl-C: dot gets it too and ends), or a second passed */
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        if (sb_put(out, chunk, (size_t)n) != 0) {
            errno = ENOMEM;
            return -1;
        }
    }
}

/* dot writes the SVG to a pipe, never to a file: n2g writes the file (atomically). When n2g is
 * killed while dot runs, the pipe's reader is gone and dot ends by SIGPIPE (or EPIPE) on its
 * first write, so an orphaned dot never leaves anything in the run directory. The pipe's read
 * end is close-on-exec: another thread's dot does not hold it open. */
int n2g_graph_render_svg(const char *dot_path, const char *svg_path, double timeout_s, n2g_err *err) {
    const char *dot = n2g_dot_program();
    char *argv[] = {(char *)dot, (char *)"-Tsvg", (char *)dot_path, NULL};
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0) return n2g_fail(err, "cannot render %s: pipe failed (%s)", svg_path, strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int e = posix_spawnp(&pid, dot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (e != 0) {
        close(fd[0]);
        if (e == ENOENT)
            return n2g_fail(err, "cannot render %s: Graphviz '%s' not found in PATH (install the Debian package "
                                 "graphviz, or set N2G_DOT)", svg_path, dot);
        return n2g_fail(err, "cannot render %s: cannot run '%s' (%s)", svg_path, dot, strerror(e));
    }
    double deadline = now_s() + timeout_s;
    sbuf svg = {0};
    int timed_out = 0, wait_out = 0, status = 0;
    int rr = read_all(fd[0], &svg, deadline, &timed_out), rerr = errno;
    close(fd[0]); /* dot, if still writing, ends by SIGPIPE */
    if (rr != 0 || timed_out) kill(pid, SIGKILL);
    int wr = wait_until(pid, &status, timed_out ? 0 : deadline, &wait_out);
    timed_out |= wait_out;
    int rc = -1;
    if (rr != 0)
        n2g_fail(err, "cannot render %s: reading '%s' failed (%s)", svg_path, dot, strerror(rerr));
    else if (wr != 0)
        n2g_fail(err, "cannot render %s: waitpid failed (%s)", svg_path, strerror(errno));
    else if (timed_out)
        n2g_fail(err, "cannot render %s: '%s' ran longer than %.0f s", svg_path, dot, timeout_s);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        n2g_fail(err, "cannot render %s: Graphviz '%s' not found (install the Debian package graphviz)", svg_path, dot);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        n2g_fail(err, "cannot render %s: '%s -Tsvg %s' failed (status %d)", svg_path, dot, dot_path,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else if (svg.n == 0)
        n2g_fail(err, "cannot render %s: '%s -Tsvg %s' wrote nothing", svg_path, dot, dot_path);
    else
        rc = n2g_atomic_write_buf(svg_path, svg.s, svg.n, err);
    free(svg.s);
    return rc;
}
