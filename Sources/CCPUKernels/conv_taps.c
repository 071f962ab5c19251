/* The direct ("tap-shift") convolution for stride 1: on a zero-padded input laid out as one flat run
 * per channel, the input every output position n meets at kernel tap t is x[c][n + offset[t]], so
 * the convolution is one GEMM whose B operand is read straight from the input, shifted per tap:
 *   y[o][n] = bias[o] + Σ_t Σ_c W[o][c][t] · x[c][n + offset[t]].
 * n walks the padded grid; the positions that fall in the padding columns/rows are computed and
 * dropped when the tile is written out. No im2col copy: the only copies are the weights (packed per
 * block of 12 output channels) and, in the caller, the zero-padded input.
 * Micro-tile: 12 output channels × 32 positions (24 ZMM accumulators, two input vectors, one
 * broadcast weight), the same shape as the bf16 GEMM's. */
#include "CCPUKernels.h"
#include <string.h>

void oe_conv_pack_weights(const float *w, size_t cout, size_t cin, size_t taps, size_t block, float *out) {
    /* Written in order, read as 12 sequential streams (one per row): a pass per row would sweep the
     * whole panel 12 times with 48-byte strides. */
    const float *src[OE_CONV_ROWS];
    size_t rows = 0;
    for (size_t r = 0; r < OE_CONV_ROWS; r++) {
        size_t o = block * OE_CONV_ROWS + r;
        src[r] = o < cout ? w + o * cin * taps : NULL;
        if (o < cout) rows = r + 1;
    }
    for (size_t c = 0; c < cin; c++)
        for (size_t t = 0; t < taps; t++) {
            float *dst = out + (t * cin + c) * OE_CONV_ROWS;
            size_t q = c * taps + t;
            size_t r = 0;
            for (; r < rows; r++) dst[r] = src[r][q];
            for (; r < OE_CONV_ROWS; r++) dst[r] = 0;
        }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define OE_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
enum { TILE = 32, SUB_TILES = 8 };

/* acc (12 × 32, row-major) += the taps [0, ntaps) of a (packed: [tap][c][12]) applied to the
 * input at column n (tile's first position); only the lanes of m0/m1 are loaded from x. */
OE_TARGET
static void tile(const float *a, size_t cin, size_t ntaps, const ptrdiff_t *offset, const float *x, size_t ldx,
                 size_t n, __mmask16 m0, __mmask16 m1, float *acc_io) {
    __m512 acc[OE_CONV_ROWS][2];
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        acc[r][0] = _mm512_loadu_ps(acc_io + r * TILE);
        acc[r][1] = _mm512_loadu_ps(acc_io + r * TILE + 16);
    }
    for (size_t t = 0; t < ntaps; t++) {
        const float *xp = x + (ptrdiff_t)n + offset[t];
        for (size_t c = 0; c < cin; c++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, xp);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, xp + 16);
#define OE_ROW(r)                                                      \
    {                                                                  \
        __m512 w = _mm512_set1_ps(a[r]);                               \
        acc[r][0] = _mm512_fmadd_ps(w, b0, acc[r][0]);                 \
        acc[r][1] = _mm512_fmadd_ps(w, b1, acc[r][1]);                 \
    }
            OE_ROW(0) OE_ROW(1) OE_ROW(2) OE_ROW(3) OE_ROW(4) OE_ROW(5)
            OE_ROW(6) OE_ROW(7) OE_ROW(8) OE_ROW(9) OE_ROW(10) OE_ROW(11)
#undef OE_ROW
            a += OE_CONV_ROWS;
            xp += ldx;
        }
    }
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        _mm512_storeu_ps(acc_io + r * TILE, acc[r][0]);
        _mm512_storeu_ps(acc_io + r * TILE + 16, acc[r][1]);
    }
}

OE_TARGET
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const ptrdiff_t *offset, size_t tap_block, const float *x, size_t ldx, size_t n0, size_t n1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {
    float buf[SUB_TILES][OE_CONV_ROWS][TILE] __attribute__((aligned(64)));
    ptrdiff_t map[SUB_TILES * TILE];
    if (tap_block == 0) tap_block = 1;
    for (size_t s0 = n0; s0 < n1; s0 += SUB_TILES * TILE) {
        size_t s1 = s0 + SUB_TILES * TILE < n1 ? s0 + SUB_TILES * TILE : n1;
        size_t tiles = (s1 - s0 + TILE - 1) / TILE;
        /* Where each position lands in y, or -1 in the padding: walk (frame, row, column) along n. */
        size_t t = s0 / g->plane, rem = s0 % g->plane;
        size_t h = rem / g->width, w = rem % g->width;
        for (size_t n = s0; n < s1; n++) {
            map[n - s0] = h < g->out_height && w < g->out_width
                ? (ptrdiff_t)(t * g->out_plane + h * g->out_width + w) : -1;
            if (++w == g->width) {
                w = 0;
                if (++h == g->height) {
                    h = 0;
                    t++;
                }
            }
        }
        for (size_t b = 0; b < blocks; b++) {
            for (size_t i = 0; i < tiles; i++)
                for (int r = 0; r < OE_CONV_ROWS; r++) {
                    float v = bias[b] != NULL && (size_t)r < rows[b] ? bias[b][r] : 0.0f;
                    for (int j = 0; j < TILE; j++) buf[i][r][j] = v;
                }
            for (size_t t0 = 0; t0 < taps; t0 += tap_block) {
                size_t nt = taps - t0 < tap_block ? taps - t0 : tap_block;
                for (size_t i = 0; i < tiles; i++) {
                    size_t n = s0 + i * TILE;
                    size_t cols = s1 - n < TILE ? s1 - n : TILE;
                    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
                    __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
                    tile(panels[b] + t0 * cin * OE_CONV_ROWS, cin, nt, offset + t0, x, ldx, n, m0, m1, &buf[i][0][0]);
                }
            }
            for (size_t r = 0; r < rows[b]; r++)
                for (size_t j = 0; j < s1 - s0; j++)
                    if (map[j] >= 0) y[b][r * ldy + (size_t)map[j]] = buf[j / TILE][r][j % TILE];
        }
    }
}
#else
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const ptrdiff_t *offset, size_t tap_block, const float *x, size_t ldx, size_t n0, size_t n1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {}
#endif
