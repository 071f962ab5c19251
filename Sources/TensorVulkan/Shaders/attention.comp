#version 450
// attention: o[b, l, h] = Σ_m softmax_m(scale · q[b, l, h]·k[b, m, g]) · v[b, m, g], g = h / (H / HKV),
// by the online softmax of FlashAttention: keys stream through shared memory in tiles of BC, each
// thread keeps one query row, its running max, running sum and output accumulator, so the Lq × Lk
// score matrix never exists. q [B, Lq, H, D], k [B, Lk, HKV, D], v [B, Lk, HKV, DV], o [B, Lq, H, DV],
// all contiguous f32. Work group (x, y, z) = (query block of 64, head, batch).
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D = 128u;
layout(constant_id = 1) const uint DV = 128u;
layout(constant_id = 2) const uint BC = 16u;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint Lq; uint Lk; uint H; uint HKV; float scale_log2e; } p;

shared float tile_k[BC * D];
shared float tile_v[BC * DV];

void main() {
    uint l = gl_WorkGroupID.x * 64u + gl_LocalInvocationID.x;
    uint h = gl_WorkGroupID.y;
    uint batch = gl_WorkGroupID.z;
    uint g = h / (p.H / p.HKV);
    bool in_range = l < p.Lq;

    // Scores are kept in base 2 (exp2 is the cheap one): s = scale·log2(e)·q·k.
    float qr[D];
    float acc[DV];
    uint q_base = ((batch * p.Lq + min(l, p.Lq - 1u)) * p.H + h) * D;
    for (uint d = 0u; d < D; ++d) {
        qr[d] = q[q_base + d] * p.scale_log2e;
    }
    for (uint d = 0u; d < DV; ++d) {
        acc[d] = 0.0;
    }
    float running_max = -1.0 / 0.0;
    float running_sum = 0.0;

    for (uint m0 = 0u; m0 < p.Lk; m0 += BC) {
        uint keys = min(BC, p.Lk - m0);
        for (uint e = gl_LocalInvocationID.x; e < keys * D; e += 64u) {
            uint j = e / D;
            tile_k[e] = k[((batch * p.Lk + m0 + j) * p.HKV + g) * D + e % D];
        }
        for (uint e = gl_LocalInvocationID.x; e < keys * DV; e += 64u) {
            uint j = e / DV;
            tile_v[e] = v[((batch * p.Lk + m0 + j) * p.HKV + g) * DV + e % DV];
        }
        barrier();
        float s[BC];
        float tile_max = -1.0 / 0.0;
        for (uint j = 0u; j < keys; ++j) {
            float dot_qk = 0.0;
            for (uint d = 0u; d < D; ++d) {
                dot_qk = fma(qr[d], tile_k[j * D + d], dot_qk);
            }
            s[j] = dot_qk;
            tile_max = max(tile_max, dot_qk);
        }
        float new_max = max(running_max, tile_max);
        float correction = exp2(running_max - new_max);
        running_sum *= correction;
        for (uint d = 0u; d < DV; ++d) {
            acc[d] *= correction;
        }
        for (uint j = 0u; j < keys; ++j) {
            float weight = exp2(s[j] - new_max);
            running_sum += weight;
            for (uint d = 0u; d < DV; ++d) {
                acc[d] = fma(weight, tile_v[j * DV + d], acc[d]);
            }
        }
        running_max = new_max;
        barrier();
    }

    if (in_range) {
        uint o_base = ((batch * p.Lq + l) * p.H + h) * DV;
        float inv = 1.0 / running_sum;
        for (uint d = 0u; d < DV; ++d) {
            o[o_base + d] = acc[d] * inv;
        }
    }
}
