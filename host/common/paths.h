/* paths.h — where the bundled data lives (data/ in the source tree, compiled in). */
#ifndef N2G_PATHS_H
#define N2G_PATHS_H

/* $N2G_DATA, else the data/ folder of the source tree this binary was built from. */
const char *n2g_data_dir(void);
/* $N2G_VOCAB, else <data dir>/gpt2 (vocab.json + merges.txt). */
const char *n2g_default_vocab_dir(void);

#endif
