/* fuzz_report_esc.c — libFuzzer target for the way the report carries what it reads from a run
 * into its pages' <script> data (report_esc.c): any bytes as a token string (report_js_display),
 * an SVG (report_js_raw), and, when they parse as JSON, a stats.json entry (report_js_value) are
 * written so that the result holds no byte that could end the script or start markup ('<', '>',
 * '&', U+2028 / U+2029 raw) and parses as JSON; report_js_raw of valid UTF-8 reads back as the
 * same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "report/report.h"

static void check_safe(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<' || c == '>' || c == '&' || c < 0x20) abort();
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
            abort();
    }
}

/* out = what fn wrote; checks it is safe and parses as JSON; returns the parsed doc */
static json_doc *emit(void (*fn)(FILE *, const char *, size_t), const uint8_t *data, size_t size, char **out,
                      size_t *len) {
    FILE *f = open_memstream(out, len);
    fn(f, (const char *)data, size);
    fclose(f);
    check_safe(*out, *len);
    n2g_err e = {0};
    json_doc *d = json_parse(*out, *len, "js", &e);
    if (!d || json_root(d)->type != JSON_STRING) {
        fprintf(stderr, "not a JSON string: %s\n", e.msg);
        abort();
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf;
    size_t len;
    json_doc *d = emit(report_js_display, data, size, &buf, &len);
    json_free(d);
    free(buf);
    d = emit(report_js_raw, data, size, &buf, &len);
    const json_value *s = json_root(d);
    if (json_utf8_valid((const char *)data, size) && (s->n != size || memcmp(s->str, data, size))) abort();
    json_free(d);
    free(buf);
    n2g_err e = {0};
    json_doc *v = json_parse((const char *)data, size, "stats.json", &e);
    if (v) {
        FILE *f = open_memstream(&buf, &len);
        report_js_value(f, json_root(v));
        fclose(f);
        check_safe(buf, len);
        json_doc *back = json_parse(buf, len, "js", &e);
        if (!back) {
            fprintf(stderr, "report_js_value wrote no JSON: %s\n", e.msg);
            abort();
        }
        json_free(back);
        free(buf);
        json_free(v);
    }
    return 0;
}
