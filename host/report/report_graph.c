/* report_graph.c — a graph JSON drawn as SVG (see report_graph.h). */
#include "report_graph.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/json.h"
#include "common/u64map.h"

#define MAX_NODES 2000000
#define MAX_DEPTH 100000
/* layout, in SVG user units */
#define NODE_W 124
#define NODE_H 34
#define COL_PITCH 176
#define ROW_PITCH 44
#define MARGIN 16
#define LABEL_CP 16 /* code points shown in a box (the title holds the whole label) */

typedef struct {
    int gid, kept, depth, is_end;
    long long key;
    double act, imp;
    const char *text;
    size_t text_n;
} gnode;

typedef struct {
    int depth, row, first; /* first: the node that made it (its values are shown) */
} gbox;

static int get_intv(const json_value *o, const char *key, long long lo, long long hi, long long dflt, long long *out) {
    const json_value *v = json_get(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (v->type != JSON_NUMBER || v->num != floor(v->num) || v->num < (double)lo || v->num > (double)hi) return -1;
    *out = (long long)v->num;
    return 0;
}

static int get_num(const json_value *o, const char *key, double *out) {
    const json_value *v = json_get(o, key);
    *out = 0;
    if (!v || v->type == JSON_NULL) return 0;
    if (v->type != JSON_NUMBER || !isfinite(v->num)) return -1;
    *out = v->num;
    return 0;
}

static int get_bool(const json_value *o, const char *key, int *out) {
    const json_value *v = json_get(o, key);
    *out = 0;
    if (!v) return 0;
    if (v->type != JSON_TRUE && v->type != JSON_FALSE) return -1;
    *out = v->type == JSON_TRUE;
    return 0;
}

/* export_dot.c's colour: adjust(x, y) = (x - y) / (1 - y), int(adjust * 255), clamped */
static int clamp255(double x) {
    if (!(x > -1e9)) x = -1e9;
    if (x > 1e9) x = 1e9;
    long v = (long)x;
    return (int)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Decodes one UTF-8 code point at s[0..n); returns its length, *cp = 0xFFFD when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
    *cp = v;
    return len;
}

/* Writes a token's text as XML character data: printable characters as they are (&, <, >, ",
 * ' as entities); control, invalid, bidi, zero-width, line-separator and non-character code
 * points as visible escapes (\n, \x07, \u202e); a text of spaces only in quotes. At most max
 * code points (0: all), then an ellipsis. */
static void put_text(FILE *f, const char *text, size_t n, int max) {
    const unsigned char *s = (const unsigned char *)text;
    int spaces = n > 0;
    for (size_t i = 0; i < n; i++) spaces &= s[i] == ' ';
    if (spaces) fputs("&quot;", f);
    int shown = 0;
    for (size_t i = 0; i < n;) {
        if (max && shown == max) {
            fputs("\xe2\x80\xa6", f); /* U+2026 */
            break;
        }
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        shown++;
        if (cp == '\n') fputs("\\n", f);
        else if (cp == '\t') fputs("\\t", f);
        else if (cp == '\r') fputs("\\r", f);
        else if (cp < 0x20 || cp == 0x7F) fprintf(f, "\\x%02x", (unsigned)cp);
        else if (cp == 0xFFFD && !(len == 3 && s[i] == 0xEF)) fprintf(f, "\\x%02x", (unsigned)s[i]);
        else if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
                 (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC) ||
                 (cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF))
            fprintf(f, "\\u%04x", (unsigned)cp);
        else if (cp == '&') fputs("&amp;", f);
        else if (cp == '<') fputs("&lt;", f);
        else if (cp == '>') fputs("&gt;", f);
        else if (cp == '"') fputs("&quot;", f);
        else if (cp == '\'') fputs("&#39;", f);
        else fwrite(s + i, 1, len, f);
        i += len;
    }
    if (spaces) fputs("&quot;", f);
}

static int draw(const json_value *root, const char *what, FILE *f, n2g_err *err) {
    if (!root || root->type != JSON_OBJECT) return n2g_fail(err, "%s: expected a graph JSON object", what);
    const json_value *fmt = json_get(root, "format");
    if (!fmt || fmt->type != JSON_STRING || strcmp(fmt->str, "n2g-graph"))
        return n2g_fail(err, "%s: \"format\": expected \"n2g-graph\"", what);
    double act_thr = 0.5, imp_thr = 0.75;
    const json_value *tv = json_get(root, "activation_threshold");
    if (tv && tv->type == JSON_NUMBER && isfinite(tv->num)) act_thr = tv->num;
    tv = json_get(root, "importance_threshold");
    if (tv && tv->type == JSON_NUMBER && isfinite(tv->num)) imp_thr = tv->num;
    const json_value *g = json_get(root, "graph");
    if (!g || g->type != JSON_ARRAY || g->n == 0) return n2g_fail(err, "%s: \"graph\": expected a non-empty array of nodes", what);
    if (g->n > MAX_NODES) return n2g_fail(err, "%s: \"graph\": %zu nodes, at most %d are drawn", what, g->n, MAX_NODES);
    size_t n = g->n;
    gnode *nd = calloc(n, sizeof *nd);
    gbox *box = calloc(n, sizeof *box);
    int *parent = malloc(n * sizeof *parent);
    n2g_u64map ids = {0}, edges = {0};
    int *ecount = NULL, rc = -1;
    uint64_t *elist = malloc(n * sizeof *elist);
    size_t ne = 0, nb = 0;
    if (!nd || !box || !parent || !elist || n2g_u64map_init(&ids, n) || n2g_u64map_init(&edges, n)) {
        n2g_fail(err, "%s: out of memory", what);
        goto done;
    }
    int dmax = -1, dmin = MAX_DEPTH;
    for (size_t i = 0; i < n; i++) {
        const json_value *o = &g->items[i];
        long long p, depth, key;
        int ignore;
        if (o->type != JSON_OBJECT) {
            n2g_fail(err, "%s: graph[%zu]: expected a node object", what, i);
            goto done;
        }
        const json_value *kind = json_get(o, "kind"), *text = json_get(o, "text");
        const char *bad = NULL;
        if (get_intv(o, "parent", -1, (long long)i - 1, -2, &p) || (i > 0 && p < 0) || (i == 0 && p != -1))
            bad = "parent: expected the index of an earlier node (-1 for the first)";
        else if (!kind || kind->type != JSON_STRING) bad = "kind: expected a string";
        else if (get_intv(o, "depth", -1, MAX_DEPTH, -2, &depth) || depth < -1) bad = "depth: expected an integer -1..100000";
        else if (get_intv(o, "key", -1, 2147483647LL, -1, &key)) bad = "key: expected a token class id or -1";
        else if (text && text->type != JSON_STRING) bad = "text: expected a string";
        else if (get_num(o, "activation", &nd[i].act) || get_num(o, "importance", &nd[i].imp))
            bad = "activation / importance: expected numbers";
        else if (get_bool(o, "ignore", &ignore) || get_bool(o, "is_end", &nd[i].is_end))
            bad = "ignore / is_end: expected true or false";
        if (bad) {
            n2g_fail(err, "%s: graph[%zu].%s", what, i, bad);
            goto done;
        }
        parent[i] = (int)p;
        nd[i].depth = (int)depth;
        nd[i].key = key;
        nd[i].text = text ? text->str : "";
        nd[i].text_n = text ? text->n : 0;
        int is_root = !strcmp(kind->str, "root");
        nd[i].kept = (is_root || !strcmp(kind->str, "token")) && !ignore;
        if (!nd[i].kept) continue;
        if (is_root) nd[i].text = "ROOT", nd[i].text_n = 4;
        /* nodes are merged by (depth, normalised token), as in the DOT picture */
        int added;
        uint64_t k = ((uint64_t)(uint32_t)(nd[i].depth + 1) << 32) | (uint32_t)(is_root ? 0xFFFFFFFFu : (uint32_t)key);
        nd[i].gid = n2g_u64map_get_or_put(&ids, k, (int)nb, &added);
        if (added) {
            box[nb] = (gbox){nd[i].depth, 0, (int)i};
            nb++;
            if (nd[i].depth > dmax) dmax = nd[i].depth;
            if (nd[i].depth < dmin) dmin = nd[i].depth;
        }
        if (p >= 0 && nd[p].kept) {
            uint64_t e = ((uint64_t)(uint32_t)nd[p].gid << 32) | (uint32_t)nd[i].gid;
            n2g_u64map_get_or_put(&edges, e, 0, &added);
            if (added) elist[ne++] = e;
        }
    }
    /* rows: per depth, in order of first appearance; each column centred */
    if (nb == 0) dmin = dmax = 0;
    int ncol = dmax - dmin + 1;
    ecount = calloc((size_t)ncol, sizeof *ecount);
    if (!ecount) {
        n2g_fail(err, "%s: out of memory", what);
        goto done;
    }
    int maxrows = 1;
    for (size_t b = 0; b < nb; b++) {
        box[b].row = ecount[box[b].depth - dmin]++;
        if (ecount[box[b].depth - dmin] > maxrows) maxrows = ecount[box[b].depth - dmin];
    }
    int W = 2 * MARGIN + (ncol - 1) * COL_PITCH + NODE_W, H = 2 * MARGIN + (maxrows - 1) * ROW_PITCH + NODE_H + 22;
    if (W < 300) W = 300; /* room for the caption */
#define BX(b) (MARGIN + (dmax - box[b].depth) * COL_PITCH)
#define BY(b) (MARGIN + box[b].row * ROW_PITCH + (maxrows - ecount[box[b].depth - dmin]) * ROW_PITCH / 2)
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\">\n<g stroke=\"#555555\" stroke-width=\"2\" fill=\"none\">\n",
            W, H, W, H);
    for (size_t e = 0; e < ne; e++) {
        int pb = (int)(elist[e] >> 32), cb = (int)(uint32_t)elist[e];
        /* right to left: the child's right edge to the parent's left edge */
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", BX(cb) + NODE_W, BY(cb) + NODE_H / 2, BX(pb),
                BY(pb) + NODE_H / 2);
    }
    fputs("</g>\n<g text-anchor=\"middle\" dominant-baseline=\"central\">\n", f);
    for (size_t b = 0; b < nb; b++) {
        const gnode *x = &nd[box[b].first];
        long sc;
        double y, v;
        if (x->depth == 0) y = act_thr - 0.2 > 0 ? act_thr - 0.2 : 0, v = x->act;
        else y = imp_thr - 0.2 > 0.1 ? imp_thr - 0.2 : 0.1, v = x->imp;
        double t = (v - y) / (1 - y) * 255;
        if (!(t > -1e9)) t = -1e9;
        if (t > 1e9) t = 1e9;
        sc = (long)t;
        int gcol = clamp255((double)(255 - sc)), r = x->depth == 0 ? 255 : gcol, bl = x->depth == 0 ? gcol : 255;
        const char *fc = x->depth != 0 && 255 - sc < 130 ? "#ffffff" : "#000000";
        fputs("<g><title>", f);
        put_text(f, x->text, x->text_n, 0);
        if (x->depth >= 0) fprintf(f, " (%s %.3g)", x->depth == 0 ? "activation" : "importance", v);
        fprintf(f, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"#%02x%02x%02x\" "
                   "stroke=\"#000000\" stroke-width=\"%d\"/><text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"%s\">",
                BX(b), BY(b), NODE_W, NODE_H, r, gcol, bl, x->is_end ? 4 : 1, BX(b) + NODE_W / 2, BY(b) + NODE_H / 2,
                x->text_n > 10 ? 12 : 15, fc);
        put_text(f, x->text, x->text_n, LABEL_CP);
        fputs("</text></g>\n", f);
    }
    fprintf(f, "</g>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666666\"><title>Graphviz was not "
               "there when the graph was built: n2g drew it from graphs/L_N.json. Activating tokens on the right, "
               "their context to the left; a bold outline marks where a pattern may end.</title>drawn by n2g "
               "(no Graphviz picture)</text>\n</svg>\n",
            MARGIN, H - 8);
#undef BX
#undef BY
    rc = ferror(f) ? n2g_fail(err, "%s: out of memory drawing the graph", what) : 0;
done:
    free(nd);
    free(box);
    free(parent);
    free(elist);
    free(ecount);
    n2g_u64map_free(&ids);
    n2g_u64map_free(&edges);
    return rc;
}

int report_graph_svg_text(const char *text, size_t n, const char *what, char **svg, size_t *len, n2g_err *err) {
    *svg = NULL;
    *len = 0;
    json_doc *d = json_parse(text, n, what, err);
    if (!d) return -1;
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f) {
        json_free(d);
        return n2g_fail(err, "%s: out of memory", what);
    }
    int rc = draw(json_root(d), what, f, err);
    json_free(d);
    if (fclose(f) != 0 && rc == 0) rc = n2g_fail(err, "%s: out of memory drawing the graph", what);
    if (rc) {
        free(buf);
        return -1;
    }
    *svg = buf;
    *len = blen;
    return 0;
}

int report_graph_svg(const char *path, char **svg, size_t *len, n2g_err *err) {
    size_t n;
    char *text = n2g_read_file(path, &n, err);
    if (!text) return -1;
    int rc = report_graph_svg_text(text, n, path, svg, len, err);
    free(text);
    return rc;
}
