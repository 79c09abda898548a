#version 450
// embed.comp — out[n, c] = wte[tok[n], c] + wpe[(row0 + n) % T, c], n < N (rows of this chunk).
// With POS: out[n, c] = wte[tok[n], c] + wpe[pos[n], c] (pos: int32 [N], storage binding 4).
// wte and wpe are R32F texel buffers. The bound part of wte holds the rows [v0, v0 + nv): rows
// whose token lies outside are left alone (a table larger than one texel binding is read by
// one dispatch per part; ops_vk.c). x: columns; y: rows, grid-stride.
layout(local_size_x_id = 0) in;
layout(std430, binding = 0) writeonly buffer O { float o[]; };
layout(std430, binding = 1) readonly buffer Tok { int tok[]; };
layout(binding = 2) uniform samplerBuffer wte;
layout(binding = 3) uniform samplerBuffer wpe;
#ifdef POS
layout(std430, binding = 4) readonly buffer Pos { int pos_of[]; };
layout(push_constant) uniform P { uint bo, bt, bw, bp, bs; uint N, C, v0, nv; };
#else
layout(push_constant) uniform P { uint bo, bt, bw, bp; uint N, T, C, row0, v0, nv; };
#endif
void main() {
    uint c = gl_GlobalInvocationID.x;
    if (c >= C) return;
    for (uint n = gl_WorkGroupID.y; n < N; n += gl_NumWorkGroups.y) {
        uint t = uint(tok[bt + n]) - v0; /* its row in the bound part */
        if (t >= nv) continue;
#ifdef POS
        uint pos = uint(pos_of[bs + n]);
#else
        uint pos = (row0 + n) % T;
#endif
        o[bo + n * C + c] = texelFetch(wte, int(bw + t * C + c)).r + texelFetch(wpe, int(bp + pos * C + c)).r;
    }
}
