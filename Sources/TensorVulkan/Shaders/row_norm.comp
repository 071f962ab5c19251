#version 450
// row_norm: layer norm (CENTER = 1) or RMS norm (CENTER = 0) of each row of length n, two passes
// (mean, then the mean of squared deviations) for accuracy; also group norm, whose rows are the
// contiguous (C/G)·S elements of one group of one batch item.
//   y = (x − μ) / √(σ² + eps) · w[c] + b[c]   (CENTER = 1)
//   y = x / √(mean(x²) + eps) · w[c]           (CENTER = 0)
// The affine channel of element i of row r is c = (r mod groups)·(n / spatial) + i / spatial
// (layer/RMS norm: groups = 1, spatial = 1, so c = i).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint CENTER = 1u;
layout(constant_id = 1) const uint HAS_WEIGHT = 0u;
layout(constant_id = 2) const uint HAS_BIAS = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Weight { float w[]; };
layout(std430, binding = 3) readonly buffer Bias { float b[]; };
layout(push_constant) uniform Push { uint rows; uint n; uint groups; uint spatial; float eps; } p;

#include "row_reduce.glsl"

void main() {
    uint row = group_row();
    if (row >= p.rows) {
        return;
    }
    uint base = row * p.n;
    float mean = 0.0;
    if (CENTER == 1u) {
        float local_sum = 0.0;
        for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
            local_sum += x[base + i];
        }
        mean = group_sum(local_sum) / float(p.n);
    }
    float local_sq = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
        float d = x[base + i] - mean;
        local_sq += d * d;
    }
    float inv = inversesqrt(group_sum(local_sq) / float(p.n) + p.eps);
    uint channel_base = (row % p.groups) * (p.n / p.spatial);
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
        uint c = channel_base + i / p.spatial;
        float v = (x[base + i] - mean) * inv;
        if (HAS_WEIGHT == 1u) {
            v *= w[c];
        }
        if (HAS_BIAS == 1u) {
            v += b[c];
        }
        y[base + i] = v;
    }
}
