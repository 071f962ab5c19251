#version 450
// pack: contiguous f32 -> contiguous f16 or bf16 (round to nearest even). One invocation writes one
// 32-bit word, i.e. two elements, so no two invocations touch the same word.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OUT_DTYPE = DTYPE_F16;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { uint y[]; };
layout(push_constant) uniform Push { uint count; } p;

uint to_bits(float v) {
    return OUT_DTYPE == DTYPE_F16 ? f32_to_f16_bits(v) : f32_to_bf16_bits(v);
}

void main() {
    uint w = linear_index(256u);
    uint first = 2u * w;
    if (first >= p.count) {
        return;
    }
    uint low = to_bits(x[first]);
    uint high = first + 1u < p.count ? to_bits(x[first + 1u]) : 0u;
    y[w] = low | (high << 16);
}
