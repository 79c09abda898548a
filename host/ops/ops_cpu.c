/* placeholder: replaced by the CPU backend */
#include "ops_impl.h"
int ops_cpu_create(const ops_options *opt, ops_ctx **out, n2g_err *err) { (void)opt; *out = NULL; return n2g_fail(err, "cpu backend not built yet"); }
