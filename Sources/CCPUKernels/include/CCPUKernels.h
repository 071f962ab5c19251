/* CCPUKernels: the C half of the CPU backend: what Swift cannot express at our baseline x86-64
 * compile level. The CPU feature probe (cpuid + xgetbv) and, compiled per function for the ISA it
 * needs and called only after the probe says the CPU has it, the kernels Swift cannot express. */
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

#endif
