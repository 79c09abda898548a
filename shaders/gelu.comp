#version 450
#extension GL_GOOGLE_include_directive : require
// gelu.comp — x[i] = gelu_new(x[i]) for i < n, in place. Grid-stride loop.
#include "ew_common.glsl"
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(push_constant) uniform P { uint bx; uint n; };
void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) x[bx + i] = n2g_gelu(x[bx + i]);
}
