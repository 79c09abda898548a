/* scrape_rundir.c — a scrape's run directory (scrape_job.h): claimed (created, locked) before the
 * corpus is hashed, then opened: a new run's manifest claims it, an existing run is checked
 * against the identity and resumed. Rank 0 only. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomic_write.h"
#include "common/fileio.h"
#include "scrape_job.h"

/* the run's files that are written through a temporary (NAME.tmp.PID) */
static const char *const run_files[] = {"manifest.json", "examples.bin", "corpus-stdin.txt", NULL};

int scrape_rundir_claim(scrape_job *j, n2g_err *err) {
    if (j->rank > 0) return 0;
    if (n2g_make_dir(j->p->out, N2G_DIR_WRITABLE, err)) return -1; /* before hashing a big corpus */
    if (scrape_lock_take(j->p->out, &j->lock, err)) return -1;     /* one writer (the job's ranks: rank 0) */
    n2g_atomic_remove_stale_names(j->p->out, run_files); /* what a killed scrape left */
    return 0;
}

/* 1 when DIR holds anything but our own temporaries (a directory that is not a run). */
static int dir_has_foreign_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int foreign = 0;
    while (!foreign && (de = readdir(d)))
        foreign = strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !n2g_atomic_is_temp(de->d_name, run_files) &&
                  strcmp(de->d_name, SCRAPE_LOCK_NAME) &&
                  strcmp(de->d_name, "corpus-stdin.txt"); /* n2g scrape --corpus -: the copy of stdin */
    closedir(d);
    return foreign;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int scrape_rundir_open(scrape_job *j, int *resumed, n2g_err *err) {
    const char *out = j->p->out;
    snprintf(j->manifest_path, sizeof j->manifest_path, "%s/manifest.json", out);
    snprintf(j->examples_path, sizeof j->examples_path, "%s/examples.bin", out);
    if (j->rank > 0) return 0; /* rank 0 checks and loads the run directory */
    if (file_exists(j->manifest_path)) {
        if (scrape_manifest_check(j->manifest_path, &j->id, err)) return -1;
        if (file_exists(j->examples_path)) {
            if (scrape_job_load(j, err)) return -1;
            *resumed = 1;
        }
        return 0;
    }
    if (dir_has_foreign_files(out))
        return n2g_failc(err, N2G_E_USAGE,
                         "--out %s: the directory is not empty and holds no scrape run (no manifest.json); "
                         "choose a new or empty directory", out);
    /* a new run: the manifest claims the directory before anything else is written */
    scrape_scan_info none = {0};
    return scrape_manifest_write(j->manifest_path, &j->id, &none, err);
}
