#version 450
// matmul_gpu_v1.comp — the first "gpu" matmul (kept for bench_kernels to compare): classic
// shared-memory tiling. A workgroup of 16 x 16 invocations computes a BM x BN = 64 x 64 tile of out[N, OC] = x[N, IC] @ w[IC, OC] + bias,
// staging BK = 16 deep slices of x and w in shared memory; each invocation owns 4 x 4 outputs.
// Any shape (bounds-checked loads). EPI (specialization constant 0) as in matmul_gpu.comp.
#extension GL_GOOGLE_include_directive : require
#include "ew_common.glsl"
layout(constant_id = 0) const uint EPI = 0;
#define BM 64
#define BN 64
#define BK 16
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float w[]; };
layout(std430, binding = 3) readonly buffer Bs { float bias[]; };
layout(push_constant) uniform P { uint bo, bx, bw, bb; uint N, IC, OC, has_bias; };
shared float As[BK][BM + 1];
shared float Bsh[BK][BN];

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * 16 + tx;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0;
    for (uint k0 = 0; k0 < IC; k0 += BK) {
        for (uint e = tid; e < BM * BK; e += 256) {
            uint m = e / BK, k = e % BK; /* consecutive tids read consecutive k of one row */
            uint gr = row0 + m, gk = k0 + k;
            As[k][m] = (gr < N && gk < IC) ? x[bx + gr * IC + gk] : 0.0;
        }
        for (uint e = tid; e < BK * BN; e += 256) {
            uint k = e / BN, n = e % BN;
            uint gk = k0 + k, gc = col0 + n;
            Bsh[k][n] = (gk < IC && gc < OC) ? w[bw + gk * OC + gc] : 0.0;
        }
        barrier();
        for (uint k = 0; k < BK; k++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[k][ty + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = Bsh[k][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
        }
        barrier();
    }
    for (int i = 0; i < 4; i++) {
        uint r = row0 + ty + 16 * i;
        if (r >= N) continue;
        for (int j = 0; j < 4; j++) {
            uint c = col0 + tx + 16 * j;
            if (c >= OC) continue;
            float v = acc[i][j] + (has_bias != 0 ? bias[bb + c] : 0.0);
            if (EPI == 1) v = n2g_gelu(v);
            if (EPI == 2) v = o[bo + r * OC + c] + v;
            o[bo + r * OC + c] = v;
        }
    }
}
