/* outdir.h — may n2g write into an output directory? Nothing is overwritten that n2g did not
 * write: a directory is n2g's own when it is missing or empty, holds the command's marker file
 * (written before anything else, so an interrupted run is recognised too), or passes the
 * command's own test (its output from before markers existed). Anything else is refused unless
 * the user forces it. */
#ifndef N2G_OUTDIR_H
#define N2G_OUTDIR_H

#include "err.h"

/* 1 when DIR exists, is a directory and holds an entry other than MARKER that owned(DIR) does
 * not vouch for (owned may be NULL); 0 otherwise (missing, not a directory: the caller's own
 * checks say so, empty, marked, owned). */
int n2g_outdir_foreign(const char *dir, const char *marker, int (*owned)(const char *dir));
/* Writes DIR/MARKER holding TEXT, atomically (DIR must exist). */
int n2g_outdir_mark(const char *dir, const char *marker, const char *text, n2g_err *err);

#endif
