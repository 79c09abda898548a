#version 450
// bert_attention.comp — bidirectional attention with a key-padding mask (ops_bert.h): one
// invocation per (query row t, head h, sequence b); keys 0..lens[b]-1 (uniform over the
// workgroup, which holds rows of one (b, h)); online softmax in registers.
// qkv [B*T, 3C] (R32F texel buffer), lens int32 [B], out [B*T, C]. HS (head size) is a specialization constant.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(binding = 1) uniform samplerBuffer QKV;
layout(std430, binding = 2) readonly buffer L { int lens[]; };
#ifdef ROWS
// ROWS: out [R, C]; invocation x = r (query row rows[r] = b*T + t), workgroup y = head
layout(std430, binding = 3) readonly buffer W { int rows[]; };
layout(push_constant) uniform P { uint bo, bq, bl, bw; uint T, C; float scale; uint R; };
#else
layout(push_constant) uniform P { uint bo, bq, bl; uint T, C; float scale; };
#endif

void main() {
#ifdef ROWS
    uint r = gl_GlobalInvocationID.x, h = gl_WorkGroupID.y;
    uint row = uint(rows[bw + min(r, R - 1)]);
    uint b = row / T, t = row % T;
#else
    uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint t = gl_GlobalInvocationID.x;
#endif
    uint len = uint(lens[bl + b]);
    uint C3 = 3 * C;
    uint qb = bq + (b * T + min(t, T - 1)) * C3 + h * HS;
    float q[HS], acc[HS];
    [[unroll]] for (int d = 0; d < HS; d++) {
        q[d] = texelFetch(QKV, int(qb) + d).r * scale;
        acc[d] = 0.0;
    }
    float m = -1e30, l = 0.0;
    for (uint s = 0; s < len; s++) {
        uint kb = bq + (b * T + s) * C3 + C + h * HS;
        float sc = 0.0;
        [[unroll]] for (int d = 0; d < HS; d++) sc += q[d] * texelFetch(QKV, int(kb) + d).r;
        float mn = max(m, sc);
        float corr = exp(m - mn), p = exp(sc - mn);
        l = l * corr + p;
        uint vb = kb + C;
        [[unroll]] for (int d = 0; d < HS; d++) acc[d] = acc[d] * corr + p * texelFetch(QKV, int(vb) + d).r;
        m = mn;
    }
    float il = l > 0.0 ? 1.0 / l : 0.0;
#ifdef ROWS
    if (r >= R) return;
    uint ob = bo + r * C + h * HS;
#else
    if (t >= T) return;
    uint ob = bo + (b * T + t) * C + h * HS;
#endif
    [[unroll]] for (int d = 0; d < HS; d++) o[ob + d] = acc[d] * il;
}
