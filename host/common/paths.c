#include "paths.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef N2G_DATA_DIR
#define N2G_DATA_DIR "data"
#endif

const char *n2g_data_dir(void) {
    const char *e = getenv("N2G_DATA");
    return e && *e ? e : N2G_DATA_DIR;
}

const char *n2g_default_vocab_dir(void) {
    static char buf[4096];
    const char *e = getenv("N2G_VOCAB");
    if (e && *e) return e;
    snprintf(buf, sizeof buf, "%s/gpt2", n2g_data_dir());
    return buf;
}
