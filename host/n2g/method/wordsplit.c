/* wordsplit.c — word tokenizer, lower/title casing for the augmentation step. */
#include "n2g/method/wordsplit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one code point at s[i]; sets *len (1 for an invalid byte, cp = -1). */
static int32_t utf8_cp(const unsigned char *s, size_t n, size_t i, size_t *len) {
    unsigned c = s[i];
    *len = 1;
    if (c < 0x80) return (int32_t)c;
    int need = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 && c < 0xF0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
    if (need < 0 || i + (size_t)need >= n) return -1;
    int32_t cp = (int32_t)(c & (0x3F >> need));
    for (int k = 1; k <= need; k++) {
        unsigned d = s[i + (size_t)k];
        if ((d & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (int32_t)(d & 0x3F);
    }
    *len = (size_t)need + 1;
    return cp;
}

static int cp_is_alpha(int32_t cp) {
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) return 1;
    if (cp >= 0xC0 && cp <= 0x2AF) return cp != 0xD7 && cp != 0xF7;
    return cp >= 0x370 && cp <= 0x52F;
}
/* -1 lower, 1 upper, 0 uncased (for the ranges we map) */
static int cp_case(int32_t cp) {
    if (cp >= 'A' && cp <= 'Z') return 1;
    if (cp >= 'a' && cp <= 'z') return -1;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return 1;
    if (cp >= 0xDF && cp <= 0xFF && cp != 0xF7) return -1;
    if (cp >= 0x391 && cp <= 0x3A9) return 1;
    if (cp >= 0x3B1 && cp <= 0x3C9) return -1;
    if (cp >= 0x410 && cp <= 0x42F) return 1;
    if (cp >= 0x430 && cp <= 0x44F) return -1;
    return cp_is_alpha(cp) ? -1 : 0;
}
static int32_t cp_lower(int32_t cp) {
    if (cp_case(cp) != 1) return cp;
    if (cp < 0x80 || (cp >= 0xC0 && cp <= 0xDE) || (cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F))
        return cp + 0x20;
    return cp;
}
static int32_t cp_upper(int32_t cp) {
    if (cp_case(cp) != -1) return cp;
    if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE) || (cp >= 0x3B1 && cp <= 0x3C9) ||
        (cp >= 0x430 && cp <= 0x44F))
        return cp - 0x20;
    return cp;
}

/* Writes cp (same byte length as the source for every mapping above). */
static size_t put_cp(char *d, int32_t cp) {
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}

typedef int32_t (*cp_map)(int32_t);
static size_t map_text(const char *s, size_t n, char *dst, cp_map first, cp_map rest, int title) {
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    int prev_cased = 0;
    for (size_t i = 0; i < n;) {
        size_t l;
        int32_t cp = utf8_cp(u, n, i, &l);
        if (cp < 0 || l > 2) {
            memcpy(dst + o, s + i, l);
            o += l;
            prev_cased = 0;
        } else {
            int32_t m = title ? (prev_cased ? rest(cp) : first(cp)) : first(cp);
            o += put_cp(dst + o, m);
            prev_cased = cp_case(cp) != 0;
        }
        i += l;
    }
    dst[o] = 0;
    return o;
}

size_t n2g_lower(const char *s, size_t n, char *dst) { return map_text(s, n, dst, cp_lower, cp_lower, 0); }
size_t n2g_title(const char *s, size_t n, char *dst) { return map_text(s, n, dst, cp_upper, cp_lower, 1); }

int n2g_istitle(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    int prev_cased = 0, cased = 0;
    for (size_t i = 0; i < n;) {
        size_t l;
        int32_t cp = utf8_cp(u, n, i, &l);
        int c = cp < 0 ? 0 : cp_case(cp);
        if (c == 1) {
            if (prev_cased) return 0;
            prev_cased = cased = 1;
        } else if (c == -1) {
            if (!prev_cased) return 0;
            prev_cased = cased = 1;
        } else {
            prev_cased = 0;
        }
        i += l;
    }
    return cased;
}

int n2g_has_alpha(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l;
        int32_t cp = utf8_cp(u, n, i, &l);
        if (cp >= 0 && cp_is_alpha(cp)) return 1;
        i += l;
    }
    return 0;
}

static int is_strip(unsigned char c) { /* " " + string.punctuation */
    return c == ' ' || (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

size_t n2g_word_norm(const char *s, size_t n, char *dst) {
    size_t a = 0, b = n;
    while (a < b && is_strip((unsigned char)s[a])) a++;
    while (b > a && is_strip((unsigned char)s[b - 1])) b--;
    return n2g_lower(s + a, b - a, dst);
}

int n2g_wordsplit(const char *text, size_t n, n2g_word **out) {
    *out = NULL;
    if (n == 0) return 0;
    n2g_word *w = malloc(sizeof *w * (n + 1));
    if (!w) return -1;
    const unsigned char *u = (const unsigned char *)text;
    int cnt = 0;
    size_t i = 0;
    while (i < n) {
        size_t l;
        int32_t cp = utf8_cp(u, n, i, &l);
        int sticky = cp == '\'' || (cp >= 0 && cp_is_alpha(cp));
        if (!sticky) {
            w[cnt++] = (n2g_word){i, l, 0};
            i += l;
            continue;
        }
        size_t start = i;
        int alpha = 0;
        while (i < n) {
            cp = utf8_cp(u, n, i, &l);
            if (!(cp == '\'' || (cp >= 0 && cp_is_alpha(cp)))) break;
            alpha |= cp != '\'';
            i += l;
        }
        w[cnt++] = (n2g_word){start, i - start, alpha};
    }
    *out = w;
    return cnt;
}
