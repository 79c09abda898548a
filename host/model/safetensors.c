/* safetensors.c — mmap + strict header validation + fp32 conversion. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"

struct st_file {
    char *path;
    uint8_t *map;
    uint64_t size;
    const uint8_t *data; /* data section */
    uint64_t data_len;
    json_doc *doc;
    st_tensor *t;
    size_t n;
    const json_value *meta;
};

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 1}, [ST_U8] = {"U8", 1},     [ST_I8] = {"I8", 1},
    [ST_I16] = {"I16", 2},   [ST_U16] = {"U16", 2},   [ST_F16] = {"F16", 2},
    [ST_BF16] = {"BF16", 2}, [ST_I32] = {"I32", 4},   [ST_U32] = {"U32", 4},
    [ST_F32] = {"F32", 4},   [ST_I64] = {"I64", 8},   [ST_U64] = {"U64", 8},
    [ST_F64] = {"F64", 8},   [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};

const char *st_dtype_name(st_dtype d) { return d < ST_DTYPE_COUNT ? dtypes[d].name : "?"; }
size_t st_dtype_size(st_dtype d) { return d < ST_DTYPE_COUNT ? dtypes[d].size : 0; }
size_t st_count(const st_file *f) { return f->n; }
const st_tensor *st_at(const st_file *f, size_t i) { return i < f->n ? &f->t[i] : NULL; }
const char *st_path(const st_file *f) { return f->path; }
uint64_t st_file_bytes(const st_file *f) { return f->size; }

const st_tensor *st_find(const st_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}

const char *st_metadata(const st_file *f, const char *key) {
    const json_value *v = json_get(f->meta, key);
    return v && v->type == JSON_STRING ? v->str : NULL;
}

void st_close(st_file *f) {
    if (!f) return;
    if (f->map) munmap(f->map, f->size);
    json_free(f->doc);
    free(f->t);
    free(f->path);
    free(f);
}

/* a JSON number that is an integer in [0, 2^53] */
static int get_u64(const json_value *v, uint64_t *out) {
    if (!v || v->type != JSON_NUMBER || !(v->num >= 0) || v->num > 9007199254740992.0 || v->num != floor(v->num))
        return -1;
    *out = (uint64_t)v->num;
    return 0;
}

static int parse_entry(st_file *f, const char *name, const json_value *e, st_tensor *t, n2g_err *err) {
    const char *p = f->path;
    t->name = name;
    if (e->type != JSON_OBJECT) return n2g_fail(err, "%s: tensor '%s': header entry is not an object", p, name);
    const json_value *dt = json_get(e, "dtype"), *sh = json_get(e, "shape"), *off = json_get(e, "data_offsets");
    if (!dt || dt->type != JSON_STRING) return n2g_fail(err, "%s: tensor '%s': missing string \"dtype\"", p, name);
    int d = -1;
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (!strcmp(dt->str, dtypes[i].name)) d = i;
    if (d < 0) return n2g_fail(err, "%s: tensor '%s': unknown dtype \"%.40s\"", p, name, dt->str);
    t->dtype = (st_dtype)d;
    if (!sh || sh->type != JSON_ARRAY) return n2g_fail(err, "%s: tensor '%s': missing array \"shape\"", p, name);
    if (sh->n > ST_MAX_DIMS) return n2g_fail(err, "%s: tensor '%s': %zu dimensions (at most %d)", p, name, sh->n, ST_MAX_DIMS);
    t->ndim = (int)sh->n;
    uint64_t numel = 1;
    for (size_t i = 0; i < sh->n; i++) {
        uint64_t v;
        if (get_u64(&sh->items[i], &v)) return n2g_fail(err, "%s: tensor '%s': shape[%zu] is not a non-negative integer", p, name, i);
        t->shape[i] = (int64_t)v;
        if (v && numel > UINT64_MAX / 16 / v) return n2g_fail(err, "%s: tensor '%s': shape too large", p, name);
        numel *= v;
    }
    t->numel = numel;
    if (!off || off->type != JSON_ARRAY || off->n != 2 || get_u64(&off->items[0], &t->begin) ||
        get_u64(&off->items[1], &t->end))
        return n2g_fail(err, "%s: tensor '%s': \"data_offsets\" must be [begin, end] non-negative integers", p, name);
    if (t->begin > t->end || t->end > f->data_len)
        return n2g_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] out of range (data section is %llu bytes)", p,
                        name, (unsigned long long)t->begin, (unsigned long long)t->end,
                        (unsigned long long)f->data_len);
    uint64_t want = numel * dtypes[d].size;
    if (t->end - t->begin != want)
        return n2g_fail(err, "%s: tensor '%s': data_offsets span %llu bytes but dtype %s x shape needs %llu", p, name,
                        (unsigned long long)(t->end - t->begin), dtypes[d].name, (unsigned long long)want);
    t->data = f->data + t->begin;
    return 0;
}

static int by_begin(const void *a, const void *b) {
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int check_overlaps(st_file *f, n2g_err *err) {
    st_tensor **s = malloc((f->n ? f->n : 1) * sizeof *s);
    if (!s) return n2g_fail(err, "%s: out of memory", f->path);
    for (size_t i = 0; i < f->n; i++) s[i] = &f->t[i];
    qsort(s, f->n, sizeof *s, by_begin);
    int rc = 0;
    /* sorted by begin: a tensor overlaps an earlier one iff it starts before the largest end
     * so far; empty tensors occupy no bytes and overlap nothing */
    uint64_t max_end = 0;
    const st_tensor *owner = NULL;
    for (size_t i = 0; i < f->n && !rc; i++) {
        if (s[i]->begin == s[i]->end) continue;
        if (owner && s[i]->begin < max_end)
            rc = n2g_fail(err, "%s: tensors '%s' and '%s' overlap (data_offsets [%llu, %llu] and [%llu, %llu])",
                          f->path, owner->name, s[i]->name, (unsigned long long)owner->begin,
                          (unsigned long long)owner->end, (unsigned long long)s[i]->begin,
                          (unsigned long long)s[i]->end);
        if (s[i]->end > max_end) max_end = s[i]->end, owner = s[i];
    }
    free(s);
    return rc;
}

int st_open(const char *path, st_file **out, n2g_err *err) {
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return n2g_fail(err, "%s: out of memory", path);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        n2g_fail(err, "%s: cannot open: %s", path, strerror(errno));
        st_close(f);
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        n2g_fail(err, "%s: not a regular file", path);
        st_close(f);
        return -1;
    }
    f->size = (uint64_t)sb.st_size;
    if (f->size < 8) {
        close(fd);
        n2g_fail(err, "%s: truncated: %llu bytes, shorter than the 8-byte header length", path,
                 (unsigned long long)f->size);
        st_close(f);
        return -1;
    }
    void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        n2g_fail(err, "%s: cannot map: %s", path, strerror(errno));
        st_close(f);
        return -1;
    }
    f->map = m;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | f->map[i];
    if (hlen > f->size - 8) {
        n2g_fail(err, "%s: header length %llu runs past the end of the file (%llu bytes): truncated or not safetensors",
                 path, (unsigned long long)hlen, (unsigned long long)f->size);
        st_close(f);
        return -1;
    }
    f->data = f->map + 8 + hlen;
    f->data_len = f->size - 8 - hlen;
    f->doc = json_parse((const char *)f->map + 8, (size_t)hlen, path, err);
    if (!f->doc) {
        n2g_wrap(err, "%s: bad safetensors header", path);
        st_close(f);
        return -1;
    }
    const json_value *root = json_root(f->doc);
    if (root->type != JSON_OBJECT) {
        n2g_fail(err, "%s: safetensors header is not a JSON object", path);
        st_close(f);
        return -1;
    }
    f->t = calloc(root->n ? root->n : 1, sizeof *f->t);
    if (!f->t) {
        n2g_fail(err, "%s: out of memory", path);
        st_close(f);
        return -1;
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i];
        if (strlen(k) != root->key_lens[i]) {
            n2g_fail(err, "%s: a tensor name contains a NUL byte", path);
            st_close(f);
            return -1;
        }
        if (!strcmp(k, "__metadata__")) {
            if (root->items[i].type != JSON_OBJECT) {
                n2g_fail(err, "%s: \"__metadata__\" is not an object", path);
                st_close(f);
                return -1;
            }
            f->meta = &root->items[i];
            continue;
        }
        for (size_t j = 0; j < f->n; j++)
            if (!strcmp(f->t[j].name, k)) {
                n2g_fail(err, "%s: tensor '%s' appears twice in the header", path, k);
                st_close(f);
                return -1;
            }
        if (parse_entry(f, k, &root->items[i], &f->t[f->n], err)) {
            st_close(f);
            return -1;
        }
        f->n++;
    }
    if (check_overlaps(f, err)) {
        st_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

float st_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
    if (e == 0) {
        if (m == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            e = 127 - 15 + 1;
            while (!(m & 1024)) m <<= 1, e--;
            bits = sign | e << 23 | (m & 1023) << 13;
        }
    } else if (e == 31) {
        bits = sign | 0x7f800000u | m << 13;
    } else {
        bits = sign | (e + 127 - 15) << 23 | m << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float st_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int st_read_f32(const st_file *f, const st_tensor *t, float *dst, int check_finite, n2g_err *err) {
    const uint8_t *s = t->data;
    switch (t->dtype) {
    case ST_F32:
        memcpy(dst, s, t->numel * 4);
        break;
    case ST_F16:
    case ST_BF16:
        for (uint64_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(s[2 * i] | s[2 * i + 1] << 8);
            dst[i] = t->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
        }
        break;
    default:
        return n2g_fail(err, "%s: tensor '%s': dtype %s cannot be read as floats (expected F32, F16 or BF16)", f->path,
                        t->name, dtypes[t->dtype].name);
    }
    if (check_finite)
        for (uint64_t i = 0; i < t->numel; i++)
            if (!isfinite(dst[i]))
                return n2g_fail(err, "%s: tensor '%s': element %llu is %s", f->path, t->name, (unsigned long long)i,
                                isnan(dst[i]) ? "NaN" : "Inf");
    return 0;
}
