// wg_reduce.glsl — workgroup-wide sum / max for a 1-D workgroup of WG_SIZE (power of two)
// invocations. Every invocation must call these (they contain barriers). With USE_SUBGROUP
// the reduction runs in subgroups first (subgroupAdd/Max) and combines per-subgroup partials.
// The including shader enables GL_KHR_shader_subgroup_{basic,arithmetic} under USE_SUBGROUP.
#ifdef USE_SUBGROUP
shared float wg_red[WG_SIZE];
float wg_sum(float v) {
    v = subgroupAdd(v);
    if (subgroupElect()) wg_red[gl_SubgroupID] = v;
    barrier();
    float s = 0.0;
    for (uint i = 0; i < gl_NumSubgroups; i++) s += wg_red[i];
    barrier();
    return s;
}
float wg_max(float v) {
    v = subgroupMax(v);
    if (subgroupElect()) wg_red[gl_SubgroupID] = v;
    barrier();
    float s = wg_red[0];
    for (uint i = 1; i < gl_NumSubgroups; i++) s = max(s, wg_red[i]);
    barrier();
    return s;
}
#else
shared float wg_red[WG_SIZE];
float wg_sum(float v) {
    uint l = gl_LocalInvocationIndex;
    wg_red[l] = v;
    barrier();
    for (uint s = WG_SIZE / 2; s > 0; s >>= 1) {
        if (l < s) wg_red[l] += wg_red[l + s];
        barrier();
    }
    float r = wg_red[0];
    barrier();
    return r;
}
float wg_max(float v) {
    uint l = gl_LocalInvocationIndex;
    wg_red[l] = v;
    barrier();
    for (uint s = WG_SIZE / 2; s > 0; s >>= 1) {
        if (l < s) wg_red[l] = max(wg_red[l], wg_red[l + s]);
        barrier();
    }
    float r = wg_red[0];
    barrier();
    return r;
}
#endif
