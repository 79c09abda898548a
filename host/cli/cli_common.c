#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *current_sub;

void cli_set_command(const char *sub) { current_sub = sub; }

int cli_error(const n2g_err *err) {
    if (err->code == N2G_E_USAGE && current_sub) return cli_usage(current_sub, "%s", err->msg[0] ? err->msg : "bad arguments");
    fprintf(stderr, "n2g: %s\n", err->msg[0] ? err->msg : "failed");
    return err->code ? err->code : 1;
}

int cli_usage(const char *sub, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "n2g %s: usage error: ", sub);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'n2g %s --help')\n", sub);
    va_end(ap);
    return 2;
}

int cli_unknown(const char *sub, const char *arg) {
    if (arg[0] == '-' && arg[1]) return cli_usage(sub, "unknown option '%s'", arg);
    return cli_usage(sub, "unexpected argument '%s'", arg);
}

char *cli_dir(char *s) {
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/') s[--n] = 0;
    return s;
}

int cli_parse_int(const char *s, long lo, long hi, long *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_device(const char *s, ops_options *opt, n2g_err *err) {
    if (!s) {
        opt->kind = OPS_VK;
        opt->device = -1;
        return 0;
    }
    if (!strcmp(s, "cpu")) {
        opt->kind = OPS_CPU;
        return 0;
    }
    long v;
    if (cli_parse_int(s, 0, 1000, &v))
        return n2g_failc(err, N2G_E_USAGE, "--device: expected 'cpu' or a device index, got '%s'", s);
    opt->kind = OPS_VK;
    opt->device = (int)v;
    return ops_check_device(opt, err); /* a device that is not there: before any work */
}

int cli_parse_int_list(const char *s, int **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!s || !*s) return -1;
    size_t cap = 16, cnt = 0;
    int *v = malloc(cap * sizeof *v);
    if (!v) return -1;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < -2147483648L || x > 2147483647L) {
            free(v);
            return -1;
        }
        if (cnt == cap) {
            int *nv = realloc(v, (cap *= 2) * sizeof *nv);
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
        }
        v[cnt++] = (int)x;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            if (!*p) {
                free(v);
                return -1;
            }
        } else if (*p) {
            free(v);
            return -1;
        }
    }
    *out = v;
    *n = cnt;
    return (int)cnt;
}
