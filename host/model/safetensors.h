/* safetensors.h — a model-agnostic reader of Hugging Face .safetensors files (prefix st_).
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
 * {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section
 * that follows the header), plus an optional "__metadata__" object of strings.
 *
 * st_open maps the file read-only and validates the whole header before returning: the
 * file holds the 8 bytes and the header; the JSON parses; every entry has a known dtype,
 * a shape of non-negative integers and data_offsets with begin <= end <= data size,
 * end - begin == numel * dtype size; no two tensors overlap. Messages name the file and
 * the tensor.
 */
#ifndef N2G_SAFETENSORS_H
#define N2G_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef enum {
    ST_BOOL, ST_U8, ST_I8, ST_I16, ST_U16, ST_F16, ST_BF16, ST_I32, ST_U32, ST_F32, ST_I64, ST_U64, ST_F64,
    ST_F8_E4M3, ST_F8_E5M2, ST_DTYPE_COUNT
} st_dtype;

#define ST_MAX_DIMS 8

typedef struct st_tensor {
    const char *name;    /* NUL-terminated, owned by the st_file */
    st_dtype dtype;
    int ndim;            /* 0 for a scalar */
    int64_t shape[ST_MAX_DIMS];
    uint64_t numel;
    uint64_t begin, end; /* byte range in the data section */
    const uint8_t *data; /* mapped bytes (not aligned in general) */
} st_tensor;

typedef struct st_file st_file;

int st_open(const char *path, st_file **out, n2g_err *err);
void st_close(st_file *f);

size_t st_count(const st_file *f);
const st_tensor *st_at(const st_file *f, size_t i); /* header order */
const st_tensor *st_find(const st_file *f, const char *name);
const char *st_path(const st_file *f);
uint64_t st_file_bytes(const st_file *f);
/* A __metadata__ string value, or NULL. */
const char *st_metadata(const st_file *f, const char *key);

const char *st_dtype_name(st_dtype d);
size_t st_dtype_size(st_dtype d); /* bytes per element */

/* Converts a F32 / F16 / BF16 tensor to fp32 (dst holds numel floats). With check_finite,
 * a NaN or Inf fails with a message naming the tensor and the element. Other dtypes fail. */
int st_read_f32(const st_file *f, const st_tensor *t, float *dst, int check_finite, n2g_err *err);

/* Scalar conversions (exact). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

#endif
