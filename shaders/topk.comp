#version 450
// topk.comp — the scrape's device ops (host/ops/ops_topk.h).
//   -DROWMAX: one invocation per (row b, neuron c): max / first argmax / sum over t in [p0, T)
//             of x[b*T + t, c]. x [B*T, C]; rmax, rarg, rsum [B, C].
//   -DMERGE:  one invocation per neuron c: merges the B row candidates into the sorted top-k
//             store (val | row | pos blocks of C*k words) and Kahan-adds the row
//             sums to stats[c] = (sum, comp). Total order: value desc, row asc.
layout(local_size_x_id = 0) in;
// Push constants start with one base index per binding (host/ops/vk_backend.h).

#ifdef ROWMAX
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer RMax { float rmax[]; };
layout(std430, binding = 2) writeonly buffer RArg { int rarg[]; };
layout(std430, binding = 3) writeonly buffer RSum { float rsum[]; };
layout(push_constant) uniform P { uint bx, bmax, barg, bsum; uint B, T, C, p0; } p;

void main() {
    uint c = gl_GlobalInvocationID.x, b = gl_GlobalInvocationID.y;
    if (c >= p.C || b >= p.B) return;
    float m = uintBitsToFloat(0xff800000u); // -inf
    int a = int(p.p0);
    float s = 0.0;
    uint base = p.bx + b * p.T * p.C + c;
    for (uint t = p.p0; t < p.T; t++) {
        float v = x[base + t * p.C];
        if (v > m) { m = v; a = int(t); }
        s += v;
    }
    uint o = b * p.C + c;
    rmax[p.bmax + o] = m;
    rarg[p.barg + o] = a;
    rsum[p.bsum + o] = s;
}
#endif

#ifdef MERGE
layout(std430, binding = 0) buffer TopK { uint tk[]; };
layout(std430, binding = 1) buffer Stats { float st[]; };
layout(std430, binding = 2) readonly buffer RMax { float rmax[]; };
layout(std430, binding = 3) readonly buffer RArg { int rarg[]; };
layout(std430, binding = 4) readonly buffer RSum { float rsum[]; };
layout(push_constant) uniform P { uint btk, bst, bmax, barg, bsum; uint B, C, k, row0; } p;

const uint EMPTY = 0xffffffffu;

void main() {
    uint c = gl_GlobalInvocationID.x;
    if (c >= p.C) return;
    uint n = p.C * p.k;
    uint vb = p.btk + c * p.k, rb = vb + n, pb = vb + 2u * n;
    uint last = p.k - 1u;
    float kth = uintBitsToFloat(tk[vb + last]);
    bool full = tk[rb + last] != EMPTY;
    for (uint b = 0u; b < p.B; b++) {
        uint i = b * p.C + c;
        float v = rmax[p.bmax + i];
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
        tk[pb + j] = uint(rarg[p.barg + i]);
        kth = uintBitsToFloat(tk[vb + last]);
        full = tk[rb + last] != EMPTY;
    }
    precise float sum = st[p.bst + 2u * c], comp = st[p.bst + 2u * c + 1u];
    for (uint b = 0u; b < p.B; b++) {
        precise float y = rsum[p.bsum + b * p.C + c] - comp;
        precise float t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    st[p.bst + 2u * c] = sum;
    st[p.bst + 2u * c + 1u] = comp;
}
#endif
