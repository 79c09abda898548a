#version 450
// gather.comp — the probe engine's gather: o[i] = s[idx[i] - lo] for i < n whose index falls
// in the bound window [lo, lo + cnt) of the source (one dispatch per window when the source is
// larger than one storage binding). Grid-stride loop.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer S { float s[]; };
layout(std430, binding = 2) readonly buffer I { int idx[]; };
layout(push_constant) uniform P { uint bo, bs, bi; uint n; uint lo; uint cnt; };
void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
        uint j = uint(idx[bi + i]) - lo;
        if (j < cnt) o[bo + i] = s[bs + j];
    }
}
