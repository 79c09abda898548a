/* export_dot.h — the visualisation graph as Graphviz DOT in the reference's layout
 * (n2g-reference.md §10: right-to-left layers, one cluster per depth, nodes merged by
 * (depth, token), red activating nodes, blue context nodes shaded by importance, a bold
 * outline where a pattern may stop), and its rendering to SVG with the `dot` program. */
#ifndef N2G_EXPORT_DOT_H
#define N2G_EXPORT_DOT_H

#include <stdio.h>

#include "common/err.h"
#include "n2g/graph/graph.h"
#include "n2g/graph/vocab.h"

/* Writes the DOT source to f. vocab gives the token strings (labels). */
int n2g_graph_write_dot_file(const n2g_graph *g, const n2g_vocab *vocab, FILE *f, n2g_err *err);
/* Same, atomically to path. */
int n2g_graph_write_dot(const n2g_graph *g, const n2g_vocab *vocab, const char *path, n2g_err *err);
/* Runs `dot -Tsvg dot_path` (found in PATH, or $N2G_DOT), reads the SVG from its standard
 * output through a pipe and writes svg_path atomically itself (a dot that outlives a killed n2g
 * ends by SIGPIPE and writes no file). Fails with a clear message when Graphviz is missing,
 * fails, writes nothing, or runs over timeout_s. Thread-safe. */
int n2g_graph_render_svg(const char *dot_path, const char *svg_path, double timeout_s, n2g_err *err);
/* The program n2g_graph_render_svg runs ($N2G_DOT, else "dot"), and whether it can be run: an
 * executable file at that path when it names one, else in a directory of $PATH. */
const char *n2g_dot_program(void);
int n2g_dot_available(void);

#endif
