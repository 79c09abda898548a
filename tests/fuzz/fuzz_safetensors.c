/* fuzz_safetensors.c — libFuzzer target for the safetensors reader: any bytes as a .safetensors
 * file open or fail cleanly; when they open, every tensor's byte range lies inside the file and
 * F32/F16/BF16 tensors convert without reading outside it.
 * Build: CC=clang cmake -S . -B build-fuzz -DN2G_FUZZ=ON ... ; run build-fuzz/fuzz_safetensors */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("st", 0);
    if (fd < 0) abort();
    if (size && write(fd, data, size) != (ssize_t)size) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    st_file *f;
    n2g_err e = {0};
    if (st_open(path, &f, &e) == 0) {
        for (size_t i = 0; i < st_count(f); i++) {
            const st_tensor *t = st_at(f, i);
            if (t->end > size || t->begin > t->end) abort();
            if ((t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16) && t->numel <= (1u << 20)) {
                float *buf = malloc((t->numel ? t->numel : 1) * sizeof(float));
                st_read_f32(f, t, buf, 1, &e);
                free(buf);
            }
        }
        st_close(f);
    } else if (!e.msg[0]) {
        abort(); /* a failure always says why */
    }
    close(fd);
    return 0;
}
