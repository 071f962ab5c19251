#version 450
// copy: y[out(i)] = x[in(i)] widened to f32, for every row-major index i of a shape. Both sides
// strided (meta buffer: rank, shape, input strides, output strides), so this is `contiguous`, the
// f32 gather every op does on a view, and the scatter `concat` does into part of its output.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint IN_DTYPE = DTYPE_F32;

layout(std430, binding = 0) readonly buffer In { uint x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Meta { uint meta[]; };
layout(push_constant) uniform Push { uint count; uint in_offset; uint out_offset; } p;

#include "strided.glsl"

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint src = p.in_offset + strided_offset(i, 0u, 0u);
    uint dst = p.out_offset + strided_offset(i, 0u, 1u);
    y[dst] = load_packed(x[packed_word(src, IN_DTYPE)], src, IN_DTYPE);
}
