#version 450
// attention_cpu.comp — "cpu-driver" causal attention: a workgroup owns one (sequence b, head h)
// and LX consecutive query rows (one per invocation); it walks the keys s = 0..max t with a
// workgroup-uniform s, so each key / value fetch is uniform; online softmax in registers.
// qkv [B*T, 3C] (R32F texel), out [B*T, C]. HS (head size) is a specialization constant.
// With TREE (ops_attention_tree): span int32 [B*T, 3] (storage binding 2) gives row t the keys
// [r0, r0 + np) U [s0, t]; the workgroup walks two uniform ranges, [min r0, max r0 + np) and
// [min s0, max t] of its rows (as one loop; where they overlap, each key once), each row
// masking the keys that are not its own.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(binding = 1) uniform samplerBuffer QKV;
#ifdef TREE
layout(std430, binding = 2) readonly buffer S { int span[]; };
layout(push_constant) uniform P { uint bo, bq, bs; uint T, C; float scale; };
// (r0, r0 + np, s0) of row r of sequence b, clamped to 0 <= r0 <= r0 + np <= s0 <= r
uvec3 row_span(uint b, uint r) {
    uint i = bs + 3 * (b * T + r);
    int r0 = clamp(span[i], 0, int(r)), r1 = r0 + clamp(span[i + 1], 0, int(r) - r0);
    return uvec3(r0, r1, clamp(span[i + 2], r1, int(r)));
}
#else
layout(push_constant) uniform P { uint bo, bq; uint T, C; float scale; };
#endif

// Key s for every row of the workgroup: the score (uniform fetches), then the online-softmax
// update of the rows for which OK holds.
#define KEY(OK) { \
        int kb = int(bq + (b * T + s) * C3 + C + h * HS); \
        float sc = 0.0; \
        [[unroll]] for (int d = 0; d < HS; d++) sc += q[d] * texelFetch(QKV, kb + d).r; \
        if (OK) { \
            float mn = max(m, sc); \
            float corr = exp(m - mn), p = exp(sc - mn); \
            l = l * corr + p; \
            int vb = kb + int(C); \
            [[unroll]] for (int d = 0; d < HS; d++) acc[d] = acc[d] * corr + p * texelFetch(QKV, vb + d).r; \
            m = mn; \
        } \
    }

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
#ifdef TREE
    uint lo = T, hi = 0, smin = tmax; /* uniform: over the rows t0..tmax */
    for (uint r = t0; r <= tmax; r++) {
        uvec3 sp = row_span(b, r);
        if (sp.y > sp.x) lo = min(lo, sp.x), hi = max(hi, sp.y);
        smin = min(smin, sp.z);
    }
    uvec3 own = row_span(b, min(t, T - 1));
    if (t >= T) own = uvec3(0, 0, T); /* a row past T takes no key */
    /* The keys [lo, hi) U [smin, tmax], as one loop that
     * jumps from the first range to the second (one copy of the unrolled key step). */
    if (hi > lo && smin <= hi) lo = hi = smin = min(lo, smin); /* the ranges touch: one range */
    uint s2 = max(smin, hi);
    for (uint s = hi > lo ? lo : s2; s <= tmax; s = s + 1 < hi ? s + 1 : max(s + 1, s2))
        KEY((s >= own.x && s < own.y) || (s >= own.z && s <= t))
#else
    for (uint s = 0; s <= tmax; s++) KEY(s <= t)
#endif
    if (t >= T) return;
    float il = 1.0 / l;
    uint ob = bo + (b * T + t) * C + h * HS;
    [[unroll]] for (int d = 0; d < HS; d++) o[ob + d] = acc[d] * il;
}
