/* st_write.h — writes a safetensors file (all tensors F32), atomically.
 *
 * Layout written: 8-byte little-endian header length N, then N bytes of JSON
 *   {"__metadata__":{"format":"pt"},"NAME":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},..}
 * padded with spaces so that 8 + N is a multiple of 8, then the tensors' little-endian
 * bytes, back to back, in the order given. The file goes through common/atomic_write.h, so a
 * failure never leaves a half-written file.
 */
#ifndef N2G_ST_WRITE_H
#define N2G_ST_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct st_tensor {
    const char *name;     /* tensor name, e.g. "h.0.attn.c_attn.weight" */
    int ndim;             /* 1..4 */
    int64_t shape[4];
    const float *data;    /* [prod(shape)] */
} st_tensor;

/* Writes n tensors (F32) to path atomically. Names must be unique and non-empty. */
int st_write_f32(const char *path, const st_tensor *t, size_t n, n2g_err *err);

#endif
