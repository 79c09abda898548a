/* test_report_graph.c — the report's drawing of a graph JSON when Graphviz made no SVG
 * (report_graph.h): nodes merged by (depth, token class) as the DOT export merges them, wildcards
 * and the root left out, every edge once; hostile token text shown escaped and visible, only
 * plain drawing elements in the output; damaged graph files refused with the field named.
 *
 * Oracles: hand-written graphs whose expected boxes / edges / texts are counted by hand. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/report_graph.h"

static size_t count(const char *s, const char *sub) {
    size_t n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub)) n++;
    return n;
}

/* every tag is one of the drawing elements report.js keeps */
static int tags_ok(const char *s) {
    static const char *const ok[] = {"svg", "g", "rect", "line", "text", "title"};
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        const char *t = p[1] == '/' ? p + 2 : p + 1;
        size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz");
        int found = 0;
        for (int k = 0; k < 6; k++) found |= n == strlen(ok[k]) && !strncmp(t, ok[k], n);
        if (!found || (t[n] != ' ' && t[n] != '>' && t[n] != '/')) return 0;
    }
    return 1;
}

#define NODE(par, kind, key, depth, text, extra)                                                                \
    "{\"parent\": " #par ", \"kind\": \"" kind "\", \"token\": " #key ", \"key\": " #key ", \"text\": " text \
    ", \"importance\": 0.9, \"activation\": 0.8, \"important\": true, \"activator\": false, \"depth\": " #depth extra "}"

int main(void) {
    n2g_err err = {0};
    char *svg = NULL;
    size_t len = 0;
    const char *g =
        "{\"format\": \"n2g-graph\", \"version\": 1, \"activation_threshold\": 0.5, \"importance_threshold\": 0.75,"
        " \"graph\": ["
        NODE(-1, "root", -1, -1, "\"\"", ", \"ignore\": true") ","
        NODE(0, "token", 10, 0, "\"<script>alert(1)</script>\"", ", \"ignore\": false, \"is_end\": true") ","
        NODE(1, "token", 11, 1, "\"a&b\\\"'\"", ", \"ignore\": false") ","
        NODE(2, "token", 12, 2, "\"x\\n\\u0007\\u202e\"", ", \"ignore\": false") ","
        NODE(0, "token", 20, 0, "\" \"", ", \"ignore\": false") ","
        NODE(4, "token", 11, 1, "\"a&b\\\"'\"", ", \"ignore\": false") ","  /* merged with node 2 */
        NODE(4, "ignore", -1, 1, "\"\"", ", \"ignore\": true") ","
        NODE(6, "token", 13, 2, "\"behind a wildcard\"", ", \"ignore\": false") ","
        NODE(1, "token", 14, 1, "\"a very long token text indeed\"", ", \"ignore\": false") "]}";
    CHECK(report_graph_svg_text(g, strlen(g), "g.json", &svg, &len, &err) == 0, "%s", err.msg);
    if (svg) {
        CHECK(len == strlen(svg) && !strncmp(svg, "<svg ", 5) && strstr(svg, "</svg>\n") == svg + len - 7, "%s", svg);
        CHECK(tags_ok(svg), "a tag outside the drawing elements: %s", svg);
        CHECK(!strstr(svg, "<script") && strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"), "script text: %s", svg);
        CHECK(strstr(svg, ">a&amp;b&quot;&#39;</text>") != NULL, "quotes: %s", svg);
        CHECK(strstr(svg, ">x\\n\\x07\\u202e</text>") != NULL, "control / bidi characters visible: %s", svg);
        CHECK(strstr(svg, ">&quot; &quot;</text>") != NULL, "a space token quoted: %s", svg);
        CHECK(strstr(svg, ">a very long toke\xe2\x80\xa6</text>") != NULL, "long text cut: %s", svg);
        CHECK(strstr(svg, "<title>a very long token text indeed (importance 0.9)</title>") != NULL, "title: %s", svg);
        /* boxes: 10, 20 (depth 0), 11 (merged), 12, 13, 14 = 6; the root and the wildcard are not drawn */
        CHECK(count(svg, "<rect ") == 6, "%zu boxes", count(svg, "<rect "));
        /* edges: 10-11, 11-12, 20-11 (the merged box has two parents), 10-14; none through the wildcard */
        CHECK(count(svg, "<line ") == 4, "%zu edges", count(svg, "<line "));
        CHECK(count(svg, "stroke-width=\"4\"") == 1, "one bold outline (is_end)");
        CHECK(strstr(svg, "fill=\"#ff") != NULL, "activating tokens red");
        free(svg);
    }
    /* damaged files: refused, the field named */
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"[1, 2]", "expected a graph JSON object"},
        {"{\"format\": \"other\", \"graph\": []}", "\"format\""},
        {"{\"format\": \"n2g-graph\", \"graph\": {}}", "\"graph\""},
        {"{\"format\": \"n2g-graph\", \"graph\": []}", "\"graph\""},
        {"{\"format\": \"n2g-graph\", \"graph\": [" NODE(-1, "root", -1, -1, "\"\"", "") "," NODE(2, "token", 1, 0, "\"a\"", "") "]}",
         "graph[1].parent"},
        {"{\"format\": \"n2g-graph\", \"graph\": [" NODE(-1, "root", -1, -1, "\"\"", "") "," NODE(0, "token", 1, 0, "\"a\"", "") ","
         NODE(1, "token", 1, 1e9, "\"a\"", "") "]}",
         "graph[2].depth"},
        {"{\"format\": \"n2g-graph\", \"graph\": [" NODE(-1, "root", -1, -1, "5", "") "]}", "graph[0].text"},
        {"{\"format\": \"n2g-graph\", \"graph\": [" NODE(-1, "root", -1, -1, "\"\"", ", \"ignore\": 1") "]}", "graph[0].ignore"},
        {"{\"format\": \"n2g-graph\", \"graph\": [" NODE(0, "root", -1, -1, "\"\"", "") "]}", "graph[0].parent"},
        {"{\"format\": \"n2g-graph\", \"graph\": [7]}", "graph[0]: expected a node object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n2g_err e = {0};
        svg = NULL;
        int rc = report_graph_svg_text(bad[i].text, strlen(bad[i].text), "g.json", &svg, &len, &e);
        CHECK(rc == -1 && !svg && strstr(e.msg, "g.json") && strstr(e.msg, bad[i].msg), "case %zu: rc %d, '%s' (want '%s')",
              i, rc, e.msg, bad[i].msg);
        free(svg);
    }
    n2g_err e = {0};
    CHECK(report_graph_svg("/nonexistent/0_1.json", &svg, &len, &e) == -1 && strstr(e.msg, "/nonexistent/0_1.json"),
          "%s", e.msg);
    return check_finish();
}
