/* scrape_identity.c — what a run is made from (scrape_job.h, scrape_manifest.h's identity): the
 * model file, the corpus files and the parameters, with absolute paths, so that they resolve the
 * same from any working directory. Rank 0 hashes; the run identity names exactly the files the
 * corpus reader will read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scrape_fs.h"
#include "scrape_job.h"
#include "text/corpus.h"

/* The corpus files (rank 0: listed, made absolute, hashed) into j->id. */
static int corpus_identity(scrape_job *j, n2g_err *err) {
    const scrape_params *p = j->p;
    for (int i = 0; j->rank == 0 && i < p->n_corpus; i++)
        if (!strcmp(p->corpus[i], "-"))
            return n2g_failc(err, N2G_E_USAGE, "--corpus -: standard input cannot be resumed; give files");
    if (j->rank == 0 && corpus_list_inputs(p->corpus, p->n_corpus, &j->flist, &j->n_files, err)) return -1;
    scrape_file_id *files = calloc((size_t)j->n_files + 1, sizeof *files);
    if (!files) return n2g_fail(err, "out of memory");
    j->id.files = files;
    for (int i = 0; i < j->n_files; i++) {
        char abs[PATH_MAX], *dup;
        if (realpath(j->flist[i], abs) && (dup = strdup(abs))) {
            free(j->flist[i]);
            j->flist[i] = dup;
        }
        files[i].path = j->flist[i];
        if (scrape_hash_file(j->flist[i], &files[i].hash, &files[i].bytes, err)) return -1;
    }
    j->id.n_files = j->n_files;
    return 0;
}

int scrape_job_identity(scrape_job *j, n2g_err *err) {
    const scrape_params *p = j->p;
    scrape_ident *id = &j->id;
    char st_path[4200];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", p->model_dir);
    if (!realpath(p->model_dir, j->model_abs)) snprintf(j->model_abs, sizeof j->model_abs, "%s", p->model_dir);
    id->model_dir = j->model_abs;
    id->cfg = &j->m->cfg;
    id->dtype = j->m->dtype;
    id->vocab = BPE_VOCAB_NAME(j->vocab_src);
    if (j->rank == 0 && scrape_hash_file(st_path, &id->st_hash, &id->st_bytes, err)) return -1;
    if (corpus_identity(j, err)) return -1;
    id->layers = j->layers;
    id->n_layers = j->n_layers;
    id->top_k = p->top_k;
    id->ctx = j->ctx;
    id->max_tokens = p->max_tokens;
    id->include_bos = p->include_bos;
    id->fire_f = p->fire_lists;
    id->fire_ratio = p->fire_lists ? SCRAPE_FIRE_RATIO : 0.0f;
    return 0;
}
