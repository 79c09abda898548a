#version 450
// add_vec4.comp — x[i] += y[i] on RGBA32F storage texel buffers, n4 texels (n % 4 == 0).
layout(local_size_x_id = 0) in;
layout(binding = 0, rgba32f) uniform restrict imageBuffer X;
layout(binding = 1) uniform samplerBuffer Y;
layout(push_constant) uniform P { uint bx, by; uint n4; };
void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n4; i += stride)
        imageStore(X, int(bx + i), imageLoad(X, int(bx + i)) + texelFetch(Y, int(by + i)));
}
