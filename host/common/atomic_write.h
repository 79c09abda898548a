/* atomic_write.h — every file n2g writes goes through here: written under a temporary name in
 * the target's directory, then renamed over the target. A reader (or a rerun after kill -9,
 * Ctrl-C, a full disk) sees either the old file or the new one, never a torn one.
 *
 * The steps of a commit: fflush, fsync the file, close, rename(TMP, PATH), fsync the directory
 * (so the rename itself survives a power cut). On any failure the temporary is removed and PATH
 * is left as it was; the message names the file and the reason.
 *
 * Temporary names are PATH.tmp.PID (PID: the writer's process id, so ranks and processes never
 * share one). A writer killed before its rename leaves PATH.tmp.PID behind; n2g_atomic_remove_stale
 * removes those of processes that no longer exist, by name, in the directories a command owns
 * (n2g build: the run's own files; n2g scrape: manifest.json, examples.bin). */
#ifndef N2G_ATOMIC_WRITE_H
#define N2G_ATOMIC_WRITE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Flags of n2g_afile_open. */
enum {
    /* no fsync of the file or the directory: for a caller that writes thousands of files and
     * syncs the whole tree once at the end (the report site). Still all-or-nothing against a
     * killed process; only a power cut can lose the data. */
    N2G_AFILE_NO_SYNC = 1,
};

/* A file being written: f is open on tmp until commit or abort. */
typedef struct n2g_afile {
    FILE *f;
    int flags;
    char path[4096];
    char tmp[4128];
} n2g_afile;

/* Creates PATH.tmp.PID for writing ("TMP: cannot create: REASON"). */
int n2g_afile_open(n2g_afile *a, const char *path, int flags, n2g_err *err);
/* Flushes, fsyncs and closes the temporary, renames it over PATH, fsyncs the directory.
 * Fails with "TMP: write failed: REASON", "PATH: cannot rename into place: REASON" or
 * "DIR: fsync failed: REASON"; the temporary is gone either way. */
int n2g_afile_commit(n2g_afile *a, n2g_err *err);
/* Closes and removes the temporary (PATH untouched); a no-op after commit. */
void n2g_afile_abort(n2g_afile *a);

/* One call: fn(f, user, err) writes the content (returns 0, or -1 with err set); then commit.
 * A failing fn leaves PATH as it was. */
typedef int (*n2g_write_fn)(FILE *f, void *user, n2g_err *err);
int n2g_atomic_write(const char *path, n2g_write_fn fn, void *user, n2g_err *err);
/* LEN bytes of DATA as the whole of PATH. */
int n2g_atomic_write_buf(const char *path, const void *data, size_t len, n2g_err *err);
/* A copy of the existing file SRC as DST ("SRC: cannot open: REASON" when it cannot be read). */
int n2g_atomic_copy(const char *src, const char *dst, n2g_err *err);

/* For a temporary another program writes (e.g. `PROGRAM -o TMP`): the name to give it, then
 * n2g_atomic_install to fsync it and rename it over PATH as a commit does (the temporary is
 * removed on failure). */
int n2g_atomic_tmpname(const char *path, char *tmp, size_t cap, n2g_err *err);
int n2g_atomic_install(const char *tmp, const char *path, n2g_err *err);

/* Removes the temporaries that killed writers left in DIR: entries NAME.tmp.PID where ours(NAME,
 * length of NAME) accepts NAME and no process PID exists (NAME may itself contain ".tmp.": the
 * last one counts). Anything else is left alone. Returns how many were removed. Call it only
 * where no other live writer of those names can be (after taking the run's lock). */
long n2g_atomic_remove_stale(const char *dir, int (*ours)(const char *name, size_t len));
/* The same for the names of the NULL-terminated list NAMES. */
long n2g_atomic_remove_stale_names(const char *dir, const char *const *names);
/* 1 when NAME is a temporary of one of NAMES: NAMEk.tmp.PID (or NAMEk.tmp, as n2g wrote them
 * before the pid was in the name). */
int n2g_atomic_is_temp(const char *name, const char *const *names);

#endif
