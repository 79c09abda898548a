/* st_model.c — config.json + model.safetensors, the part every loader shares (st_model.h). */
#include "st_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_doc *st_model_config(const char *path, n2g_err *err) {
    json_doc *d = json_parse_file(path, err);
    if (d && json_root(d)->type != JSON_OBJECT) {
        json_free(d);
        n2g_fail(err, "%s: expected a JSON object", path);
        return NULL;
    }
    return d;
}

int st_model_cfg_int(const json_value *r, const char *key, const char *path, const char *missing, int *out, int lo,
                     int hi, n2g_err *err) {
    if (missing && !json_get(r, key)) return n2g_fail(err, "%s: missing \"%s\" (%s)", path, key, missing);
    double d;
    char num[40];
    if (json_get_double(r, key, path, &d, err)) return -1;
    if (d != floor(d)) return n2g_fail(err, "%s: \"%s\" is %s, expected an integer", path, key, json_format_number(num, sizeof num, d));
    if (d < lo || d > hi)
        return n2g_fail(err, "%s: \"%s\" = %s is out of range [%d, %d]", path, key, json_format_number(num, sizeof num, d), lo, hi);
    *out = (int)d;
    return 0;
}

int st_model_open(st_model_file *m, const char *dir, int (*read_config)(const char *path, void *cfg, n2g_err *err),
                  void *cfg, n2g_err *err) {
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s/config.json", dir);
    if (read_config(m->path, cfg, err)) return -1;
    snprintf(m->path, sizeof m->path, "%s/model.safetensors", dir);
    struct stat sb;
    char idx[2100];
    snprintf(idx, sizeof idx, "%s.index.json", m->path);
    if (stat(m->path, &sb) && !stat(idx, &sb))
        return n2g_fail(err, "%s: sharded checkpoints (model.safetensors.index.json) are not supported", dir);
    if (st_open(m->path, &m->f, err)) return -1;
    m->used = calloc(st_count(m->f) + 1, 1);
    if (!m->used) {
        st_model_close(m);
        return n2g_fail(err, "out of memory");
    }
    return 0;
}

static void fmt_shape(char *b, size_t n, int ndim, const int64_t *s) {
    size_t k = (size_t)snprintf(b, n, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(b + k, n - k, "%s%lld", i ? ", " : "", (long long)s[i]);
    if (k < n) snprintf(b + k, n - k, "]");
}

int st_model_check(st_model_file *m, const st_tensor *t, int ndim, const int64_t *shape, const char *config,
                   n2g_err *err) {
    m->used[t - st_at(m->f, 0)] = 1;
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = t->shape[d] == shape[d];
    if (!ok) {
        char got[128], exp[64];
        fmt_shape(got, sizeof got, t->ndim, t->shape);
        fmt_shape(exp, sizeof exp, ndim, shape);
        return n2g_fail(err, "%s: tensor '%s' has shape %s, config.json implies %s (%s)", m->path, t->name, got, exp,
                        config);
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return n2g_fail(err, "%s: tensor '%s' has dtype %s (expected F32, F16 or BF16)", m->path, t->name,
                        st_dtype_name(t->dtype));
    if (m->checked++ == 0) snprintf(m->dtype, sizeof m->dtype, "%s", st_dtype_name(t->dtype));
    else if (strcmp(m->dtype, st_dtype_name(t->dtype))) snprintf(m->dtype, sizeof m->dtype, "mixed");
    return 0;
}

const st_tensor *st_model_unused(const st_model_file *m, int (*ignore)(const char *name, void *user), void *user) {
    for (size_t i = 0; i < st_count(m->f); i++) {
        const st_tensor *t = st_at(m->f, i);
        if (!m->used[i] && !(ignore && ignore(t->name, user))) return t;
    }
    return NULL;
}

void st_model_close(st_model_file *m) {
    free(m->used);
    st_close(m->f);
    m->used = NULL;
    m->f = NULL;
}
