/* normalise.c — the reference's token normalisation (n2g-reference.md §7.1) on UTF-8 strings,
 * with Python's str semantics (istitle, lower, strip, isalpha) for every code point:
 *
 *     t = tok.lower() if tok.istitle() and len(tok) > 1 else tok
 *     t = t.strip()   if len(t) > 1 and any(c.isalpha() for c in t) else t
 *
 * Character classes come from the C library's Unicode tables (C.UTF-8 locale); the few places
 * where glibc and Python's unicodedata disagree are patched here (titlecase letters,
 * whitespace); "alphabetic" is the Unicode L* categories from the tokenizer's UCD tables.
 * Lengths are in code points, as in Python. */
#include "common/json.h"
#include "n2g/graph/vocab.h"
#include "text/unicode.h"

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

static locale_t loc;
static pthread_once_t loc_once = PTHREAD_ONCE_INIT;

static void loc_init(void) {
    loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!loc) loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
    if (!loc) loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

/* Case tables of the C.UTF-8 locale (built into glibc >= 2.35); NULL when unavailable, in
 * which case only ASCII letters have case. */
static locale_t utf8_locale(void) {
    pthread_once(&loc_once, loc_init);
    return loc;
}

/* Decodes one code point; returns its byte length, or 0 (invalid) with *cp = 0xFFFD and
 * *adv = length of the maximal invalid subpart (>= 1). */
static int utf8_next(const unsigned char *s, const unsigned char *end, uint32_t *cp, int *adv) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        *adv = 1;
        return 1;
    }
    int need;
    uint32_t v;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *cp = 0xFFFD;
        *adv = 1;
        return 0;
    }
    int i = 1;
    for (; i <= need; i++) {
        if (s + i >= end) break;
        unsigned b = s[i];
        unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h) break;
        v = (v << 6) | (b & 0x3F);
    }
    if (i <= need) {
        *cp = 0xFFFD;
        *adv = i; /* the valid prefix is one maximal subpart */
        return 0;
    }
    *cp = v;
    *adv = need + 1;
    return need + 1;
}

size_t n2g_utf8_replace(const char *s, size_t n, char *out) {
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    char *o = out;
    while (u < end) {
        uint32_t cp;
        int adv;
        utf8_next(u, end, &cp, &adv);
        o = json_put_utf8(o, cp);
        u += adv;
    }
    *o = 0;
    return (size_t)(o - out);
}

size_t n2g_utf8_count(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) k++;
    return k;
}

/* Python str.isspace() (bidirectional class WS/B/S or category Zs). */
static int py_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* Unicode category Lt (titlecase letters). */
static int py_titlecase(uint32_t c) {
    return c == 0x01C5 || c == 0x01C8 || c == 0x01CB || c == 0x01F2 || (c >= 0x1F88 && c <= 0x1F8F) ||
           (c >= 0x1F98 && c <= 0x1F9F) || (c >= 0x1FA8 && c <= 0x1FAF) || c == 0x1FBC || c == 0x1FCC ||
           c == 0x1FFC;
}

static int py_upper(uint32_t c) {
    if (c < 0x80) return c >= 'A' && c <= 'Z';
    locale_t l = utf8_locale();
    return l && !py_titlecase(c) && iswupper_l((wint_t)c, l);
}

static int py_lower(uint32_t c) {
    if (c < 0x80) return c >= 'a' && c <= 'z';
    if (c == 0xAA || c == 0xBA) return 1; /* ª º: Lo but Lowercase in Python */
    locale_t l = utf8_locale();
    return l && !py_titlecase(c) && iswlower_l((wint_t)c, l);
}

/* Python isalpha() = general category L*, which is the tokenizer's \p{L} table. */
static int py_alpha(uint32_t c) { return unicode_class(c) == UNICODE_LETTER; }

static uint32_t py_tolower1(uint32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    locale_t l = utf8_locale();
    return l ? (uint32_t)towlower_l((wint_t)c, l) : c;
}

#define MAXCP 4096

size_t n2g_normalise(const char *s, size_t n, char *out, size_t cap) {
    uint32_t buf[MAXCP + 2];
    size_t m = 0;
    const unsigned char *u = (const unsigned char *)s, *end = u + n;
    while (u < end && m < MAXCP) {
        uint32_t cp;
        int adv;
        utf8_next(u, end, &cp, &adv);
        buf[m++] = cp;
        u += adv;
    }
    /* istitle */
    int cased = 0, prev_cased = 0, title = 1;
    for (size_t i = 0; i < m && title; i++) {
        uint32_t c = buf[i];
        if (py_upper(c) || py_titlecase(c)) {
            if (prev_cased) title = 0;
            prev_cased = cased = 1;
        } else if (py_lower(c)) {
            if (!prev_cased) title = 0;
            prev_cased = cased = 1;
        } else {
            prev_cased = 0;
        }
    }
    title = title && cased;
    if (title && m > 1) {
        /* lower(); U+0130 lowers to "i" + U+0307 in Python */
        uint32_t tmp[MAXCP + 2];
        size_t k = 0;
        for (size_t i = 0; i < m && k < MAXCP; i++) {
            if (buf[i] == 0x130) {
                tmp[k++] = 'i';
                tmp[k++] = 0x307;
            } else {
                tmp[k++] = py_tolower1(buf[i]);
            }
        }
        memcpy(buf, tmp, k * sizeof *buf);
        m = k;
    }
    size_t a = 0, b = m;
    if (m > 1) {
        int alpha = 0;
        for (size_t i = 0; i < m && !alpha; i++) alpha = py_alpha(buf[i]);
        if (alpha) {
            while (a < b && py_space(buf[a])) a++;
            while (b > a && py_space(buf[b - 1])) b--;
        }
    }
    char *o = out, *oend = out + cap - 5;
    for (size_t i = a; i < b && o < oend; i++) o = json_put_utf8(o, buf[i]);
    *o = 0;
    return (size_t)(o - out);
}
