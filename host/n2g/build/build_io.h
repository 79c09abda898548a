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
/* Removes the temporaries that n2g writers killed before their rename left in DIR: names
 * NAME.tmp.PID (n2g_write_atomic, n2g_outfile, the SVG renderer) where ours(NAME) accepts NAME
 * and no process PID exists. Anything else is left alone. Returns how many were removed. */
long n2g_remove_stale_temps(const char *dir, int (*ours)(const char *name, size_t len));

#endif
