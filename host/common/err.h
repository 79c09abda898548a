/* err.h — error status carried up from every fallible call.
 *
 * Convention: a fallible function returns 0 on success and -1 on failure, and fills the
 * caller's n2g_err with a one-line message that names the file / field and what was
 * expected. Nothing below host/cli/ prints errors or calls exit().
 */
#ifndef N2G_ERR_H
#define N2G_ERR_H

#include <stdarg.h>

typedef struct n2g_err {
    int code;        /* 0 = ok; N2G_E_USAGE for bad arguments; N2G_E_FAIL otherwise */
    char msg[1024];
} n2g_err;

enum { N2G_OK = 0, N2G_E_FAIL = 1, N2G_E_USAGE = 2 };

/* Sets err (may be NULL) to code FAIL with a printf-style message; returns -1. */
int n2g_fail(n2g_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with an explicit code (N2G_E_USAGE for usage errors). */
int n2g_failc(n2g_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes an existing message with more context: "ctx: old message". Returns -1. */
int n2g_wrap(n2g_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void n2g_err_clear(n2g_err *err);

#endif
