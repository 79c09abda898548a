/* cli_devices.c — `n2g devices`: every Vulkan device and the CPU backend, with the default marked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ops/vk_gpt2.h"
#include "vk/vk_rt.h"

static const cli_cmd devices_cmd = {
    "devices",
    "Lists the Vulkan devices (index for --device N, name, type, vendor, driver, API version,\n"
    "subgroup size, memory heaps, binding limits) and the CPU backend (--device cpu).\n"
    "The default device ('*') is the first discrete GPU, else the first integrated GPU,\n"
    "else the first other device (a CPU driver such as lavapipe), among those n2g can use\n"
    "(Vulkan 1.2, VK_KHR_push_descriptor).\n"
    "Kernel variant: cpu-driver on CPU drivers, gpu otherwise; force with N2G_VARIANT.\n"
    "Without any Vulkan device it says so on stderr and lists the CPU backend (exit 0); every\n"
    "command then runs on the CPU backend unless given --device N.\n",
    NULL,
};

int cli_devices(int argc, char **argv) {
    int rc = cli_parse(&devices_cmd, NULL, 0, argc, argv);
    if (rc != CLI_RUN) return rc;
    n2g_err err = {0};
    vk_device_info *d = NULL;
    int n = 0;
    if (vk_list_devices(&d, &n, &err)) { /* not a failure of the listing: the CPU backend remains */
        fprintf(stderr, "n2g: %s\n", err.msg);
        printf("(no Vulkan devices)\n");
    } else {
        int def = vk_default_device(d, n);
        for (int i = 0; i < n; i++) {
            char buf[2048];
            vk_device_describe(&d[i], buf, sizeof buf);
            printf("%s%s\n", i == def ? "* " : "  ", buf);
            printf("      kernel variant (auto): %s\n",
                   d[i].type == VK_PHYSICAL_DEVICE_TYPE_CPU ? "cpu-driver" : "gpu");
        }
        free(d);
    }
    ops_options o = {.kind = OPS_CPU, .quiet = 1};
    ops_ctx *cpu = NULL;
    n2g_err e2 = {0};
    if (ops_create(&o, &cpu, &e2) == 0) {
        printf("  cpu   %s\n", ops_device_name(cpu));
        ops_destroy(cpu);
    } else {
        printf("  cpu   (unavailable: %s)\n", e2.msg);
        return 1;
    }
    return 0;
}
