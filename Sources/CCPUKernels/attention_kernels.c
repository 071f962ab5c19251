/* The fused attention kernels: attention_block.h instantiated for AVX-512 and for AVX2 + FMA, each
 * compiled for its instruction set only (target attributes) and called only after the CPU probe says
 * the CPU and OS support it. */
#include "CCPUKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define OE_INLINE static inline __attribute__((always_inline))
/* Fully unrolled, so that the accumulator arrays live in registers. */
#define OE_UNROLL _Pragma("clang loop unroll(full)")

/* ---- AVX-512: 16 lanes, strips of 32 queries, 12-key score tiles, 8-dim value tiles ---- */
#define OE_TGT __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define V __m512
#define W 16
#define QK_KEYS 12
#define PV_DIMS 8
#define OE_NAME(x) x##_avx512
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VSET1 _mm512_set1_ps
#define VZERO _mm512_setzero_ps
#define VFMA _mm512_fmadd_ps
#define VMUL _mm512_mul_ps
#define VMAX _mm512_max_ps
#define VSUB _mm512_sub_ps
#define VADD _mm512_add_ps
#define VROUND(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VEXP2_SCALE(p, n) _mm512_scalef_ps(p, n)
#include "attention_block.h"
#undef OE_TGT
#undef V
#undef W
#undef QK_KEYS
#undef PV_DIMS
#undef OE_NAME
#undef VLOAD
#undef VSTORE
#undef VSET1
#undef VZERO
#undef VFMA
#undef VMUL
#undef VMAX
#undef VSUB
#undef VADD
#undef VROUND
#undef VEXP2_SCALE

/* ---- AVX2 + FMA: 8 lanes, strips of 16 queries, 6-key score tiles, 6-dim value tiles (16 registers) ---- */
#define OE_TGT __attribute__((target("avx2,fma")))
#define V __m256
#define W 8
#define QK_KEYS 6
#define PV_DIMS 6
#define OE_NAME(x) x##_avx2
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VSET1 _mm256_set1_ps
#define VZERO _mm256_setzero_ps
#define VFMA _mm256_fmadd_ps
#define VMUL _mm256_mul_ps
#define VMAX _mm256_max_ps
#define VSUB _mm256_sub_ps
#define VADD _mm256_add_ps
#define VROUND(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
/* p·2ⁿ with n in [−126, 0]: 2ⁿ built in the exponent bits. */
#define VEXP2_SCALE(p, n) \
    _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32( \
                         _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))
#include "attention_block.h"

#else
void oe_attention_block_avx512(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                               size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                               size_t ldo, float *scratch) {}
void oe_attention_block_avx2(const float *q, size_t ldq, size_t nq, const float *k, size_t ldk, const float *v,
                             size_t ldv, size_t lk, size_t dk, size_t dv, float scale, size_t keyBlock, float *o,
                             size_t ldo, float *scratch) {}
#endif
