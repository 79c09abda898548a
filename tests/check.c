#include "check.h"

#include "vk/vk_rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int check_passed, check_failed;

double check_max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m) m = d;
    }
    return m;
}

static const char *join(const char *env, const char *def, const char *rel) {
    static char bufs[8][4096];
    static int k;
    char *b = bufs[k++ & 7];
    const char *root = getenv(env);
    if (!root || !*root) root = def;
    snprintf(b, 4096, "%s/%s", root, rel);
    return b;
}

const char *check_src_path(const char *rel) {
#ifdef N2G_SOURCE_DIR
    return join("N2G_SOURCE_DIR", N2G_SOURCE_DIR, rel);
#else
    return join("N2G_SOURCE_DIR", ".", rel);
#endif
}

const char *check_shared_path(const char *rel) {
#ifdef N2G_SHARED_DIR
    return join("N2G_SHARED_DIR", N2G_SHARED_DIR, rel);
#else
    return join("N2G_SHARED_DIR", "../shared", rel);
#endif
}

const char *check_tmpdir(const char *tag) {
    static char bufs[4][4096];
    static int k;
    char *b = bufs[k++ & 3];
    const char *t = getenv("TMPDIR");
    snprintf(b, 4096, "%s/n2g-%s-XXXXXX", t && *t ? t : "/tmp", tag);
    if (!mkdtemp(b)) {
        perror("mkdtemp");
        exit(1);
    }
    return b;
}

int check_finish(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

void check_need_vulkan(struct vk_device_info **devs, int *n) {
    n2g_err e = {0};
    if (!vk_list_devices(devs, n, &e)) return;
    const char *allow = getenv("N2G_ALLOW_NO_VK");
    if (allow && !strcmp(allow, "1")) {
        printf("no Vulkan device (%s); skipped (N2G_ALLOW_NO_VK=1)\n", e.msg);
        exit(0);
    }
    fprintf(stderr, "FAIL: no Vulkan device: %s (install mesa-vulkan-drivers for lavapipe, or set "
                    "N2G_ALLOW_NO_VK=1 to skip)\n", e.msg);
    exit(1);
}
