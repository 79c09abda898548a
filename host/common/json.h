/* json.h — a small strict JSON reader (DOM, arena-backed) and string writer.
 *
 * Used for config.json, safetensors headers, vocab.json / tokenizer.json, samples files,
 * graphs, manifests. Strings keep their byte length (they may hold NUL). The parser
 * rejects invalid UTF-8, lone surrogates, trailing garbage, and nesting deeper than 512,
 * and reports "WHAT:LINE:COL: message".
 */
#ifndef N2G_JSON_H
#define N2G_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    size_t n;          /* STRING: byte length; ARRAY / OBJECT: element count */
    double num;        /* NUMBER */
    char *str;         /* STRING: NUL-terminated copy (may also contain NULs) */
    json_value *items; /* ARRAY: n values; OBJECT: n values (in file order) */
    char **keys;       /* OBJECT: n keys, NUL-terminated */
    size_t *key_lens;  /* OBJECT: byte length of each key */
};

typedef struct json_doc json_doc;

/* Parses len bytes of text. `what` names the source in error messages (a file name).
 * Returns NULL on failure with err set. */
json_doc *json_parse(const char *text, size_t len, const char *what, n2g_err *err);
/* Reads and parses a whole file. */
json_doc *json_parse_file(const char *path, n2g_err *err);
const json_value *json_root(const json_doc *doc);
void json_free(json_doc *doc);

/* Object member lookup (first match); NULL when absent or obj is not an object. */
const json_value *json_get(const json_value *obj, const char *key);
/* Typed helpers: return 0 and set *out, or -1 with err naming `what`.`key` and the
 * expected type. json_get_int also checks the number is integral and within int range. */
int json_get_int(const json_value *obj, const char *key, const char *what, int *out, n2g_err *err);
int json_get_double(const json_value *obj, const char *key, const char *what, double *out, n2g_err *err);
const char *json_type_name(json_type t);

/* Writes s[0..n) as a JSON string literal (with quotes). Control characters are escaped;
 * bytes that are not valid UTF-8 are written as U+FFFD. */
void json_write_string(FILE *f, const char *s, size_t n);
/* Writes a float so that it reads back as the same float (shortest %.9g form). */
void json_write_float(FILE *f, float v);

/* Formats a number exactly: an integer (|v| < 2^53) in full ("13334144", "1099511627776"), else
 * the shortest %g form that reads back as the same double. Returns buf. */
char *json_format_number(char *buf, size_t cap, double v);

/* Writes code point cp (<= U+10FFFF) as UTF-8 at o; returns the end. */
char *json_put_utf8(char *o, uint32_t cp);

/* Returns 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int json_utf8_valid(const char *s, size_t n);

#endif
