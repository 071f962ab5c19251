/* Fused attention for one head and one block of query rows, AVX-512 (F + DQ; FMA).
 *
 * The block is worked in strips of 32 queries held in the vector lanes (two ZMM), and everything is
 * computed transposed — scores Sᵀ[key][query], output Oᵀ[dim][query] — so that:
 *  - K and V are read in place, one scalar broadcast per key element (no packing per tile);
 *  - the online softmax is per lane: the running max, the correction and the sum of each query are
 *    plain vector max / exp2 / add over the keys, with no horizontal reduction and no scalar tail;
 *  - the block's maximum is taken while the scores are still in registers.
 * Only Q is repacked (transposed, pre-multiplied by scale·log₂e, once per block) and O transposed
 * back at the end; both are O(rows·dim), next to O(rows·keys·dim) arithmetic.
 *
 * Per strip and key block: Sᵀ tile 12 keys × 32 queries (24 accumulators, broadcast K[j][p], two
 * loads of Qᵀ[p]); P = 2^(S − m) in place; Oᵀ tile 8 dims × 32 queries (16 accumulators, broadcast
 * V[j][p..p+7], two loads of Pᵀ[j]), rescaled by the correction when it is loaded. */
#include "CCPUKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define OE_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define OE_INLINE static inline __attribute__((always_inline))
/* Fully unrolled, so that the accumulator arrays live in registers. */
#define OE_UNROLL _Pragma("clang loop unroll(full)")

enum { STRIP = OE_ATTENTION_STRIP, QK_KEYS = 12, PV_DIMS = 8 };

/* 2ˣ for x ≤ 0 (a log₂-unit score minus its running maximum), relative error ≲ 2e-7: x = n + r with
 * |r| ≤ ½ exact in base 2, 2ʳ a degree-5 polynomial, 2ⁿ by scalef. Clamped at −126 so that −∞ and
 * tiny values give 2⁻¹²⁶ (a normal float, no denormal stalls), negligible next to the row's 2⁰. */
OE_AVX512 OE_INLINE __m512 exp2_nonpositive(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-126.0f));
    __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_sub_ps(x, n);
    __m512 p = _mm512_set1_ps(1.326472498e-3f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.671512991e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.550733581e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(2.402224243e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(6.931470037e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Sᵀ[j][0..32) = Σ_p K[j][p]·Qᵀ[p][0..32) for NJ keys; raises *m0, *m1 to the lane-wise maximum. */
OE_AVX512 OE_INLINE void scores_tile(int nj, const float *k, size_t ldk, const float *qt, size_t bq, size_t dk,
                                     float *st, __m512 *m0, __m512 *m1) {
    __m512 a0[QK_KEYS], a1[QK_KEYS];
    const float *kr[QK_KEYS];
    OE_UNROLL
    for (int j = 0; j < nj; j++) {
        a0[j] = _mm512_setzero_ps();
        a1[j] = _mm512_setzero_ps();
        kr[j] = k + (size_t)j * ldk;
    }
    for (size_t p = 0; p < dk; p++) {
        __m512 q0 = _mm512_loadu_ps(qt + p * bq);
        __m512 q1 = _mm512_loadu_ps(qt + p * bq + 16);
        OE_UNROLL
        for (int j = 0; j < nj; j++) {
            __m512 kb = _mm512_set1_ps(kr[j][p]);
            a0[j] = _mm512_fmadd_ps(kb, q0, a0[j]);
            a1[j] = _mm512_fmadd_ps(kb, q1, a1[j]);
        }
    }
    OE_UNROLL
    for (int j = 0; j < nj; j++) {
        _mm512_storeu_ps(st + (size_t)j * bq, a0[j]);
        _mm512_storeu_ps(st + (size_t)j * bq + 16, a1[j]);
        *m0 = _mm512_max_ps(*m0, a0[j]);
        *m1 = _mm512_max_ps(*m1, a1[j]);
    }
}

/* Oᵀ[r][0..32) = Oᵀ[r]·c + Σ_j V[j][r]·Pᵀ[j][0..32) for NP dims r (Oᵀ starts from zero when `first`). */
OE_AVX512 OE_INLINE void values_tile(int np, const float *v, size_t ldv, const float *st, size_t bq, size_t nk,
                                     float *ot, __m512 c0, __m512 c1, int first) {
    __m512 a0[PV_DIMS], a1[PV_DIMS];
    OE_UNROLL
    for (int r = 0; r < np; r++) {
        if (first) {
            a0[r] = _mm512_setzero_ps();
            a1[r] = _mm512_setzero_ps();
        } else {
            a0[r] = _mm512_mul_ps(_mm512_loadu_ps(ot + (size_t)r * bq), c0);
            a1[r] = _mm512_mul_ps(_mm512_loadu_ps(ot + (size_t)r * bq + 16), c1);
        }
    }
    for (size_t j = 0; j < nk; j++) {
        __m512 p0 = _mm512_loadu_ps(st + j * bq);
        __m512 p1 = _mm512_loadu_ps(st + j * bq + 16);
        const float *vr = v + j * ldv;
        OE_UNROLL
        for (int r = 0; r < np; r++) {
            __m512 vb = _mm512_set1_ps(vr[r]);
            a0[r] = _mm512_fmadd_ps(vb, p0, a0[r]);
            a1[r] = _mm512_fmadd_ps(vb, p1, a1[r]);
        }
    }
    OE_UNROLL
    for (int r = 0; r < np; r++) {
        _mm512_storeu_ps(ot + (size_t)r * bq, a0[r]);
        _mm512_storeu_ps(ot + (size_t)r * bq + 16, a1[r]);
    }
}

/* Each case calls the tile with a constant count, so its loops unroll and its arrays stay in registers. */
OE_AVX512 static void scores_tile_n(int nj, const float *k, size_t ldk, const float *qt, size_t bq, size_t dk,
                                    float *st, __m512 *m0, __m512 *m1) {
    switch (nj) {
#define OE_CASE(n) \
    case n: scores_tile(n, k, ldk, qt, bq, dk, st, m0, m1); break;
        OE_CASE(1) OE_CASE(2) OE_CASE(3) OE_CASE(4) OE_CASE(5) OE_CASE(6)
        OE_CASE(7) OE_CASE(8) OE_CASE(9) OE_CASE(10) OE_CASE(11) OE_CASE(12)
#undef OE_CASE
    default: break;
    }
}

OE_AVX512 static void values_tile_n(int np, const float *v, size_t ldv, const float *st, size_t bq, size_t nk,
                                    float *ot, __m512 c0, __m512 c1, int first) {
    switch (np) {
#define OE_CASE(n) \
    case n: values_tile(n, v, ldv, st, bq, nk, ot, c0, c1, first); break;
        OE_CASE(1) OE_CASE(2) OE_CASE(3) OE_CASE(4) OE_CASE(5) OE_CASE(6) OE_CASE(7) OE_CASE(8)
#undef OE_CASE
    default: break;
    }
}

OE_AVX512
void oe_attention_block_avx512(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                               size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                               size_t ldo, float *scratch) {
    if (nq == 0 || lk == 0) return;
    size_t strips = (nq + STRIP - 1) / STRIP;
    size_t bq = strips * STRIP;
    if (keyBlock == 0) keyBlock = 1;
    float *qt = scratch;               /* [dk][bq] */
    float *st = qt + dk * bq;          /* [keyBlock][bq] */
    float *ot = st + keyBlock * bq;    /* [dv][bq] */
    float *mx = ot + dv * bq;          /* [bq] running max (log₂ units) */
    float *sum = mx + bq;              /* [bq] running Σ 2^(s − max) */
    const float c = scale * 1.4426950408889634f;
    /* Qᵀ, scaled; the padding queries are zero (finite scores, never written out). */
    for (size_t p = 0; p < dk; p++) {
        float *row = qt + p * bq;
        for (size_t i = 0; i < nq; i++) row[i] = q[i * ldq + p] * c;
        for (size_t i = nq; i < bq; i++) row[i] = 0;
    }
    for (size_t i = 0; i < bq; i++) {
        mx[i] = -INFINITY;
        sum[i] = 0;
    }
    for (size_t k0 = 0; k0 < lk; k0 += keyBlock) {
        size_t nk = lk - k0 < keyBlock ? lk - k0 : keyBlock;
        const float *kb = k + k0 * ldk;
        const float *vb = v + k0 * ldv;
        int first = k0 == 0;
        for (size_t s = 0; s < strips; s++) {
            size_t i0 = s * STRIP;
            __m512 bm0 = _mm512_set1_ps(-INFINITY), bm1 = bm0;
            for (size_t j0 = 0; j0 < nk; j0 += QK_KEYS) {
                int nj = nk - j0 < QK_KEYS ? (int)(nk - j0) : QK_KEYS;
                scores_tile_n(nj, kb + j0 * ldk, ldk, qt + i0, bq, dk, st + j0 * bq + i0, &bm0, &bm1);
            }
            __m512 old0 = _mm512_loadu_ps(mx + i0), old1 = _mm512_loadu_ps(mx + i0 + 16);
            __m512 new0 = _mm512_max_ps(old0, bm0), new1 = _mm512_max_ps(old1, bm1);
            __m512 c0 = exp2_nonpositive(_mm512_sub_ps(old0, new0));
            __m512 c1 = exp2_nonpositive(_mm512_sub_ps(old1, new1));
            __m512 l0 = _mm512_setzero_ps(), l1 = l0;
            for (size_t j = 0; j < nk; j++) {
                float *row = st + j * bq + i0;
                __m512 e0 = exp2_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row), new0));
                __m512 e1 = exp2_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + 16), new1));
                _mm512_storeu_ps(row, e0);
                _mm512_storeu_ps(row + 16, e1);
                l0 = _mm512_add_ps(l0, e0);
                l1 = _mm512_add_ps(l1, e1);
            }
            _mm512_storeu_ps(mx + i0, new0);
            _mm512_storeu_ps(mx + i0 + 16, new1);
            _mm512_storeu_ps(sum + i0, _mm512_fmadd_ps(_mm512_loadu_ps(sum + i0), c0, l0));
            _mm512_storeu_ps(sum + i0 + 16, _mm512_fmadd_ps(_mm512_loadu_ps(sum + i0 + 16), c1, l1));
            for (size_t p0 = 0; p0 < dv; p0 += PV_DIMS) {
                int np = dv - p0 < PV_DIMS ? (int)(dv - p0) : PV_DIMS;
                values_tile_n(np, vb + p0, ldv, st + i0, bq, nk, ot + p0 * bq + i0, c0, c1, first);
            }
        }
    }
    /* O = Oᵀ transposed, divided by the sums. */
    for (size_t i = 0; i < bq; i++) sum[i] = 1.0f / sum[i];
    for (size_t i = 0; i < nq; i++) {
        float *out = o + i * ldo;
        for (size_t p = 0; p < dv; p++) out[p] = ot[p * bq + i] * sum[i];
    }
}
#else
void oe_attention_block_avx512(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                               size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                               size_t ldo, float *scratch) {}
#endif
