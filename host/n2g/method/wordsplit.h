/* wordsplit.h — the reference's word tokenizer and casing helpers (n2g-reference §6).
 *
 * WordTokenizer(split_tokens=set(), stick_tokens={"'"}) of script.py:75-102: a word is a
 * maximal run of letters and apostrophes; every other character (space, digit, punctuation)
 * is a token of its own. Joining the tokens gives the text back byte for byte.
 * "Letter" = Python's str.isalpha() restricted to what we can decide without Unicode tables:
 * ASCII A-Z a-z, Latin-1 Supplement / Latin Extended-A/B / IPA letters (U+00C0..U+02AF
 * except U+00D7 and U+00F7) and Greek / Cyrillic (U+0370..U+052F). Any other non-ASCII
 * code point counts as a non-letter (one token per code point); invalid UTF-8 bytes are
 * single non-letter tokens.
 */
#ifndef N2G_WORDSPLIT_H
#define N2G_WORDSPLIT_H

#include <stddef.h>

typedef struct n2g_word {
    size_t off, len; /* byte range in the text */
    int is_word;     /* run of letters/apostrophes containing at least one letter */
} n2g_word;

/* Splits text[0..n) into tokens; returns the count (0 for empty text) and *out (malloc'd),
 * or -1 when out of memory. */
int n2g_wordsplit(const char *text, size_t n, n2g_word **out);

/* Lowercases s[0..n) into dst (capacity >= n + 1; UTF-8 lengths are kept: ASCII and the
 * 2-byte Latin-1 / Greek / Cyrillic capitals are mapped). Returns the length written. */
size_t n2g_lower(const char *s, size_t n, char *dst);
/* The reference's word key: s.strip(" " + string.punctuation).lower(). dst cap >= n + 1. */
size_t n2g_word_norm(const char *s, size_t n, char *dst);
/* Python str.istitle() for ASCII-cased text (non-ASCII letters count as lowercase-cased
 * when lowercase and uppercase-cased when uppercase, for the mapped ranges). */
int n2g_istitle(const char *s, size_t n);
/* Python str.title() with the same character coverage. dst cap >= n + 1. */
size_t n2g_title(const char *s, size_t n, char *dst);
/* 1 when s[0..n) contains at least one letter (as defined above). */
int n2g_has_alpha(const char *s, size_t n);

#endif
