#version 450
// layernorm_cpu.comp — "cpu-driver" variant: one invocation per row, x read as an R32F texel
// buffer, no shared memory, no subgroup ops. out[n, :] = (x - mean) / sqrt(var + eps) * g + b;
// two-pass, biased variance.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(binding = 1) uniform samplerBuffer X;
layout(binding = 2) uniform samplerBuffer G;
layout(binding = 3) uniform samplerBuffer Bb;
layout(push_constant) uniform P { uint bo, bx, bg, bb; uint N, C; float eps; };
void main() {
    uint n = gl_GlobalInvocationID.x;
    if (n >= N) return;
    int xr = int(bx + n * C);
    /* sums shifted by the first element and blocked by 32 keep the rounding error small
       even for rows with a large mean */
    float k0 = texelFetch(X, xr).r;
    float s = 0.0;
    for (uint c0 = 0; c0 < C; c0 += 32) {
        float p = 0.0;
        for (uint c = c0; c < min(c0 + 32, C); c++) p += texelFetch(X, xr + int(c)).r - k0;
        s += p;
    }
    float mean = k0 + s / float(C);
    float v = 0.0;
    for (uint c0 = 0; c0 < C; c0 += 32) {
        float p = 0.0;
        for (uint c = c0; c < min(c0 + 32, C); c++) {
            float d = texelFetch(X, xr + int(c)).r - mean;
            p += d * d;
        }
        v += p;
    }
    float rstd = 1.0 / sqrt(v / float(C) + eps);
    for (uint c = 0; c < C; c++)
        o[bo + n * C + c] = (texelFetch(X, xr + int(c)).r - mean) * rstd * texelFetch(G, int(bg + c)).r +
                            texelFetch(Bb, int(bb + c)).r;
}
