#version 450
// matmul_cpu.comp — "cpu-driver" matmul for CPU Vulkan drivers (lavapipe; gpu-notes §3):
// out[N, OC] = x[N, IC] @ w[IC, OC] + bias[OC]. No shared memory, no subgroup ops; operands
// are texel buffers; a workgroup owns ROWS rows (a workgroup-uniform row index, so the x
// fetches are uniform), each invocation COLS4 x 4 columns: ROWS x 4*COLS4 accumulators.
// VEC4 (x, w and out as RGBA32F): needs IC % 4 == 0 and OC % 4 == 0 (and 4-aligned offsets);
// otherwise (R32F) any shape.
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ROWS = 32;
layout(constant_id = 2) const int COLS4 = 4;
#ifdef VEC4
layout(binding = 0, rgba32f) uniform restrict writeonly imageBuffer O; /* stores are branch-free too */
#else
layout(std430, binding = 0) writeonly buffer O { float o[]; };
#endif
layout(binding = 1) uniform samplerBuffer X;
layout(binding = 2) uniform samplerBuffer W;
layout(binding = 3) uniform samplerBuffer Bias;
layout(push_constant) uniform P { uint bo, bx, bw, bb; uint N, IC, OC, has_bias; };

void main() {
    uint row0 = gl_WorkGroupID.y * uint(ROWS);
    uint OC4 = (OC + 3) / 4;
    uint c40 = gl_GlobalInvocationID.x * uint(COLS4); /* first vec4 column */
    if (c40 >= OC4) return;
    vec4 acc[ROWS][COLS4];
    [[unroll]] for (int r = 0; r < ROWS; r++)
        [[unroll]] for (int j = 0; j < COLS4; j++) acc[r][j] = vec4(0.0);
    int xrow[ROWS];
    [[unroll]] for (int r = 0; r < ROWS; r++) xrow[r] = int(min(row0 + uint(r), N - 1) * IC);
    int wc[COLS4];
    [[unroll]] for (int j = 0; j < COLS4; j++) wc[j] = int(min(c40 + uint(j), OC4 - 1));
#ifdef VEC4
    for (uint k = 0; k < IC; k += 4) {
        /* w rows k..k+3 first, then each accumulator is updated once per 4 k (16 FMAs per
           load/store of a spilled accumulator) */
        vec4 b[4][COLS4];
        [[unroll]] for (int kk = 0; kk < 4; kk++) {
            int wr = int(bw) + int((k + uint(kk)) * OC4);
            [[unroll]] for (int j = 0; j < COLS4; j++) b[kk][j] = texelFetch(W, wr + wc[j]);
        }
        [[unroll]] for (int r = 0; r < ROWS; r++) {
            vec4 a = texelFetch(X, int(bx) + (xrow[r] + int(k)) / 4);
            [[unroll]] for (int j = 0; j < COLS4; j++)
                acc[r][j] += a.x * b[0][j] + a.y * b[1][j] + a.z * b[2][j] + a.w * b[3][j];
        }
    }
#else
    for (uint k = 0; k < IC; k++) {
        int wr = int(bw) + int(k * OC);
        vec4 b[COLS4];
        [[unroll]] for (int j = 0; j < COLS4; j++) {
            int c = 4 * wc[j];
            b[j] = vec4(texelFetch(W, wr + min(c, int(OC) - 1)).r, texelFetch(W, wr + min(c + 1, int(OC) - 1)).r,
                        texelFetch(W, wr + min(c + 2, int(OC) - 1)).r, texelFetch(W, wr + min(c + 3, int(OC) - 1)).r);
        }
        [[unroll]] for (int r = 0; r < ROWS; r++) {
            float a = texelFetch(X, int(bx) + xrow[r] + int(k)).r;
            [[unroll]] for (int j = 0; j < COLS4; j++) acc[r][j] += a * b[j];
        }
    }
#endif
    [[unroll]] for (int j = 0; j < COLS4; j++) {
        uint c = 4 * (c40 + uint(j));
        if (c >= OC) break;
        vec4 bias = vec4(0.0);
        if (has_bias != 0)
            bias = vec4(texelFetch(Bias, int(bb + c)).r, texelFetch(Bias, int(bb + min(c + 1, OC - 1))).r,
                        texelFetch(Bias, int(bb + min(c + 2, OC - 1))).r, texelFetch(Bias, int(bb + min(c + 3, OC - 1))).r);
        [[unroll]] for (int r = 0; r < ROWS; r++) {
            uint row = row0 + uint(r);
            if (row >= N) break;
            vec4 v = acc[r][j] + bias;
#ifdef VEC4
            imageStore(O, int(bo + (row * OC + c) / 4), v);
#else
            uint ob = bo + row * OC + c;
            o[ob] = v.x;
            if (c + 1 < OC) o[ob + 1] = v.y;
            if (c + 2 < OC) o[ob + 2] = v.z;
            if (c + 3 < OC) o[ob + 3] = v.w;
#endif
        }
    }
}
