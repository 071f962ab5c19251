// TensorCPU — the CPU backend: OpenBLAS GEMM plus vectorised, multi-threaded Swift kernels for every op.
// May import: Tensor, CBLAS. Must not import: Models, Sampler, Media, Pipeline, OFX*.
