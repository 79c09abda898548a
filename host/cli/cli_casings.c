/* cli_casings.c — `n2g casings`: build a word_to_casings.json table from a corpus. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common/json.h"
#include "n2g/casings.h"

static const char *casings_help =
    "usage: n2g casings --corpus PATH [PATH...] --out FILE [--quiet]\n"
    "\n"
    "Counts every word of the corpus (the reference's word splitter: runs of letters and\n"
    "apostrophes) by its lowercase form and writes word_to_casings.json:\n"
    "    {\"the\": [[\"the\", 5123], [\"The\", 801], [\"THE\", 3]], ...}\n"
    "(most frequent casing first; ties in byte order). `n2g build --casings FILE` reads it.\n"
    "  --corpus PATH...  text files (one document each), *.jsonl files (the \"text\" field of each\n"
    "                    line) or directories (their *.txt / *.jsonl files, recursively, sorted)\n"
    "  --out FILE        the table to write (atomically)\n";

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static char *read_all(const char *path, size_t *len, n2g_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        n2g_fail(err, "%s: %s", path, bad ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int count_file(n2g_casings *t, const char *path, int quiet, n2g_err *err) {
    size_t len;
    char *buf = read_all(path, &len, err);
    if (!buf) return -1;
    int rc = 0;
    if (ends_with(path, ".jsonl")) {
        size_t line = 0;
        for (char *p = buf; p < buf + len && rc == 0;) {
            char *nl = memchr(p, '\n', (size_t)(buf + len - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
            line++;
            if (n > 0) {
                char what[1200];
                snprintf(what, sizeof what, "%s:%zu", path, line);
                n2g_err e2 = {0};
                json_doc *d = json_parse(p, n, what, &e2);
                const json_value *tx = d ? json_get(json_root(d), "text") : NULL;
                if (tx && tx->type == JSON_STRING)
                    rc = n2g_casings_count_text(t, tx->str, tx->n, err);
                else if (!quiet)
                    fprintf(stderr, "n2g casings: warning: %s: %s\n", what, d ? "no string \"text\" field; skipped" : e2.msg);
                json_free(d);
            }
            p += n + 1;
        }
    } else {
        rc = n2g_casings_count_text(t, buf, len, err);
    }
    free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int count_path(n2g_casings *t, const char *path, int top, int quiet, n2g_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) return n2g_failc(err, N2G_E_USAGE, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (!top && !ends_with(path, ".txt") && !ends_with(path, ".jsonl")) return 0;
        return count_file(t, path, quiet, err);
    }
    DIR *d = opendir(path);
    if (!d) return n2g_fail(err, "%s: cannot open directory: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char **nn = realloc(names, sizeof *nn * (n + 1));
        if (!nn) break;
        names = nn;
        names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
        if (!names[n]) break;
        sprintf(names[n++], "%s/%s", path, de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) rc = count_path(t, names[i], 0, quiet, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

int cli_casings(int argc, char **argv) {
    const char *out = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    int np = 0, quiet = 0;
    if (!paths) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(casings_help, stdout);
            free(paths);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--out")) {
            if (i + 1 >= argc) {
                free(paths);
                return cli_usage("casings", "--out needs a value");
            }
            out = argv[++i];
        } else if (!strcmp(a, "--corpus")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) paths[np++] = argv[++i];
        } else {
            free(paths);
            return cli_usage("casings", "unknown argument '%s'", a);
        }
    }
    if (!np || !out) {
        free(paths);
        return cli_usage("casings", "%s", !np ? "--corpus PATH is required" : "--out FILE is required");
    }
    n2g_err err = {0};
    n2g_casings *t = n2g_casings_new();
    int rc = t ? 0 : n2g_fail(&err, "out of memory");
    for (int i = 0; i < np && rc == 0; i++) rc = count_path(t, paths[i], 1, quiet, &err);
    if (rc == 0) rc = n2g_casings_save(t, out, &err);
    if (rc == 0 && !quiet) fprintf(stderr, "n2g casings: %zu words -> %s\n", n2g_casings_words(t), out);
    n2g_casings_free(t);
    free(paths);
    return rc == 0 ? 0 : cli_error(&err);
}
