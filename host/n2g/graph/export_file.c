/* export_file.c — atomic output files (see export_file.h). */
#include "n2g/graph/export_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int n2g_outfile_open(n2g_outfile *o, const char *path, n2g_err *err) {
    memset(o, 0, sizeof *o);
    if (strlen(path) >= sizeof o->path) return n2g_fail(err, "%s: path too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "wb");
    if (!o->f) return n2g_fail(err, "%s: cannot create (%s)", o->tmp, strerror(errno));
    return 0;
}

int n2g_outfile_commit(n2g_outfile *o, n2g_err *err) {
    int bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
    int e = errno;
    if (fclose(o->f) != 0) bad = 1;
    o->f = NULL;
    if (bad) {
        remove(o->tmp);
        return n2g_fail(err, "%s: write failed (%s)", o->path, strerror(e));
    }
    if (rename(o->tmp, o->path) != 0) {
        e = errno;
        remove(o->tmp);
        return n2g_fail(err, "%s: cannot rename into place (%s)", o->path, strerror(e));
    }
    return 0;
}

void n2g_outfile_abort(n2g_outfile *o) {
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) remove(o->tmp);
}
