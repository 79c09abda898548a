#version 450
// attention_cpu4.comp — "cpu-driver" causal attention, vec4 form (HS % 4 == 0, C % 4 == 0).
// A workgroup owns one (sequence b, head h) and LX * QR consecutive query rows: invocation i
// takes rows t0 + r * LX + i, r < QR, so each key / value fetch (workgroup-uniform index,
// RGBA32F texels) serves QR rows. Keys are taken KB at a time, so each running output is
// rescaled once per block (online softmax). qkv [B*T, 3C] (RGBA32F texel), out [B*T, C]
// (RGBA32F storage texel).
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
layout(constant_id = 2) const int QR = 2;
#define HS4 (HS / 4)
#define KB 8
layout(binding = 0, rgba32f) uniform restrict writeonly imageBuffer O;
layout(binding = 1) uniform samplerBuffer QKV;
layout(push_constant) uniform P { uint bo, bq; uint T, C; float scale; };

void main() {
    uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint LX = gl_WorkGroupSize.x;
    uint t0 = gl_WorkGroupID.x * LX * uint(QR);
    uint tmax = min(t0 + LX * uint(QR), T) - 1; /* uniform */
    uint C34 = 3 * C / 4, C4 = C / 4;
    uint t[QR];
    vec4 q[QR][HS4], acc[QR][HS4];
    float m[QR], l[QR];
    [[unroll]] for (int r = 0; r < QR; r++) {
        t[r] = t0 + uint(r) * LX + gl_LocalInvocationID.x;
        int qb = int(bq + (b * T + min(t[r], T - 1)) * C34 + h * HS4);
        [[unroll]] for (int d = 0; d < HS4; d++) {
            q[r][d] = texelFetch(QKV, qb + d) * scale;
            acc[r][d] = vec4(0.0);
        }
        m[r] = -1e30;
        l[r] = 0.0;
    }
    for (uint s0 = 0; s0 <= tmax; s0 += KB) {
        float sc[QR][KB];
        [[unroll]] for (int j = 0; j < KB; j++) {
            uint s = s0 + uint(j);
            [[unroll]] for (int r = 0; r < QR; r++) sc[r][j] = -1e30;
            if (s <= tmax) { /* uniform */
                int kb = int(bq + (b * T + s) * C34 + C4 + h * HS4);
                vec4 a[QR];
                [[unroll]] for (int r = 0; r < QR; r++) a[r] = vec4(0.0);
                [[unroll]] for (int d = 0; d < HS4; d++) {
                    vec4 k = texelFetch(QKV, kb + d);
                    [[unroll]] for (int r = 0; r < QR; r++) a[r] += q[r][d] * k;
                }
                [[unroll]] for (int r = 0; r < QR; r++)
                    if (s <= t[r]) sc[r][j] = a[r].x + a[r].y + a[r].z + a[r].w;
            }
        }
        float p[QR][KB];
        [[unroll]] for (int r = 0; r < QR; r++) {
            float bm = sc[r][0];
            [[unroll]] for (int j = 1; j < KB; j++) bm = max(bm, sc[r][j]);
            float mn = max(m[r], bm);
            float corr = exp(m[r] - mn);
            float ps = 0.0;
            [[unroll]] for (int j = 0; j < KB; j++) {
                p[r][j] = s0 + uint(j) <= t[r] ? exp(sc[r][j] - mn) : 0.0;
                ps += p[r][j];
            }
            l[r] = l[r] * corr + ps;
            m[r] = mn;
            [[unroll]] for (int d = 0; d < HS4; d++) acc[r][d] *= corr;
        }
        [[unroll]] for (int j = 0; j < KB; j++) {
            uint s = s0 + uint(j);
            if (s <= tmax) { /* uniform */
                int vb = int(bq + (b * T + s) * C34 + 2 * C4 + h * HS4);
                [[unroll]] for (int d = 0; d < HS4; d++) {
                    vec4 v = texelFetch(QKV, vb + d);
                    [[unroll]] for (int r = 0; r < QR; r++) acc[r][d] += p[r][j] * v;
                }
            }
        }
    }
    [[unroll]] for (int r = 0; r < QR; r++) {
        if (t[r] >= T) continue;
        float il = 1.0 / l[r];
        int ob = int(bo + (b * T + t[r]) * C4 + h * HS4);
        [[unroll]] for (int d = 0; d < HS4; d++) imageStore(O, ob + d, acc[r][d] * il);
    }
}
