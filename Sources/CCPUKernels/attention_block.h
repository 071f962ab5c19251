/* The fused attention block, written once over a small vector vocabulary and instantiated per
 * instruction set by attention_kernels.c (which defines the macros below and includes this file).
 *
 * The block is worked in strips of STRIP = 2 vectors of queries held in the vector lanes, and
 * everything is computed transposed — scores Sᵀ[key][query], output Oᵀ[dim][query] — so that:
 *  - K and V are read in place, one scalar broadcast per key element (no packing per tile);
 *  - the online softmax is per lane: the running max, the correction and the sum of each query are
 *    plain vector max / exp2 / add over the keys, with no horizontal reduction and no scalar tail;
 *  - the block's maximum is taken while the scores are still in registers.
 * Only Q is repacked (transposed, pre-multiplied by scale·log₂e, once per block) and O transposed
 * back at the end; both are O(rows·dim), next to O(rows·keys·dim) arithmetic.
 *
 * Per strip and key block: a Sᵀ tile of QK_KEYS keys × STRIP queries (broadcast K[j][p], two loads of
 * Qᵀ[p]); P = 2^(S − m) in place; an Oᵀ tile of PV_DIMS dims × STRIP queries (broadcast V[j][p…],
 * two loads of Pᵀ[j]), rescaled by the correction when it is loaded. Tile sizes fill the register file
 * (AVX-512: 32 registers, 24 + 16 accumulators; AVX2: 16 registers, 12 + 12).
 *
 * Expects: OE_TGT (target attribute), V (vector type), W (lanes), QK_KEYS, PV_DIMS, OE_NAME(x) (suffixes
 * a name), and VLOAD VSTORE VSET1 VZERO VFMA VMUL VMAX VSUB VADD VEXP2_SCALE(p, n) (p·2ⁿ, n integral
 * ≥ −126), VROUND (to nearest). */

#define STRIP (2 * W)

/* 2ˣ for x ≤ 0 (a log₂-unit score minus its running maximum), relative error ≲ 2e-7: x = n + r with
 * |r| ≤ ½ exact in base 2, 2ʳ a degree-5 polynomial, 2ⁿ in the exponent. Clamped at −126 so that −∞
 * and tiny values give 2⁻¹²⁶ (a normal float, no denormal stalls), negligible next to the row's 2⁰. */
OE_TGT OE_INLINE V OE_NAME(exp2_nonpositive)(V x) {
    x = VMAX(x, VSET1(-126.0f));
    V n = VROUND(x);
    V r = VSUB(x, n);
    V p = VSET1(1.326472498e-3f);
    p = VFMA(p, r, VSET1(9.671512991e-3f));
    p = VFMA(p, r, VSET1(5.550733581e-2f));
    p = VFMA(p, r, VSET1(2.402224243e-1f));
    p = VFMA(p, r, VSET1(6.931470037e-1f));
    p = VFMA(p, r, VSET1(1.0f));
    return VEXP2_SCALE(p, n);
}

/* Sᵀ[j][0..STRIP) = Σ_p K[j][p]·Qᵀ[p][0..STRIP) for nj keys; raises *m0, *m1 to the lane-wise maximum. */
OE_TGT OE_INLINE void OE_NAME(scores_tile)(int nj, const float *k, size_t ldk, const float *qt, size_t bq,
                                           size_t dk, float *st, V *m0, V *m1) {
    V a0[QK_KEYS], a1[QK_KEYS];
    const float *kr[QK_KEYS];
    OE_UNROLL
    for (int j = 0; j < nj; j++) {
        a0[j] = VZERO();
        a1[j] = VZERO();
        kr[j] = k + (size_t)j * ldk;
    }
    for (size_t p = 0; p < dk; p++) {
        V q0 = VLOAD(qt + p * bq);
        V q1 = VLOAD(qt + p * bq + W);
        OE_UNROLL
        for (int j = 0; j < nj; j++) {
            V kb = VSET1(kr[j][p]);
            a0[j] = VFMA(kb, q0, a0[j]);
            a1[j] = VFMA(kb, q1, a1[j]);
        }
    }
    OE_UNROLL
    for (int j = 0; j < nj; j++) {
        VSTORE(st + (size_t)j * bq, a0[j]);
        VSTORE(st + (size_t)j * bq + W, a1[j]);
        *m0 = VMAX(*m0, a0[j]);
        *m1 = VMAX(*m1, a1[j]);
    }
}

/* Oᵀ[r][0..STRIP) = Oᵀ[r]·c + Σ_j V[j][r]·Pᵀ[j][0..STRIP) for np dims r (from zero when `first`). */
OE_TGT OE_INLINE void OE_NAME(values_tile)(int np, const float *v, size_t ldv, const float *st, size_t bq,
                                           size_t nk, float *ot, V c0, V c1, int first) {
    V a0[PV_DIMS], a1[PV_DIMS];
    OE_UNROLL
    for (int r = 0; r < np; r++) {
        if (first) {
            a0[r] = VZERO();
            a1[r] = VZERO();
        } else {
            a0[r] = VMUL(VLOAD(ot + (size_t)r * bq), c0);
            a1[r] = VMUL(VLOAD(ot + (size_t)r * bq + W), c1);
        }
    }
    for (size_t j = 0; j < nk; j++) {
        V p0 = VLOAD(st + j * bq);
        V p1 = VLOAD(st + j * bq + W);
        const float *vr = v + j * ldv;
        OE_UNROLL
        for (int r = 0; r < np; r++) {
            V vb = VSET1(vr[r]);
            a0[r] = VFMA(vb, p0, a0[r]);
            a1[r] = VFMA(vb, p1, a1[r]);
        }
    }
    OE_UNROLL
    for (int r = 0; r < np; r++) {
        VSTORE(ot + (size_t)r * bq, a0[r]);
        VSTORE(ot + (size_t)r * bq + W, a1[r]);
    }
}

/* Each case calls the tile with a constant count, so its loops unroll and its arrays stay in registers. */
OE_TGT static void OE_NAME(scores_tile_n)(int nj, const float *k, size_t ldk, const float *qt, size_t bq,
                                          size_t dk, float *st, V *m0, V *m1) {
    switch (nj) {
#define OE_CASE(n) \
    case n: OE_NAME(scores_tile)(n, k, ldk, qt, bq, dk, st, m0, m1); break;
        OE_CASE(1) OE_CASE(2) OE_CASE(3) OE_CASE(4) OE_CASE(5) OE_CASE(6)
#if QK_KEYS > 6
        OE_CASE(7) OE_CASE(8) OE_CASE(9) OE_CASE(10) OE_CASE(11) OE_CASE(12)
#endif
#undef OE_CASE
    default: break;
    }
}

OE_TGT static void OE_NAME(values_tile_n)(int np, const float *v, size_t ldv, const float *st, size_t bq,
                                          size_t nk, float *ot, V c0, V c1, int first) {
    switch (np) {
#define OE_CASE(n) \
    case n: OE_NAME(values_tile)(n, v, ldv, st, bq, nk, ot, c0, c1, first); break;
        OE_CASE(1) OE_CASE(2) OE_CASE(3) OE_CASE(4) OE_CASE(5) OE_CASE(6)
#if PV_DIMS > 6
        OE_CASE(7) OE_CASE(8)
#endif
#undef OE_CASE
    default: break;
    }
}

OE_TGT
void OE_NAME(oe_attention_block)(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                                 size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                                 size_t ldo, float *scratch) {
    if (nq == 0 || lk == 0) return;
    size_t strips = (nq + STRIP - 1) / STRIP;
    size_t bq = strips * STRIP;
    if (keyBlock == 0) keyBlock = 1;
    float *qt = scratch;            /* [dk][bq] */
    float *st = qt + dk * bq;       /* [keyBlock][bq] */
    float *ot = st + keyBlock * bq; /* [dv][bq] */
    float *mx = ot + dv * bq;       /* [bq] running max (log₂ units) */
    float *sum = mx + bq;           /* [bq] running Σ 2^(s − max) */
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
            V bm0 = VSET1(-INFINITY), bm1 = bm0;
            for (size_t j0 = 0; j0 < nk; j0 += QK_KEYS) {
                int nj = nk - j0 < QK_KEYS ? (int)(nk - j0) : QK_KEYS;
                OE_NAME(scores_tile_n)(nj, kb + j0 * ldk, ldk, qt + i0, bq, dk, st + j0 * bq + i0, &bm0, &bm1);
            }
            V old0 = VLOAD(mx + i0), old1 = VLOAD(mx + i0 + W);
            V new0 = VMAX(old0, bm0), new1 = VMAX(old1, bm1);
            V c0 = OE_NAME(exp2_nonpositive)(VSUB(old0, new0));
            V c1 = OE_NAME(exp2_nonpositive)(VSUB(old1, new1));
            V l0 = VZERO(), l1 = l0;
            for (size_t j = 0; j < nk; j++) {
                float *row = st + j * bq + i0;
                V e0 = OE_NAME(exp2_nonpositive)(VSUB(VLOAD(row), new0));
                V e1 = OE_NAME(exp2_nonpositive)(VSUB(VLOAD(row + W), new1));
                VSTORE(row, e0);
                VSTORE(row + W, e1);
                l0 = VADD(l0, e0);
                l1 = VADD(l1, e1);
            }
            VSTORE(mx + i0, new0);
            VSTORE(mx + i0 + W, new1);
            VSTORE(sum + i0, VFMA(VLOAD(sum + i0), c0, l0));
            VSTORE(sum + i0 + W, VFMA(VLOAD(sum + i0 + W), c1, l1));
            for (size_t p0 = 0; p0 < dv; p0 += PV_DIMS) {
                int np = dv - p0 < PV_DIMS ? (int)(dv - p0) : PV_DIMS;
                OE_NAME(values_tile_n)(np, vb + p0, ldv, st + i0, bq, nk, ot + p0 * bq + i0, c0, c1, first);
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

#undef STRIP
