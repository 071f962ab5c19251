#version 450
// ternary: the fused residual/modulation forms of a DiT block, strided like `binary` with three
// operands x, u, w (meta: rank, out shape, x strides, u strides, w strides).
// OP 0 modulate: y = x·(1 + u) + w (u = scale, w = shift). OP 1 gatedAdd: y = x + u·w (u = y₀, w = gate).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0u;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer U { float u[]; };
layout(std430, binding = 2) readonly buffer W { float w[]; };
layout(std430, binding = 3) writeonly buffer Out { float y[]; };
layout(std430, binding = 4) readonly buffer Meta { uint meta[]; };
layout(push_constant) uniform Push { uint count; uint x_offset; uint u_offset; uint w_offset; } p;

#include "strided.glsl"

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    float xv = x[p.x_offset + strided_offset(i, 0u, 0u)];
    float uv = u[p.u_offset + strided_offset(i, 0u, 1u)];
    float wv = w[p.w_offset + strided_offset(i, 0u, 2u)];
    y[i] = OP == 0u ? xv * (1.0 + uv) + wv : xv + uv * wv;
}
