/* build_neurons.c — the --neurons list of `n2g build`. */
#include <stdlib.h>
#include <string.h>

#include "n2g/build/build.h"

static int cmp_pair(const void *a, const void *b) {
    const int *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

static int strict_int(const char *s, size_t n, long *v) {
    if (n == 0 || n > 9) return -1;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int n2g_build_parse_neurons(const char *spec, const int *layers, int n_layers, int d_mlp, int **out, long *n,
                            n2g_err *err) {
    *out = NULL;
    *n = 0;
    size_t cap = 64, cnt = 0;
    int *v = malloc(sizeof(int) * 2 * cap);
    if (!v) return n2g_fail(err, "out of memory");
    if (!spec || !strcmp(spec, "all")) spec = NULL;
    const char *p = spec;
    for (int item = 0; !spec ? item < n_layers : *p; item++) {
        int lo_l, hi_l, lo_n, hi_n;
        if (!spec) {
            lo_l = hi_l = layers[item];
            lo_n = 0, hi_n = d_mlp - 1;
        } else {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            const char *colon = memchr(p, ':', len);
            long L = 0, N = 0;
            const char *rest = colon ? colon + 1 : NULL;
            size_t rl = colon ? len - (size_t)(rest - p) : 0;
            int bad = !colon || strict_int(p, (size_t)(colon - p), &L);
            if (!bad) {
                if (rl == 1 && rest[0] == '*') N = -1;
                else bad = strict_int(rest, rl, &N);
            }
            if (bad) {
                free(v);
                return n2g_failc(err, N2G_E_USAGE, "--neurons: expected 'all', 'L:N' or 'L:*' items, got '%.*s'",
                                 (int)len, p);
            }
            int found = 0;
            for (int i = 0; i < n_layers; i++) found |= layers[i] == L;
            if (!found) {
                free(v);
                return n2g_failc(err, N2G_E_USAGE, "--neurons: layer %ld was not scraped in this run", L);
            }
            if (N >= d_mlp) {
                free(v);
                return n2g_failc(err, N2G_E_USAGE, "--neurons: neuron %ld outside 0..%d", N, d_mlp - 1);
            }
            lo_l = hi_l = (int)L;
            lo_n = N < 0 ? 0 : (int)N;
            hi_n = N < 0 ? d_mlp - 1 : (int)N;
            p += len + (e ? 1 : 0);
            if (e && !*p) {
                free(v);
                return n2g_failc(err, N2G_E_USAGE, "--neurons: empty item after ','");
            }
        }
        for (int l = lo_l; l <= hi_l; l++)
            for (int k = lo_n; k <= hi_n; k++) {
                if (cnt == cap) {
                    int *nv = realloc(v, sizeof(int) * 2 * (cap *= 2));
                    if (!nv) {
                        free(v);
                        return n2g_fail(err, "out of memory");
                    }
                    v = nv;
                }
                v[2 * cnt] = l, v[2 * cnt + 1] = k;
                cnt++;
            }
    }
    qsort(v, cnt, sizeof(int) * 2, cmp_pair);
    size_t u = 0;
    for (size_t i = 0; i < cnt; i++)
        if (!u || v[2 * i] != v[2 * (u - 1)] || v[2 * i + 1] != v[2 * (u - 1) + 1]) {
            v[2 * u] = v[2 * i], v[2 * u + 1] = v[2 * i + 1];
            u++;
        }
    if (u == 0) {
        free(v);
        return n2g_failc(err, N2G_E_USAGE, "--neurons: no neurons named");
    }
    *out = v;
    *n = (long)u;
    return 0;
}
