/* report_esc.c — escaping of token strings and JSON values for the report's JS data. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Decodes one UTF-8 character at s (strict: no overlongs, surrogates, > U+10FFFF).
 * Returns its length (1..4) or 0 when the bytes there are not valid UTF-8. */
static int utf8_dec(const unsigned char *s, const unsigned char *end, uint32_t *cp) {
    unsigned c = s[0];
    int len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (end - s < len) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Characters shown as escapes: controls, C1 controls, zero-width / bidi / line separators,
 * BOM, and the private-use markers U+E000 / U+E001 used to delimit escapes. */
static int needs_escape(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || cp == 0xE000 ||
           cp == 0xE001;
}

/* One code point inside a JS string literal, safe in an HTML <script>. */
static void put_cp(FILE *f, uint32_t cp, const unsigned char *bytes, int len) {
    if (cp == '"' || cp == '\\') {
        fputc('\\', f);
        fputc((int)cp, f);
    } else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
        fprintf(f, "\\u%04x", (unsigned)cp);
    } else {
        fwrite(bytes, 1, (size_t)len, f);
    }
}

void report_js_display(FILE *f, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    fputc('"', f);
    while (u < end) {
        uint32_t cp;
        int len = utf8_dec(u, end, &cp);
        if (!len) { /* invalid byte: show it as \xNN */
            fprintf(f, "\\ue000\\\\x%02x\\ue001", *u);
            u++;
            continue;
        }
        if (needs_escape(cp)) {
            fputs("\\ue000", f);
            switch (cp) {
            case '\n': fputs("\\\\n", f); break;
            case '\r': fputs("\\\\r", f); break;
            case '\t': fputs("\\\\t", f); break;
            default:
                if (cp < 0x80) /* C1 controls get \u00XX: \xNN means a raw byte */
                    fprintf(f, "\\\\x%02x", (unsigned)cp);
                else
                    fprintf(f, "\\\\u%04x", (unsigned)cp);
            }
            fputs("\\ue001", f);
        } else {
            put_cp(f, cp, u, len);
        }
        u += len;
    }
    fputc('"', f);
}

void report_js_raw(FILE *f, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    fputc('"', f);
    while (u < end) {
        uint32_t cp;
        int len = utf8_dec(u, end, &cp);
        if (!len) {
            fputs("\\ufffd", f);
            u++;
            continue;
        }
        put_cp(f, cp, u, len);
        u += len;
    }
    fputc('"', f);
}

void report_js_number(FILE *f, double v) {
    char buf[48];
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    if (v != floor(v) && fabs(v) < 3.4e38 && (double)(float)v == v) { /* a float: its shortest form */
        for (int prec = 6; prec <= 9; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtof(buf, NULL) == (float)v) break;
        }
    } else {
        json_format_number(buf, sizeof buf, v);
    }
    fputs(buf, f);
}

void report_js_value(FILE *f, const json_value *v) {
    if (!v) {
        fputs("null", f);
        return;
    }
    switch (v->type) {
    case JSON_NULL: fputs("null", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_NUMBER: report_js_number(f, v->num); break;
    case JSON_STRING: report_js_display(f, v->str, v->n); break;
    case JSON_ARRAY:
        fputc('[', f);
        for (size_t i = 0; i < v->n; i++) {
            if (i) fputc(',', f);
            report_js_value(f, &v->items[i]);
        }
        fputc(']', f);
        break;
    case JSON_OBJECT:
        /* an array of [key, value] pairs keeps file order and odd keys ("__proto__") inert */
        fputc('[', f);
        for (size_t i = 0; i < v->n; i++) {
            if (i) fputc(',', f);
            fputc('[', f);
            report_js_display(f, v->keys[i], v->key_lens[i]);
            fputc(',', f);
            report_js_value(f, &v->items[i]);
            fputc(']', f);
        }
        fputc(']', f);
        break;
    }
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

size_t report_search_key(const char *s, size_t n, char *out, size_t cap) {
    size_t a = 0, b = n;
    while (a < b && is_space((unsigned char)s[a])) a++;
    while (b > a && is_space((unsigned char)s[b - 1])) b--;
    if (a == b) a = 0, b = n; /* all whitespace: keep it as is */
    size_t k = 0;
    for (size_t i = a; i < b && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (cap) out[k] = 0;
    return k;
}

unsigned report_fnv1a(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}
