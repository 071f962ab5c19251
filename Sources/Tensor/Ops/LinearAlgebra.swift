/// Matrix products (GEMM).
public protocol LinearAlgebraOps: AnyObject, Sendable {
    /// Batched matrix product C = op(A)·op(B), op = transpose when asked, accumulated in f32.
    ///
    /// - a: `[..., M, K]` (`[..., K, M]` when `transposeA`)
    /// - b: `[..., K, N]` (`[..., N, K]` when `transposeB`)
    /// - Returns: `[batch..., M, N]`; the batch axes (all but the last two) broadcast with numpy
    ///   rules, so a rank-2 `b` is shared by every batch of `a`.
    func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor

    /// Affine map y = x·Wᵀ + b (torch `nn.Linear`).
    ///
    /// - x: `[..., in]`
    /// - weight: `[out, in]`, f32, f16 or bf16 (half weights are widened to f32 for the product)
    /// - bias: `[out]` or nil
    /// - Returns: `[..., out]` f32.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor
}

extension LinearAlgebraOps {
    /// `matmul` without transposes: `[..., M, K]·[..., K, N] → [..., M, N]`.
    public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try matmul(a, b, transposeA: false, transposeB: false)
    }
}
