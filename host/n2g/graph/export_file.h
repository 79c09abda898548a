/* export_file.h — write-then-rename output files: a crash or an error never leaves a
 * half-written file under the final name. */
#ifndef N2G_EXPORT_FILE_H
#define N2G_EXPORT_FILE_H

#include <stdio.h>

#include "common/err.h"

typedef struct n2g_outfile {
    FILE *f;
    char path[4096];
    char tmp[4200];
} n2g_outfile;

/* Opens PATH.tmp.PID for writing. */
int n2g_outfile_open(n2g_outfile *o, const char *path, n2g_err *err);
/* Flushes, fsyncs, closes and renames onto the final path. Removes the temp file on failure. */
int n2g_outfile_commit(n2g_outfile *o, n2g_err *err);
/* Closes and removes the temp file. */
void n2g_outfile_abort(n2g_outfile *o);

#endif
