/* fileio.c — reading a whole file; directories and existence (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *n2g_read_file(const char *path, size_t *len, n2g_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
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

int n2g_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int make_one(const char *dir, n2g_err *err) {
    if (mkdir(dir, 0777) && errno != EEXIST) return n2g_fail(err, "%s: cannot create directory: %s", dir, strerror(errno));
    return 0;
}

int n2g_make_dir(const char *dir, int flags, n2g_err *err) {
    if (flags & N2G_DIR_PARENTS) {
        char buf[4096];
        size_t n = strlen(dir);
        if (n >= sizeof buf) return n2g_fail(err, "%s: path too long", dir);
        memcpy(buf, dir, n + 1);
        for (size_t i = 1; i < n; i++) {
            if (buf[i] != '/' || buf[i - 1] == '/') continue;
            buf[i] = 0;
            int rc = make_one(buf, err);
            buf[i] = '/';
            if (rc) return -1;
        }
    }
    if (make_one(dir, err)) return -1;
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return n2g_fail(err, "%s: exists and is not a directory", dir);
    if ((flags & N2G_DIR_WRITABLE) && access(dir, W_OK | X_OK)) return n2g_fail(err, "%s: directory is not writable", dir);
    return 0;
}
