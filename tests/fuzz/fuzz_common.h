/* fuzz_common.h — helpers of the libFuzzer targets that read files: a private temporary
 * directory per process, the input written there under a given name, the bundled GPT-2
 * vocabulary loaded once, and a check that a failure says why. */
#ifndef N2G_FUZZ_COMMON_H
#define N2G_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "n2g/graph/vocab.h"

/* The process's temporary directory (created on first use; removed by nobody: it is small). */
static inline const char *fuzz_dir(void) {
    static char dir[64];
    if (!dir[0]) {
        /* tmpfs when there is one: the readers' atomic writes fsync */
        snprintf(dir, sizeof dir, "%s/n2g-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* Writes data[0..size) to fuzz_dir()/name; returns the path (a static buffer per slot 0..3). */
static inline const char *fuzz_file(int slot, const char *name, const uint8_t *data, size_t size) {
    static char paths[4][320];
    char *p = paths[slot & 3];
    snprintf(p, sizeof paths[0], "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f)) abort();
    return p;
}

/* Reads a whole file into a malloc'd buffer (NULL when it does not exist). */
static inline char *fuzz_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t got;
    while ((got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) b = realloc(b, cap *= 2);
    }
    fclose(f);
    *len = n;
    return b;
}

/* A failed call must have said why. */
static inline void fuzz_check_err(const n2g_err *e) {
    if (!e->msg[0]) {
        fprintf(stderr, "a failure without a message\n");
        abort();
    }
}

/* The bundled GPT-2 vocabulary (normalise 0 or 1), loaded once. */
static inline n2g_vocab *fuzz_vocab(int normalise) {
    static n2g_vocab *v[2];
    normalise = !!normalise;
    if (!v[normalise]) {
        n2g_err e = {0};
        v[normalise] = n2g_vocab_load(n2g_vocab_default_path(), normalise, &e);
        if (!v[normalise]) {
            fprintf(stderr, "fuzz: cannot load the GPT-2 vocabulary: %s\n", e.msg);
            abort();
        }
    }
    return v[normalise];
}

#endif
