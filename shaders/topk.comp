#version 450
// topk.comp — the scrape's device ops (host/ops/ops_topk.h).
//   -DROWMAX: one invocation per (row b, neuron c): max / first argmax / sum over t in [p0, T)
//             of x[b*T + t, c]. x [B*T, C]; rmax, rarg, rsum [B, C].
//   -DMERGE:  one invocation per neuron c: merges the B row candidates into the sorted top-k
//             store (val | row | pos blocks of C*k words) and Kahan-adds the row
//             sums to stats[c] = (sum, comp). Total order: value desc, row asc.
//   -DFIRE:   one invocation per neuron c: gives every kept row of the batch that has no fire
//             list yet the lowest-index free list and fills it from its row of x (positions t >= p0
//             with x >= ratio * the row's max, ascending, first F, the rest 0; count of all). As
//             ops_topk_fire_one. A hook bigger than one binding comes in windows of rows: the
//             first dispatch (assign = 1) hands out the lists of the whole batch, marking them
//             PENDING, and each dispatch fills the PENDING lists whose row is in its window.
// Push constants start with one base index per binding (host/ops/vk_backend.h).

#ifdef ROWMAX
// Workgroup (WG neurons) x (S slices of positions): slice s takes t = p0 + s, p0 + s + S, ...,
// and the S partial results are combined in shared memory in slice order (max: larger value,
// then smaller t; sum: slice 0 + slice 1 + ...). S = 1 on CPU drivers (no shared-memory cost),
// larger on GPUs so that enough invocations stream the hook.
layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 1) const uint S = 1;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer RMax { float rmax[]; };
layout(std430, binding = 2) writeonly buffer RArg { int rarg[]; };
layout(std430, binding = 3) writeonly buffer RSum { float rsum[]; };
layout(push_constant) uniform P { uint bx, bmax, barg, bsum; uint B, T, C, p0; } p;

shared float sh_m[S > 1 ? 256 : 1];
shared int sh_a[S > 1 ? 256 : 1];
shared float sh_s[S > 1 ? 256 : 1];

void main() {
    uint c = gl_GlobalInvocationID.x, b = gl_WorkGroupID.y, sl = gl_LocalInvocationID.y;
    bool live = c < p.C;
    float m = uintBitsToFloat(0xff800000u); // -inf
    int a = int(p.p0 + sl);
    float s = 0.0;
    if (live) {
        uint base = p.bx + b * p.T * p.C + c;
        for (uint t = p.p0 + sl; t < p.T; t += S) {
            float v = x[base + t * p.C];
            if (v > m) { m = v; a = int(t); }
            s += v;
        }
    }
    if (S > 1) {
        uint li = sl * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
        sh_m[li] = m;
        sh_a[li] = a;
        sh_s[li] = s;
        barrier();
        if (sl != 0u) return;
        for (uint j = 1u; j < S; j++) {
            uint o = j * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
            float v = sh_m[o];
            if (v > m || (v == m && sh_a[o] < a)) { m = v; a = sh_a[o]; }
            s += sh_s[o];
        }
    }
    if (!live) return;
    uint o = b * p.C + c;
    rmax[p.bmax + o] = m;
    rarg[p.barg + o] = a;
    rsum[p.bsum + o] = s;
}
#endif

#ifdef MERGE
layout(local_size_x_id = 0) in;
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

#ifdef FIRE
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) buffer Fire { uint fr[]; };
layout(std430, binding = 1) readonly buffer TopK { uint tk[]; };
layout(std430, binding = 2) readonly buffer X { float x[]; };
// rows [row0, row0 + B) are the batch; x holds rows [xr0, xr0 + xB) of it
layout(push_constant) uniform P { uint bfr, btk, bx; uint B, T, C, k, F, row0, p0, xr0, xB, assign; float ratio; } p;

const uint EMPTY = 0xffffffffu, NONE = 0xffffffffu, PENDING = 0xfffffffeu;

void main() {
    uint c = gl_GlobalInvocationID.x;
    if (c >= p.C) return;
    uint n = p.C * p.k, nf = n * p.F;
    uint vb = p.btk + c * p.k, rb = vb + n;     // top-k values, rows
    uint tb = p.bfr + c * p.k, cb = tb + n;     // fire tags, counts
    uint pb = p.bfr + 2u * n + c * p.k * p.F, fb = pb + nf; // positions, values
    if (p.assign != 0u) {
        // used: list i belongs to a kept row; has: slot j's row has a list (256 bits each)
        uint used[8], has[8];
        for (uint w = 0u; w < 8u; w++) { used[w] = 0u; has[w] = 0u; }
        for (uint i = 0u; i < p.k; i++) {
            uint tg = fr[tb + i];
            if (tg == EMPTY) continue;
            for (uint j = 0u; j < p.k; j++)
                if (tk[rb + j] == tg) {
                    used[i >> 5] |= 1u << (i & 31u);
                    has[j >> 5] |= 1u << (j & 31u);
                }
        }
        for (uint j = 0u; j < p.k; j++) {
            uint r = tk[rb + j];
            if (r == EMPTY || r - p.row0 >= p.B || (has[j >> 5] & (1u << (j & 31u))) != 0u) continue;
            uint i = 0u;
            while ((used[i >> 5] & (1u << (i & 31u))) != 0u) i++;
            used[i >> 5] |= 1u << (i & 31u);
            fr[tb + i] = r;
            fr[cb + i] = PENDING;
        }
    }
    for (uint i = 0u; i < p.k; i++) {
        uint r = fr[tb + i];
        if (fr[cb + i] != PENDING || r - p.xr0 >= p.xB) continue;
        uint j = 0u;
        while (tk[rb + j] != r) j++; // a PENDING list's row is kept
        float v = uintBitsToFloat(tk[vb + j]);
        uint cnt = 0u;
        if (!(v > 0.0)) {
            cnt = NONE;
        } else {
            precise float thr = p.ratio * v;
            uint xb = p.bx + (r - p.xr0) * p.T * p.C + c;
            for (uint t = p.p0; t < p.T; t++) {
                float a = x[xb + t * p.C];
                if (!(a >= thr)) continue;
                if (cnt < p.F) {
                    fr[pb + i * p.F + cnt] = t;
                    fr[fb + i * p.F + cnt] = floatBitsToUint(a);
                }
                cnt++;
            }
        }
        fr[cb + i] = cnt;
        // entries past the count are 0, whatever an earlier row left in the list
        for (uint q = cnt == NONE ? 0u : cnt; q < p.F; q++) {
            fr[pb + i * p.F + q] = 0u;
            fr[fb + i * p.F + q] = 0u;
        }
    }
}
#endif
