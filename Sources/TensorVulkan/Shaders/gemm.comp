#version 450
// gemm: C[b] = A[b]·B[b] (+ bias), tiled in shared memory, accumulated in f32.
//
// A is M×K with element (m, k) at a_off + m·sam + k·sak, B is K×N with (k, n) at b_off + k·sbk + n·sbn,
// so transposes and nn.Linear's Wᵀ are strides, not copies. A and B may be stored as f32, f16 or bf16
// (A_DTYPE, B_DTYPE; halves widened on load). Batch z reads its three element offsets (A, B, C)
// from `offsets`, which is how broadcast batches and conv groups are expressed.
// BIAS: 0 none, 1 bias[n] (linear), 2 bias[m] (convolution, M = output channels).
//
// Tiles: 64×64 outputs per work group of 16×16 threads, 4×4 per thread, K in steps of 16.
#include "common.glsl"

layout(local_size_x = 16, local_size_y = 16) in;
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

const uint TM = 64u;
const uint TN = 64u;
const uint TK = 16u;
// One column of padding keeps the column reads of the inner loop off a single shared-memory bank.
shared float tile_a[TK][TM + 1u];
shared float tile_b[TK][TN + 1u];

float load_a(uint base, uint m, uint k) {
    if (m >= p.M || k >= p.K) {
        return 0.0;
    }
    uint i = base + m * p.sam + k * p.sak;
    return load_packed(a[packed_word(i, A_DTYPE)], i, A_DTYPE);
}

float load_b(uint base, uint k, uint n) {
    if (k >= p.K || n >= p.N) {
        return 0.0;
    }
    uint i = base + k * p.sbk + n * p.sbn;
    return load_packed(b[packed_word(i, B_DTYPE)], i, B_DTYPE);
}

void main() {
    uint batch = gl_WorkGroupID.z;
    uint a_base = offsets[4u * batch];
    uint b_base = offsets[4u * batch + 1u];
    uint c_base = offsets[4u * batch + 2u];
    uint bias_base = offsets[4u * batch + 3u];
    uint m0 = gl_WorkGroupID.y * TM;
    uint n0 = gl_WorkGroupID.x * TN;
    uint tx = gl_LocalInvocationID.x;
    uint ty = gl_LocalInvocationID.y;
    uint tid = ty * 16u + tx;

    float acc[4][4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            acc[i][j] = 0.0;
        }
    }

    for (uint k0 = 0u; k0 < p.K; k0 += TK) {
        // 1024 elements per tile, 4 per thread; consecutive threads walk k, the contiguous axis of
        // row-major activations and of nn.Linear weights.
        [[unroll]] for (uint r = 0u; r < 4u; ++r) {
            uint e = tid + r * 256u;
            uint kk = e % TK;
            uint row = e / TK;
            tile_a[kk][row] = load_a(a_base, m0 + row, k0 + kk);
            tile_b[kk][row] = load_b(b_base, k0 + kk, n0 + row);
        }
        barrier();
        [[unroll]] for (uint kk = 0u; kk < TK; ++kk) {
            float av[4];
            float bv[4];
            [[unroll]] for (uint i = 0u; i < 4u; ++i) {
                av[i] = tile_a[kk][ty + 16u * i];
                bv[i] = tile_b[kk][tx + 16u * i];
            }
            [[unroll]] for (uint i = 0u; i < 4u; ++i) {
                [[unroll]] for (uint j = 0u; j < 4u; ++j) {
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
                }
            }
        }
        barrier();
    }

    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        uint m = m0 + ty + 16u * i;
        if (m >= p.M) {
            continue;
        }
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            uint n = n0 + tx + 16u * j;
            if (n >= p.N) {
                continue;
            }
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
