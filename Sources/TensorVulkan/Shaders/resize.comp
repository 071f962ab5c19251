#version 450
// resize: x viewed as [outer, n, inner] -> y [outer, m, inner] along the middle axis (contiguous
// f32). MODE 0 nearest (⌊i·n/m⌋), 1 nearest-exact (⌊(i+0.5)·n/m⌋), 2 linear align-corners
// (i·(n−1)/(m−1)), 3 linear half-pixel ((i+0.5)·n/m − 0.5 clamped to [0, n−1]).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Push { uint count; uint n; uint m; uint inner; } p;

void main() {
    uint idx = linear_index(256u);
    if (idx >= p.count) {
        return;
    }
    uint inner = idx % p.inner;
    uint i = (idx / p.inner) % p.m;
    uint outer = idx / (p.inner * p.m);
    uint base = outer * p.n * p.inner + inner;
    if (MODE == 0u) {
        // Integer arithmetic, exact as torch computes it (the host checks 2·m·n fits 32 bits).
        uint src = min((i * p.n) / p.m, p.n - 1u);
        y[idx] = x[base + src * p.inner];
        return;
    }
    if (MODE == 1u) {
        uint src = min(((2u * i + 1u) * p.n) / (2u * p.m), p.n - 1u);
        y[idx] = x[base + src * p.inner];
        return;
    }
    float pos;
    if (MODE == 2u) {
        pos = p.m > 1u ? float(i) * float(p.n - 1u) / float(p.m - 1u) : 0.0;
    } else {
        pos = clamp((float(i) + 0.5) * float(p.n) / float(p.m) - 0.5, 0.0, float(p.n - 1u));
    }
    uint lo = min(uint(floor(pos)), p.n - 1u);
    uint hi = min(lo + 1u, p.n - 1u);
    float t = pos - float(lo);
    y[idx] = x[base + lo * p.inner] * (1.0 - t) + x[base + hi * p.inner] * t;
}
