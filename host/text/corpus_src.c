/* corpus_src.c — plain / gzip / zstd byte sources with FNV-1a-64 of the stored bytes, directory
 * listing, and corpus_read_file. */
#include "text/corpus_src.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "text/corpus.h"

#define SRC_IN_CAP (1u << 17)

enum { SRC_PLAIN, SRC_GZIP, SRC_ZSTD };

struct corpus_src {
    FILE *f;
    int is_stdin, kind, in_eof;
    char *path;
    unsigned char *in;
    size_t in_len, in_pos;
    uint64_t stored, hash;
    z_stream z;
    int z_init, z_mid; /* z_mid: inside a gzip member */
    ZSTD_DStream *zd;
    size_t zret; /* last ZSTD_decompressStream result: 0 = frame complete */
};

static int fill_in(corpus_src *s, n2g_err *err) {
    if (s->in_pos < s->in_len || s->in_eof) return 0;
    size_t r = fread(s->in, 1, SRC_IN_CAP, s->f);
    if (r == 0 && ferror(s->f)) return n2g_fail(err, "%s: read error: %s", s->path, strerror(errno));
    uint64_t h = s->hash;
    for (size_t i = 0; i < r; i++) h = (h ^ s->in[i]) * 0x100000001b3ull;
    s->hash = h;
    s->stored += r;
    s->in_len = r;
    s->in_pos = 0;
    if (r == 0) s->in_eof = 1;
    return 0;
}

corpus_src *corpus_src_open(const char *path, n2g_err *err) {
    corpus_src *s = calloc(1, sizeof *s);
    if (!s) return n2g_fail(err, "out of memory"), NULL;
    s->path = strdup(path);
    s->in = malloc(SRC_IN_CAP);
    s->hash = 0xcbf29ce484222325ull;
    if (!s->path || !s->in) {
        corpus_src_close(s);
        return n2g_fail(err, "out of memory"), NULL;
    }
    if (!strcmp(path, "-")) {
        s->f = stdin;
        s->is_stdin = 1;
    } else {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            corpus_src_close(s);
            return n2g_fail(err, "%s: is a directory", path), NULL;
        }
        s->f = fopen(path, "rb");
        if (!s->f) {
            n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
            corpus_src_close(s);
            return NULL;
        }
    }
    if (fill_in(s, err)) {
        corpus_src_close(s);
        return NULL;
    }
    const unsigned char *m = s->in;
    if (s->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        s->kind = SRC_GZIP;
        if (inflateInit2(&s->z, 15 + 32) != Z_OK) {
            corpus_src_close(s);
            return n2g_fail(err, "%s: cannot start gzip decoding", path), NULL;
        }
        s->z_init = 1;
    } else if (s->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
        s->kind = SRC_ZSTD;
        s->zd = ZSTD_createDStream();
        if (!s->zd || ZSTD_isError(ZSTD_initDStream(s->zd))) {
            corpus_src_close(s);
            return n2g_fail(err, "%s: cannot start zstd decoding", path), NULL;
        }
    }
    return s;
}

static long read_gzip(corpus_src *s, char *buf, size_t cap, n2g_err *err) {
    for (;;) {
        if (fill_in(s, err)) return -1;
        if (s->in_pos == s->in_len) { /* end of the stored bytes */
            if (s->z_mid)
                return n2g_fail(err, "%s: truncated gzip stream (ends inside compressed data after %llu bytes)", s->path,
                                (unsigned long long)s->stored);
            return 0;
        }
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = (Bytef *)buf;
        s->z.avail_out = (uInt)cap;
        s->z_mid = 1;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        size_t got = cap - s->z.avail_out;
        if (rc == Z_STREAM_END) {
            s->z_mid = 0;
            inflateReset(&s->z); /* a following gzip member, if any */
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return n2g_fail(err, "%s: corrupt gzip stream (%s)", s->path, s->z.msg ? s->z.msg : "inflate failed");
        }
        if (got) return (long)got;
    }
}

static long read_zstd(corpus_src *s, char *buf, size_t cap, n2g_err *err) {
    for (;;) {
        if (fill_in(s, err)) return -1;
        ZSTD_inBuffer in = {s->in + s->in_pos, s->in_len - s->in_pos, 0};
        ZSTD_outBuffer out = {buf, cap, 0};
        size_t rc = ZSTD_decompressStream(s->zd, &out, &in);
        if (ZSTD_isError(rc)) return n2g_fail(err, "%s: corrupt zstd stream (%s)", s->path, ZSTD_getErrorName(rc));
        s->zret = rc;
        s->in_pos += in.pos;
        if (out.pos) return (long)out.pos;
        if (s->in_eof && s->in_pos == s->in_len) {
            if (s->zret != 0)
                return n2g_fail(err, "%s: truncated zstd stream (ends inside a frame after %llu bytes)", s->path,
                                (unsigned long long)s->stored);
            return 0;
        }
    }
}

long corpus_src_read(corpus_src *s, char *buf, size_t cap, n2g_err *err) {
    if (s->kind == SRC_GZIP) return read_gzip(s, buf, cap, err);
    if (s->kind == SRC_ZSTD) return read_zstd(s, buf, cap, err);
    if (fill_in(s, err)) return -1;
    size_t n = s->in_len - s->in_pos;
    if (n > cap) n = cap;
    memcpy(buf, s->in + s->in_pos, n);
    s->in_pos += n;
    return (long)n;
}

uint64_t corpus_src_stored_bytes(const corpus_src *s) { return s->stored; }
uint64_t corpus_src_hash(const corpus_src *s) { return s->hash; }

int corpus_src_drain(corpus_src *s, n2g_err *err) {
    while (!s->in_eof) {
        s->in_pos = s->in_len;
        if (fill_in(s, err)) return -1;
    }
    return 0;
}

int corpus_src_at_end(const corpus_src *s) { return s->in_eof; }

void corpus_src_close(corpus_src *s) {
    if (!s) return;
    if (s->f && !s->is_stdin) fclose(s->f);
    if (s->z_init) inflateEnd(&s->z);
    if (s->zd) ZSTD_freeDStream(s->zd);
    free(s->in);
    free(s->path);
    free(s);
}

static int ends_with(const char *s, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}

int corpus_format_of(const char *path) {
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    else if (ends_with(path, n, ".zst")) n -= 4;
    return ends_with(path, n, ".jsonl") ? CORPUS_JSONL : CORPUS_TXT;
}

static int is_corpus_name(const char *name) {
    size_t n = strlen(name);
    if (ends_with(name, n, ".gz")) n -= 3;
    else if (ends_with(name, n, ".zst")) n -= 4;
    return ends_with(name, n, ".txt") || ends_with(name, n, ".jsonl");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int corpus_list_dir(const char *dir, char ***list, int *n, int *cap, int depth, n2g_err *err) {
    if (depth > 64) return n2g_fail(err, "%s: directories nested too deep (a symbolic link loop?)", dir);
    DIR *d = opendir(dir);
    if (!d) return n2g_fail(err, "%s: cannot open directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t nn = 0, nc = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (nn == nc) {
            nc = nc ? nc * 2 : 64;
            char **p = realloc(names, nc * sizeof *p);
            if (!p) {
                rc = n2g_fail(err, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[nn++] = strdup(e->d_name))) {
            rc = n2g_fail(err, "out of memory");
            break;
        }
    }
    closedir(d);
    if (!rc && nn) qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn && !rc; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = n2g_fail(err, "out of memory");
            break;
        }
        snprintf(full, len, "%s/%s", dir, names[i]);
        struct stat st, lst;
        int is_link = lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (is_link) { /* symbolic links to directories are not followed (as find) */
                free(full);
                continue;
            }
            rc = corpus_list_dir(full, list, n, cap, depth + 1, err);
            free(full);
        } else if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && is_corpus_name(names[i])) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                char **p = realloc(*list, (size_t)*cap * sizeof *p);
                if (!p) {
                    free(full);
                    rc = n2g_fail(err, "out of memory");
                    break;
                }
                *list = p;
            }
            (*list)[(*n)++] = full;
        } else {
            free(full);
        }
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    return rc;
}

char *corpus_read_file(const char *path, size_t *len, n2g_err *err) {
    corpus_src *s = corpus_src_open(path, err);
    if (!s) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            corpus_src_close(s);
            return n2g_fail(err, "%s: out of memory", path), NULL;
        }
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = p;
            cap *= 2;
        }
        long r = corpus_src_read(s, buf + n, cap - n, err);
        if (r < 0) {
            free(buf);
            corpus_src_close(s);
            return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    corpus_src_close(s);
    buf[n] = 0;
    *len = n;
    return buf;
}
