#include "outdir.h"

#include "atomic_write.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int n2g_outdir_foreign(const char *dir, const char *marker, int (*owned)(const char *dir)) {
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, marker);
    if (stat(path, &st) == 0) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0; /* unreadable: writing into it fails with its own message */
    struct dirent *de;
    int any = 0;
    while (!any && (de = readdir(d))) any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return any && !(owned && owned(dir));
}

int n2g_outdir_mark(const char *dir, const char *marker, const char *text, n2g_err *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, marker);
    return n2g_atomic_write_buf(path, text, strlen(text), err);
}
