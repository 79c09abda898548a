/* build_io.h — small file helpers of the build step: atomic writes, existence. */
#ifndef N2G_BUILD_IO_H
#define N2G_BUILD_IO_H

#include <stdio.h>

#include "common/err.h"

/* Writes PATH atomically: fn(f, user) writes to PATH.tmp.PID, which is flushed, fsynced and
 * renamed over PATH. fn returns 0 or -1 (with err set). */
int n2g_write_atomic(const char *path, int (*fn)(FILE *f, void *user, n2g_err *err), void *user, n2g_err *err);
/* Copies an existing file SRC to DST atomically. */
int n2g_copy_atomic(const char *src, const char *dst, n2g_err *err);
int n2g_file_exists(const char *path);
/* mkdir -p for one level (parent must exist); ok when it exists. */
int n2g_mkdir(const char *path, n2g_err *err);

#endif
