/* check.h — a tiny test harness. Each CHECK counts; check_finish() prints
 * "N passed, N failed" and returns the exit status. */
#ifndef N2G_CHECK_H
#define N2G_CHECK_H

#include <stdio.h>

extern int check_passed, check_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            check_passed++;                                                     \
        } else {                                                                \
            check_failed++;                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

/* Max |a-b| over n floats; also counts NaN mismatches as infinite error. */
double check_max_abs_diff(const float *a, const float *b, size_t n);
/* Path helpers: N2G_SOURCE_DIR / N2G_SHARED_DIR joined with rel (static buffer, rotating). */
const char *check_src_path(const char *rel);
const char *check_shared_path(const char *rel);
/* A fresh temporary directory (removed by nothing; under $TMPDIR or /tmp). */
const char *check_tmpdir(const char *tag);
int check_finish(void);

struct vk_device_info;
/* Lists the Vulkan devices into *devs / *n. Without any, exits the test: status 1 with a
 * message naming the package to install, or 0 ("skipped") when N2G_ALLOW_NO_VK=1. */
void check_need_vulkan(struct vk_device_info **devs, int *n);

#endif
