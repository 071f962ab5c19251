/* The AVX512_BF16 GEMM: vdpbf16ps multiplies 16 lanes of bf16 pairs and adds both products to f32
 * lanes, so one instruction does 32 multiply-adds. Micro-tile: 12 rows × 32 columns (24 ZMM
 * accumulators, two B vectors, one broadcast A pair). K is walked in blocks of KC pairs so one B
 * panel block (32 × 2·KC bf16 = 16 KiB) stays in L1 while every row tile of the call's rows uses it. */
#include "CCPUKernels.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define OE_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
enum { KC = 128 };

/* f32 → bf16 bits, nearest-even; NaN stays NaN (quiet). */
static inline uint32_t bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

OE_TARGET
void oe_bf16_convert_a(const float *a, size_t lda, size_t m, size_t k, size_t r0, size_t r1, uint32_t *out) {
    size_t kp = oe_bf16_pairs(k);
    for (size_t r = r0; r < r1; r++) {
        uint32_t *dst = out + r * kp;
        if (r >= m) {
            memset(dst, 0, kp * 4);
            continue;
        }
        const float *src = a + r * lda;
        size_t j = 0;
        /* 32 floats → 16 words per step; cvtne2ps puts its second operand in the low half. */
        for (; j + 32 <= k; j += 32) {
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + j + 16), _mm512_loadu_ps(src + j));
            _mm512_storeu_si512((void *)(dst + j / 2), (__m512i)v);
        }
        for (; j < k; j += 2) {
            uint32_t lo = bf16_bits(src[j]);
            uint32_t hi = j + 1 < k ? bf16_bits(src[j + 1]) : 0;
            dst[j / 2] = lo | (hi << 16);
        }
    }
}

void oe_bf16_pack_b(const void *b, int bIsBF16, size_t ldb, size_t n, size_t k, size_t p0, size_t p1,
                    uint32_t *out) {
    size_t kp = oe_bf16_pairs(k);
    for (size_t p = p0; p < p1; p++) {
        uint32_t *panel = out + p * OE_BF16_COLS * kp;
        for (size_t lane = 0; lane < OE_BF16_COLS; lane++) {
            size_t row = p * OE_BF16_COLS + lane;
            if (row >= n) {
                for (size_t q = 0; q < kp; q++) panel[q * OE_BF16_COLS + lane] = 0;
                continue;
            }
            if (bIsBF16) {
                const uint16_t *src = (const uint16_t *)b + row * ldb;
                for (size_t q = 0; q < kp; q++) {
                    uint32_t lo = src[2 * q];
                    uint32_t hi = 2 * q + 1 < k ? src[2 * q + 1] : 0;
                    panel[q * OE_BF16_COLS + lane] = lo | (hi << 16);
                }
            } else {
                const float *src = (const float *)b + row * ldb;
                for (size_t q = 0; q < kp; q++) {
                    uint32_t lo = bf16_bits(src[2 * q]);
                    uint32_t hi = 2 * q + 1 < k ? bf16_bits(src[2 * q + 1]) : 0;
                    panel[q * OE_BF16_COLS + lane] = lo | (hi << 16);
                }
            }
        }
    }
}

/* One 12 × 32 tile over pairs [q0, q0 + nq): a points at the tile's first row (row stride kp words)
 * at pair q0, b at the panel's pair q0. Sums start from C when `load`, else from zero; only `rows`
 * rows and `cols` columns of C are touched. */
OE_TARGET
static void tile(const uint32_t *a, size_t kp, const uint32_t *b, size_t nq, float *c, size_t ldc, size_t rows,
                 size_t cols, int load) {
    __m512 acc[OE_BF16_ROWS][2];
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    for (int r = 0; r < OE_BF16_ROWS; r++) {
        if (load && (size_t)r < rows) {
            acc[r][0] = _mm512_maskz_loadu_ps(m0, c + r * ldc);
            acc[r][1] = _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
        } else {
            acc[r][0] = _mm512_setzero_ps();
            acc[r][1] = _mm512_setzero_ps();
        }
    }
    for (size_t q = 0; q < nq; q++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(b + q * OE_BF16_COLS));
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + q * OE_BF16_COLS + 16));
#define OE_ROW(r)                                                                  \
    {                                                                              \
        __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[(r) * kp + q]);             \
        acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, b0);                            \
        acc[r][1] = _mm512_dpbf16_ps(acc[r][1], x, b1);                            \
    }
        OE_ROW(0) OE_ROW(1) OE_ROW(2) OE_ROW(3) OE_ROW(4) OE_ROW(5)
        OE_ROW(6) OE_ROW(7) OE_ROW(8) OE_ROW(9) OE_ROW(10) OE_ROW(11)
#undef OE_ROW
    }
    for (size_t r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
        _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
    }
}

OE_TARGET
void oe_bf16_gemm(const uint32_t *a, const uint32_t *packedB, size_t m, size_t n, size_t k, size_t r0, size_t r1,
                  float *c, size_t ldc, int accumulate) {
    size_t kp = oe_bf16_pairs(k);
    size_t panels = (n + OE_BF16_COLS - 1) / OE_BF16_COLS;
    if (r1 > m) r1 = m;
    for (size_t q0 = 0; q0 < kp || (kp == 0 && q0 == 0); q0 += KC) {
        size_t nq = kp - q0 < KC ? kp - q0 : KC;
        int load = accumulate || q0 > 0;
        for (size_t p = 0; p < panels; p++) {
            const uint32_t *b = packedB + p * OE_BF16_COLS * kp + q0 * OE_BF16_COLS;
            size_t cols = n - p * OE_BF16_COLS < OE_BF16_COLS ? n - p * OE_BF16_COLS : OE_BF16_COLS;
            for (size_t r = r0; r < r1; r += OE_BF16_ROWS) {
                size_t rows = r1 - r < OE_BF16_ROWS ? r1 - r : OE_BF16_ROWS;
                tile(a + r * kp + q0, kp, b, nq, c + r * ldc + p * OE_BF16_COLS, ldc, rows, cols, load);
            }
        }
        if (kp == 0) break;
    }
}
#else
void oe_bf16_convert_a(const float *a, size_t lda, size_t m, size_t k, size_t r0, size_t r1, uint32_t *out) {}
void oe_bf16_pack_b(const void *b, int bIsBF16, size_t ldb, size_t n, size_t k, size_t p0, size_t p1,
                    uint32_t *out) {}
void oe_bf16_gemm(const uint32_t *a, const uint32_t *packedB, size_t m, size_t n, size_t k, size_t r0, size_t r1,
                  float *c, size_t ldc, int accumulate) {}
#endif
