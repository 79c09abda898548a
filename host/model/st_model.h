/* st_model.h — the head every Hugging Face checkpoint loader shares (gpt2_load.c,
 * distilbert_load.c): config.json's integers, DIR/model.safetensors opened, each expected tensor
 * checked (shape against what the config implies, dtype F32 / F16 / BF16) and marked used, then
 * the tensors nobody asked for found. The model-specific parts (which keys, which tensors, where
 * the floats go) stay in the loaders. Messages name the file, the tensor and the config values. */
#ifndef N2G_ST_MODEL_H
#define N2G_ST_MODEL_H

#include <stdint.h>

#include "common/err.h"
#include "common/json.h"
#include "safetensors.h"

/* config.json at PATH, parsed; fails unless the root is an object ("PATH: expected a JSON
 * object"). The caller frees the document. */
json_doc *st_model_config(const char *path, n2g_err *err);
/* An integer KEY of config object R in [LO, HI]. A missing key fails with "PATH: missing "KEY"
 * (MISSING)" when MISSING is given, else with the JSON reader's message. */
int st_model_cfg_int(const json_value *r, const char *key, const char *path, const char *missing, int *out, int lo,
                     int hi, n2g_err *err);

typedef struct st_model_file {
    st_file *f;
    char path[2048]; /* DIR/model.safetensors */
    char *used;      /* per tensor (header order): asked for by the loader */
    char dtype[8];   /* the dtype of every tensor checked so far, or "mixed" */
    int checked;
} st_model_file;

/* Reads DIR/config.json with read_config(PATH, cfg, err), then opens DIR/model.safetensors (a
 * sharded checkpoint, with only model.safetensors.index.json, is refused by name). */
int st_model_open(st_model_file *m, const char *dir, int (*read_config)(const char *path, void *cfg, n2g_err *err),
                  void *cfg, n2g_err *err);
/* Checks tensor T of the file: NDIM and SHAPE as expected ("PATH: tensor 'NAME' has shape [..],
 * config.json implies [..] (CONFIG)", CONFIG naming the config values that set it) and a dtype
 * st_read_f32 converts; marks it used and folds its dtype into m->dtype. */
int st_model_check(st_model_file *m, const st_tensor *t, int ndim, const int64_t *shape, const char *config,
                   n2g_err *err);
/* The first tensor not marked used that ignore(NAME, user) does not accept (ignore may be NULL),
 * or NULL when every one was used. */
const st_tensor *st_model_unused(const st_model_file *m, int (*ignore)(const char *name, void *user), void *user);
void st_model_close(st_model_file *m);

#endif
