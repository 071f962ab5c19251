#version 450
// embedding: y[i, d] = table[indices[i], d]; table [V, D] contiguous in its storage dtype, read
// packed (f16/bf16 widened), so weight tables stay half size. Indices are checked on the host.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint TABLE_DTYPE = DTYPE_F32;

layout(std430, binding = 0) readonly buffer Table { uint table[]; };
layout(std430, binding = 1) readonly buffer Indices { uint indices[]; };
layout(std430, binding = 2) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Push { uint count; uint dim; uint table_offset; } p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint row = indices[i / p.dim];
    uint src = p.table_offset + row * p.dim + i % p.dim;
    y[i] = load_packed(table[packed_word(src, TABLE_DTYPE)], src, TABLE_DTYPE);
}
