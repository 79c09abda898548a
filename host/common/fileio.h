/* fileio.h — reading a whole file; directories and existence. (Writing: atomic_write.h.) */
#ifndef N2G_FILEIO_H
#define N2G_FILEIO_H

#include <stddef.h>

#include "err.h"

/* Reads all of path into a malloc'd buffer with a NUL appended (not counted in *len).
 * Fails with "PATH: cannot open: REASON", "PATH: read error" or "PATH: out of memory". */
char *n2g_read_file(const char *path, size_t *len, n2g_err *err);

/* 1 when PATH exists and is a regular file (or a link to one). */
int n2g_is_file(const char *path);

/* Flags of n2g_make_dir. */
enum {
    N2G_DIR_PARENTS = 1,  /* create missing parents too (mkdir -p) */
    N2G_DIR_WRITABLE = 2, /* also check that n2g may create files in it */
};
/* Creates directory DIR unless it exists. Fails with "DIR: cannot create directory: REASON"
 * (naming the parent that could not be created, with N2G_DIR_PARENTS), "DIR: exists and is not
 * a directory" or "DIR: directory is not writable". */
int n2g_make_dir(const char *dir, int flags, n2g_err *err);

#endif
