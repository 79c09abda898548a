/* casings_corpus.c — counting word casings over corpus files and directories. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "n2g/method/casings.h"
#include "common/fileio.h"
#include "common/json.h"

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int count_file(n2g_casings *t, const char *path, int quiet, n2g_err *err) {
    size_t len;
    char *buf = n2g_read_file(path, &len, err);
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

int n2g_casings_count_path(n2g_casings *t, const char *path, int top, int quiet, n2g_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) return n2g_fail(err, "%s: cannot read: %s", path, strerror(errno));
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
        if (rc == 0) rc = n2g_casings_count_path(t, names[i], 0, quiet, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

