#version 450
// bert_gelu_erf.comp — x[i] = 0.5 x (1 + erf(x / sqrt 2)) in place for i < n (torch's exact
// GELU). erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). Grid-stride loop.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) buffer X { float x[]; };
layout(push_constant) uniform P { uint bx; uint n; };
float n2g_erf(float v) {
    float a = abs(v);
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
                        exp(-a * a);
    return v < 0.0 ? -y : y;
}
void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
        float v = x[bx + i];
        x[bx + i] = 0.5 * v * (1.0 + n2g_erf(v * 0.70710678118654752));
    }
}
