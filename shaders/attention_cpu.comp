#version 450
// attention_cpu.comp — "cpu-driver" causal attention: a workgroup owns one (sequence b, head h)
// and LX consecutive query rows (one per invocation); it walks the keys s = 0..max t with a
// workgroup-uniform s, so each key / value fetch is uniform; online softmax in registers.
// qkv [B*T, 3C] (R32F texel), out [B*T, C]. HS (head size) is a specialization constant.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(binding = 1) uniform samplerBuffer QKV;
layout(push_constant) uniform P { uint bo, bq; uint T, C; float scale; };

void main() {
    uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint t0 = gl_WorkGroupID.x * gl_WorkGroupSize.x;
    uint t = t0 + gl_LocalInvocationID.x;
    uint tmax = min(t0 + gl_WorkGroupSize.x, T) - 1; /* uniform */
    uint C3 = 3 * C;
    int qb = int(bq + (b * T + min(t, T - 1)) * C3 + h * HS);
    float q[HS], acc[HS];
    [[unroll]] for (int d = 0; d < HS; d++) {
        q[d] = texelFetch(QKV, qb + d).r * scale;
        acc[d] = 0.0;
    }
    float m = -1e30, l = 0.0;
    for (uint s = 0; s <= tmax; s++) {
        int kb = int(bq + (b * T + s) * C3 + C + h * HS);
        float sc = 0.0;
        [[unroll]] for (int d = 0; d < HS; d++) sc += q[d] * texelFetch(QKV, kb + d).r;
        if (s <= t) {
            float mn = max(m, sc);
            float corr = exp(m - mn), p = exp(sc - mn);
            l = l * corr + p;
            int vb = kb + int(C);
            [[unroll]] for (int d = 0; d < HS; d++) acc[d] = acc[d] * corr + p * texelFetch(QKV, vb + d).r;
            m = mn;
        }
    }
    if (t >= T) return;
    float il = 1.0 / l;
    uint ob = bo + (b * T + t) * C + h * HS;
    [[unroll]] for (int d = 0; d < HS; d++) o[ob + d] = acc[d] * il;
}
