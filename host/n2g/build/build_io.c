/* build_io.c — atomic file writes for the build step. */
#include "n2g/build/build_io.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int n2g_write_atomic(const char *path, int (*fn)(FILE *f, void *user, n2g_err *err), void *user, n2g_err *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return n2g_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
    int rc = fn(f, user, err);
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) rc = n2g_fail(err, "%s: write failed: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && rc == 0) rc = n2g_fail(err, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0) rc = n2g_fail(err, "%s: rename failed: %s", path, strerror(errno));
    if (rc != 0) unlink(tmp);
    return rc;
}

static int copy_fn(FILE *f, void *user, n2g_err *err) {
    const char *src = user;
    FILE *in = fopen(src, "rb");
    if (!in) return n2g_fail(err, "%s: cannot open: %s", src, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, f) != n) {
            fclose(in);
            return n2g_fail(err, "write failed while copying %s", src);
        }
    int bad = ferror(in);
    fclose(in);
    return bad ? n2g_fail(err, "%s: read failed", src) : 0;
}

int n2g_copy_atomic(const char *src, const char *dst, n2g_err *err) {
    return n2g_write_atomic(dst, copy_fn, (void *)src, err);
}

int n2g_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int n2g_mkdir(const char *path, n2g_err *err) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
    return n2g_fail(err, "%s: cannot create directory: %s", path, strerror(errno));
}

/* kill(pid, 0): 0 or EPERM means a process with that id exists */
static int pid_alive(long pid) { return kill((pid_t)pid, 0) == 0 || errno == EPERM; }

long n2g_remove_stale_temps(const char *dir, int (*ours)(const char *name, size_t len)) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    long removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name, *t = strstr(name, ".tmp.");
        if (!t) continue;
        while (strstr(t + 1, ".tmp.")) t = strstr(t + 1, ".tmp.");
        const char *p = t + 5;
        long pid = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++) pid = pid * 10 + (*p - '0');
        if (*p || !digits || pid <= 0 || !ours(name, (size_t)(t - name)) || pid_alive(pid)) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}
