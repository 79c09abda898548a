/* fuzz_json.c — libFuzzer target for the JSON reader (host/common/json.c), which every other
 * reader of a file n2g did not write itself stands on: any bytes parse or fail with a
 * message; a parsed document holds only valid UTF-8 strings and keys, and written back
 * (json_write_string, numbers in %.17g) it parses to the same tree; the typed getters and the
 * stats-report reader (n2g_eval_from_json, used on stats.json and build/L_N.json) accept or
 * refuse every value of it cleanly. Any bytes written by json_write_string read back as a valid
 * JSON string: the same bytes when they were valid UTF-8. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_common.h"
#include "n2g/graph/evaluate.h"

static int finite_tree(const json_value *v) {
    if (v->type == JSON_NUMBER) return isfinite(v->num);
    if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
        for (size_t i = 0; i < v->n; i++)
            if (!finite_tree(&v->items[i])) return 0;
    return 1;
}

static void check_tree(const json_value *v, int depth) {
    if (depth > 513) abort(); /* the parser's nesting limit */
    switch (v->type) {
    case JSON_STRING:
        if (v->str[v->n] != 0 || !json_utf8_valid(v->str, v->n)) abort();
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->n; i++) {
            if (v->keys[i][v->key_lens[i]] != 0 || !json_utf8_valid(v->keys[i], v->key_lens[i])) abort();
            /* json_get finds the first member of that key (when the key has no NUL) */
            if (strlen(v->keys[i]) == v->key_lens[i]) {
                const json_value *g = json_get(v, v->keys[i]);
                if (!g || g > &v->items[i]) abort();
            }
            int iv;
            double dv;
            n2g_err e = {0};
            if (json_get_int(v, v->keys[i], "fuzz", &iv, &e)) fuzz_check_err(&e);
            e.msg[0] = 0;
            if (json_get_double(v, v->keys[i], "fuzz", &dv, &e)) fuzz_check_err(&e);
        }
        /* a stats report ({"0": {...}, "1": {...}, "accuracy": ...}) or anything else */
        {
            n2g_eval ev;
            n2g_err e = {0};
            if (n2g_eval_from_json(v, &ev, "fuzz", &e)) fuzz_check_err(&e);
        }
        /* fall through */
    case JSON_ARRAY:
        for (size_t i = 0; i < v->n; i++) check_tree(&v->items[i], depth + 1);
        break;
    default: break;
    }
}

static void write_tree(FILE *f, const json_value *v) {
    switch (v->type) {
    case JSON_NULL: fputs("null", f); break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_NUMBER: fprintf(f, "%.17g", v->num); break;
    case JSON_STRING: json_write_string(f, v->str, v->n); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        fputc(v->type == JSON_ARRAY ? '[' : '{', f);
        for (size_t i = 0; i < v->n; i++) {
            if (i) fputc(',', f);
            if (v->type == JSON_OBJECT) {
                json_write_string(f, v->keys[i], v->key_lens[i]);
                fputc(':', f);
            }
            write_tree(f, &v->items[i]);
        }
        fputc(v->type == JSON_ARRAY ? ']' : '}', f);
        break;
    }
}

static void same_tree(const json_value *a, const json_value *b) {
    if (a->type != b->type || a->n != b->n) abort();
    switch (a->type) {
    case JSON_NUMBER:
        if (a->num != b->num) abort();
        break;
    case JSON_STRING:
        if (memcmp(a->str, b->str, a->n)) abort();
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < a->n; i++)
            if (a->key_lens[i] != b->key_lens[i] || memcmp(a->keys[i], b->keys[i], a->key_lens[i])) abort();
        /* fall through */
    case JSON_ARRAY:
        for (size_t i = 0; i < a->n; i++) same_tree(&a->items[i], &b->items[i]);
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    n2g_err e = {0};
    json_doc *d = json_parse((const char *)data, size, "input.json", &e);
    if (!d) {
        fuzz_check_err(&e);
    } else {
        const json_value *r = json_root(d);
        check_tree(r, 0);
        if (finite_tree(r)) { /* 1e999 parses as inf, which JSON cannot write back */
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            write_tree(f, r);
            fclose(f);
            n2g_err e2 = {0};
            json_doc *d2 = json_parse(buf, len, "rewritten.json", &e2);
            if (!d2) {
                fprintf(stderr, "written back, the document does not parse: %s\n", e2.msg);
                abort();
            }
            same_tree(r, json_root(d2));
            json_free(d2);
            free(buf);
        }
        json_free(d);
    }
    /* the raw bytes as a JSON string */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_write_string(f, (const char *)data, size);
    fclose(f);
    n2g_err e3 = {0};
    json_doc *d3 = json_parse(buf, len, "string.json", &e3);
    if (!d3 || json_root(d3)->type != JSON_STRING) abort();
    const json_value *s = json_root(d3);
    if (!json_utf8_valid(s->str, s->n)) abort();
    if (json_utf8_valid((const char *)data, size) && (s->n != size || memcmp(s->str, data, size))) abort();
    json_free(d3);
    free(buf);
    return 0;
}
