#version 450
// gemm_direct: the same product, operands, offsets and bias modes as gemm.comp, without shared
// memory or barriers, shaped for CPU implementations of Vulkan (lavapipe), which run a work group
// of 8 invocations as one 8-lane SIMD vector and turn a barrier into a coroutine switch.
//
// A work group computes 8 rows × 32 columns of C: the rows depend only on the work-group id, so
// every A load is uniform (one scalar load, broadcast to all lanes); lane l owns columns
// n0 + l + 8j (j < 4), so each lane streams its own rows of B along k.
#include "common.glsl"

layout(local_size_x = 8) in;
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

const uint ROWS = 8u;
const uint COLS = 4u;

void main() {
    uint batch = gl_WorkGroupID.z;
    uint a_base = offsets[4u * batch];
    uint b_base = offsets[4u * batch + 1u];
    uint c_base = offsets[4u * batch + 2u];
    uint bias_base = offsets[4u * batch + 3u];
    uint m0 = gl_WorkGroupID.y * ROWS;
    uint n0 = gl_WorkGroupID.x * 8u * COLS + gl_LocalInvocationID.x;
    // Rows and columns past the edge re-read the last valid one; their results are not stored.
    uint rows[ROWS];
    uint cols[COLS];
    [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
        rows[i] = a_base + min(m0 + i, p.M - 1u) * p.sam;
    }
    [[unroll]] for (uint j = 0u; j < COLS; ++j) {
        cols[j] = b_base + min(n0 + 8u * j, p.N - 1u) * p.sbn;
    }
    float acc[ROWS][COLS];
    [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
        [[unroll]] for (uint j = 0u; j < COLS; ++j) {
            acc[i][j] = 0.0;
        }
    }
    for (uint k = 0u; k < p.K; ++k) {
        float av[ROWS];
        float bv[COLS];
        [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
            uint ia = rows[i] + k * p.sak;
            av[i] = load_packed(a[packed_word(ia, A_DTYPE)], ia, A_DTYPE);
        }
        [[unroll]] for (uint j = 0u; j < COLS; ++j) {
            uint ib = cols[j] + k * p.sbk;
            bv[j] = load_packed(b[packed_word(ib, B_DTYPE)], ib, B_DTYPE);
        }
        [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
            [[unroll]] for (uint j = 0u; j < COLS; ++j) {
                acc[i][j] = fma(av[i], bv[j], acc[i][j]);
            }
        }
    }
    [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
        uint m = m0 + i;
        [[unroll]] for (uint j = 0u; j < COLS; ++j) {
            uint n = n0 + 8u * j;
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
