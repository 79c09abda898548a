/* placeholder subcommands, replaced as they are written */
#include "cli.h"
int cli_devices(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int cli_acts(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int cli_demo(int argc, char **argv) { (void)argc; (void)argv; return 1; }
