#version 450
// binary: y[i] = a[a(i)] ⊙ b[b(i)] with numpy broadcasting expressed as strides (0 on a repeated
// axis); f32 operands, contiguous f32 output. OP follows BinaryOp: add, sub, mul, div, max, min.
// Meta: rank, out shape, a strides, b strides.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0u;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Out { float y[]; };
layout(std430, binding = 3) readonly buffer Meta { uint meta[]; };
layout(push_constant) uniform Push { uint count; uint a_offset; uint b_offset; } p;

#include "strided.glsl"

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    float u = a[p.a_offset + strided_offset(i, 0u, 0u)];
    float v = b[p.b_offset + strided_offset(i, 0u, 1u)];
    float r;
    switch (OP) {
    case 0u: r = u + v; break;
    case 1u: r = u - v; break;
    case 2u: r = u * v; break;
    case 3u: r = u / v; break;
    case 4u: r = max(u, v); break;
    default: r = min(u, v); break;
    }
    y[i] = r;
}
