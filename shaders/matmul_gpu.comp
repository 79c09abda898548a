#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// matmul_gpu.comp — "gpu" matmul (v2), register-blocked:
//   out[N, OC] = EPI(x[N, IC] @ w[IC, OC] + bias[OC])      EPI: none, gelu_new, or "+ out" (residual add)
// A workgroup of (BM/TM) x (BN/TN) invocations computes a BM x BN tile of out, walking IC in slices
// of BK. Each slice of x (BM x BK, stored k-major so that a row block is one vec4) and of w
// (BK x BN) is staged in shared memory, double-buffered: the global loads of slice s+1 are issued
// before the FMAs of slice s and stored after them, one barrier per slice. Each invocation owns
// TM x TN outputs: rows 4*(tr + i*BM/TM) + 0..3 and columns 4*(tc + j*BN/TN) + 0..3 (strided vec4
// groups, so that a warp's shared-memory reads and global stores are contiguous), i.e. (TM + TN)
// shared floats read per TM*TN FMAs (8 x 8: 0.25 per FMA).
// VEC4: x, w and out are read / written as vec4 (IC % 4 == 0, OC % 4 == 0, 4-aligned offsets);
// otherwise the same loads take 4 bounds-checked floats (any shape).
// Tile shape and epilogue are specialization constants (ops_vk.c picks them per device and shape).
#include "ew_common.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint BM = 128;
layout(constant_id = 2) const uint BN = 128;
layout(constant_id = 3) const uint BK = 8;
layout(constant_id = 4) const uint TM = 8;
layout(constant_id = 5) const uint TN = 8;
layout(constant_id = 6) const uint EPI = 0; /* 0: + bias; 1: gelu_new(. + bias); 2: out + (. + bias) */
const uint NTR = BM / TM, NTC = BN / TN, WG = NTR * NTC; /* invocations along rows, columns; in all */
const uint BK4 = BK / 4, BM4 = BM / 4, BN4 = BN / 4, TM4 = TM / 4, TN4 = TN / 4;
const uint AS = BM4 + 1;                      /* As row stride (vec4): padded, the k-major stores spread */
const uint LA = (BM * BK4 + WG - 1) / WG;     /* vec4 loads of the x slice per invocation */
const uint LB = (BK * BN4 + WG - 1) / WG;     /* vec4 loads of the w slice per invocation */

#ifdef VEC4
layout(std430, binding = 0) buffer O { vec4 o4[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x4[]; };
layout(std430, binding = 2) readonly buffer W { vec4 w4[]; };
#else
layout(std430, binding = 0) buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float w[]; };
#endif
layout(std430, binding = 3) readonly buffer Bs { float bias[]; };
layout(push_constant) uniform P { uint bo, bx, bw, bb; uint N, IC, OC, has_bias; };

shared vec4 As[2 * BK * AS];  /* [buf][k][row / 4] */
shared vec4 Bsh[2 * BK * BN4]; /* [buf][k][col / 4] */

/* 4 consecutive floats of x (row r, columns k..k+3) / of w (row k, columns c..c+3); zeros outside */
vec4 load_x(uint r, uint k) {
    if (r >= N || k >= IC) return vec4(0.0);
#ifdef VEC4
    return x4[bx / 4 + (r * IC + k) / 4];
#else
    uint i = bx + r * IC + k;
    return vec4(x[i], k + 1 < IC ? x[i + 1] : 0.0, k + 2 < IC ? x[i + 2] : 0.0, k + 3 < IC ? x[i + 3] : 0.0);
#endif
}
vec4 load_w(uint k, uint c) {
    if (k >= IC || c >= OC) return vec4(0.0);
#ifdef VEC4
    return w4[bw / 4 + (k * OC + c) / 4];
#else
    uint i = bw + k * OC + c;
    return vec4(w[i], c + 1 < OC ? w[i + 1] : 0.0, c + 2 < OC ? w[i + 2] : 0.0, c + 3 < OC ? w[i + 3] : 0.0);
#endif
}

void main() {
    uint tid = gl_LocalInvocationIndex;
    uint tr = tid / NTC, tc = tid % NTC;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    vec4 acc[TM][TN4];
    [[unroll]] for (uint i = 0; i < TM; i++)
        [[unroll]] for (uint j = 0; j < TN4; j++) acc[i][j] = vec4(0.0);
    vec4 ra[LA], rb[LB]; /* the next slice, in flight */
    uint nk = (IC + BK - 1) / BK;

    /* slice 0 -> registers -> buffer 0 */
    [[unroll]] for (uint l = 0; l < LA; l++) {
        uint e = tid + l * WG;
        ra[l] = e < BM * BK4 ? load_x(row0 + e / BK4, 4 * (e % BK4)) : vec4(0.0);
    }
    [[unroll]] for (uint l = 0; l < LB; l++) {
        uint e = tid + l * WG;
        rb[l] = e < BK * BN4 ? load_w(e / BN4, col0 + 4 * (e % BN4)) : vec4(0.0);
    }
    for (uint s = 0; s <= nk; s++) {
        uint buf = s & 1u;
        if (s > 0) { /* FMAs of slice s - 1 from buffer (s - 1) & 1 */
            uint ab = (buf ^ 1u) * BK * AS, bbf = (buf ^ 1u) * BK * BN4;
            [[unroll]] for (uint k = 0; k < BK; k++) {
                vec4 a[TM4], b[TN4];
                [[unroll]] for (uint i = 0; i < TM4; i++) a[i] = As[ab + k * AS + tr + i * NTR];
                [[unroll]] for (uint j = 0; j < TN4; j++) b[j] = Bsh[bbf + k * BN4 + tc + j * NTC];
                [[unroll]] for (uint i = 0; i < TM4; i++)
                    [[unroll]] for (uint j = 0; j < TN4; j++) {
                        acc[4 * i][j] += a[i].x * b[j];
                        acc[4 * i + 1][j] += a[i].y * b[j];
                        acc[4 * i + 2][j] += a[i].z * b[j];
                        acc[4 * i + 3][j] += a[i].w * b[j];
                    }
            }
        }
        if (s == nk) break;
        /* slice s: registers -> buffer s & 1 (its last readers finished before the previous barrier) */
        [[unroll]] for (uint l = 0; l < LA; l++) {
            uint e = tid + l * WG;
            if (e < BM * BK4) {
                uint m = e / BK4, k = 4 * (e % BK4), ai = buf * BK * AS + k * AS + m / 4, c = m & 3u;
                As[ai][c] = ra[l].x;
                As[ai + AS][c] = ra[l].y;
                As[ai + 2 * AS][c] = ra[l].z;
                As[ai + 3 * AS][c] = ra[l].w;
            }
        }
        [[unroll]] for (uint l = 0; l < LB; l++) {
            uint e = tid + l * WG;
            if (e < BK * BN4) Bsh[buf * BK * BN4 + e] = rb[l];
        }
        barrier();
        /* slice s + 1 -> registers, in flight during the FMAs of slice s */
        if (s + 1 < nk) {
            uint k0 = (s + 1) * BK;
            [[unroll]] for (uint l = 0; l < LA; l++) {
                uint e = tid + l * WG;
                ra[l] = e < BM * BK4 ? load_x(row0 + e / BK4, k0 + 4 * (e % BK4)) : vec4(0.0);
            }
            [[unroll]] for (uint l = 0; l < LB; l++) {
                uint e = tid + l * WG;
                rb[l] = e < BK * BN4 ? load_w(k0 + e / BN4, col0 + 4 * (e % BN4)) : vec4(0.0);
            }
        }
    }

    /* epilogue: + bias, then gelu_new or + the output's old value (residual) */
    [[unroll]] for (uint j = 0; j < TN4; j++) {
        uint c = col0 + 4 * (tc + j * NTC);
        if (c >= OC) continue;
        vec4 bv = vec4(0.0);
        if (has_bias != 0)
            bv = vec4(bias[bb + c], c + 1 < OC ? bias[bb + c + 1] : 0.0, c + 2 < OC ? bias[bb + c + 2] : 0.0,
                      c + 3 < OC ? bias[bb + c + 3] : 0.0);
        [[unroll]] for (uint i = 0; i < TM; i++) {
            uint r = row0 + 4 * (tr + (i / 4) * NTR) + (i & 3u);
            if (r >= N) continue;
            vec4 v = acc[i][j] + bv;
            if (EPI == 1) v = vec4(n2g_gelu(v.x), n2g_gelu(v.y), n2g_gelu(v.z), n2g_gelu(v.w));
#ifdef VEC4
            uint oi = bo / 4 + (r * OC + c) / 4;
            if (EPI == 2) v = o4[oi] + v;
            o4[oi] = v;
#else
            uint oi = bo + r * OC + c;
            uint nc = min(4u, OC - c);
            [[unroll]] for (uint q = 0; q < 4; q++)
                if (q < nc) o[oi + q] = EPI == 2 ? o[oi + q] + v[q] : v[q];
#endif
        }
    }
}
