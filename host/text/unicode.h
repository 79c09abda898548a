/* unicode.h — the character classes of the GPT-2 pre-tokeniser, from tables generated out of
 * the Unicode Character Database (tools/gen_unicode_tables.py -> unicode_tables.c), and a
 * lenient UTF-8 decoder. */
#ifndef N2G_UNICODE_H
#define N2G_UNICODE_H

#include <stddef.h>
#include <stdint.h>

enum { UNICODE_OTHER = 0, UNICODE_LETTER = 1, UNICODE_NUMBER = 2, UNICODE_SPACE = 3 };

extern const char unicode_tables_version[];
extern const uint8_t unicode_class_index[0x1100];
extern const uint8_t unicode_class_blocks[][256];

/* Class of code point cp (0..0x10FFFF): \p{L} -> LETTER, \p{N} -> NUMBER, White_Space -> SPACE. */
static inline int unicode_class(uint32_t cp) {
    return cp < 0x110000 ? unicode_class_blocks[unicode_class_index[cp >> 8]][cp & 255] : UNICODE_OTHER;
}

/* Decodes one UTF-8 character at s[0..n) (n >= 1). Returns its length in bytes and sets *cp.
 * A byte that does not start a valid sequence (overlong, surrogate, > U+10FFFF, truncated)
 * is returned as a length-1 "character" with *cp = UNICODE_INVALID. */
#define UNICODE_INVALID 0xFFFFFFFFu
size_t unicode_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Length of the longest prefix of s[0..n) that is valid UTF-8 (n when all of it is). */
size_t unicode_valid_prefix(const unsigned char *s, size_t n);

#endif
