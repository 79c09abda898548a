#version 450
#extension GL_GOOGLE_include_directive : require
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
// attention_gpu_v1.comp — the first "gpu" causal attention (kept for bench_kernels to compare): one workgroup of WG_SIZE per (query row t, head h,
// sequence b). Keys are processed in chunks of WG_SIZE (one per invocation: score by a dot
// product), chunk max / sum by workgroup reductions (subgroup ops with USE_SUBGROUP), online
// softmax across chunks; invocations d < HS accumulate the output column d from the
// probabilities kept in shared memory. Needs HS <= WG_SIZE.
// With TREE (ops_attention_tree): span int32 [B*T, 3] (storage binding 2) gives row t the keys
// [r0, r0 + np) U [sa, t] (sa: ops.h's s0); the chunks walk a virtual key index
// i < np + t - sa + 1 whose key row is KEY(i) = i < np ? r0 + i : sa + i - np.
#define WG_SIZE 128
layout(local_size_x = WG_SIZE) in;
#include "wg_reduce.glsl"
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer Q { float qkv[]; };
#ifdef TREE
layout(std430, binding = 2) readonly buffer S { int span[]; };
layout(push_constant) uniform P { uint bo, bq, bs; uint T, C, HS; float scale; };
#define KEY(i) ((i) < np ? r0 + (i) : sa + (i) - np)
#define IN_RANGE(i) ((i) < nk)
#else
layout(push_constant) uniform P { uint bo, bq; uint T, C, HS; float scale; };
#define KEY(i) (i)
#define IN_RANGE(i) ((i) <= t)
#endif
shared float qs[WG_SIZE];
shared float ps[WG_SIZE];

void main() {
    uint t = gl_WorkGroupID.x, h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint l = gl_LocalInvocationIndex;
    uint C3 = 3 * C;
    uint rowq = bq + (b * T + t) * C3 + h * HS;
#ifdef TREE
    /* keys [r0, r0 + np) U [sa, t], clamped to 0 <= r0 <= r0 + np <= sa <= t; nk of them */
    uint si = bs + 3 * (b * T + t);
    int r0_ = clamp(span[si], 0, int(t)), np_ = clamp(span[si + 1], 0, int(t) - r0_);
    uint r0 = uint(r0_), np = uint(np_), sa = uint(clamp(span[si + 2], r0_ + np_, int(t)));
    uint nk = np + t - sa + 1;
#endif
    if (l < HS) qs[l] = qkv[rowq + l] * scale;
    barrier();
    float m = -1e30, lsum = 0.0, acc = 0.0;
    for (uint s0 = 0; IN_RANGE(s0); s0 += WG_SIZE) {
        uint s = s0 + l;
        float sc = -1e30;
        if (IN_RANGE(s)) {
            uint kb = bq + (b * T + KEY(s)) * C3 + C + h * HS;
            sc = 0.0;
            for (uint d = 0; d < HS; d++) sc += qs[d] * qkv[kb + d];
        }
        float mn = max(m, wg_max(sc));
        float corr = exp(m - mn);
        float p = IN_RANGE(s) ? exp(sc - mn) : 0.0;
        ps[l] = p;
        lsum = lsum * corr + wg_sum(p); /* wg_sum's barriers also publish ps */
        if (l < HS) {
            float a = acc * corr;
#ifdef TREE
            uint n = min(uint(WG_SIZE), nk - s0);
            uint vb = bq + b * T * C3 + 2 * C + h * HS + l;
            for (uint i = 0; i < n; i++) a += ps[i] * qkv[vb + KEY(s0 + i) * C3];
#else
            uint n = min(uint(WG_SIZE), t - s0 + 1);
            uint vb = bq + (b * T + s0) * C3 + 2 * C + h * HS + l;
            for (uint i = 0; i < n; i++) a += ps[i] * qkv[vb + i * C3];
#endif
            acc = a;
        }
        m = mn;
        barrier();
    }
    if (l < HS) o[bo + (b * T + t) * C + h * HS + l] = acc / lsum;
}
