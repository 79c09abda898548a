/* scrape_manifest.c — RUN/manifest.json writer and resume check (scrape_manifest.h). */
#include "scrape_manifest.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomic_write.h"
#include "common/json.h"
#include "scrape_fs.h"

#ifndef N2G_VERSION
#define N2G_VERSION "unknown"
#endif

static void put_hash(FILE *f, uint64_t h) { fprintf(f, "\"%016llx\"", (unsigned long long)h); }

/* The identity members (model, corpus, params), without surrounding braces. */
static void ident_write(FILE *f, const scrape_ident *id, int with_paths) {
    const gpt2_config *c = id->cfg;
    fprintf(f, "  \"model\": {\n");
    if (with_paths) {
        fprintf(f, "    \"dir\": ");
        json_write_string(f, id->model_dir, strlen(id->model_dir));
        fprintf(f, ",\n");
    }
    fprintf(f,
            "    \"config\": {\"n_layer\": %d, \"n_embd\": %d, \"n_head\": %d, \"n_ctx\": %d, \"n_positions\": %d, "
            "\"vocab_size\": %d, \"d_mlp\": %d, \"layer_norm_epsilon\": ",
            c->n_layer, c->n_embd, c->n_head, c->n_ctx, c->n_positions, c->vocab_size, c->d_mlp);
    json_write_float(f, c->ln_eps);
    fprintf(f, ", \"activation\": ");
    json_write_string(f, c->activation, strlen(c->activation));
    fprintf(f, "},\n    \"dtype\": ");
    json_write_string(f, id->dtype, strlen(id->dtype));
    fprintf(f, ",\n    \"safetensors_bytes\": %llu,\n    \"safetensors_hash\": ", (unsigned long long)id->st_bytes);
    put_hash(f, id->st_hash);
    fprintf(f, ",\n    \"vocab\": ");
    json_write_string(f, id->vocab, strlen(id->vocab));
    fprintf(f, "\n  },\n  \"corpus\": {\"files\": [");
    for (int i = 0; i < id->n_files; i++) {
        fprintf(f, "%s\n    {", i ? "," : "");
        if (with_paths) {
            fprintf(f, "\"path\": ");
            json_write_string(f, id->files[i].path, strlen(id->files[i].path));
            fprintf(f, ", ");
        }
        fprintf(f, "\"bytes\": %llu, \"hash\": ", (unsigned long long)id->files[i].bytes);
        put_hash(f, id->files[i].hash);
        if (with_paths)
            fprintf(f, ", \"skipped_lines\": %llu, \"replaced_invalid_utf8\": %llu, \"truncated\": %s",
                    (unsigned long long)id->files[i].skipped, (unsigned long long)id->files[i].replaced,
                    id->files[i].truncated ? "true" : "false");
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]},\n  \"params\": {\n    \"hook\": \"blocks.L.mlp.hook_post\",\n    \"layers\": [");
    for (int i = 0; i < id->n_layers; i++) fprintf(f, "%s%d", i ? ", " : "", id->layers[i]);
    fprintf(f, "],\n    \"top_k\": %d,\n    \"ctx\": %d,\n    \"max_tokens\": ", id->top_k, id->ctx);
    if (id->max_tokens)
        fprintf(f, "%llu", (unsigned long long)id->max_tokens);
    else
        fprintf(f, "null");
    fprintf(f, ",\n    \"include_bos\": %s", id->include_bos ? "true" : "false");
    if (id->fire_f) fprintf(f, ",\n    \"fire_lists\": {\"entries\": %d, \"ratio\": %g}", id->fire_f, (double)id->fire_ratio);
    fprintf(f, "\n  }");
}

uint64_t scrape_ident_hash(const scrape_ident *id) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return 0;
    ident_write(f, id, 0);
    fclose(f);
    scrape_hash h;
    scrape_hash_init(&h);
    scrape_hash_update(&h, buf, len);
    free(buf);
    return scrape_hash_final(&h);
}

static void manifest_text(FILE *f, const scrape_ident *id, const scrape_scan_info *s) {
    fprintf(f, "{\n  \"format\": \"n2g-scrape-run\",\n  \"format_version\": 1,\n  \"n2g_version\": \"%s\",\n",
            N2G_VERSION);
    ident_write(f, id, 1);
    fprintf(f, ",\n  \"identity_hash\": ");
    put_hash(f, scrape_ident_hash(id));
    fprintf(f, ",\n  \"examples\": \"examples.bin\",\n");
    fprintf(f,
            "  \"scan\": {\"complete\": %s, \"rows\": %llu, \"tokens\": %llu, \"positions_per_neuron\": %llu, "
            "\"rows_stored\": %llu}\n}\n",
            s->complete ? "true" : "false", (unsigned long long)s->rows, (unsigned long long)s->tokens,
            (unsigned long long)s->positions, (unsigned long long)s->rows_stored);
}

int scrape_manifest_write(const char *path, const scrape_ident *id, const scrape_scan_info *scan, n2g_err *err) {
    n2g_afile a;
    if (n2g_afile_open(&a, path, 0, err)) return -1;
    manifest_text(a.f, id, scan);
    return n2g_afile_commit(&a, err);
}

static void describe(const json_value *v, char *b, size_t n) {
    if (!v) {
        snprintf(b, n, "(absent)");
        return;
    }
    switch (v->type) {
    case JSON_NUMBER: snprintf(b, n, "%.17g", v->num); break;
    case JSON_STRING: snprintf(b, n, "\"%.80s\"", v->str); break;
    case JSON_TRUE: snprintf(b, n, "true"); break;
    case JSON_FALSE: snprintf(b, n, "false"); break;
    case JSON_NULL: snprintf(b, n, "null"); break;
    case JSON_ARRAY: {
        size_t o = (size_t)snprintf(b, n, "[");
        for (size_t i = 0; i < v->n && o < n; i++) {
            char t[64];
            describe(&v->items[i], t, sizeof t);
            o += (size_t)snprintf(b + o, n - o, "%s%s", i ? "," : "", t);
        }
        if (o < n) snprintf(b + o, n - o, "]");
        break;
    }
    default: snprintf(b, n, "{...}");
    }
}

/* keys that may differ on a resume: paths and the corpus files' problem counts */
static int not_identity(const char *key) {
    static const char *const keys[] = {"dir", "path", "skipped_lines", "replaced_invalid_utf8", "truncated"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strcmp(key, keys[i])) return 1;
    return 0;
}

/* First difference between a (old) and b (new) below `where`, skipping not_identity keys. */
static int differ(const json_value *a, const json_value *b, char *where, size_t wn, const json_value **da,
                  const json_value **db) {
    if (!a || !b || a->type != b->type) goto diff;
    switch (a->type) {
    case JSON_NUMBER:
        if (a->num != b->num) goto diff;
        return 0;
    case JSON_STRING:
        if (a->n != b->n || memcmp(a->str, b->str, a->n)) goto diff;
        return 0;
    case JSON_ARRAY:
        if (a->n != b->n) goto diff;
        for (size_t i = 0; i < a->n; i++) {
            const json_value *x = &a->items[i], *y = &b->items[i];
            if (x->type == JSON_OBJECT || x->type == JSON_ARRAY) {
                size_t l = strlen(where);
                snprintf(where + l, wn - l, "[%zu]", i);
                if (differ(x, y, where, wn, da, db)) return 1;
                where[l] = 0;
            } else if (differ(x, y, where, wn, da, db)) {
                *da = a, *db = b;
                return 1;
            }
        }
        return 0;
    case JSON_OBJECT:
        for (size_t i = 0; i < b->n; i++) {
            if (not_identity(b->keys[i])) continue;
            size_t l = strlen(where);
            snprintf(where + l, wn - l, "%s%s", l ? "." : "", b->keys[i]);
            if (differ(json_get(a, b->keys[i]), &b->items[i], where, wn, da, db)) return 1;
            where[l] = 0;
        }
        return 0;
    default: return 0;
    }
diff:
    *da = a, *db = b;
    return 1;
}

int scrape_manifest_check(const char *path, const scrape_ident *id, n2g_err *err) {
    json_doc *old = json_parse_file(path, err);
    if (!old) return -1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        json_free(old);
        return n2g_fail(err, "out of memory");
    }
    scrape_scan_info none = {0};
    manifest_text(f, id, &none);
    fclose(f);
    json_doc *now = json_parse(buf, len, "new manifest", err);
    free(buf);
    if (!now) {
        json_free(old);
        return -1;
    }
    const json_value *fmt = json_get(json_root(old), "format");
    int rc = 0;
    if (!fmt || fmt->type != JSON_STRING || strcmp(fmt->str, "n2g-scrape-run")) {
        rc = n2g_fail(err, "%s: not an n2g scrape manifest (\"format\" is not \"n2g-scrape-run\")", path);
    } else {
        static const char *parts[] = {"model", "corpus", "params"};
        for (int i = 0; i < 3 && !rc; i++) {
            char where[512];
            snprintf(where, sizeof where, "%s", parts[i]);
            const json_value *da = NULL, *db = NULL;
            if (differ(json_get(json_root(old), parts[i]), json_get(json_root(now), parts[i]), where, sizeof where,
                       &da, &db)) {
                char a[200], b[200];
                describe(da, a, sizeof a);
                describe(db, b, sizeof b);
                rc = n2g_failc(err, N2G_E_USAGE,
                               "%s: the existing run differs from this command in %s (run: %s, now: %s); rerun "
                               "with the run's parameters to resume, or choose a new --out",
                               path, where, a, b);
            }
        }
    }
    json_free(old);
    json_free(now);
    return rc;
}

void scrape_manifest_read_counts(const char *path, scrape_file_id *files, int n) {
    n2g_err e = {0};
    json_doc *d = json_parse_file(path, &e);
    const json_value *fl = d ? json_get(json_get(json_root(d), "corpus"), "files") : NULL;
    for (int i = 0; fl && fl->type == JSON_ARRAY && i < n && (size_t)i < fl->n; i++) {
        const json_value *f = &fl->items[i], *v;
        if ((v = json_get(f, "skipped_lines")) && v->type == JSON_NUMBER && v->num >= 0) files[i].skipped = (uint64_t)v->num;
        if ((v = json_get(f, "replaced_invalid_utf8")) && v->type == JSON_NUMBER && v->num >= 0)
            files[i].replaced = (uint64_t)v->num;
        if ((v = json_get(f, "truncated"))) files[i].truncated = v->type == JSON_TRUE;
    }
    json_free(d);
}

int scrape_checkpoint_write(const char *manifest_path, const char *examples_path, const scrape_ident *id,
                            const scrape_state *st, const scrape_rows *rows, n2g_err *err) {
    uint64_t stored = 0;
    if (scrape_store_write_n(examples_path, st, rows, &stored, err)) return -1;
    scrape_scan_info info = {(st->flags & SCRAPE_FLAG_COMPLETE) != 0, st->rows_scanned,
                             st->rows_scanned * (uint64_t)st->ctx, st->positions, stored};
    return scrape_manifest_write(manifest_path, id, &info, err);
}
