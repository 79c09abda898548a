/* fileio.h — reading a whole file. */
#ifndef N2G_FILEIO_H
#define N2G_FILEIO_H

#include <stddef.h>

#include "err.h"

/* Reads all of path into a malloc'd buffer with a NUL appended (not counted in *len).
 * Fails with "PATH: cannot open: REASON", "PATH: read error" or "PATH: out of memory". */
char *n2g_read_file(const char *path, size_t *len, n2g_err *err);

#endif
