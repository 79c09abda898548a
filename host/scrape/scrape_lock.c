/* scrape_lock.c — one writer per run directory (scrape_lock.h). */
#include "scrape_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct scrape_lock {
    int fd;
    char path[4200];
};

/* the pid written in the lock file by its holder, or 0 when it cannot be read yet */
static long holder_pid(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

int scrape_lock_take(const char *run_dir, scrape_lock **out, n2g_err *err) {
    *out = NULL;
    scrape_lock *l = calloc(1, sizeof *l);
    if (!l) return n2g_fail(err, "out of memory");
    if ((size_t)snprintf(l->path, sizeof l->path, "%s/%s", run_dir, SCRAPE_LOCK_NAME) >= sizeof l->path) {
        free(l);
        return n2g_fail(err, "%s: path too long", run_dir);
    }
    /* A released lock's file is unlinked while still locked, so a process that opened it just
     * before may then lock a file that no longer has the name: it checks and starts over. */
    for (int tries = 0;; tries++) {
        int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            free(l);
            if (e == ENOENT || e == ENOTDIR) return n2g_fail(err, "%s: no such run directory", run_dir);
            return n2g_fail(err, "%s: cannot create the lock file %s: %s", run_dir, SCRAPE_LOCK_NAME, strerror(e));
        }
        if (flock(fd, LOCK_EX | LOCK_NB)) {
            int e = errno;
            long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
            close(fd);
            free(l);
            if (e != EWOULDBLOCK) return n2g_fail(err, "%s: cannot lock %s: %s", run_dir, SCRAPE_LOCK_NAME, strerror(e));
            if (pid)
                return n2g_fail(err, "another n2g (pid %ld) is writing %s; wait for it to finish or stop it", pid,
                                run_dir);
            return n2g_fail(err, "another n2g process is writing %s; wait for it to finish or stop it", run_dir);
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            /* ours: a stale pid from a killed holder is replaced */
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
                int e = errno;
                unlink(l->path);
                close(fd);
                free(l);
                return n2g_fail(err, "%s/%s: cannot write: %s", run_dir, SCRAPE_LOCK_NAME, strerror(e));
            }
            l->fd = fd;
            *out = l;
            return 0;
        }
        close(fd);
        if (tries > 100) {
            free(l);
            return n2g_fail(err, "%s/%s: keeps changing; is another n2g starting and stopping there?", run_dir,
                            SCRAPE_LOCK_NAME);
        }
    }
}

void scrape_lock_release(scrape_lock *l) {
    if (!l) return;
    unlink(l->path);
    close(l->fd); /* releases the flock */
    free(l);
}
