#version 450
// im2col of one batch item and one range of output positions: x [C, T, H, W] contiguous f32 from
// element x_offset (1-D and 2-D convolutions use T = H = 1 axes) -> columns [C·KT·KH·KW, chunk]:
// row (c, kt, kh, kw), column j = output position (t, h, w) = first + j, holds
// x[c, t·st + kt·dt − pt, h·sh + kh·dh − ph, w·sw + kw·dw − pw], 0 outside the input.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float cols[]; };
layout(push_constant) uniform Push {
    uint count; uint C;
    uint T; uint H; uint W;
    uint KT; uint KH; uint KW;
    uint TO; uint HO; uint WO;
    uint st; uint sh; uint sw;
    uint dt; uint dh; uint dw;
    uint pt; uint ph; uint pw;
    uint x_offset;
    uint first;
    uint chunk;
} p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint column = p.first + i % p.chunk;
    uint row = i / p.chunk;
    uint wo = column % p.WO;
    uint ho = (column / p.WO) % p.HO;
    uint to = column / (p.WO * p.HO);
    uint kw = row % p.KW;
    uint kh = (row / p.KW) % p.KH;
    uint kt = (row / (p.KW * p.KH)) % p.KT;
    uint c = row / (p.KW * p.KH * p.KT);
    int t = int(to * p.st + kt * p.dt) - int(p.pt);
    int h = int(ho * p.sh + kh * p.dh) - int(p.ph);
    int w = int(wo * p.sw + kw * p.dw) - int(p.pw);
    float v = 0.0;
    if (t >= 0 && t < int(p.T) && h >= 0 && h < int(p.H) && w >= 0 && w < int(p.W)) {
        v = x[p.x_offset + (((c * p.T + uint(t)) * p.H + uint(h)) * p.W) + uint(w)];
    }
    cols[i] = v;
}
