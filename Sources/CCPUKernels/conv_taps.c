/* The direct convolution for stride 1: the input every output position meets at kernel tap t is the
 * input shifted by that tap, so the convolution is one GEMM whose B operand is read straight from the
 * input, shifted per tap:  y[o][p] = bias[o] + Σ_t Σ_c W[o][c][t] · x[c][p + shift(t)].
 * Output positions go in 16-lane vectors, each inside one output row; lanes whose tap falls in the
 * zero padding are masked off (no padded copy of the input). Short odd rows without padding may
 * instead run the input grid flat, the lanes past the output columns dropped (see OEConvGrid). No
 * im2col copy: the only copy is of the weights (packed per block of 12 output channels).
 * Micro-tile: 12 output channels × two vectors (24 ZMM accumulators, two input vectors, one
 * broadcast weight), the same shape as the bf16 GEMM's. */
#include "CCPUKernels.h"
#include <stdlib.h>
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
enum { LANES = OE_CONV_LANES, TILE = 2 * LANES, SUB_TILES = 8, VECTORS = 2 * SUB_TILES };

/* Where one tile's two vectors read at each tap: input offsets and lane masks (0: the tap is
 * entirely in the padding for that vector). */
typedef struct TapReads {
    ptrdiff_t off[2][OE_CONV_MAX_TAPS];
    __mmask16 mask[2][OE_CONV_MAX_TAPS];
} TapReads;

/* acc (12 × 32, row-major) += the packed panel a ([tap][c][12], lda_tap floats per tap) applied to
 * the two 16-lane input vectors at each tap's offsets; only the masked lanes are loaded. */
OE_TARGET
static void tile(const float *a, size_t lda_tap, size_t cin, size_t taps, const TapReads *reads, const float *x,
                 size_t ldx, float *acc_io) {
    __m512 acc[OE_CONV_ROWS][2];
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        acc[r][0] = _mm512_loadu_ps(acc_io + r * TILE);
        acc[r][1] = _mm512_loadu_ps(acc_io + r * TILE + LANES);
    }
    for (size_t t = 0; t < taps; t++) {
        const __mmask16 m0 = reads->mask[0][t], m1 = reads->mask[1][t];
        if ((m0 | m1) == 0) continue;
        const float *x0 = x + reads->off[0][t];
        const float *x1 = x + reads->off[1][t];
        const float *ap = a + t * lda_tap;
        for (size_t c = 0; c < cin; c++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, x0);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, x1);
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
            x0 += ldx;
            x1 += ldx;
        }
    }
    for (int r = 0; r < OE_CONV_ROWS; r++) {
        _mm512_storeu_ps(acc_io + r * TILE, acc[r][0]);
        _mm512_storeu_ps(acc_io + r * TILE + LANES, acc[r][1]);
    }
}

/* Vector v of the grid: its output row (row mode: frame t, row h, first column w0; flat mode: the
 * first input-grid position in `start`), its real lanes and (row mode) its first output position. */
typedef struct Vector {
    size_t t, h, w0, start, out;
    unsigned lanes;
} Vector;

static inline Vector vector_at(const OEConvGrid *g, size_t v) {
    Vector r = {0, 0, 0, 0, 0, 0};
    if (g->row_vectors > 0) {
        size_t row = v / g->row_vectors;
        r.w0 = v % g->row_vectors * LANES;
        r.t = row / g->out_height;
        r.h = row % g->out_height;
        r.lanes = (unsigned)(g->out_width - r.w0 < LANES ? g->out_width - r.w0 : LANES);
        r.out = r.t * g->out_plane + r.h * g->out_width + r.w0;
    } else {
        r.start = v * LANES;
        r.lanes = (unsigned)(g->columns - r.start < LANES ? g->columns - r.start : LANES);
    }
    return r;
}

static inline __mmask16 lane_range(ptrdiff_t lo, ptrdiff_t hi) {
    if (lo < 0) lo = 0;
    if (hi > LANES) hi = LANES;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* The offsets and masks of vector `v` (slot 0 or 1 of the tile) at every tap; a missing vector
 * (the tile's second slot past the end) reads nothing. */
static void tap_reads(const OEConvGrid *g, const OEConvTap *tap, size_t taps, const Vector *v, int slot,
                      TapReads *reads) {
    for (size_t t = 0; t < taps; t++) {
        if (v == NULL) {
            reads->off[slot][t] = 0;
            reads->mask[slot][t] = 0;
        } else if (g->row_vectors == 0) {
            reads->off[slot][t] = (ptrdiff_t)v->start + tap[t].flat;
            reads->mask[slot][t] = lane_range(0, v->lanes);
        } else {
            ptrdiff_t f = (ptrdiff_t)v->t + tap[t].frame, h = (ptrdiff_t)v->h + tap[t].row;
            ptrdiff_t w = (ptrdiff_t)v->w0 + tap[t].column;
            int inside = f >= 0 && f < (ptrdiff_t)g->frames && h >= 0 && h < (ptrdiff_t)g->height;
            reads->off[slot][t] = inside ? f * (ptrdiff_t)g->plane + h * (ptrdiff_t)g->width + w : 0;
            reads->mask[slot][t] = inside ? lane_range(-w, (ptrdiff_t)g->width - w) & lane_range(0, v->lanes) : 0;
        }
    }
}

/* One vector's lanes of one output row: a masked store in row mode; in flat mode lane by lane,
 * dropping the lanes past the output columns. */
OE_TARGET
static void write_vector(const OEConvGrid *g, const float *src, float *dst, const Vector *v) {
    if (g->row_vectors > 0) {
        _mm512_mask_storeu_ps(dst + v->out, (__mmask16)((1u << v->lanes) - 1), _mm512_loadu_ps(src));
        return;
    }
    size_t t = v->start / g->plane, rem = v->start % g->plane, h = rem / g->width, w = rem % g->width;
    for (unsigned j = 0; j < v->lanes; j++) {
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
                  const OEConvTap *tap, const float *x, size_t ldx, size_t v0, size_t v1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {
    float buf[SUB_TILES][OE_CONV_ROWS][TILE] __attribute__((aligned(64)));
    Vector vec[VECTORS];
    if (taps > OE_CONV_MAX_TAPS) return;
    TapReads *reads = malloc(SUB_TILES * sizeof(TapReads));
    if (reads == NULL) return;
    for (size_t s0 = v0; s0 < v1; s0 += VECTORS) {
        size_t nv = v1 - s0 < VECTORS ? v1 - s0 : VECTORS;
        size_t tiles = (nv + 1) / 2;
        for (size_t k = 0; k < nv; k++) vec[k] = vector_at(g, s0 + k);
        for (size_t i = 0; i < tiles; i++) {
            tap_reads(g, tap, taps, &vec[2 * i], 0, &reads[i]);
            tap_reads(g, tap, taps, 2 * i + 1 < nv ? &vec[2 * i + 1] : NULL, 1, &reads[i]);
        }
        /* Panel by panel: a panel (≤ 1.3 MB at 1024 channels) is read once per 256 positions, and the
         * input those positions meet is read once per panel, from L2 up to ~256 channels. */
        for (size_t b = 0; b < blocks; b++) {
            for (size_t i = 0; i < tiles; i++)
                for (int r = 0; r < OE_CONV_ROWS; r++) {
                    float v = bias[b] != NULL && (size_t)r < rows[b] ? bias[b][r] : 0.0f;
                    for (int j = 0; j < TILE; j++) buf[i][r][j] = v;
                }
            for (size_t i = 0; i < tiles; i++)
                tile(panels[b], cin * OE_CONV_ROWS, cin, taps, &reads[i], x, ldx, &buf[i][0][0]);
            float *dst = y[b];
            for (size_t r = 0; r < rows[b]; r++, dst += ldy)
                for (size_t k = 0; k < nv; k++) write_vector(g, &buf[k / 2][r][k % 2 * LANES], dst, &vec[k]);
        }
    }
    free(reads);
}
#else
void oe_conv_taps(const float *const *panels, const size_t *rows, size_t blocks, size_t cin, size_t taps,
                  const OEConvTap *tap, const float *x, size_t ldx, size_t v0, size_t v1,
                  const OEConvGrid *g, float *const *y, size_t ldy, const float *const *bias) {}
#endif
