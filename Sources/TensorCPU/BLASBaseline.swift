/// Raw OpenBLAS calls for benchmarks: the peer our `linear` is measured against.
public enum BLASBaseline {
    /// C[m, n] = A[m, k] · B[n, k]ᵀ (row-major, beta 0): exactly the product `linear` computes,
    /// with no allocation, no bias and no checks.
    public static func sgemmABt(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) throws {
        try OpenBLAS.load().sgemm(
            transA: false, transB: true, m, n, k, alpha: 1, a, lda: k, b, ldb: k, beta: 0, c, ldc: n)
    }
}
