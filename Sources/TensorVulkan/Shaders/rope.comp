#version 450
// rope: x [N, L, H, D] contiguous f32 (N = all leading axes), cos/sin [L, D/2]; each pair (a, b) of
// a head vector at token l is rotated by φ_{l,j}: (a, b) → (a·cos − b·sin, a·sin + b·cos).
// HALVES = 0: pair j is (x[2j], x[2j+1]) (Wan); HALVES = 1: (x[j], x[j + D/2]) (rotate-half).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint HALVES = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Cos { float cos_table[]; };
layout(std430, binding = 3) readonly buffer Sin { float sin_table[]; };
layout(push_constant) uniform Push { uint pairs_total; uint L; uint H; uint half_d; } p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.pairs_total) {
        return;
    }
    uint j = i % p.half_d;
    uint vector = i / p.half_d;
    uint l = (vector / p.H) % p.L;
    uint base = vector * 2u * p.half_d;
    uint ia = HALVES == 1u ? base + j : base + 2u * j;
    uint ib = HALVES == 1u ? base + j + p.half_d : base + 2u * j + 1u;
    float c = cos_table[l * p.half_d + j];
    float s = sin_table[l * p.half_d + j];
    float a = x[ia];
    float b = x[ib];
    y[ia] = a * c - b * s;
    y[ib] = a * s + b * c;
}
