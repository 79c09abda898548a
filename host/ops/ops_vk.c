/* placeholder: replaced by the Vulkan backend */
#include "ops_impl.h"
int ops_vk_create(const ops_options *opt, ops_ctx **out, n2g_err *err) { (void)opt; *out = NULL; return n2g_fail(err, "vulkan backend not built yet"); }
