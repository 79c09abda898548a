/* test_json.c — the JSON reader/writer: valid documents, every rejection, round trips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"

static int parses(const char *s) {
    n2g_err e = {0};
    json_doc *d = json_parse(s, strlen(s), "t", &e);
    json_free(d);
    return d != NULL;
}

int main(void) {
    n2g_err e = {0};
    const char *doc = "{\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"o\": {}}";
    json_doc *d = json_parse(doc, strlen(doc), "t", &e);
    CHECK(d != NULL, "%s", e.msg);
    const json_value *r = json_root(d);
    const json_value *a = json_get(r, "a");
    CHECK(a && a->type == JSON_ARRAY && a->n == 5, "array");
    CHECK(a && a->items[1].num == -2500.0, "number");
    const json_value *s = json_get(r, "s");
    CHECK(s && s->n == 8 && !memcmp(s->str, "x\xc3\xa9\xf0\x9f\x98\x80\n", 8), "string decode");
    CHECK(json_get(r, "missing") == NULL, "absent key");
    int iv;
    CHECK(json_get_int(r, "s", "cfg", &iv, &e) == -1 && strstr(e.msg, "\"s\""), "typed error names field: %s", e.msg);
    json_free(d);

    /* numbers in messages and displays are exact: integers in full, fractions round-trip */
    {
        const char *nd = "{\"big\": 1099511627776, \"half\": 2.5, \"neg\": -3000000000}";
        json_doc *d2 = json_parse(nd, strlen(nd), "t", &e);
        CHECK(d2 != NULL, "%s", e.msg);
        const json_value *r2 = json_root(d2);
        CHECK(json_get_int(r2, "big", "cfg", &iv, &e) == -1 && strstr(e.msg, "is 1099511627776, out of range"),
              "big int: %s", e.msg);
        CHECK(json_get_int(r2, "neg", "cfg", &iv, &e) == -1 && strstr(e.msg, "is -3000000000, out of range"),
              "negative int: %s", e.msg);
        CHECK(json_get_int(r2, "half", "cfg", &iv, &e) == -1 && strstr(e.msg, "is 2.5, expected an integer"),
              "fraction: %s", e.msg);
        json_free(d2);
        char b[40];
        CHECK(!strcmp(json_format_number(b, sizeof b, 13334144.0), "13334144"), "13334144 -> %s", b);
        CHECK(!strcmp(json_format_number(b, sizeof b, 597465.0), "597465"), "597465 -> %s", b);
        CHECK(!strcmp(json_format_number(b, sizeof b, 9007199254740991.0), "9007199254740991"), "2^53-1 -> %s", b);
        CHECK(!strcmp(json_format_number(b, sizeof b, 0.1), "0.1"), "0.1 -> %s", b);
        CHECK(!strcmp(json_format_number(b, sizeof b, -2.5e-7), "-2.5e-07"), "-2.5e-7 -> %s", b);
        double third = 1.0 / 3.0;
        CHECK(strtod(json_format_number(b, sizeof b, third), NULL) == third, "1/3 round trip: %s", b);
    }

    /* rejections */
    CHECK(!parses("{\"a\":1,}"), "trailing comma");
    CHECK(!parses("[1 2]"), "missing comma");
    CHECK(!parses("\"\\ud800\""), "lone surrogate");
    CHECK(!parses("\"\xff\""), "invalid utf8");
    CHECK(!parses("\"\xc0\xaf\""), "overlong utf8");
    CHECK(!parses("01"), "leading zero");
    CHECK(!parses("{} x"), "trailing garbage");
    CHECK(!parses("\"abc"), "unterminated");
    CHECK(!parses(""), "empty");
    CHECK(!parses("1."), "bad fraction");
    char deep[2001];
    deep[2000] = 0;
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    CHECK(!parses(deep) && 1, "too deep");
    CHECK(parses("[[[[1]]]]"), "nesting ok");
    json_parse("[1,\n 2,\n x]", 12, "file.json", &e);
    CHECK(strstr(e.msg, "file.json:3:2") != NULL, "error position: %s", e.msg);

    /* writer round trip, incl. control chars and invalid bytes */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    json_write_string(f, "a\"b\\c\x01\n\xe9z", 9);
    fputc(' ', f);
    json_write_float(f, 0.1f);
    fclose(f);
    CHECK(!strcmp(buf, "\"a\\\"b\\\\c\\u0001\\n\xef\xbf\xbdz\" 0.1"), "writer: %s", buf);
    d = json_parse(buf, strlen(buf) - 4, "w", &e);
    CHECK(d && json_root(d)->n == 11, "writer output parses");
    json_free(d);
    free(buf);
    return check_finish();
}
