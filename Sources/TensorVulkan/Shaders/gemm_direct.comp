#version 450
// gemm_direct: the same product, operands, offsets and bias modes as gemm.comp, without shared
// memory: each invocation computes a 4×4 block of C straight from A and B. For CPU implementations
// of Vulkan (lavapipe), where work-group barriers are coroutine switches and the CPU caches already
// do what shared memory does on a GPU.
#include "common.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(constant_id = 0) const uint A_DTYPE = DTYPE_F32;
layout(constant_id = 1) const uint B_DTYPE = DTYPE_F32;
layout(constant_id = 2) const uint BIAS = 0u;

layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Offsets { uint offsets[]; };
layout(push_constant) uniform Push {
    uint M; uint N; uint K;
    uint sam; uint sak; uint sbk; uint sbn; uint ldc;
} p;

float load(uint word, uint i, uint dtype) {
    return load_packed(word, i, dtype);
}

void main() {
    uint batch = gl_WorkGroupID.z;
    uint a_base = offsets[4u * batch];
    uint b_base = offsets[4u * batch + 1u];
    uint c_base = offsets[4u * batch + 2u];
    uint bias_base = offsets[4u * batch + 3u];
    uint n0 = gl_GlobalInvocationID.x * 4u;
    uint m0 = gl_GlobalInvocationID.y * 4u;
    if (m0 >= p.M || n0 >= p.N) {
        return;
    }
    // Rows and columns past the edge re-read the last valid one; their results are not stored.
    uint rows[4];
    uint cols[4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        rows[i] = a_base + min(m0 + i, p.M - 1u) * p.sam;
        cols[i] = b_base + min(n0 + i, p.N - 1u) * p.sbn;
    }
    float acc[4][4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            acc[i][j] = 0.0;
        }
    }
    for (uint k = 0u; k < p.K; ++k) {
        float av[4];
        float bv[4];
        [[unroll]] for (uint i = 0u; i < 4u; ++i) {
            uint ia = rows[i] + k * p.sak;
            av[i] = load(a[packed_word(ia, A_DTYPE)], ia, A_DTYPE);
            uint ib = cols[i] + k * p.sbk;
            bv[i] = load(b[packed_word(ib, B_DTYPE)], ib, B_DTYPE);
        }
        [[unroll]] for (uint i = 0u; i < 4u; ++i) {
            [[unroll]] for (uint j = 0u; j < 4u; ++j) {
                acc[i][j] = fma(av[i], bv[j], acc[i][j]);
            }
        }
    }
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        uint m = m0 + i;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            uint n = n0 + j;
            if (m < p.M && n < p.N) {
                float v = acc[i][j];
                if (BIAS == 1u) {
                    v += bias[bias_base + n];
                } else if (BIAS == 2u) {
                    v += bias[bias_base + m];
                }
                c[c_base + m * p.ldc + n] = v;
            }
        }
    }
}
