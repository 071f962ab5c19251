#version 450
// softmax over rows of length n (contiguous f32): y_i = exp(x_i − max x) / Σ_j exp(x_j − max x).
// One work group per row.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Push { uint rows; uint n; } p;

#include "row_reduce.glsl"

void main() {
    uint row = group_row();
    if (row >= p.rows) {
        return;
    }
    uint base = row * p.n;
    float local_max = -1.0 / 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
        local_max = max(local_max, x[base + i]);
    }
    float row_max = group_max(local_max);
    float local_sum = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
        local_sum += exp(x[base + i] - row_max);
    }
    float inv = 1.0 / group_sum(local_sum);
    for (uint i = gl_LocalInvocationID.x; i < p.n; i += 256u) {
        y[base + i] = exp(x[base + i] - row_max) * inv;
    }
}
