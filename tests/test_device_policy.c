/* test_device_policy.c — which device a command runs on (ops_open, ops.h; vk_default_device /
 * vk_default_device_spread, vk_rt.h): the default preference and the rank spreading on synthetic
 * device lists, then ops_open itself: the CPU backend and its threads shared among the ranks of
 * a machine; no Vulkan driver (VK_ICD_FILENAMES pointing at nothing): the default falls back to
 * the CPU backend, an explicit index is a usage error; with the Vulkan devices there are: the
 * default, an index past the last one, ranks sharing them, N2G_VARIANT. The expectations are
 * written out by hand from the rule in ops.h, not computed by the code under test. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ops/ops.h"
#include "vk/vk_rt.h"

enum { DISCRETE = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, INTEGRATED = VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
       VIRTUAL = VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU, CPU = VK_PHYSICAL_DEVICE_TYPE_CPU };

/* a synthetic list: types[i], usable unless old[i] (Vulkan 1.1) or nopush[i] */
static void make(vk_device_info *d, int n, const int *types, const int *old, const int *nopush) {
    memset(d, 0, (size_t)n * sizeof *d);
    for (int i = 0; i < n; i++) {
        d[i].index = i;
        d[i].type = (VkPhysicalDeviceType)types[i];
        d[i].api_version = old && old[i] ? VK_API_VERSION_1_1 : VK_API_VERSION_1_3;
        d[i].has_push_descriptor = !(nopush && nopush[i]);
    }
}

static void test_preference(void) {
    vk_device_info d[6];
    /* cpu, integrated, discrete, virtual, discrete: the first discrete GPU */
    int t1[] = {CPU, INTEGRATED, DISCRETE, VIRTUAL, DISCRETE};
    make(d, 5, t1, NULL, NULL);
    CHECK(vk_default_device(d, 5) == 2, "discrete first: %d", vk_default_device(d, 5));
    /* ranks on one machine: the discrete GPUs 2 and 4 in turn */
    int want1[] = {2, 4, 2, 4, 2};
    for (int r = 0; r < 5; r++)
        CHECK(vk_default_device_spread(d, 5, r, 5) == want1[r], "rank %d of 5: %d", r, vk_default_device_spread(d, 5, r, 5));
    CHECK(vk_default_device_spread(d, 5, 3, 1) == 2, "one process: the default");
    CHECK(vk_default_device_spread(d, 5, 0, 0) == 2, "local_size 0: the default");
    /* no discrete: the first integrated GPU */
    make(d, 3, (int[]){CPU, VIRTUAL, INTEGRATED}, NULL, NULL);
    CHECK(vk_default_device(d, 3) == 2, "then integrated: %d", vk_default_device(d, 3));
    CHECK(vk_default_device_spread(d, 3, 1, 2) == 2, "one integrated GPU for two ranks");
    /* neither: the first other device (virtual, CPU driver); ranks over the devices of its type */
    make(d, 4, (int[]){CPU, VIRTUAL, CPU, CPU}, NULL, NULL);
    CHECK(vk_default_device(d, 4) == 0, "then anything: %d", vk_default_device(d, 4));
    int want2[] = {0, 2, 3, 0};
    for (int r = 0; r < 4; r++)
        CHECK(vk_default_device_spread(d, 4, r, 4) == want2[r], "cpu drivers, rank %d: %d", r,
              vk_default_device_spread(d, 4, r, 4));
    /* devices n2g cannot use are never the default: a discrete GPU with Vulkan 1.1, another
       without VK_KHR_push_descriptor; the usable discrete GPU 3 is */
    make(d, 4, (int[]){INTEGRATED, DISCRETE, DISCRETE, DISCRETE}, (int[]){0, 1, 0, 0}, (int[]){0, 0, 1, 0});
    CHECK(!vk_device_usable(&d[1]) && !vk_device_usable(&d[2]) && vk_device_usable(&d[3]), "usable");
    CHECK(vk_default_device(d, 4) == 3, "usable discrete: %d", vk_default_device(d, 4));
    CHECK(vk_default_device_spread(d, 4, 1, 2) == 3, "ranks over the usable discrete GPUs only");
    /* only unusable ones: the integrated one when the discrete are old */
    make(d, 2, (int[]){DISCRETE, INTEGRATED}, (int[]){1, 0}, NULL);
    CHECK(vk_default_device(d, 2) == 1, "old discrete skipped: %d", vk_default_device(d, 2));
    make(d, 2, (int[]){DISCRETE, CPU}, (int[]){1, 1}, NULL);
    CHECK(vk_default_device(d, 2) == -1 && vk_default_device_spread(d, 2, 1, 2) == -1, "none usable");
    CHECK(vk_default_device(d, 0) == -1, "empty list");
}

/* opens and returns the backend's name ("" on failure, err filled) */
static ops_kind open_name(const ops_options *o, char *name, size_t n, n2g_err *e) {
    ops_ctx *c = NULL;
    memset(e, 0, sizeof *e);
    name[0] = 0;
    if (ops_open(o, &c, e)) return (ops_kind)-1;
    snprintf(name, n, "%s", ops_device_name(c));
    ops_kind k = ops_kind_of(c);
    ops_destroy(c);
    return k;
}

static int threads_of(const char *name) { /* "cpu (N thread(s), isa)" */
    int t = -1;
    return sscanf(name, "cpu (%d thread", &t) == 1 ? t : -1;
}

static void test_cpu(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char name[256];
    n2g_err e;
    ops_options o = {.kind = OPS_CPU, .quiet = 1, .local_rank = 1, .local_size = 2};
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU, "cpu: %s", e.msg);
    long want = cores / 2 > 1 ? cores / 2 : 1;
    CHECK(threads_of(name) == want, "two ranks share %ld cores: %s (want %ld threads)", cores, name, want);
    o.local_size = 64, o.local_rank = 63;
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU && threads_of(name) == 1, "more ranks than cores: %s", name);
    o.threads = 3;
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU && threads_of(name) == 3, "threads given: %s", name);
}

static void hide_vulkan(int hide) {
    if (hide) {
        setenv("VK_ICD_FILENAMES", "/nonexistent/n2g.json", 1);
        setenv("VK_DRIVER_FILES", "/nonexistent/n2g.json", 1);
    } else {
        unsetenv("VK_ICD_FILENAMES");
        unsetenv("VK_DRIVER_FILES");
    }
}

static void test_no_vulkan(void) {
    char name[256];
    n2g_err e;
    hide_vulkan(1);
    /* the default: the CPU backend (also with a Vulkan kernel family forced, and for ranks) */
    ops_options o = {.kind = OPS_VK, .device = -1, .quiet = 1};
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU && !strncmp(name, "cpu (", 5), "fallback: %s %s", name,
          e.msg);
    o.variant = "gpu";
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU, "fallback with variant gpu: %s", e.msg);
    o.variant = NULL, o.local_rank = 0, o.local_size = 64;
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_CPU && threads_of(name) == 1, "fallback, 64 ranks: %s", name);
    /* an index: a usage error naming it, never the CPU backend; the same from ops_check_device */
    for (int dev = 0; dev <= 2; dev += 2) {
        ops_options x = {.kind = OPS_VK, .device = dev, .quiet = 1};
        char want[64];
        snprintf(want, sizeof want, "--device %d: no such Vulkan device (none found: ", dev);
        CHECK(open_name(&x, name, sizeof name, &e) == (ops_kind)-1 && e.code == N2G_E_USAGE &&
                  !strncmp(e.msg, want, strlen(want)) && strstr(e.msg, "no Vulkan driver installed"),
              "--device %d without Vulkan: code %d: %s", dev, e.code, e.msg);
        n2g_err c = {0};
        CHECK(ops_check_device(&x, &c) == -1 && c.code == N2G_E_USAGE && !strcmp(c.msg, e.msg), "check: %s", c.msg);
    }
    n2g_err c = {0};
    ops_options def = {.kind = OPS_VK, .device = -1}, cpu = {.kind = OPS_CPU};
    CHECK(ops_check_device(&def, &c) == 0 && ops_check_device(&cpu, &c) == 0, "check default / cpu: %s", c.msg);
    hide_vulkan(0);
}

static void test_vulkan(void) {
    vk_device_info *d = NULL;
    int n = 0;
    n2g_err e = {0};
    if (vk_list_devices(&d, &n, &e)) {
        printf("no Vulkan device (%s): the Vulkan cases skipped\n", e.msg);
        return;
    }
    /* the expected default, by the rule: first usable discrete, integrated, other */
    int def = -1;
    static const int order[] = {DISCRETE, INTEGRATED, -1};
    for (int k = 0; k < 3 && def < 0; k++)
        for (int i = 0; i < n && def < 0; i++)
            if ((order[k] < 0 || (int)d[i].type == order[k]) && d[i].api_version >= VK_API_VERSION_1_2 &&
                d[i].has_push_descriptor)
                def = i;
    char name[256], want[32];
    if (def >= 0) {
        ops_options o = {.kind = OPS_VK, .device = -1, .quiet = 1};
        snprintf(want, sizeof want, "vk:%d ", def);
        CHECK(open_name(&o, name, sizeof name, &e) == OPS_VK && !strncmp(name, want, strlen(want)), "default: %s %s",
              name, e.msg);
        /* three ranks on this machine: the devices of the default's type in turn */
        int same[64], m = 0;
        for (int i = 0; i < n && m < 64; i++)
            if (d[i].type == d[def].type && d[i].api_version >= VK_API_VERSION_1_2 && d[i].has_push_descriptor)
                same[m++] = i;
        for (int r = 0; r < 3; r++) {
            ops_options x = {.kind = OPS_VK, .device = -1, .quiet = 1, .local_rank = r, .local_size = 3};
            snprintf(want, sizeof want, "vk:%d ", same[r % m]);
            CHECK(open_name(&x, name, sizeof name, &e) == OPS_VK && !strncmp(name, want, strlen(want)),
                  "rank %d of 3: %s (want %s) %s", r, name, want, e.msg);
        }
        /* the kernel-family override still applies to the device chosen */
        setenv("N2G_VARIANT", "gpu", 1);
        CHECK(open_name(&o, name, sizeof name, &e) == OPS_VK && strstr(name, "variant=gpu"), "N2G_VARIANT=gpu: %s %s",
              name, e.msg);
        setenv("N2G_VARIANT", "cpu-driver", 1);
        CHECK(open_name(&o, name, sizeof name, &e) == OPS_VK && strstr(name, "variant=cpu-driver"),
              "N2G_VARIANT=cpu-driver: %s %s", name, e.msg);
        unsetenv("N2G_VARIANT");
    }
    /* an explicit index: that device; one past the last: a usage error as the CLI prints it */
    ops_options o = {.kind = OPS_VK, .device = n - 1, .quiet = 1};
    snprintf(want, sizeof want, "vk:%d ", n - 1);
    CHECK(open_name(&o, name, sizeof name, &e) == OPS_VK && !strncmp(name, want, strlen(want)), "--device %d: %s %s",
          n - 1, name, e.msg);
    o.device = n;
    o.local_rank = 1, o.local_size = 2; /* ranks never move an explicit index */
    char msg[128];
    snprintf(msg, sizeof msg, "--device %d: no such Vulkan device (%d found, indices 0..%d; see 'n2g devices')", n, n,
             n - 1);
    CHECK(open_name(&o, name, sizeof name, &e) == (ops_kind)-1 && e.code == N2G_E_USAGE && !strcmp(e.msg, msg),
          "--device %d: code %d: %s", n, e.code, e.msg);
    n2g_err c = {0};
    CHECK(ops_check_device(&o, &c) == -1 && c.code == N2G_E_USAGE && !strcmp(c.msg, msg), "check %d: %s", n, c.msg);
    o.device = n - 1;
    CHECK(ops_check_device(&o, &c) == 0, "check %d: %s", n - 1, c.msg);
    free(d);
}

int main(void) {
    test_preference();
    test_cpu();
    test_no_vulkan();
    test_vulkan();
    return check_finish();
}
