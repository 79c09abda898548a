#version 450
#extension GL_EXT_control_flow_attributes : require
#ifdef SHUFFLE
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
// attention_gpu.comp — "gpu" causal attention (v2), tiled ("flash", after FlashAttention-2: online
// softmax over key blocks staged in shared memory, fp32 throughout).
// A workgroup owns BR query rows of one head h of one sequence b (workgroup x counts the row
// blocks from the last, so the longest causal rows start first). Its NRG x TC invocations form
// NRG row groups of TC: invocation (g, c) holds the rows g + i*NRG (i < RM, RM = BR/NRG), and
//   - for the scores S = Q K^T of a block of BC keys, the keys c + j*TC (j < BC/TC): RM x BC/TC
//     dot products over the head, q and k read as vec4 from shared memory;
//   - for O += P V, the output columns 4*(c + k*TC) + 0..3 (k < DN4).
// Per block: K and V staged once and used by all BR rows; row max over the TC invocations of a
// row group (subgroupShuffleXor with SHUFFLE, else through shared memory), rescale of O and of
// each invocation's partial row sum (summed once at the end), P through shared memory. Key
// blocks past the last row of the workgroup are never visited (causal), masked keys get p = 0.
// O is normalised at the end. Any head size (HS4 = ceil(HS/4) vec4, zero-padded).
// With TREE (ops_attention_tree): span int32 [B*T, 3] (storage binding 2) gives row t the keys
// [r0, r0 + np) U [sa, t]; the workgroup walks the key blocks of [min r0, max r0 + np) and
// [min sa, max t] over its rows (one loop that jumps from the first range to the second; blocks
// at multiples of BC), each row masking the keys that are not its own. A row's result does not
// depend on the other rows of the batch (nor on BR). All spans (0, 0, 0) walk exactly the blocks
// of the causal form, with the same arithmetic.
// qkv [B*T, 3C] (storage; read as vec4 when `aligned`: C, HS and the base multiples of 4),
// out [B*T, C].
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint BR = 64; /* query rows per workgroup */
layout(constant_id = 2) const uint BC = 32; /* keys per block */
layout(constant_id = 3) const uint HS = 64; /* head size */
layout(constant_id = 4) const uint TC = 8;  /* invocations per row group (a power of two) */
layout(constant_id = 5) const uint RM = 8;  /* rows per invocation */
const uint NRG = BR / RM, WG = NRG * TC, SN = BC / TC;
const uint HS4 = (HS + 3) / 4, QS = HS4 + 1; /* vec4 per head row; padded stride of Qs, Ks */
const uint DN4 = (HS4 + TC - 1) / TC;       /* output vec4 per invocation and row */
const uint PS = BC + 1;                     /* padded stride of Ps */

layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer Q { float qkv[]; };
layout(std430, binding = 1) readonly buffer Q4 { vec4 qkv4[]; };
#ifdef TREE
layout(std430, binding = 2) readonly buffer S { int span[]; };
layout(push_constant) uniform P { uint bo, bq, bs; uint T, C, aligned; float scale; };
#else
layout(push_constant) uniform P { uint bo, bq; uint T, C, aligned; float scale; };
#endif

shared vec4 Qs[BR * QS];
shared vec4 Ks[BC * QS];
shared vec4 Vs[BC * HS4];
shared float Ps[BR * PS];
#ifndef SHUFFLE
shared float Ms[BR * TC];
#endif
#ifdef TREE
shared uint lo_s, hi_s, smin_s;
#endif

/* head row r (a row of the whole batch), columns 4*d4 .. 4*d4+3 of part `part` (0 q, 1 k, 2 v) */
vec4 load4(uint r, uint part, uint d4, uint h) {
    uint e = bq + r * 3 * C + part * C + h * HS + 4 * d4;
    if (aligned != 0) return qkv4[e / 4];
    uint d = 4 * d4;
    return vec4(qkv[e], d + 1 < HS ? qkv[e + 1] : 0.0, d + 2 < HS ? qkv[e + 2] : 0.0, d + 3 < HS ? qkv[e + 3] : 0.0);
}

#ifdef SHUFFLE
/* max over the TC invocations of a row group (adjacent invocations of one subgroup) */
float group_max(float v) {
    [[unroll]] for (uint msk = 1; msk < TC; msk <<= 1) v = max(v, subgroupShuffleXor(v, msk));
    return v;
}
#endif

void main() {
    uint nblk = (T + BR - 1) / BR;
    uint t0 = (nblk - 1 - gl_WorkGroupID.x) * BR; /* longest rows first */
    uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
    uint tid = gl_LocalInvocationIndex, g = tid / TC, c = tid % TC;
    uint tmax = min(t0 + BR, T) - 1;
    uint rowb = b * T; /* first row of the sequence */

    /* Q block, scaled, zero rows past T */
    for (uint e = tid; e < BR * HS4; e += WG) {
        uint r = e / HS4, d4 = e % HS4;
        Qs[r * QS + d4] = t0 + r < T ? load4(rowb + t0 + r, 0, d4, h) * scale : vec4(0.0);
    }
    uint t[RM];
    [[unroll]] for (uint i = 0; i < RM; i++) t[i] = t0 + g + i * NRG;
#ifdef TREE
    /* each row's keys [ra, rb) U [sa, t]; a row past T takes none */
    uint ra[RM], rb[RM], sa[RM];
    if (tid == 0) lo_s = T, hi_s = 0, smin_s = tmax;
    barrier();
    [[unroll]] for (uint i = 0; i < RM; i++) {
        uint tt = min(t[i], T - 1), si = bs + 3 * (rowb + tt);
        int r0 = clamp(span[si], 0, int(tt)), r1 = r0 + clamp(span[si + 1], 0, int(tt) - r0);
        ra[i] = uint(r0), rb[i] = uint(r1), sa[i] = uint(clamp(span[si + 2], r1, int(tt)));
        if (t[i] < T) {
            if (rb[i] > ra[i]) atomicMin(lo_s, ra[i]), atomicMax(hi_s, rb[i]);
            atomicMin(smin_s, sa[i]);
        } else {
            rb[i] = 0, sa[i] = T;
        }
    }
    barrier();
    uint lo = lo_s, hi = hi_s, smin = smin_s;
    if (hi > lo && smin <= hi) lo = hi = smin = min(lo, smin); /* the ranges touch: one range */
    uint s2 = max(smin, hi);
    /* blocks start at multiples of BC: a row's keys fall into the same blocks whatever rows share
       its workgroup, and a block without any of its keys leaves its state exactly as it was
       (p = 0, rescale by exp(0) = 1), so each row's result is independent of the batch around it */
    uint loa = lo / BC * BC, s2a = s2 / BC * BC;
#define OK(i, s) (((s) >= ra[i] && (s) < rb[i]) || ((s) >= sa[i] && (s) <= t[i]))
#define FIRST (hi > lo ? loa : s2a)
#define NEXT(s0) ((s0) + BC < hi ? (s0) + BC : max((s0) + BC, s2a))
#else
#define OK(i, s) ((s) <= t[i])
#define FIRST 0u
#define NEXT(s0) ((s0) + BC)
#endif

    float m[RM], l[RM];
    vec4 acc[RM][DN4];
    [[unroll]] for (uint i = 0; i < RM; i++) {
        m[i] = -1e30, l[i] = 0.0;
        [[unroll]] for (uint k = 0; k < DN4; k++) acc[i][k] = vec4(0.0);
    }

    for (uint s0 = FIRST; s0 <= tmax; s0 = NEXT(s0)) {
        barrier(); /* the previous block's readers of Ks, Vs, Ps are done (and Qs is written) */
        for (uint e = tid; e < BC * HS4; e += WG) {
            uint j = e / HS4, d4 = e % HS4, s = s0 + j;
            bool in_ = s <= tmax;
            Ks[j * QS + d4] = in_ ? load4(rowb + s, 1, d4, h) : vec4(0.0);
            Vs[j * HS4 + d4] = in_ ? load4(rowb + s, 2, d4, h) : vec4(0.0);
        }
        barrier();
        /* scores of my rows x my keys */
        float sc[RM][SN];
        [[unroll]] for (uint i = 0; i < RM; i++)
            [[unroll]] for (uint j = 0; j < SN; j++) sc[i][j] = 0.0;
        for (uint d4 = 0; d4 < HS4; d4++) {
            vec4 kv[SN];
            [[unroll]] for (uint j = 0; j < SN; j++) kv[j] = Ks[(c + j * TC) * QS + d4];
            [[unroll]] for (uint i = 0; i < RM; i++) {
                vec4 qv = Qs[(g + i * NRG) * QS + d4];
                [[unroll]] for (uint j = 0; j < SN; j++) sc[i][j] += dot(qv, kv[j]);
            }
        }
        /* row max of the block over the row group */
        float bm[RM];
        [[unroll]] for (uint i = 0; i < RM; i++) {
            float v = -1e30;
            [[unroll]] for (uint j = 0; j < SN; j++)
                if (OK(i, s0 + c + j * TC)) v = max(v, sc[i][j]);
#ifdef SHUFFLE
            bm[i] = group_max(v);
#else
            Ms[(g + i * NRG) * TC + c] = v;
#endif
        }
#ifndef SHUFFLE
        barrier();
        [[unroll]] for (uint i = 0; i < RM; i++) {
            float v = -1e30;
            for (uint q = 0; q < TC; q++) v = max(v, Ms[(g + i * NRG) * TC + q]);
            bm[i] = v;
        }
#endif
        /* online softmax: rescale, probabilities to Ps */
        [[unroll]] for (uint i = 0; i < RM; i++) {
            float mn = max(m[i], bm[i]);
            float corr = exp(m[i] - mn);
            m[i] = mn;
            float ps = 0.0;
            [[unroll]] for (uint j = 0; j < SN; j++) {
                uint kj = c + j * TC;
                float p = OK(i, s0 + kj) ? exp(sc[i][j] - mn) : 0.0;
                ps += p;
                Ps[(g + i * NRG) * PS + kj] = p;
            }
            l[i] = l[i] * corr + ps;
            [[unroll]] for (uint k = 0; k < DN4; k++) acc[i][k] *= corr;
        }
        barrier();
        /* O += P V */
        uint nv = min(BC, tmax + 1 - s0); /* keys of the block that exist */
        for (uint j = 0; j < nv; j++) {
            vec4 vv[DN4];
            [[unroll]] for (uint k = 0; k < DN4; k++) {
                uint d4 = c + k * TC;
                vv[k] = d4 < HS4 ? Vs[j * HS4 + d4] : vec4(0.0);
            }
            [[unroll]] for (uint i = 0; i < RM; i++) {
                float p = Ps[(g + i * NRG) * PS + j];
                [[unroll]] for (uint k = 0; k < DN4; k++) acc[i][k] += p * vv[k];
            }
        }
    }

    /* the row sums over the row group, then O / l */
#ifdef SHUFFLE
    [[unroll]] for (uint i = 0; i < RM; i++)
        [[unroll]] for (uint msk = 1; msk < TC; msk <<= 1) l[i] += subgroupShuffleXor(l[i], msk);
#else
    barrier();
    [[unroll]] for (uint i = 0; i < RM; i++) Ms[(g + i * NRG) * TC + c] = l[i];
    barrier();
    [[unroll]] for (uint i = 0; i < RM; i++) {
        float v = 0.0;
        for (uint q = 0; q < TC; q++) v += Ms[(g + i * NRG) * TC + q];
        l[i] = v;
    }
#endif
    [[unroll]] for (uint i = 0; i < RM; i++) {
        if (t[i] > tmax) continue;
        float il = 1.0 / l[i];
        uint ob = bo + (rowb + t[i]) * C + h * HS;
        [[unroll]] for (uint k = 0; k < DN4; k++) {
            uint d = 4 * (c + k * TC);
            vec4 v = acc[i][k] * il;
            [[unroll]] for (uint q = 0; q < 4; q++)
                if (d + q < HS) o[ob + d + q] = v[q];
        }
    }
}
