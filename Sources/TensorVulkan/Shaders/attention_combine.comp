#version 450
// attention_combine: merges the key chunks of attention_direct.comp. For each output element
// (batch, query row, head, d): M = max over chunks of m_c, out = Σ_c 2^(m_c − M)·acc_c[d] / Σ_c 2^(m_c − M)·l_c
// (scores are in log2 units). One invocation per output element; its loops run over the chunks only.
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DV = 128u;

layout(std430, binding = 0) readonly buffer Acc { float acc[]; };
layout(std430, binding = 1) readonly buffer MaxSum { float max_sum[]; };
layout(std430, binding = 2) writeonly buffer O { float o[]; };
// Output rows are [batch, Lq, H]; this dispatch covers query rows q_begin ..< q_begin + rows.
layout(push_constant) uniform Push { uint Lq; uint H; uint B; uint chunks; uint q_begin; uint rows; } p;

void main() {
    uint i = linear_index(64u);
    uint total = p.B * p.rows * p.H * DV;
    if (i >= total) {
        return;
    }
    uint d = i % DV;
    uint row = i / DV;              // (batch · rows + r) · H + h
    uint h = row % p.H;
    uint r = (row / p.H) % p.rows;
    uint batch = row / (p.H * p.rows);
    uint first = row * p.chunks;
    float m = -1.0 / 0.0;
    for (uint c = 0u; c < p.chunks; ++c) {
        m = max(m, max_sum[(first + c) * 2u]);
    }
    float num = 0.0;
    float den = 0.0;
    for (uint c = 0u; c < p.chunks; ++c) {
        float w = exp2(max_sum[(first + c) * 2u] - m);
        num = fma(w, acc[(first + c) * DV + d], num);
        den = fma(w, max_sum[(first + c) * 2u + 1u], den);
    }
    o[((batch * p.Lq + p.q_begin + r) * p.H + h) * DV + d] = num / den;
}
