#version 450
// attention: o[b, l, h] = Σ_m softmax_m(scale · q[b, l, h]·k[b, m, g]) · v[b, m, g], g = h / (H / HKV),
// by the online softmax of FlashAttention: keys stream through shared memory in tiles of BC, and each
// query row keeps a running max, running sum and output accumulator, so the Lq × Lk score matrix never
// exists. q [B, Lq, H, D], k [B, Lk, HKV, D], v [B, Lk, HKV, DV], o [B, Lq, H, DV], contiguous f32.
//
// GPU layout: a work group of 128 invocations serves 32 query rows with 4 invocations each; invocation
// `part` of a row owns elements d ≡ part (mod 4) of q and of the output, so a thread holds D/4 + DV/4
// floats, not D + DV (which would spill registers at D = 128). Partial dot products meet in shared
// memory. Work group (x, y, z) = (block of 32 queries, head, batch). Requires D % 4 == DV % 4 == 0.
#include "common.glsl"

layout(local_size_x = 128) in;
layout(constant_id = 0) const uint D = 128u;
layout(constant_id = 1) const uint DV = 128u;
layout(constant_id = 2) const uint BC = 16u;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint Lq; uint Lk; uint H; uint HKV; float scale_log2e; } p;

const uint ROWS = 32u;
shared float tile_k[BC * D];
shared float tile_v[BC * DV];
shared float partial[ROWS * BC * 4u];

void main() {
    uint row = gl_LocalInvocationID.x / 4u;
    uint part = gl_LocalInvocationID.x % 4u;
    uint l = gl_WorkGroupID.x * ROWS + row;
    uint h = gl_WorkGroupID.y;
    uint batch = gl_WorkGroupID.z;
    uint g = h / (p.H / p.HKV);
    // Rows past the end compute on the last row (so barriers stay uniform) and store nothing.
    uint lc = min(l, p.Lq - 1u);

    // Scores are kept in base 2 (exp2 is the cheap one): s = scale·log2(e)·q·k.
    float qs[D / 4u];
    float acc[DV / 4u];
    uint q_base = ((batch * p.Lq + lc) * p.H + h) * D;
    for (uint i = 0u; i < D / 4u; ++i) {
        qs[i] = q[q_base + part + 4u * i] * p.scale_log2e;
    }
    for (uint i = 0u; i < DV / 4u; ++i) {
        acc[i] = 0.0;
    }
    float running_max = -1.0 / 0.0;
    float running_sum = 0.0;

    for (uint m0 = 0u; m0 < p.Lk; m0 += BC) {
        uint keys = min(BC, p.Lk - m0);
        for (uint e = gl_LocalInvocationID.x; e < keys * D; e += 128u) {
            tile_k[e] = k[((batch * p.Lk + m0 + e / D) * p.HKV + g) * D + e % D];
        }
        for (uint e = gl_LocalInvocationID.x; e < keys * DV; e += 128u) {
            tile_v[e] = v[((batch * p.Lk + m0 + e / DV) * p.HKV + g) * DV + e % DV];
        }
        barrier();
        for (uint j = 0u; j < keys; ++j) {
            float dot_part = 0.0;
            for (uint i = 0u; i < D / 4u; ++i) {
                dot_part = fma(qs[i], tile_k[j * D + part + 4u * i], dot_part);
            }
            partial[(row * BC + j) * 4u + part] = dot_part;
        }
        barrier();
        // The four invocations of a row sum the same partials in the same order: identical scores.
        float s[BC];
        float tile_max = -1.0 / 0.0;
        for (uint j = 0u; j < keys; ++j) {
            uint base = (row * BC + j) * 4u;
            s[j] = (partial[base] + partial[base + 1u]) + (partial[base + 2u] + partial[base + 3u]);
            tile_max = max(tile_max, s[j]);
        }
        float new_max = max(running_max, tile_max);
        float correction = exp2(running_max - new_max);
        running_sum *= correction;
        for (uint i = 0u; i < DV / 4u; ++i) {
            acc[i] *= correction;
        }
        for (uint j = 0u; j < keys; ++j) {
            float weight = exp2(s[j] - new_max);
            running_sum += weight;
            for (uint i = 0u; i < DV / 4u; ++i) {
                acc[i] = fma(weight, tile_v[j * DV + part + 4u * i], acc[i]);
            }
        }
        running_max = new_max;
        barrier();
    }

    if (l < p.Lq) {
        uint o_base = ((batch * p.Lq + l) * p.H + h) * DV;
        float inv = 1.0 / running_sum;
        for (uint i = 0u; i < DV / 4u; ++i) {
            o[o_base + part + 4u * i] = acc[i] * inv;
        }
    }
}
