import CBLAS

/// Raw OpenBLAS calls for benchmarks: the peer our `linear` is measured against.
public enum BLASBaseline {
    /// C[m, n] = A[m, k] · B[n, k]ᵀ (row-major, beta 0): exactly the product `linear` computes,
    /// with no allocation, no bias and no checks.
    public static func sgemmABt(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, c,
            Int32(n))
    }
}
