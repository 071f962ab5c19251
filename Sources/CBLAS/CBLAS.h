// CBLAS: OpenBLAS (cblas_sgemm and friends) for the CPU backend.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <cblas.h>
