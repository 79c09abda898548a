#version 450
// topk.comp — the scrape's device ops (host/ops/ops_topk.h).
//   -DROWMAX: one invocation per (row b, neuron c): max / first argmax / sum over t in [p0, T)
//             of x[b*T + t, c]. x [B*T, C]; rmax, rarg, rsum [B, C] at word offset out_off.
//   -DMERGE:  one invocation per neuron c: merges the B row candidates into the sorted top-k
//             store (val | row | pos blocks of C*k words at topk_off) and Kahan-adds the row
//             sums to stats[c] = (sum, comp) at stats_off. Total order: value desc, row asc.
layout(local_size_x = 64) in;

#ifdef ROWMAX
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer RMax { float rmax[]; };
layout(std430, binding = 2) writeonly buffer RArg { int rarg[]; };
layout(std430, binding = 3) writeonly buffer RSum { float rsum[]; };
layout(push_constant) uniform P { uint B, T, C, p0, out_off; } p;

void main() {
    uint c = gl_GlobalInvocationID.x, b = gl_GlobalInvocationID.y;
    if (c >= p.C || b >= p.B) return;
    float m = uintBitsToFloat(0xff800000u); // -inf
    int a = int(p.p0);
    float s = 0.0;
    uint base = b * p.T * p.C + c;
    for (uint t = p.p0; t < p.T; t++) {
        float v = x[base + t * p.C];
        if (v > m) { m = v; a = int(t); }
        s += v;
    }
    uint o = p.out_off + b * p.C + c;
    rmax[o] = m;
    rarg[o] = a;
    rsum[o] = s;
}
#endif

#ifdef MERGE
layout(std430, binding = 0) buffer TopK { uint tk[]; };
layout(std430, binding = 1) buffer Stats { float st[]; };
layout(std430, binding = 2) readonly buffer RMax { float rmax[]; };
layout(std430, binding = 3) readonly buffer RArg { int rarg[]; };
layout(std430, binding = 4) readonly buffer RSum { float rsum[]; };
layout(push_constant) uniform P { uint B, C, k, row0, topk_off, stats_off, in_off; } p;

const uint EMPTY = 0xffffffffu;

void main() {
    uint c = gl_GlobalInvocationID.x;
    if (c >= p.C) return;
    uint n = p.C * p.k;
    uint vb = p.topk_off + c * p.k, rb = vb + n, pb = vb + 2u * n;
    uint last = p.k - 1u;
    float kth = uintBitsToFloat(tk[vb + last]);
    bool full = tk[rb + last] != EMPTY;
    for (uint b = 0u; b < p.B; b++) {
        uint i = p.in_off + b * p.C + c;
        float v = rmax[i];
        if (full ? !(v > kth) : isnan(v)) continue;
        uint j = last;
        while (j > 0u && (tk[rb + j - 1u] == EMPTY || uintBitsToFloat(tk[vb + j - 1u]) < v)) {
            tk[vb + j] = tk[vb + j - 1u];
            tk[rb + j] = tk[rb + j - 1u];
            tk[pb + j] = tk[pb + j - 1u];
            j--;
        }
        tk[vb + j] = floatBitsToUint(v);
        tk[rb + j] = p.row0 + b;
        tk[pb + j] = uint(rarg[i]);
        kth = uintBitsToFloat(tk[vb + last]);
        full = tk[rb + last] != EMPTY;
    }
    precise float sum = st[p.stats_off + 2u * c], comp = st[p.stats_off + 2u * c + 1u];
    for (uint b = 0u; b < p.B; b++) {
        precise float y = rsum[p.in_off + b * p.C + c] - comp;
        precise float t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    st[p.stats_off + 2u * c] = sum;
    st[p.stats_off + 2u * c + 1u] = comp;
}
#endif
