/* build_prepare.c — before a build lists its work: the output folders, what killed builds
 * left, Graphviz, the casing table (see builder.h). */
#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/fileio.h"
#include "dist/dist.h"
#include "n2g/build/builder.h"
#include "n2g/graph/export_dot.h"

/* The names of the run's own files that n2g writes through a temporary (NAME.tmp.PID). */
static int neuron_file(const char *s, size_t n) { /* L_N.json, L_N.dot, L_N.svg */
    size_t i = 0, d1 = 0, d2 = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, d1++;
    if (!d1 || i >= n || s[i++] != '_') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, d2++;
    if (!d2) return 0;
    static const char *const ext[] = {".json", ".dot", ".svg"};
    for (int k = 0; k < 3; k++)
        if (n - i == strlen(ext[k]) && !memcmp(s + i, ext[k], n - i)) return 1;
    return 0;
}

static int run_file(const char *s, size_t n) {
    static const char *const names[] = {"stats.json", "neuron_store.json", "word_to_casings.json"};
    for (int k = 0; k < 3; k++)
        if (n == strlen(names[k]) && !memcmp(s, names[k], n)) return 1;
    return 0;
}

/* Only n2g's own names are removed, and only of processes that are gone (rank 0). */
int n2g_build_prepare(builder *b, n2g_err *err) {
    static const char *const sub[] = {"graphs", "build", "samples"};
    char path[4096];
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", b->run_dir, sub[k]);
        if (n2g_make_dir(path, 0, err) != 0) return -1;
    }
    if (dist_rank() == 0) {
        b->res->temps_removed = n2g_atomic_remove_stale(b->run_dir, run_file);
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s", b->run_dir, sub[k]);
            b->res->temps_removed += n2g_atomic_remove_stale(path, neuron_file);
        }
    }
    b->res->dot_missing = !b->o->no_svg && !n2g_dot_available();
    b->want_svg = !b->o->no_svg && !b->res->dot_missing;
    return n2g_build_record_make(b, err);
}

const char *n2g_build_casings_path(const builder *b, char *buf, size_t cap) {
    if (b->o->casings_path) return b->o->casings_path;
    snprintf(buf, cap, "%s/word_to_casings.json", b->run_dir);
    return buf;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* counts the run's corpus files (manifest corpus.files[].path) into t, in name order */
static int count_corpus(const json_value *files, n2g_casings *t, n2g_err *err) {
    const char **names = calloc(files->n, sizeof *names);
    size_t nn = 0;
    for (size_t i = 0; names && i < files->n; i++) {
        const json_value *p = json_get(&files->items[i], "path");
        if (p && p->type == JSON_STRING && strcmp(p->str, "-")) names[nn++] = p->str;
    }
    qsort(names, nn, sizeof *names, cmp_str);
    int rc = names ? 0 : n2g_fail(err, "out of memory");
    for (size_t i = 0; i < nn && rc == 0; i++) rc = n2g_casings_count_path(t, names[i], 1, 1, err);
    free(names);
    if (rc == 0 && nn == 0)
        rc = n2g_failc(err, N2G_E_USAGE, "the run's corpus was read from stdin: give --casings FILE or --augment none");
    return rc;
}

int n2g_build_casings_open(builder *b, n2g_err *err) {
    char path[4096];
    if (b->o->casings_path) return n2g_casings_load(b->o->casings_path, &b->casings, err);
    snprintf(path, sizeof path, "%s/word_to_casings.json", b->run_dir);
    if (n2g_is_file(path)) return n2g_casings_load(path, &b->casings, err);
    const json_value *files = json_get(json_get(scrape_run_manifest(b->run), "corpus"), "files");
    if (!files || files->type != JSON_ARRAY || files->n == 0)
        return n2g_failc(err, N2G_E_USAGE,
                         "%s/manifest.json lists no corpus files to count casings from; give --casings FILE "
                         "(made by 'n2g casings') or --augment none",
                         b->run_dir);
    n2g_casings *t = n2g_casings_new();
    if (!t) return n2g_fail(err, "out of memory");
    int rc = count_corpus(files, t, err);
    if (rc == 0) rc = n2g_casings_save(t, path, err);
    if (rc != 0) {
        n2g_casings_free(t);
        return n2g_wrap(err, "counting word casings for --augment casings");
    }
    b->casings = t;
    return 0;
}
