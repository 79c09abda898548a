#include "err.h"

#include <stdio.h>
#include <string.h>

static int vfail(n2g_err *err, int code, const char *fmt, va_list ap) {
    if (!err) return -1;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int n2g_fail(n2g_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, N2G_E_FAIL, fmt, ap);
    va_end(ap);
    return -1;
}

int n2g_failc(n2g_err *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

int n2g_wrap(n2g_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%.400s: %.600s", prefix, old);
    if (!err->code) err->code = N2G_E_FAIL;
    return -1;
}

void n2g_err_clear(n2g_err *err) {
    if (!err) return;
    err->code = 0;
    err->msg[0] = 0;
}
