/* report_graph.h — a neuron's graph drawn as SVG from its graph JSON (graphs/L_N.json,
 * docs/graph.md), for the report when Graphviz did not render graphs/L_N.svg.
 *
 * The picture follows the DOT export's conventions (export_dot.h): the visualisation graph,
 * nodes merged by (depth, normalised token), right to left from the root, activating tokens
 * red and context tokens blue shaded as the DOT export shades them, a bold outline where a
 * pattern may stop; a simple layered layout (one column per depth, nodes in the order the
 * depth-first node list first reaches them). Only plain SVG drawing elements (svg, g, rect,
 * line, text, title), token text escaped, so report.js's SVG filter keeps all of it. */
#ifndef N2G_REPORT_GRAPH_H
#define N2G_REPORT_GRAPH_H

#include <stddef.h>

#include "common/err.h"

/* Reads the graph JSON at path and sets *svg (malloc'd, NUL-terminated) and *len. Errors
 * name the file and the field. */
int report_graph_svg(const char *path, char **svg, size_t *len, n2g_err *err);
/* Same from text (what names it in messages). */
int report_graph_svg_text(const char *text, size_t n, const char *what, char **svg, size_t *len, n2g_err *err);

#endif
