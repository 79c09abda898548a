/* corpus_src.h — byte sources for the corpus reader: plain, gzip or zstd files (recognised by
 * their magic bytes) and stdin, hashed (FNV-1a-64 over the stored bytes) as they are read;
 * and the expansion of directories into sorted file lists. Internal to host/text. */
#ifndef N2G_CORPUS_SRC_H
#define N2G_CORPUS_SRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

typedef struct corpus_src corpus_src;

/* Opens path ("-" = stdin). */
corpus_src *corpus_src_open(const char *path, n2g_err *err);
/* Reads up to cap decompressed bytes. Returns the count, 0 at the end, -1 on a read error or a
 * corrupt / truncated stream (err says which, naming the file). */
long corpus_src_read(corpus_src *s, char *buf, size_t cap, n2g_err *err);
/* Stored bytes read so far and their FNV-1a-64. */
uint64_t corpus_src_stored_bytes(const corpus_src *s);
uint64_t corpus_src_hash(const corpus_src *s);
/* Reads (and hashes) the rest of the stored bytes without decoding them, so the file's
 * identity is complete even when decoding stopped early. */
int corpus_src_drain(corpus_src *s, n2g_err *err);
/* 1 once every stored byte was read. */
int corpus_src_at_end(const corpus_src *s);
void corpus_src_close(corpus_src *s);

enum { CORPUS_TXT = 0, CORPUS_JSONL = 1 };
/* Format from the file name, .gz / .zst removed: *.jsonl -> JSONL, anything else -> TXT. */
int corpus_format_of(const char *path);
/* Appends to *list (malloc'd strings) the corpus files under dir, recursively, sorted by name
 * (byte order): *.txt and *.jsonl, optionally .gz / .zst, no hidden files; symbolic links to
 * files are followed, to directories not. depth: 0 at the top (deeper than 64 fails). */
int corpus_list_dir(const char *dir, char ***list, int *n, int *cap, int depth, n2g_err *err);

#endif
