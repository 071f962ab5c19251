#version 450
// channel_rms_norm (Wan VAE RMS_norm): x [B, C, P] contiguous f32, for each (b, p):
// y[b, c, p] = x[b, c, p] / max(‖x[b, :, p]‖₂, eps) · √C · gamma[c]. One thread per (b, p).
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint HAS_GAMMA = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Gamma { float gamma[]; };
layout(push_constant) uniform Push { uint count; uint C; uint P; float eps; } p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint batch = i / p.P;
    uint pos = i % p.P;
    uint base = batch * p.C * p.P + pos;
    float sq = 0.0;
    for (uint c = 0u; c < p.C; ++c) {
        float v = x[base + c * p.P];
        sq += v * v;
    }
    float factor = sqrt(float(p.C)) / max(sqrt(sq), p.eps);
    for (uint c = 0u; c < p.C; ++c) {
        float g = HAS_GAMMA == 1u ? gamma[c] : 1.0;
        y[base + c * p.P] = x[base + c * p.P] * factor * g;
    }
}
