#version 450
// attention_direct: attention with an online softmax, one query row per invocation, for CPU
// implementations of Vulkan (lavapipe) and for head sizes beyond the tiled shader's 256. No shared
// memory or barriers: all invocations of a work group walk the same keys, so every k and v load has a
// work-group-uniform address (one scalar load broadcast to the 8 lanes).
//
// The keys are split into chunks of at most `chunk` keys, one per z slice of the grid, so the loop
// trip count of one invocation stays bounded at any sequence length: lavapipe stops every shader loop
// after 65,535 iterations in total (LP_MAX_TGSI_LOOP_ITERATIONS) and would silently return a wrong
// result. Each chunk writes its unnormalised accumulator and its (max, sum); attention_combine.comp
// merges the chunks. Work group (x, y, z) = (block of 8 queries, head, batch · chunks + chunk).
#include "common.glsl"

layout(local_size_x = 8) in;
layout(constant_id = 0) const uint D = 128u;
layout(constant_id = 1) const uint DV = 128u;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer Acc { float acc_out[]; };
layout(std430, binding = 4) writeonly buffer MaxSum { float max_sum[]; };
// q_begin: first query row of this dispatch (queries are processed in blocks so the partial results
// stay small); rows: query rows of this dispatch.
layout(push_constant) uniform Push {
    uint Lq; uint Lk; uint H; uint HKV; float scale_log2e; uint chunk; uint chunks; uint q_begin; uint rows;
} p;

void main() {
    uint r = gl_WorkGroupID.x * 8u + gl_LocalInvocationID.x;
    uint h = gl_WorkGroupID.y;
    uint batch = gl_WorkGroupID.z / p.chunks;
    uint c = gl_WorkGroupID.z % p.chunks;
    uint g = h / (p.H / p.HKV);
    if (r >= p.rows) {
        return;
    }
    uint l = p.q_begin + r;
    uint key_begin = c * p.chunk;
    uint key_end = min(p.Lk, key_begin + p.chunk);
    float qr[D];
    float acc[DV];
    uint q_base = ((batch * p.Lq + l) * p.H + h) * D;
    for (uint d = 0u; d < D; ++d) {
        qr[d] = q[q_base + d] * p.scale_log2e;
    }
    for (uint d = 0u; d < DV; ++d) {
        acc[d] = 0.0;
    }
    float running_max = -1.0 / 0.0;
    float running_sum = 0.0;
    // Keys in blocks of 8: one rescale of the accumulator per block, not per key.
    for (uint m0 = key_begin; m0 < key_end; m0 += 8u) {
        uint keys = min(8u, key_end - m0);
        float s[8];
        float block_max = -1.0 / 0.0;
        for (uint j = 0u; j < keys; ++j) {
            uint k_base = ((batch * p.Lk + m0 + j) * p.HKV + g) * D;
            float dot_qk = 0.0;
            for (uint d = 0u; d < D; ++d) {
                dot_qk = fma(qr[d], k[k_base + d], dot_qk);
            }
            s[j] = dot_qk;
            block_max = max(block_max, dot_qk);
        }
        // exp2(−inf) = 0 makes the first block's rescale a no-op on the zero accumulator.
        float new_max = max(running_max, block_max);
        float correction = exp2(running_max - new_max);
        running_sum *= correction;
        for (uint d = 0u; d < DV; ++d) {
            acc[d] *= correction;
        }
        for (uint j = 0u; j < keys; ++j) {
            float weight = exp2(s[j] - new_max);
            running_sum += weight;
            uint v_base = ((batch * p.Lk + m0 + j) * p.HKV + g) * DV;
            for (uint d = 0u; d < DV; ++d) {
                acc[d] = fma(weight, v[v_base + d], acc[d]);
            }
        }
        running_max = new_max;
    }
    // Partial layout [batch, rows, H, chunks, DV] and [batch, rows, H, chunks, 2].
    uint slot = ((batch * p.rows + r) * p.H + h) * p.chunks + c;
    for (uint d = 0u; d < DV; ++d) {
        acc_out[slot * DV + d] = acc[d];
    }
    max_sum[slot * 2u] = running_max;
    max_sum[slot * 2u + 1u] = running_sum;
}
