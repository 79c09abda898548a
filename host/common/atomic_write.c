/* atomic_write.c — write to a temporary, fsync, rename, fsync the directory (atomic_write.h). */
#include "atomic_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int n2g_atomic_tmpname(const char *path, char *tmp, size_t cap, n2g_err *err) {
    if ((size_t)snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid()) >= cap)
        return n2g_fail(err, "%s: path too long", path);
    return 0;
}

int n2g_afile_open(n2g_afile *a, const char *path, int flags, n2g_err *err) {
    memset(a, 0, sizeof *a);
    a->flags = flags;
    if (strlen(path) >= sizeof a->path) return n2g_fail(err, "%s: path too long", path);
    memcpy(a->path, path, strlen(path) + 1);
    if (n2g_atomic_tmpname(path, a->tmp, sizeof a->tmp, err)) return a->tmp[0] = 0, -1;
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        n2g_fail(err, "%s: cannot create: %s", a->tmp, strerror(errno));
        a->tmp[0] = 0; /* not ours to remove */
        return -1;
    }
    return 0;
}

void n2g_afile_abort(n2g_afile *a) {
    if (a->f) fclose(a->f);
    a->f = NULL;
    if (a->tmp[0]) unlink(a->tmp);
    a->tmp[0] = 0;
}

/* fsync of PATH's directory: the rename is durable only once the directory is */
static int fsync_dir_of(const char *path, n2g_err *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return n2g_fail(err, "%s: cannot open directory: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* some file systems cannot sync a directory (EINVAL): nothing more to do there */
    if (rc && e != EINVAL) return n2g_fail(err, "%s: fsync failed: %s", dir, strerror(e));
    return 0;
}

/* rename TMP over PATH (removing TMP on failure), then the directory's fsync unless NO_SYNC */
static int install(const char *tmp, const char *path, int flags, n2g_err *err) {
    if (rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return n2g_fail(err, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return flags & N2G_AFILE_NO_SYNC ? 0 : fsync_dir_of(path, err);
}

int n2g_afile_commit(n2g_afile *a, n2g_err *err) {
    int bad = ferror(a->f) || fflush(a->f) || (!(a->flags & N2G_AFILE_NO_SYNC) && fsync(fileno(a->f)));
    int e = bad ? errno : 0;
    if (fclose(a->f) && !bad) bad = 1, e = errno;
    a->f = NULL;
    if (bad) {
        n2g_fail(err, "%s: write failed: %s", a->tmp, strerror(e ? e : EIO));
        n2g_afile_abort(a);
        return -1;
    }
    int rc = install(a->tmp, a->path, a->flags, err);
    a->tmp[0] = 0;
    return rc;
}

int n2g_atomic_install(const char *tmp, const char *path, n2g_err *err) {
    int fd = open(tmp, O_RDONLY);
    int bad = fd < 0 || fsync(fd);
    int e = errno;
    if (fd >= 0) close(fd);
    if (bad) {
        unlink(tmp);
        return n2g_fail(err, "%s: write failed: %s", tmp, strerror(e));
    }
    return install(tmp, path, 0, err);
}

int n2g_atomic_write(const char *path, n2g_write_fn fn, void *user, n2g_err *err) {
    n2g_afile a;
    if (n2g_afile_open(&a, path, 0, err)) return -1;
    if (fn(a.f, user, err)) {
        n2g_afile_abort(&a);
        return -1;
    }
    return n2g_afile_commit(&a, err);
}

typedef struct {
    const char *path;
    const void *data;
    size_t len;
} buf_src;

static int write_buf(FILE *f, void *user, n2g_err *err) {
    const buf_src *b = user;
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len) return n2g_fail(err, "%s: write failed: %s", b->path, strerror(errno));
    return 0;
}

int n2g_atomic_write_buf(const char *path, const void *data, size_t len, n2g_err *err) {
    buf_src b = {path, data, len};
    return n2g_atomic_write(path, write_buf, &b, err);
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
            return n2g_fail(err, "write failed while copying %s: %s", src, strerror(errno));
        }
    int bad = ferror(in);
    fclose(in);
    return bad ? n2g_fail(err, "%s: read error", src) : 0;
}

int n2g_atomic_copy(const char *src, const char *dst, n2g_err *err) {
    return n2g_atomic_write(dst, copy_fn, (void *)src, err);
}

/* kill(pid, 0): 0 or EPERM means a process with that id exists */
static int pid_alive(long pid) { return kill((pid_t)pid, 0) == 0 || errno == EPERM; }

/* the pid of a temporary NAME.tmp.PID (the last ".tmp." counts; *base_len: the length of NAME),
 * or -1 when the name is not one */
static long temp_pid(const char *name, size_t *base_len) {
    const char *t = strstr(name, ".tmp.");
    if (!t) return -1;
    while (strstr(t + 1, ".tmp.")) t = strstr(t + 1, ".tmp.");
    const char *p = t + 5;
    long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++) pid = pid * 10 + (*p - '0');
    if (*p || !digits || pid <= 0) return -1;
    *base_len = (size_t)(t - name);
    return pid;
}

/* removes DIR's NAME.tmp.PID of dead processes where ours(NAME) or NAME is in names */
static long remove_stale(const char *dir, int (*ours)(const char *, size_t), const char *const *names) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    long removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = 0;
        long pid = temp_pid(de->d_name, &len);
        int mine = 0;
        for (int k = 0; pid > 0 && names && names[k] && !mine; k++)
            mine = strlen(names[k]) == len && !memcmp(names[k], de->d_name, len);
        if (pid <= 0 || !(mine || (ours && ours(de->d_name, len))) || pid_alive(pid)) continue;
        char path[4400];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) continue;
        if (unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}

long n2g_atomic_remove_stale(const char *dir, int (*ours)(const char *name, size_t len)) {
    return remove_stale(dir, ours, NULL);
}

long n2g_atomic_remove_stale_names(const char *dir, const char *const *names) { return remove_stale(dir, NULL, names); }

int n2g_atomic_is_temp(const char *name, const char *const *names) {
    for (int k = 0; names[k]; k++) {
        size_t n = strlen(names[k]), len = 0;
        if (strncmp(name, names[k], n) || strncmp(name + n, ".tmp", 4)) continue;
        if (!name[n + 4] || (temp_pid(name, &len) > 0 && len == n)) return 1;
    }
    return 0;
}
