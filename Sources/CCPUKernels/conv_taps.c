/* The direct ("tap-shift") convolution for stride 1: on a zero-padded input laid out as one flat run
 * per channel, the input every output position n meets at kernel tap t is x[c][n + offset[t]], so
 * the convolution is one GEMM whose B operand is read straight from the input, shifted per tap:
 *   y[o][n] = bias[o] + Σ_t Σ_c W[o][c][t] · x[c][n + offset[t]].
 * Output positions go in 16-lane vectors, each inside one output row (or, for short odd rows, 16
 * consecutive padded-grid positions, the padding lanes dropped at write-out: see OEConvGrid). No
 * im2col copy: the only copies are the weights (packed per block of 12 output channels) and, in the
 * caller, the zero-padded input.
 * Micro-tile: 12 output channels × two vectors (24 ZMM accumulators, two input vectors, one
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
enum { LANES = 16, TILE = 2 * LANES, SUB_TILES = 8, VECTORS = 2 * SUB_TILES };

/* acc (12 × 32, row-major) += the packed panel a ([tap][c][12], lda_tap floats per tap) applied to
 * the two 16-lane vectors of the input starting at padded-grid positions n0 and n1; only the lanes
 * of m0/m1 are loaded from x. */
OE_TARGET
static void tile(const float *a, size_t lda_tap, size_t cin, size_t taps, const ptrdiff_t *offset, const float *x,
                 size_t ldx, size_t n0, size_t n1, __mmask16 m0, __mmask16 m1, float *acc_io) {
    __m512 acc[OE_CONV_ROWS][2];
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        acc[r][0] = _mm512_loadu_ps(acc_io + r * TILE);
        acc[r][1] = _mm512_loadu_ps(acc_io + r * TILE + LANES);
    }
    const ptrdiff_t second = (ptrdiff_t)n1 - (ptrdiff_t)n0;
    for (size_t t = 0; t < taps; t++) {
        const float *xp = x + (ptrdiff_t)n0 + offset[t];
        const float *ap = a + t * lda_tap;
        for (size_t c = 0; c < cin; c++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, xp);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, xp + second);
#define OE_ROW(r)                                                      \
    {                                                                  \
        __m512 w = _mm512_set1_ps(ap[r]);                              \
        acc[r][0] = _mm512_fmadd_ps(w, b0, acc[r][0]);                 \
        acc[r][1] = _mm512_fmadd_ps(w, b1, acc[r][1]);                 \
    }
            OE_ROW(0) OE_ROW(1) OE_ROW(2) OE_ROW(3) OE_ROW(4) OE_ROW(5)
            OE_ROW(6) OE_ROW(7) OE_ROW(8) OE_ROW(9) OE_ROW(10) OE_ROW(11)
#undef OE_ROW
            ap += OE_CONV_ROWS;
            xp += ldx;
        }
    }
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        _mm512_storeu_ps(acc_io + r * TILE, acc[r][0]);
        _mm512_storeu_ps(acc_io + r * TILE + LANES, acc[r][1]);
    }
}

/* Vector v of the grid: its first position on the padded grid, its real lanes and (row mode) its
 * first output position. */
static inline void vector_at(const OEConvGrid *g, size_t v, size_t *start, unsigned *lanes, size_t *out) {
    if (g->row_vectors > 0) {
        size_t row = v / g->row_vectors, w0 = v % g->row_vectors * LANES;
        size_t t = row / g->out_height, h = row % g->out_height;
        *start = t * g->plane + h * g->width + w0;
        *lanes = (unsigned)(g->out_width - w0 < LANES ? g->out_width - w0 : LANES);
        *out = t * g->out_plane + h * g->out_width + w0;
    } else {
        *start = v * LANES;
        *lanes = (unsigned)(g->columns - *start < LANES ? g->columns - *start : LANES);
        *out = 0;
    }
}

/* One vector's lanes of one output row: a masked store in row mode; in flat mode lane by lane,
 * dropping the lanes that fall in the padding. */
OE_TARGET
static void write_vector(const OEConvGrid *g, const float *src, float *dst, size_t start, unsigned lanes, size_t out) {
    if (g->row_vectors > 0) {
        _mm512_mask_storeu_ps(dst + out, (__mmask16)((1u << lanes) - 1), _mm512_loadu_ps(src));
        return;
    }
    size_t t = start / g->plane, rem = start % g->plane, h = rem / g->width, w = rem % g->width;
    for (unsigned j = 0; j < lanes; j++) {
        if (h < g->out_height && w < g->out_width) dst[t * g->out_plane + h * g->out_width + w] = src[j];
        if (++w == g->width) {
            w = 0;
            if (++h == g->height) {
                h = 0;
                t++;
            }
        }
    }
}

OE_TARGET
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const ptrdiff_t *offset, const float *x, size_t ldx, size_t v0, size_t v1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {
    float buf[SUB_TILES][OE_CONV_ROWS][TILE] __attribute__((aligned(64)));
    size_t start[VECTORS], out[VECTORS];
    unsigned lanes[VECTORS];
    for (size_t s0 = v0; s0 < v1; s0 += VECTORS) {
        size_t nv = v1 - s0 < VECTORS ? v1 - s0 : VECTORS;
        for (size_t k = 0; k < nv; k++) vector_at(g, s0 + k, &start[k], &lanes[k], &out[k]);
        size_t tiles = (nv + 1) / 2;
        /* Panel by panel: a panel (≤ 1.3 MB at 1024 channels) is read once per 256 positions, and the
         * input those positions meet is read once per panel, from L2 up to ~256 channels. */
        for (size_t b = 0; b < blocks; b++) {
            for (size_t i = 0; i < tiles; i++)
                for (int r = 0; r < OE_CONV_ROWS; r++) {
                    float v = bias[b] != NULL && (size_t)r < rows[b] ? bias[b][r] : 0.0f;
                    for (int j = 0; j < TILE; j++) buf[i][r][j] = v;
                }
            for (size_t i = 0; i < tiles; i++) {
                size_t k0 = 2 * i, k1 = k0 + 1 < nv ? k0 + 1 : k0;
                __mmask16 m0 = (__mmask16)((1u << lanes[k0]) - 1);
                __mmask16 m1 = k1 != k0 ? (__mmask16)((1u << lanes[k1]) - 1) : 0;
                tile(panels[b], cin * OE_CONV_ROWS, cin, taps, offset, x, ldx, start[k0], start[k1], m0, m1,
                     &buf[i][0][0]);
            }
            float *dst = y[b];
            for (size_t r = 0; r < rows[b]; r++, dst += ldy)
                for (size_t k = 0; k < nv; k++)
                    write_vector(g, &buf[k / 2][r][k % 2 * LANES], dst, start[k], lanes[k], out[k]);
        }
    }
}
#else
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const ptrdiff_t *offset, const float *x, size_t ldx, size_t v0, size_t v1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {}
#endif
