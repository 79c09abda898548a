/* cli.h — shared pieces of the `n2g` command: exit codes, messages, value parsers; the option
 * tables and --help: cli_args.h.
 * Exit codes: 0 success, 2 usage error, 1 any other failure; one-line message on stderr. */
#ifndef N2G_CLI_H
#define N2G_CLI_H

#include "cli_args.h"
#include "common/err.h"
#include "ops/ops.h"

/* Each subcommand: argv[0] is the subcommand name. Returns the process exit code. */
typedef int (*cli_fn)(int argc, char **argv);

/* Exit codes (README): 2 when the command line is wrong (an unknown option, a missing option or
 * value, a malformed value, a value outside its range, including a range set by the model or run
 * it names: --layer, --neuron, token ids, --device N; an --out that n2g may not write into);
 * 1 for everything else (a missing, unreadable or damaged input file, a device or write failure,
 * out of memory, an interrupted run). Errors below host/cli/ carry the code in n2g_err. */

/* main() names the subcommand being run, for cli_error's usage form. */
void cli_set_command(const char *sub);
/* Prints the error and returns err->code (1 if unset): "n2g: MESSAGE", or for a usage error
 * (code 2) the form of cli_usage with the current subcommand. */
int cli_error(const n2g_err *err);
/* Prints "n2g SUB: usage error: ..." plus a hint and returns 2. */
int cli_usage(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "unknown option '--x'" (or "unexpected argument 'x'" for a non-option); returns 2. */
int cli_unknown(const char *sub, const char *arg);
/* A directory argument with its trailing slashes removed ("site/" -> "site"; "/" stays), in
 * place, so that the paths n2g joins and prints read "site/index.html". Returns s. */
char *cli_dir(char *s);

/* Parses "--device" values into ops_open's policy: "cpu" -> OPS_CPU; "N" -> OPS_VK device N;
 * NULL -> the default (ops.h). Returns -1 with a usage error on junk and on a device N that
 * does not exist (ops_check_device), so a command stops before any work. */
int cli_parse_device(const char *s, ops_options *opt, n2g_err *err);
/* Strict integer parse of a whole string; -1 on junk or out of [lo, hi]. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
/* Parses a comma-separated list of ints ("50256,464,3290"); returns count or -1. */
int cli_parse_int_list(const char *s, int **out, size_t *n);

#endif
