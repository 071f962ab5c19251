#version 450
// attention_direct: the same attention as attention.comp (online softmax, one query row per
// invocation, never the full score matrix), without shared memory or barriers, for CPU
// implementations of Vulkan (lavapipe). All invocations of a work group walk the same keys, so
// every k and v load has a work-group-uniform address: one scalar load broadcast to the 8 lanes.
// Work group (x, y, z) = (block of 8 queries, head, batch).
#include "common.glsl"

layout(local_size_x = 8) in;
layout(constant_id = 0) const uint D = 128u;
layout(constant_id = 1) const uint DV = 128u;

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };
layout(push_constant) uniform Push { uint Lq; uint Lk; uint H; uint HKV; float scale_log2e; } p;

void main() {
    uint l = gl_WorkGroupID.x * 8u + gl_LocalInvocationID.x;
    uint h = gl_WorkGroupID.y;
    uint batch = gl_WorkGroupID.z;
    uint g = h / (p.H / p.HKV);
    if (l >= p.Lq) {
        return;
    }
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
    for (uint m0 = 0u; m0 < p.Lk; m0 += 8u) {
        uint keys = min(8u, p.Lk - m0);
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
    uint o_base = ((batch * p.Lq + l) * p.H + h) * DV;
    float inv = 1.0 / running_sum;
    for (uint d = 0u; d < DV; ++d) {
        o[o_base + d] = acc[d] * inv;
    }
}
