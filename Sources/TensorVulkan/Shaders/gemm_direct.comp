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

layout(constant_id = 3) const uint VEC4 = 0u;

// Each operand is also seen as 4-element chunks (uvec4 of f32, uvec2 of halves): with VEC4 = 1 the
// host has checked that k is the contiguous axis, K % 4 == 0 and every row starts on a multiple of 4,
// so one load fetches 4 values of k (CPU implementations turn each per-lane load into a scalar load).
layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 0) readonly buffer A4 { uvec4 a4[]; };
layout(std430, binding = 0) readonly buffer A2 { uvec2 a2[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 1) readonly buffer B4 { uvec4 b4[]; };
layout(std430, binding = 1) readonly buffer B2 { uvec2 b2[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) readonly buffer Offsets { uint offsets[]; };
layout(push_constant) uniform Push {
    uint M; uint N; uint K;
    uint sam; uint sak; uint sbk; uint sbn; uint ldc;
} p;

const uint ROWS = 8u;
const uint COLS = 4u;
const uint PANEL = 16u;

// Four halves (two words, low half first) widened to f32.
vec4 unpack4(uvec2 w, uint dtype) {
    if (dtype == DTYPE_F16) {
        return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
    }
    return uintBitsToFloat(uvec4(w.x << 16, w.x & 0xFFFF0000u, w.y << 16, w.y & 0xFFFF0000u));
}

vec4 load4_a(uint i) {
    return A_DTYPE == DTYPE_F32 ? uintBitsToFloat(a4[i >> 2]) : unpack4(a2[i >> 2], A_DTYPE);
}

vec4 load4_b(uint i) {
    return B_DTYPE == DTYPE_F32 ? uintBitsToFloat(b4[i >> 2]) : unpack4(b2[i >> 2], B_DTYPE);
}

void main() {
    uint batch = gl_WorkGroupID.z;
    uint a_base = offsets[4u * batch];
    uint b_base = offsets[4u * batch + 1u];
    uint c_base = offsets[4u * batch + 2u];
    uint bias_base = offsets[4u * batch + 3u];
    // Groups run in order of their linear id. Walking PANEL row blocks for one column block before
    // the next keeps a panel of A (PANEL·8 rows) and one column block of B (32 rows of Wᵀ) in the
    // CPU caches; a plain row-major order would stream all of B once per 8 rows of A.
    uint row_blocks = (p.M + ROWS - 1u) / ROWS;
    uint col_blocks = (p.N + 8u * COLS - 1u) / (8u * COLS);
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (group >= row_blocks * col_blocks) {
        return;
    }
    uint panel_rows = min(PANEL, row_blocks - (group / (PANEL * col_blocks)) * PANEL);
    uint panel = group / (PANEL * col_blocks);
    uint inside = group % (PANEL * col_blocks);
    uint m0 = (panel * PANEL + inside % panel_rows) * ROWS;
    uint n0 = (inside / panel_rows) * 8u * COLS + gl_LocalInvocationID.x;
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
    if (VEC4 == 1u) {
        for (uint k = 0u; k < p.K; k += 4u) {
            vec4 av[ROWS];
            vec4 bv[COLS];
            [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
                av[i] = load4_a(rows[i] + k);
            }
            [[unroll]] for (uint j = 0u; j < COLS; ++j) {
                bv[j] = load4_b(cols[j] + k);
            }
            [[unroll]] for (uint i = 0u; i < ROWS; ++i) {
                [[unroll]] for (uint j = 0u; j < COLS; ++j) {
                    acc[i][j] += dot(av[i], bv[j]);
                }
            }
        }
    }
    for (uint k = 0u; VEC4 == 0u && k < p.K; ++k) {
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
