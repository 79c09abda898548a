/* st_write.c — safetensors (F32) writer (through common/atomic_write.h). */
#include "model/st_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/json.h"

static int64_t numel(const st_tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

int st_write_f32(const char *path, const st_tensor *t, size_t n, n2g_err *err) {
    for (size_t i = 0; i < n; i++) {
        if (!t[i].name || !t[i].name[0]) return n2g_fail(err, "%s: tensor %zu has no name", path, i);
        if (t[i].ndim < 1 || t[i].ndim > 4) return n2g_fail(err, "%s: tensor %s: ndim %d not in 1..4", path, t[i].name, t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++)
            if (t[i].shape[d] < 0) return n2g_fail(err, "%s: tensor %s: negative shape", path, t[i].name);
        if (!t[i].data && numel(&t[i])) return n2g_fail(err, "%s: tensor %s has no data", path, t[i].name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t[i].name, t[j].name)) return n2g_fail(err, "%s: duplicate tensor name %s", path, t[i].name);
    }
    /* header JSON in memory */
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hdr, &hlen);
    if (!h) return n2g_fail(err, "%s: out of memory", path);
    fputs("{\"__metadata__\":{\"format\":\"pt\"}", h);
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bytes = (uint64_t)numel(&t[i]) * 4u;
        fputc(',', h);
        json_write_string(h, t[i].name, strlen(t[i].name));
        fputs(":{\"dtype\":\"F32\",\"shape\":[", h);
        for (int d = 0; d < t[i].ndim; d++) fprintf(h, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
        fprintf(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + bytes));
        off += bytes;
    }
    fputc('}', h);
    while ((8 + ftell(h)) % 8) fputc(' ', h);
    if (fclose(h) != 0 || !hdr) {
        free(hdr);
        return n2g_fail(err, "%s: out of memory", path);
    }

    n2g_afile a;
    if (n2g_afile_open(&a, path, 0, err)) {
        free(hdr);
        return -1;
    }
    FILE *f = a.f;
    unsigned char len8[8];
    for (int b = 0; b < 8; b++) len8[b] = (unsigned char)((uint64_t)hlen >> (8 * b));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(hdr, 1, hlen, f) == hlen;
    free(hdr);
    /* F32 little-endian: convert through a byte buffer so big-endian hosts write the same file */
    unsigned char buf[4096];
    for (size_t i = 0; ok && i < n; i++) {
        int64_t m = numel(&t[i]);
        size_t k = 0;
        for (int64_t e = 0; ok && e < m; e++) {
            uint32_t u;
            memcpy(&u, &t[i].data[e], 4);
            for (int b = 0; b < 4; b++) buf[k++] = (unsigned char)(u >> (8 * b));
            if (k == sizeof buf || e + 1 == m) {
                ok = fwrite(buf, 1, k, f) == k;
                k = 0;
            }
        }
    }
    if (!ok) {
        n2g_fail(err, "%s: write failed: %s", a.tmp, strerror(errno ? errno : EIO));
        n2g_afile_abort(&a);
        return -1;
    }
    return n2g_afile_commit(&a, err);
}
