/* cli.h — shared pieces of the `n2g` command: exit codes, option parsing helpers.
 * Exit codes: 0 success, 2 usage error, 1 any other failure; one-line message on stderr. */
#ifndef N2G_CLI_H
#define N2G_CLI_H

#include "common/err.h"
#include "ops/ops.h"

/* Each subcommand: argv[0] is the subcommand name. Returns the process exit code. */
typedef int (*cli_fn)(int argc, char **argv);

/* Prints "n2g: MESSAGE" and returns err->code (1 if unset). */
int cli_error(const n2g_err *err);
/* Prints "n2g SUB: usage error: ..." plus a hint and returns 2. */
int cli_usage(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "--device" values: "cpu" -> OPS_CPU; "N" -> OPS_VK device N; NULL -> default
 * (Vulkan device chosen automatically). Returns -1 with a usage error on junk. */
int cli_parse_device(const char *s, ops_options *opt, n2g_err *err);
/* Strict integer parse of a whole string; -1 on junk or out of [lo, hi]. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
/* Parses a comma-separated list of ints ("50256,464,3290"); returns count or -1. */
int cli_parse_int_list(const char *s, int **out, size_t *n);

#endif
