/* test_atomic_write.c — the one atomic-write helper (common/atomic_write.h) and the directory
 * helpers (common/fileio.h).
 *
 * The kill test: a child process rewrites a large file through the helper in a loop, each
 * version a different size and a pattern derived from its number, and is killed (SIGKILL) at
 * random moments. After every kill the file must be one whole version — its header, its length
 * and every word of the pattern agree — never a torn mixture, and once the cleanup routine has
 * run no temporary is left. A child that kills itself halfway through a write checks the other
 * side: the temporary is there, the old file untouched, and the cleanup removes it. The
 * oracle is the pattern itself, computed here, not anything the helper wrote. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common/atomic_write.h"
#include "common/fileio.h"

#define MAGIC 0x4e3247415443484bULL /* "N2GATCHK" */

static uint64_t word_of(uint64_t version, uint64_t i) {
    uint64_t x = version * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL + 1;
    x ^= x >> 31;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 29);
}

/* version v: 3 header words (magic, v, words), then the pattern; 0.5..1.5 MiB, varying */
static uint64_t words_of(uint64_t v) { return 65536 + (v * 7919) % 131072; }

static int write_version(FILE *f, void *user, n2g_err *err) {
    uint64_t v = *(uint64_t *)user, n = words_of(v), buf[4096];
    uint64_t head[3] = {MAGIC, v, n};
    if (fwrite(head, sizeof head, 1, f) != 1) return n2g_fail(err, "write failed");
    for (uint64_t i = 0; i < n; i += 4096) {
        size_t k = n - i < 4096 ? (size_t)(n - i) : 4096;
        for (size_t j = 0; j < k; j++) buf[j] = word_of(v, i + j);
        if (fwrite(buf, sizeof *buf, k, f) != k) return n2g_fail(err, "write failed");
    }
    return 0;
}

/* the version PATH holds, or -1 when it is not one whole version */
static long long read_version(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint64_t head[3], w;
    long long v = -1;
    if (fread(head, sizeof head, 1, f) == 1 && head[0] == MAGIC && head[2] == words_of(head[1])) {
        uint64_t i = 0;
        while (i < head[2] && fread(&w, sizeof w, 1, f) == 1 && w == word_of(head[1], i)) i++;
        if (i == head[2] && fread(&w, 1, 1, f) == 0) v = (long long)head[1];
    }
    fclose(f);
    return v;
}

/* entries of DIR whose name holds ".tmp." */
static int count_temps(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) n += strstr(de->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static int is_data(const char *name, size_t len) { return len == 8 && !memcmp(name, "data.bin", 8); }

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void test_kill_at_random(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/data.bin", dir);
    n2g_err e = {0};
    uint64_t v0 = 0;
    CHECK(n2g_atomic_write(path, write_version, &v0, &e) == 0, "first write: %s", e.msg);
    CHECK(read_version(path) == 0, "the first version reads back");
    unsigned seed = (unsigned)time(NULL);
    if (getenv("N2G_ATOMIC_SEED")) seed = (unsigned)strtoul(getenv("N2G_ATOMIC_SEED"), NULL, 10);
    srand(seed);
    long long last = 0;
    int rounds = 40, mid_write = 0, bad = 0;
    for (int r = 0; r < rounds; r++) {
        pid_t pid = fork();
        if (pid == 0) { /* the writer: versions last+1, last+2, ... until killed */
            for (uint64_t v = (uint64_t)last + 1;; v++) {
                n2g_err ce = {0};
                if (n2g_atomic_write(path, write_version, &v, &ce)) _exit(3);
            }
        }
        CHECK(pid > 0, "fork: %s", strerror(errno));
        if (pid <= 0) return;
        sleep_us(rand() % 40000);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %d: the writer ended by itself (status %d)", r, st);
        long long v = read_version(path);
        if (v < last) { /* torn (-1) or older than a version already seen whole */
            bad++;
            fprintf(stderr, "round %d (N2G_ATOMIC_SEED=%u): the file holds %lld after %lld\n", r, seed, v, last);
        } else {
            last = v;
        }
        int temps = count_temps(dir);
        mid_write += temps > 0;
        CHECK(temps <= 1, "round %d: %d temporaries", r, temps);
        CHECK(n2g_atomic_remove_stale(dir, is_data) == temps, "round %d: the cleanup removes the temporary", r);
        CHECK(count_temps(dir) == 0, "round %d: temporaries left after the cleanup", r);
    }
    CHECK(bad == 0, "%d of %d kills left a torn or older file (seed %u)", bad, rounds, seed);
    CHECK(last > 0, "no version was ever completed by the writer");
    printf("kill test: %d kills, %d of them during a write, last whole version %lld (N2G_ATOMIC_SEED=%u)\n", rounds,
           mid_write, last, seed);
}

/* a writer that dies halfway through: the temporary stays, the old file is untouched */
static void test_killed_halfway(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/data.bin", dir);
    long long before = read_version(path);
    CHECK(before > 0, "a whole version before");
    pid_t pid = fork();
    if (pid == 0) {
        n2g_afile a;
        n2g_err ce = {0};
        uint64_t v = 999;
        if (n2g_afile_open(&a, path, 0, &ce) || write_version(a.f, &v, &ce)) _exit(3);
        fflush(a.f);
        raise(SIGKILL);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st), "the writer killed itself");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)pid);
    struct stat sb;
    CHECK(stat(tmp, &sb) == 0 && sb.st_size > 0, "the dead writer's temporary %s is there", tmp);
    CHECK(read_version(path) == before, "the old file is untouched");
    /* the cleanup removes only our names of dead processes */
    char live[4200], other[4200], junk[4200];
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getpid());
    snprintf(other, sizeof other, "%s/notes.txt.tmp.%ld", dir, (long)pid);
    snprintf(junk, sizeof junk, "%s.tmp.12ab", path);
    const char *keep[] = {live, other, junk};
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(keep[k], "w");
        if (f) fclose(f);
    }
    static const char *const names[] = {"other.bin", "data.bin", NULL};
    CHECK(n2g_atomic_is_temp("data.bin.tmp.123", names) && n2g_atomic_is_temp("data.bin.tmp", names) &&
              !n2g_atomic_is_temp("data.bin.tmp.12ab", names) && !n2g_atomic_is_temp("data.bin", names) &&
              !n2g_atomic_is_temp("data.bin2.tmp.1", names) && !n2g_atomic_is_temp("notes.txt.tmp.1", names),
          "n2g_atomic_is_temp");
    CHECK(n2g_atomic_remove_stale_names(dir, names) == 1, "one stale temporary removed (by names)");
    CHECK(stat(tmp, &sb) != 0, "the dead writer's temporary is gone");
    for (int k = 0; k < 3; k++) {
        CHECK(stat(keep[k], &sb) == 0, "%s kept (a live writer's, another name's, not a pid)", keep[k]);
        unlink(keep[k]);
    }
}

static int failing_writer(FILE *f, void *user, n2g_err *err) {
    (void)user;
    fputs("half", f);
    return n2g_fail(err, "the content failed");
}

static void test_failures(const char *dir) {
    char path[4096], sub[4096], buf[64];
    n2g_err e = {0};
    snprintf(path, sizeof path, "%s/small.txt", dir);
    CHECK(n2g_atomic_write_buf(path, "old\n", 4, &e) == 0, "buf write: %s", e.msg);
    /* a failing content writer leaves the old file and no temporary */
    CHECK(n2g_atomic_write(path, failing_writer, NULL, &e) == -1 && strstr(e.msg, "the content failed"), "%s", e.msg);
    size_t len = 0;
    char *got = n2g_read_file(path, &len, &e);
    CHECK(got && len == 4 && !memcmp(got, "old\n", 4), "the old content stays");
    free(got);
    CHECK(count_temps(dir) == 0, "no temporary after a failing writer");
    /* abort */
    n2g_afile a;
    CHECK(n2g_afile_open(&a, path, 0, &e) == 0, "open: %s", e.msg);
    fputs("new", a.f);
    n2g_afile_abort(&a);
    got = n2g_read_file(path, &len, &e);
    CHECK(got && len == 4, "abort keeps the old content");
    free(got);
    CHECK(count_temps(dir) == 0, "no temporary after an abort");
    /* a directory where the file should go: the rename fails, named, temporary removed */
    snprintf(sub, sizeof sub, "%s/adir", dir);
    CHECK(n2g_make_dir(sub, 0, &e) == 0, "mkdir: %s", e.msg);
    CHECK(n2g_atomic_write_buf(sub, "x", 1, &e) == -1 && strstr(e.msg, "cannot rename into place") && strstr(e.msg, sub),
          "rename over a directory: %s", e.msg);
    CHECK(count_temps(dir) == 0, "no temporary after a failed rename");
    /* a missing directory: the temporary cannot be created; message names it */
    snprintf(sub, sizeof sub, "%s/missing/x.txt", dir);
    CHECK(n2g_atomic_write_buf(sub, "x", 1, &e) == -1 && strstr(e.msg, "x.txt.tmp.") && strstr(e.msg, "cannot create"),
          "missing directory: %s", e.msg);
    /* NO_SYNC still renames into place */
    CHECK(n2g_afile_open(&a, path, N2G_AFILE_NO_SYNC, &e) == 0, "open: %s", e.msg);
    fputs("fast\n", a.f);
    CHECK(n2g_afile_commit(&a, &e) == 0, "commit: %s", e.msg);
    got = n2g_read_file(path, &len, &e);
    CHECK(got && len == 5 && !memcmp(got, "fast\n", 5), "NO_SYNC content");
    free(got);
    /* copy, and a missing source */
    snprintf(sub, sizeof sub, "%s/copy.txt", dir);
    CHECK(n2g_atomic_copy(path, sub, &e) == 0, "copy: %s", e.msg);
    got = n2g_read_file(sub, &len, &e);
    CHECK(got && len == 5 && !memcmp(got, "fast\n", 5), "copied content");
    free(got);
    snprintf(buf, sizeof buf, "%s", "/nonexistent/n2g-src");
    CHECK(n2g_atomic_copy(buf, sub, &e) == -1 && strstr(e.msg, "/nonexistent/n2g-src: cannot open"), "%s", e.msg);
    got = n2g_read_file(sub, &len, &e);
    CHECK(got && len == 5, "a failed copy keeps the old file");
    free(got);
    /* install: a temporary written by someone else */
    char tmp[4200];
    CHECK(n2g_atomic_tmpname(sub, tmp, sizeof tmp, &e) == 0, "tmpname");
    FILE *f = fopen(tmp, "w");
    if (f) fputs("external\n", f), fclose(f);
    CHECK(n2g_atomic_install(tmp, sub, &e) == 0, "install: %s", e.msg);
    got = n2g_read_file(sub, &len, &e);
    CHECK(got && len == 9 && !memcmp(got, "external\n", 9), "installed content");
    free(got);
    CHECK(n2g_atomic_install(tmp, sub, &e) == -1, "installing a missing temporary fails");
    CHECK(count_temps(dir) == 0, "no temporary left");
    unlink(sub);
    unlink(path);
}

static void test_dirs(const char *dir) {
    char p[4096], f[4096];
    n2g_err e = {0};
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    CHECK(n2g_make_dir(p, 0, &e) == -1 && strstr(e.msg, "cannot create directory"), "no parents: %s", e.msg);
    CHECK(n2g_make_dir(p, N2G_DIR_PARENTS, &e) == 0, "mkdir -p: %s", e.msg);
    CHECK(n2g_make_dir(p, N2G_DIR_PARENTS | N2G_DIR_WRITABLE, &e) == 0, "again: %s", e.msg);
    snprintf(p, sizeof p, "%s/a//b/d/", dir);
    CHECK(n2g_make_dir(p, N2G_DIR_PARENTS, &e) == 0, "doubled and trailing slashes: %s", e.msg);
    snprintf(f, sizeof f, "%s/a/file", dir);
    CHECK(n2g_atomic_write_buf(f, "x", 1, &e) == 0, "file");
    CHECK(n2g_is_file(f) && !n2g_is_file(p) && !n2g_is_file("/nonexistent/n2g"), "n2g_is_file");
    CHECK(n2g_make_dir(f, 0, &e) == -1 && strstr(e.msg, "exists and is not a directory"), "%s", e.msg);
    snprintf(p, sizeof p, "%s/a/file/sub", dir);
    CHECK(n2g_make_dir(p, N2G_DIR_PARENTS, &e) == -1 && strstr(e.msg, "cannot create directory"), "%s", e.msg);
    if (geteuid() != 0) { /* root may write anywhere */
        snprintf(p, sizeof p, "%s/ro", dir);
        CHECK(n2g_make_dir(p, 0, &e) == 0, "ro");
        chmod(p, 0555);
        CHECK(n2g_make_dir(p, N2G_DIR_WRITABLE, &e) == -1 && strstr(e.msg, "not writable"), "%s", e.msg);
        chmod(p, 0755);
    }
}

int main(void) {
    const char *dir = check_tmpdir("atomic_write");
    test_kill_at_random(dir);
    test_killed_halfway(dir);
    test_failures(dir);
    test_dirs(dir);
    return check_finish();
}
