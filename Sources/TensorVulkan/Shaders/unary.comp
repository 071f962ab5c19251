#version 450
// unary: y = f(x) over contiguous f32. OP (specialization constant) picks f; codes 0–15 follow
// UnaryOp, 16–21 are x ⊙ s for a scalar s (BinaryOp order), 22 is clamp(x, s, s2).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint OP = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Push { uint count; float s; float s2; } p;

// erfc(a) for a ≥ 0 by the Chebyshev-fitted form t·exp(−a² + P(t)), t = 1/(1 + a/2) (fractional
// error below 1.2e-7 everywhere). GELU uses it directly, 1 + erf(x) = erfc(−x), so neither tail
// loses precision to cancellation.
float erfc_pos(float a) {
    float t = 1.0 / (1.0 + 0.5 * a);
    float poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    return t * exp(poly);
}

// 1 + erf(z) = erfc(−z).
float one_plus_erf(float z) {
    return z < 0.0 ? erfc_pos(-z) : 2.0 - erfc_pos(z);
}

float apply(float v) {
    switch (OP) {
    case 0u: return v / (1.0 + exp(-v));
    case 1u: {
        float inner = 0.7978845608028654 * (v + 0.044715 * v * v * v);
        return 0.5 * v * (1.0 + tanh(inner));
    }
    case 2u: return 0.5 * v * one_plus_erf(v * 0.7071067811865476);
    case 3u: return max(v, 0.0);
    case 4u: return 1.0 / (1.0 + exp(-v));
    case 5u: return tanh(v);
    case 6u: return exp(v);
    case 7u: return log(v);
    case 8u: return -v;
    case 9u: return abs(v);
    case 10u: return sqrt(v);
    case 11u: return inversesqrt(v);
    case 12u: return v * v;
    case 13u: return sin(v);
    case 14u: return cos(v);
    case 16u: return v + p.s;
    case 17u: return v - p.s;
    case 18u: return v * p.s;
    case 19u: return v / p.s;
    case 20u: return max(v, p.s);
    case 21u: return min(v, p.s);
    case 22u: return min(max(v, p.s), p.s2);
    default: return v;
    }
}

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    y[i] = apply(x[i]);
}
