#version 450
// attention_cpu4.comp — "cpu-driver" causal attention, vec4 form (HS % 4 == 0, C % 4 == 0).
// A workgroup owns one (sequence b, head h) and LX * QR consecutive query rows: invocation i
// takes rows t0 + r * LX + i, r < QR, so each key / value fetch (workgroup-uniform index,
// RGBA32F texels) serves QR rows. Keys are taken KB at a time, so each running output is
// rescaled once per block (online softmax). qkv [B*T, 3C] (RGBA32F texel), out [B*T, C]
// (RGBA32F storage texel).
// With TREE (ops_attention_tree): span int32 [B*T, 3] (storage binding 2) gives row t the keys
// [r0, r0 + np) U [s0, t]; the workgroup walks two uniform ranges, [min r0, max r0 + np) and
// [min s0, max t] of its rows (as one loop; where they overlap, each key once), each row
// masking the keys that are not its own.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int HS = 64;
layout(constant_id = 2) const int QR = 2;
#define HS4 (HS / 4)
#define KB 8
layout(binding = 0, rgba32f) uniform restrict writeonly imageBuffer O;
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

// Keys s = s0 .. s0 + KB - 1 for every row of the workgroup: the scores of the keys with IN(s)
// (a uniform test; uniform fetches), each row keeping those with OK(r, s); then the
// online-softmax update of every row.
#define IN_CAUSAL(s) ((s) <= tmax)
#define OK_CAUSAL(r, s) ((s) <= t[r])
#define KEY_BLOCK(IN, OK) { \
        float sc[QR][KB]; \
        [[unroll]] for (int j = 0; j < KB; j++) { \
            uint s = s0 + uint(j); \
            [[unroll]] for (int r = 0; r < QR; r++) sc[r][j] = -1e30; \
            if (IN(s)) { /* uniform */ \
                int kb = int(bq + (b * T + s) * C34 + C4 + h * HS4); \
                vec4 a[QR]; \
                [[unroll]] for (int r = 0; r < QR; r++) a[r] = vec4(0.0); \
                [[unroll]] for (int d = 0; d < HS4; d++) { \
                    vec4 k = texelFetch(QKV, kb + d); \
                    [[unroll]] for (int r = 0; r < QR; r++) a[r] += q[r][d] * k; \
                } \
                [[unroll]] for (int r = 0; r < QR; r++) \
                    if (OK(r, s)) sc[r][j] = a[r].x + a[r].y + a[r].z + a[r].w; \
            } \
        } \
        float p[QR][KB]; \
        [[unroll]] for (int r = 0; r < QR; r++) { \
            float bm = sc[r][0]; \
            [[unroll]] for (int j = 1; j < KB; j++) bm = max(bm, sc[r][j]); \
            float mn = max(m[r], bm); \
            float corr = exp(m[r] - mn); \
            float ps = 0.0; \
            [[unroll]] for (int j = 0; j < KB; j++) { \
                p[r][j] = OK(r, s0 + uint(j)) ? exp(sc[r][j] - mn) : 0.0; \
                ps += p[r][j]; \
            } \
            l[r] = l[r] * corr + ps; \
            m[r] = mn; \
            [[unroll]] for (int d = 0; d < HS4; d++) acc[r][d] *= corr; \
        } \
        [[unroll]] for (int j = 0; j < KB; j++) { \
            uint s = s0 + uint(j); \
            if (IN(s)) { /* uniform */ \
                int vb = int(bq + (b * T + s) * C34 + 2 * C4 + h * HS4); \
                [[unroll]] for (int d = 0; d < HS4; d++) { \
                    vec4 v = texelFetch(QKV, vb + d); \
                    [[unroll]] for (int r = 0; r < QR; r++) acc[r][d] += p[r][j] * v; \
                } \
            } \
        } \
    }

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
#ifdef TREE
    uint lo = T, hi = 0, smin = tmax; /* uniform: over the rows t0..tmax */
    for (uint r = t0; r <= tmax; r++) {
        uvec3 sp = row_span(b, r);
        if (sp.y > sp.x) lo = min(lo, sp.x), hi = max(hi, sp.y);
        smin = min(smin, sp.z);
    }
    uint ra[QR], rb[QR], sa[QR]; /* each row's keys: [ra, rb) U [sa, t] */
    [[unroll]] for (int r = 0; r < QR; r++) {
        uvec3 sp = row_span(b, min(t[r], T - 1));
        ra[r] = sp.x;
        rb[r] = t[r] < T ? sp.y : 0;
        sa[r] = t[r] < T ? sp.z : T; /* a row past T takes no key */
    }
    /* The keys [lo, hi) U [smin, tmax], as one loop of
     * blocks that jumps from the first range to the second (one copy of the unrolled block). */
    if (hi > lo && smin <= hi) lo = hi = smin = min(lo, smin); /* the ranges touch: one range */
    uint s2 = max(smin, hi);
#define IN_TREE(s) ((((s) >= lo && (s) < hi) || (s) >= s2) && (s) <= tmax)
#define OK_TREE(r, s) (((s) >= ra[r] && (s) < rb[r]) || ((s) >= sa[r] && (s) <= t[r]))
    for (uint s0 = hi > lo ? lo : s2; s0 <= tmax; s0 = s0 + KB < hi ? s0 + KB : max(s0 + KB, s2))
        KEY_BLOCK(IN_TREE, OK_TREE)
#else
    for (uint s0 = 0; s0 <= tmax; s0 += KB) KEY_BLOCK(IN_CAUSAL, OK_CAUSAL)
#endif
    [[unroll]] for (int r = 0; r < QR; r++) {
        if (t[r] >= T) continue;
        float il = 1.0 / l[r];
        int ob = int(bo + (b * T + t[r]) * C4 + h * HS4);
        [[unroll]] for (int d = 0; d < HS4; d++) imageStore(O, ob + d, acc[r][d] * il);
    }
}
