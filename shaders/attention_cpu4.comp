#version 450
// attention_cpu4.comp — "cpu-driver" causal attention, vec4 form (HS % 4 == 0, C % 4 == 0): as
// attention_cpu.comp (workgroup = one (sequence, head) and LX query rows; keys walked with a
// workgroup-uniform index, so key/value fetches are uniform) but with RGBA32F fetches and keys
// taken KB at a time, so the running output is rescaled once per block, not once per key.
// qkv [B*T, 3C] (RGBA32F texel), out [B*T, C] (RGBA32F storage texel).
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
#define HS4 (HS / 4)
#define KB 8
layout(binding = 0, rgba32f) uniform restrict writeonly imageBuffer O;
layout(binding = 1) uniform samplerBuffer QKV;
layout(push_constant) uniform P { uint bo, bq; uint T, C; float scale; };

void main() {
    uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint t0 = gl_WorkGroupID.x * gl_WorkGroupSize.x;
    uint t = t0 + gl_LocalInvocationID.x;
    uint tmax = min(t0 + gl_WorkGroupSize.x, T) - 1; /* uniform */
    uint C34 = 3 * C / 4, C4 = C / 4;
    int qb = int(bq + (b * T + min(t, T - 1)) * C34 + h * HS4);
    vec4 q[HS4], acc[HS4];
    [[unroll]] for (int d = 0; d < HS4; d++) {
        q[d] = texelFetch(QKV, qb + d) * scale;
        acc[d] = vec4(0.0);
    }
    float m = -1e30, l = 0.0;
    for (uint s0 = 0; s0 <= tmax; s0 += KB) {
        float sc[KB];
        [[unroll]] for (int j = 0; j < KB; j++) {
            uint s = s0 + uint(j);
            sc[j] = -1e30;
            if (s <= tmax) { /* uniform */
                int kb = int(bq + (b * T + s) * C34 + C4 + h * HS4);
                vec4 a = vec4(0.0);
                [[unroll]] for (int d = 0; d < HS4; d++) a += q[d] * texelFetch(QKV, kb + d);
                if (s <= t) sc[j] = a.x + a.y + a.z + a.w;
            }
        }
        float bm = sc[0];
        [[unroll]] for (int j = 1; j < KB; j++) bm = max(bm, sc[j]);
        float mn = max(m, bm);
        float corr = exp(m - mn);
        float p[KB];
        float ps = 0.0;
        [[unroll]] for (int j = 0; j < KB; j++) {
            p[j] = s0 + uint(j) <= t ? exp(sc[j] - mn) : 0.0;
            ps += p[j];
        }
        l = l * corr + ps;
        [[unroll]] for (int d = 0; d < HS4; d++) acc[d] *= corr;
        [[unroll]] for (int j = 0; j < KB; j++) {
            uint s = s0 + uint(j);
            if (s <= tmax) { /* uniform */
                int vb = int(bq + (b * T + s) * C34 + 2 * C4 + h * HS4);
                [[unroll]] for (int d = 0; d < HS4; d++) acc[d] += p[j] * texelFetch(QKV, vb + d);
            }
        }
        m = mn;
    }
    if (t >= T) return;
    float il = 1.0 / l;
    int ob = int(bo + (b * T + t) * C4 + h * HS4);
    [[unroll]] for (int d = 0; d < HS4; d++) imageStore(O, ob + d, acc[d] * il);
}
