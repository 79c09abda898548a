#version 450
#extension GL_GOOGLE_include_directive : require
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
// layernorm_gpu.comp — "gpu" variant: one workgroup of WG_SIZE per row, strided columns,
// workgroup reductions (subgroup ops with USE_SUBGROUP). Same math as layernorm_cpu.
#define WG_SIZE 256
layout(local_size_x = WG_SIZE) in;
#include "wg_reduce.glsl"
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer G { float g[]; };
layout(std430, binding = 3) readonly buffer Bb { float b[]; };
layout(push_constant) uniform P { uint bo, bx, bg, bb; uint N, C; float eps; };
void main() {
    uint l = gl_LocalInvocationIndex;
    for (uint n = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x; n < N;
         n += gl_NumWorkGroups.x * gl_NumWorkGroups.y) {
        uint xr = bx + n * C;
        float s = 0.0;
        for (uint c = l; c < C; c += WG_SIZE) s += x[xr + c];
        float mean = wg_sum(s) / float(C);
        float v = 0.0;
        for (uint c = l; c < C; c += WG_SIZE) {
            float d = x[xr + c] - mean;
            v += d * d;
        }
        float rstd = 1.0 / sqrt(wg_sum(v) / float(C) + eps);
        for (uint c = l; c < C; c += WG_SIZE) o[bo + n * C + c] = (x[xr + c] - mean) * rstd * g[bg + c] + b[bb + c];
    }
}
