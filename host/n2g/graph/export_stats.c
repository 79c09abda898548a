/* export_stats.c — stats.json update and summary (see export_stats.h). */
#include "n2g/graph/export_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/atomic_write.h"

static void write_value(FILE *f, const json_value *v, int in) {
    switch (v->type) {
    case JSON_NULL: fputs("null", f); break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_NUMBER: /* another entry, kept as it was: 1e999 read as inf is written so as to read back as inf */
        if (isinf(v->num)) fputs(v->num > 0 ? "1e999" : "-1e999", f);
        else if (v->num == floor(v->num) && fabs(v->num) < 1e15) fprintf(f, "%.0f", v->num);
        else fprintf(f, "%.17g", v->num);
        break;
    case JSON_STRING: json_write_string(f, v->str, v->n); break;
    case JSON_ARRAY:
    case JSON_OBJECT: {
        int obj = v->type == JSON_OBJECT;
        if (!v->n) {
            fputs(obj ? "{}" : "[]", f);
            break;
        }
        fputs(obj ? "{" : "[", f);
        for (size_t i = 0; i < v->n; i++) {
            fprintf(f, "%s\n%*s", i ? "," : "", in + 2, "");
            if (obj) {
                json_write_string(f, v->keys[i], v->key_lens[i]);
                fputs(": ", f);
            }
            write_value(f, &v->items[i], in + 2);
        }
        fprintf(f, "\n%*s%s", in, "", obj ? "}" : "]");
        break;
    }
    }
}

int n2g_stats_update(const char *path, int layer, int neuron, const n2g_eval *e, n2g_err *err) {
    json_doc *doc = NULL;
    const json_value *r = NULL;
    struct stat st;
    if (stat(path, &st) == 0) {
        doc = json_parse_file(path, err);
        if (!doc) return -1;
        r = json_root(doc);
        if (r->type != JSON_OBJECT) {
            json_free(doc);
            return n2g_fail(err, "%s: expected {\"layer\": {\"neuron\": report}}", path);
        }
    }
    char lk[32], nk[32];
    snprintf(lk, sizeof lk, "%d", layer);
    snprintf(nk, sizeof nk, "%d", neuron);
    n2g_afile o;
    if (n2g_afile_open(&o, path, 0, err)) {
        json_free(doc);
        return -1;
    }
    FILE *f = o.f;
    fputs("{", f);
    int wrote_layer = 0;
    size_t nl = r ? r->n : 0;
    for (size_t i = 0; i <= nl; i++) {
        int is_ours = i < nl ? !strcmp(r->keys[i], lk) : !wrote_layer;
        if (i == nl && !is_ours) break;
        fprintf(f, "%s\n  ", i ? "," : "");
        if (!is_ours) {
            json_write_string(f, r->keys[i], r->key_lens[i]);
            fputs(": ", f);
            write_value(f, &r->items[i], 2);
            continue;
        }
        wrote_layer = 1;
        fprintf(f, "\"%s\": {", lk);
        const json_value *lv = i < nl ? &r->items[i] : NULL;
        size_t nn = lv && lv->type == JSON_OBJECT ? lv->n : 0;
        int wrote = 0, k = 0;
        for (size_t j = 0; j <= nn; j++) {
            int mine = j < nn ? !strcmp(lv->keys[j], nk) : !wrote;
            if (j == nn && !mine) break;
            fprintf(f, "%s\n    ", k++ ? "," : "");
            if (!mine) {
                json_write_string(f, lv->keys[j], lv->key_lens[j]);
                fputs(": ", f);
                write_value(f, &lv->items[j], 4);
            } else {
                fprintf(f, "\"%s\": ", nk);
                n2g_eval_write_json(f, e, 4);
                wrote = 1;
            }
        }
        fputs("\n  }", f);
    }
    fputs("\n}\n", f);
    json_free(doc);
    return n2g_afile_commit(&o, err);
}

int n2g_stats_summarise(const char *path, n2g_summary_fn fn, void *ctx, n2g_err *err) {
    json_doc *doc = json_parse_file(path, err);
    if (!doc) return -1;
    const json_value *r = json_root(doc);
    int rc = -1;
    if (r->type != JSON_OBJECT) {
        n2g_fail(err, "%s: expected {\"layer\": {\"neuron\": report}}", path);
        goto done;
    }
    for (size_t i = 0; i < r->n; i++) {
        const json_value *lv = &r->items[i];
        if (lv->type != JSON_OBJECT) {
            n2g_fail(err, "%s: layer \"%s\": expected an object of neuron reports", path, r->keys[i]);
            goto done;
        }
        n2g_summary s;
        n2g_summary_init(&s);
        for (size_t j = 0; j < lv->n; j++) {
            n2g_eval e;
            char what[256];
            snprintf(what, sizeof what, "%s: %s.%s", path, r->keys[i], lv->keys[j]);
            if (n2g_eval_from_json(&lv->items[j], &e, what, err)) goto done;
            n2g_summary_add(&s, &e);
        }
        fn(ctx, r->keys[i], &s);
    }
    rc = 0;
done:
    json_free(doc);
    return rc;
}
