/* CCPUKernels: the C half of the CPU backend: what Swift cannot express at our baseline x86-64
 * compile level. The CPU feature probe (cpuid + xgetbv) and, compiled per function for the ISA it
 * needs and called only after the probe says the CPU has it, the AVX512-BF16 GEMM kernel and the
 * fused attention kernels (AVX-512, AVX2). */
#ifndef CCPUKERNELS_H
#define CCPUKERNELS_H
#include <stddef.h>
#include <stdint.h>

/* What the processor and the operating system support (1 = yes). The OS flags say whether the
 * kernel saves the YMM / ZMM register state on a context switch (XCR0), without which the
 * instructions fault even when cpuid lists them. */
typedef struct OECPUFeatures {
    char vendor[13];
    int sse3, ssse3, sse41, sse42, avx, avx2, fma;
    int avx512f, avx512dq, avx512bw, avx512vl, avx512bf16, amxbf16;
    int osYMM, osZMM;
} OECPUFeatures;

/* Fills `out` from cpuid on x86-64; all zero elsewhere. */
void oe_cpu_features(OECPUFeatures *out);

/* ---- bf16 GEMM (AVX512_BF16): C[m, n] (+)= A[m, k] · B[n, k]ᵀ with bf16 operands, f32 sums ----
 * Operands are first put in the kernel's layouts (both rounded to bf16, nearest-even):
 *  - A: rows of `oe_bf16_pairs(k)` 32-bit words, each word two neighbouring k values (zero-padded),
 *    rows padded with zero rows to a multiple of OE_BF16_ROWS;
 *  - B: panels of OE_BF16_COLS rows of B; per panel, for every k pair, one word per row (zero-padded
 *    past n): `oe_bf16_packed_b_words(n, k)` words in all.
 * Call these only when the CPU and OS support AVX512F + AVX512_BF16 (see oe_cpu_features). */
enum { OE_BF16_ROWS = 12, OE_BF16_COLS = 32 };

static inline size_t oe_bf16_pairs(size_t k) { return (k + 1) / 2; }
static inline size_t oe_bf16_padded_rows(size_t m) { return (m + OE_BF16_ROWS - 1) / OE_BF16_ROWS * OE_BF16_ROWS; }
static inline size_t oe_bf16_packed_b_words(size_t n, size_t k) {
    return (n + OE_BF16_COLS - 1) / OE_BF16_COLS * OE_BF16_COLS * oe_bf16_pairs(k);
}

/* Rows [r0, r1) of A (f32, row stride lda) into the A layout `out` (row stride oe_bf16_pairs(k)
 * words); rows at or past `m` (padding) are zeroed. */
void oe_bf16_convert_a(const float *a, size_t lda, size_t m, size_t k, size_t r0, size_t r1, uint32_t *out);

/* Panels [p0, p1) of B (n rows of k values, row stride ldb elements; f32 when bIsBF16 = 0, else
 * raw bf16 bits) into the packed B layout `out` (the whole packed buffer). */
void oe_bf16_pack_b(const void *b, int bIsBF16, size_t ldb, size_t n, size_t k, size_t p0, size_t p1,
                    uint32_t *out);

/* Rows [r0, r1) of C (r0 a multiple of OE_BF16_ROWS; rows past m are not written), all n columns:
 * C = A·Bᵀ, or C += A·Bᵀ when `accumulate` (a bias already in C). */
void oe_bf16_gemm(const uint32_t *a, const uint32_t *packedB, size_t m, size_t n, size_t k, size_t r0, size_t r1,
                  float *c, size_t ldc, int accumulate);

/* ---- Fused attention (attention_block.h, instantiated in attention_kernels.c) ----
 * O[i] = softmax_j(scale · Q[i]·K[j]) · V[j] for nq query rows of one head (Q row stride ldq) over
 * lk ≥ 1 keys (K, V row strides ldk, ldv; head dims dk, dv); O rows at stride ldo. Keys are taken
 * `keyBlock` at a time (online softmax). `scratch` holds oe_attention_scratch_floats(nq, keyBlock,
 * dk, dv) floats, owned by the calling thread. The _avx512 one needs AVX-512 F/DQ/BW/VL, the _avx2
 * one AVX2 + FMA (CPU and OS). */
enum { OE_ATTENTION_STRIP = 32 }; /* the widest strip of queries (AVX-512: 2 × 16 lanes) */

static inline size_t oe_attention_scratch_floats(size_t nq, size_t keyBlock, size_t dk, size_t dv) {
    size_t bq = (nq + OE_ATTENTION_STRIP - 1) / OE_ATTENTION_STRIP * OE_ATTENTION_STRIP;
    return bq * (dk + keyBlock + dv + 2);
}

void oe_attention_block_avx512(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                               size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                               size_t ldo, float *scratch);
void oe_attention_block_avx2(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                             size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                             size_t ldo, float *scratch);

/* ---- direct convolution, stride 1 (conv_taps.c; the kernel needs AVX-512 F/BW/VL/DQ) ----
 * The input x: per channel one run of ldx floats, the volume (frames × height × width, row-major) as
 * given — no padded copy: taps that fall in the zero padding are masked off or skipped.
 * The weights: per block of OE_CONV_ROWS output channels a panel [tap][cin][OE_CONV_ROWS]
 * (oe_conv_pack_weights; rows past cout are zero). */
enum { OE_CONV_ROWS = 12, OE_CONV_LANES = 16, OE_CONV_MAX_TAPS = 512 };

/* Where kernel tap t reads, relative to the output position (t, h, w): input frame t + frame, row
 * h + row, column w + column (dilation applied, padding subtracted); `flat` = the same as one offset
 * on the input grid (flat mode only, where there is no padding). */
typedef struct OEConvTap {
    ptrdiff_t frame, row, column, flat;
} OEConvTap;

/* The input grid (plane = height · width), the output grid and how output positions are grouped into
 * 16-lane vectors, the unit of work:
 * - row_vectors > 0 (row mode): every output row is split into row_vectors = ⌈out_width/16⌉ vectors;
 *   vector v is (row v / row_vectors, part v % row_vectors). Taps in the padding are masked per lane.
 * - row_vectors = 0 (flat mode, only without padding): vector v is the input grid's positions
 *   [16v, 16v + 16), cut at `columns` (the last position that reaches an output, plus one); lanes past
 *   the output columns are computed and dropped. Cheaper when rows are short and not a multiple of 16. */
typedef struct OEConvGrid {
    size_t frames, plane, width, height;
    size_t out_plane, out_width, out_height;
    size_t columns, row_vectors;
} OEConvGrid;

/* Output channels [block·12, block·12 + 12) of w [cout][cin][taps] into the panel `out`
 * (taps · cin · OE_CONV_ROWS floats). Plain C: any CPU. */
void oe_conv_pack_weights(const float *w, size_t cout, size_t cin, size_t taps, size_t block, float *out);

/* For each of `blocks` channel blocks b (panel panels[b], rows[b] ≤ 12 real channels, output rows at
 * y[b] with row stride ldy, bias[b] or NULL) and the vectors [v0, v1) of `grid`: writes
 * y[b][r][p] = bias + Σ_t Σ_c panel[t][c][r] · x[c·ldx + in(p, t)] for each output position p of those
 * vectors, where in(p, t) is tap t's input position (zero where it falls outside the input).
 * taps ≤ OE_CONV_MAX_TAPS. Reads x only inside [0, cin·ldx). */
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const OEConvTap *tap, const float *x, size_t ldx, size_t v0, size_t v1,
                  const OEConvGrid *grid, float *const *y, size_t ldy, const float *const *bias);

#endif
