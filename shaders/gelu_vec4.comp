#version 450
// gelu_vec4.comp — gelu_new in place on an RGBA32F storage texel buffer: n4 texels (n % 4 == 0).
// imageLoad/imageStore are branch-free on lavapipe, unlike per-invocation storage accesses.
#extension GL_GOOGLE_include_directive : require
#include "ew_common.glsl"
layout(local_size_x_id = 0) in;
layout(binding = 0, rgba32f) uniform restrict imageBuffer X;
layout(push_constant) uniform P { uint bx; uint n4; };
void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n4; i += stride) {
        vec4 v = imageLoad(X, int(bx + i));
        imageStore(X, int(bx + i), vec4(n2g_gelu(v.x), n2g_gelu(v.y), n2g_gelu(v.z), n2g_gelu(v.w)));
    }
}
