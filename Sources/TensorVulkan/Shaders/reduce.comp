#version 450
// reduce: x viewed as [outer, n, inner] (contiguous f32) -> y [outer, inner], one thread per output.
// OP follows ReduceOp: 0 sum, 1 mean, 2 max, 3 min, 4 l2Norm (√Σx²).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Push { uint count; uint n; uint inner; } p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint base = (i / p.inner) * p.n * p.inner + i % p.inner;
    float acc = OP == 2u ? -1.0 / 0.0 : (OP == 3u ? 1.0 / 0.0 : 0.0);
    for (uint k = 0u; k < p.n; ++k) {
        float v = x[base + k * p.inner];
        if (OP == 2u) {
            acc = max(acc, v);
        } else if (OP == 3u) {
            acc = min(acc, v);
        } else if (OP == 4u) {
            acc = fma(v, v, acc);
        } else {
            acc += v;
        }
    }
    if (OP == 1u) {
        acc /= float(p.n);
    } else if (OP == 4u) {
        acc = sqrt(acc);
    }
    y[i] = acc;
}
