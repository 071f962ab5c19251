#version 450
// pad: y = x padded per axis (contiguous f32 in and out). MODE 0 constant, 1 replicate (nearest
// edge), 2 reflect (mirror without repeating the edge). Meta: rank, out shape, in shape, before.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0u;

layout(std430, binding = 0) readonly buffer In { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };
layout(std430, binding = 2) readonly buffer Meta { uint meta[]; };
layout(push_constant) uniform Push { uint count; float value; } p;

void main() {
    uint i = linear_index(256u);
    if (i >= p.count) {
        return;
    }
    uint rank = meta[0];
    uint rest = i;
    uint src = 0u;
    uint step = 1u;
    bool inside = true;
    for (uint k = rank; k > 0u; --k) {
        uint axis = k - 1u;
        uint out_size = meta[1u + axis];
        uint in_size = meta[1u + rank + axis];
        int before = int(meta[1u + 2u * rank + axis]);
        int pos = int(rest % out_size) - before;
        rest /= out_size;
        int n = int(in_size);
        if (pos < 0 || pos >= n) {
            if (MODE == 0u) {
                inside = false;
            } else if (MODE == 1u) {
                pos = clamp(pos, 0, n - 1);
            } else {
                // Reflect about the edges; the host checks padding < size, so one fold suffices.
                pos = pos < 0 ? -pos : 2 * (n - 1) - pos;
            }
        }
        src += uint(max(pos, 0)) * step;
        step *= in_size;
    }
    y[i] = inside ? x[src] : p.value;
}
