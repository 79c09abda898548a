#include "json.h"
#include "fileio.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_block;

struct json_doc {
    json_value *root;
    arena_block *blocks;
};

static void *arena_alloc(json_doc *d, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_block *b = d->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

/* ---- parser ---- */

typedef struct {
    const char *s, *end, *what;
    json_doc *doc;
    n2g_err *err;
    int depth;
} parser;

static int perr(parser *p, const char *at, const char *msg) {
    int line = 1, col = 1;
    const char *start = p->end - 0;
    (void)start;
    for (const char *c = p->s; c < at && c < p->end; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return n2g_fail(p->err, "%s:%d:%d: invalid JSON: %s", p->what, line, col, msg);
}

typedef struct {
    const char *base;
    const char *cur;
} cursor;

static void skip_ws(cursor *c, const char *end) {
    while (c->cur < end && (*c->cur == ' ' || *c->cur == '\t' || *c->cur == '\n' || *c->cur == '\r')) c->cur++;
}

/* Decodes one UTF-8 sequence at s (bounded by end); returns its length or 0 if invalid. */
static int utf8_len(const unsigned char *s, const unsigned char *end, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (end - s < n) return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

int json_utf8_valid(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end) {
        uint32_t cp;
        int l = utf8_len(u, end, &cp);
        if (!l) return 0;
        u += l;
    }
    return 1;
}

char *json_put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

static int hex4(const char *s, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        *v = (*v << 4) | (uint32_t)d;
    }
    return 0;
}

/* Parses a string at c->cur (which points at the opening quote). */
static int parse_string(parser *p, cursor *c, char **out, size_t *out_len) {
    const char *s = c->cur + 1;
    /* first pass: find the end and an upper bound on the decoded size */
    const char *q = s;
    while (q < p->end && *q != '"') {
        if (*q == '\\') q++;
        q++;
    }
    if (q >= p->end) return perr(p, c->cur, "unterminated string");
    char *buf = arena_alloc(p->doc, (size_t)(q - s) + 1);
    if (!buf) return perr(p, c->cur, "out of memory");
    char *o = buf;
    while (s < q) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\\') {
            s++;
            switch (*s) {
            case '"': *o++ = '"'; s++; break;
            case '\\': *o++ = '\\'; s++; break;
            case '/': *o++ = '/'; s++; break;
            case 'b': *o++ = '\b'; s++; break;
            case 'f': *o++ = '\f'; s++; break;
            case 'n': *o++ = '\n'; s++; break;
            case 'r': *o++ = '\r'; s++; break;
            case 't': *o++ = '\t'; s++; break;
            case 'u': {
                uint32_t v;
                if (q - s < 5 || hex4(s + 1, &v)) return perr(p, s, "bad \\u escape");
                s += 5;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    uint32_t lo;
                    if (q - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return perr(p, s, "lone high surrogate in \\u escape");
                    s += 6;
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                } else if (v >= 0xDC00 && v <= 0xDFFF) {
                    return perr(p, s, "lone low surrogate in \\u escape");
                }
                o = json_put_utf8(o, v);
                break;
            }
            default: return perr(p, s, "bad escape character");
            }
        } else if (ch < 0x20) {
            return perr(p, s, "control character in string");
        } else if (ch < 0x80) {
            *o++ = (char)ch;
            s++;
        } else {
            uint32_t cp;
            int l = utf8_len((const unsigned char *)s, (const unsigned char *)q, &cp);
            if (!l) return perr(p, s, "invalid UTF-8 in string");
            memcpy(o, s, (size_t)l);
            o += l;
            s += l;
        }
    }
    *o = 0;
    *out = buf;
    *out_len = (size_t)(o - buf);
    c->cur = q + 1;
    return 0;
}

static int parse_value(parser *p, cursor *c, json_value *v);

typedef struct tmp_list {
    json_value *vals;
    char **keys;
    size_t *klens;
    size_t n, cap;
} tmp_list;

static int tmp_push(tmp_list *t, int with_keys) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        json_value *nv = realloc(t->vals, cap * sizeof *nv);
        if (!nv) return -1;
        t->vals = nv;
        if (with_keys) {
            char **nk = realloc(t->keys, cap * sizeof *nk);
            if (!nk) return -1;
            t->keys = nk;
            size_t *nl = realloc(t->klens, cap * sizeof *nl);
            if (!nl) return -1;
            t->klens = nl;
        }
        t->cap = cap;
    }
    t->n++;
    return 0;
}

static void tmp_free(tmp_list *t) {
    free(t->vals);
    free(t->keys);
    free(t->klens);
}

static int finish_list(parser *p, cursor *c, tmp_list *t, json_value *v, int with_keys) {
    v->n = t->n;
    v->items = arena_alloc(p->doc, (t->n ? t->n : 1) * sizeof(json_value));
    if (!v->items) return perr(p, c->cur, "out of memory");
    if (t->n) memcpy(v->items, t->vals, t->n * sizeof(json_value));
    if (with_keys) {
        v->keys = arena_alloc(p->doc, (t->n ? t->n : 1) * sizeof(char *));
        v->key_lens = arena_alloc(p->doc, (t->n ? t->n : 1) * sizeof(size_t));
        if (!v->keys || !v->key_lens) return perr(p, c->cur, "out of memory");
        if (t->n) {
            memcpy(v->keys, t->keys, t->n * sizeof(char *));
            memcpy(v->key_lens, t->klens, t->n * sizeof(size_t));
        }
    }
    return 0;
}

static int parse_array(parser *p, cursor *c, json_value *v) {
    v->type = JSON_ARRAY;
    c->cur++;
    tmp_list t = {0};
    skip_ws(c, p->end);
    if (c->cur < p->end && *c->cur == ']') {
        c->cur++;
        return finish_list(p, c, &t, v, 0);
    }
    for (;;) {
        if (tmp_push(&t, 0)) {
            tmp_free(&t);
            return perr(p, c->cur, "out of memory");
        }
        memset(&t.vals[t.n - 1], 0, sizeof(json_value));
        if (parse_value(p, c, &t.vals[t.n - 1])) {
            tmp_free(&t);
            return -1;
        }
        skip_ws(c, p->end);
        if (c->cur < p->end && *c->cur == ',') {
            c->cur++;
            continue;
        }
        if (c->cur < p->end && *c->cur == ']') {
            c->cur++;
            break;
        }
        tmp_free(&t);
        return perr(p, c->cur, "expected ',' or ']' in array");
    }
    int rc = finish_list(p, c, &t, v, 0);
    tmp_free(&t);
    return rc;
}

static int parse_object(parser *p, cursor *c, json_value *v) {
    v->type = JSON_OBJECT;
    c->cur++;
    tmp_list t = {0};
    skip_ws(c, p->end);
    if (c->cur < p->end && *c->cur == '}') {
        c->cur++;
        return finish_list(p, c, &t, v, 1);
    }
    for (;;) {
        skip_ws(c, p->end);
        if (c->cur >= p->end || *c->cur != '"') {
            tmp_free(&t);
            return perr(p, c->cur, "expected a string key in object");
        }
        if (tmp_push(&t, 1)) {
            tmp_free(&t);
            return perr(p, c->cur, "out of memory");
        }
        size_t i = t.n - 1;
        memset(&t.vals[i], 0, sizeof(json_value));
        if (parse_string(p, c, &t.keys[i], &t.klens[i])) {
            tmp_free(&t);
            return -1;
        }
        skip_ws(c, p->end);
        if (c->cur >= p->end || *c->cur != ':') {
            tmp_free(&t);
            return perr(p, c->cur, "expected ':' after object key");
        }
        c->cur++;
        if (parse_value(p, c, &t.vals[i])) {
            tmp_free(&t);
            return -1;
        }
        skip_ws(c, p->end);
        if (c->cur < p->end && *c->cur == ',') {
            c->cur++;
            continue;
        }
        if (c->cur < p->end && *c->cur == '}') {
            c->cur++;
            break;
        }
        tmp_free(&t);
        return perr(p, c->cur, "expected ',' or '}' in object");
    }
    int rc = finish_list(p, c, &t, v, 1);
    tmp_free(&t);
    return rc;
}

static int parse_number(parser *p, cursor *c, json_value *v) {
    const char *s = c->cur, *q = s;
    if (q < p->end && *q == '-') q++;
    if (q >= p->end || !(*q >= '0' && *q <= '9')) return perr(p, s, "bad number");
    if (*q == '0') {
        q++;
    } else {
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < p->end && *q == '.') {
        q++;
        if (q >= p->end || !(*q >= '0' && *q <= '9')) return perr(p, s, "bad number (digit expected after '.')");
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < p->end && (*q == '+' || *q == '-')) q++;
        if (q >= p->end || !(*q >= '0' && *q <= '9')) return perr(p, s, "bad number (digit expected in exponent)");
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    char buf[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof buf) {
        char *big = malloc(n + 1);
        if (!big) return perr(p, s, "out of memory");
        memcpy(big, s, n);
        big[n] = 0;
        v->num = strtod(big, NULL);
        free(big);
    } else {
        memcpy(buf, s, n);
        buf[n] = 0;
        v->num = strtod(buf, NULL);
    }
    v->type = JSON_NUMBER;
    c->cur = q;
    return 0;
}

static int match_lit(parser *p, cursor *c, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(p->end - c->cur) < n || memcmp(c->cur, lit, n)) return perr(p, c->cur, "unexpected token");
    c->cur += n;
    return 0;
}

static int parse_value(parser *p, cursor *c, json_value *v) {
    skip_ws(c, p->end);
    if (c->cur >= p->end) return perr(p, c->cur, "unexpected end of input");
    if (++p->depth > 512) return perr(p, c->cur, "nesting deeper than 512");
    int rc;
    switch (*c->cur) {
    case '{': rc = parse_object(p, c, v); break;
    case '[': rc = parse_array(p, c, v); break;
    case '"':
        v->type = JSON_STRING;
        rc = parse_string(p, c, &v->str, &v->n);
        break;
    case 't': v->type = JSON_TRUE; rc = match_lit(p, c, "true"); break;
    case 'f': v->type = JSON_FALSE; rc = match_lit(p, c, "false"); break;
    case 'n': v->type = JSON_NULL; rc = match_lit(p, c, "null"); break;
    default: rc = parse_number(p, c, v); break;
    }
    p->depth--;
    return rc;
}

json_doc *json_parse(const char *text, size_t len, const char *what, n2g_err *err) {
    json_doc *d = calloc(1, sizeof *d);
    if (!d) {
        n2g_fail(err, "%s: out of memory", what);
        return NULL;
    }
    parser p = {text, text + len, what ? what : "<json>", d, err, 0};
    cursor c = {text, text};
    d->root = arena_alloc(d, sizeof(json_value));
    if (!d->root) {
        json_free(d);
        n2g_fail(err, "%s: out of memory", p.what);
        return NULL;
    }
    memset(d->root, 0, sizeof *d->root);
    if (parse_value(&p, &c, d->root)) {
        json_free(d);
        return NULL;
    }
    skip_ws(&c, p.end);
    if (c.cur != p.end) {
        perr(&p, c.cur, "trailing characters after the JSON value");
        json_free(d);
        return NULL;
    }
    return d;
}

json_doc *json_parse_file(const char *path, n2g_err *err) {
    size_t n;
    char *buf = n2g_read_file(path, &n, err);
    if (!buf) return NULL;
    json_doc *d = json_parse(buf, n, path, err);
    free(buf);
    return d;
}

const json_value *json_root(const json_doc *doc) { return doc ? doc->root : NULL; }

void json_free(json_doc *doc) {
    if (!doc) return;
    arena_block *b = doc->blocks;
    while (b) {
        arena_block *nx = b->next;
        free(b);
        b = nx;
    }
    free(doc);
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->key_lens[i] == kl && !memcmp(obj->keys[i], key, kl)) return &obj->items[i];
    return NULL;
}

const char *json_type_name(json_type t) {
    static const char *names[] = {"null", "false", "true", "number", "string", "array", "object"};
    return (unsigned)t < 7 ? names[t] : "?";
}

int json_get_double(const json_value *obj, const char *key, const char *what, double *out, n2g_err *err) {
    const json_value *v = json_get(obj, key);
    if (!v) return n2g_fail(err, "%s: missing field \"%s\" (expected a number)", what, key);
    if (v->type != JSON_NUMBER)
        return n2g_fail(err, "%s: field \"%s\" is %s, expected a number", what, key, json_type_name(v->type));
    *out = v->num;
    return 0;
}

char *json_format_number(char *buf, size_t cap, double v) {
    if (!isfinite(v)) {
        snprintf(buf, cap, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, cap, "%.0f", v);
    } else {
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
    }
    return buf;
}

int json_get_int(const json_value *obj, const char *key, const char *what, int *out, n2g_err *err) {
    double d;
    if (json_get_double(obj, key, what, &d, err)) return -1;
    char num[40];
    if (d != floor(d))
        return n2g_fail(err, "%s: field \"%s\" is %s, expected an integer", what, key, json_format_number(num, sizeof num, d));
    if (d < -2147483648.0 || d > 2147483647.0)
        return n2g_fail(err, "%s: field \"%s\" is %s, out of range (an integer in -2147483648..2147483647)", what, key,
                        json_format_number(num, sizeof num, d));
    *out = (int)d;
    return 0;
}

void json_write_string(FILE *f, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    fputc('"', f);
    while (u < end) {
        unsigned c = *u;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            u++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            u++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            u++;
        } else {
            uint32_t cp;
            int l = utf8_len(u, end, &cp);
            if (!l) {
                fputs("\xEF\xBF\xBD", f); /* U+FFFD */
                u++;
            } else {
                fwrite(u, 1, (size_t)l, f);
                u += l;
            }
        }
    }
    fputc('"', f);
}

void json_write_float(FILE *f, float v) {
    if (isnan(v) || isinf(v)) {
        fputs("null", f);
        return;
    }
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    fputs(buf, f);
}
