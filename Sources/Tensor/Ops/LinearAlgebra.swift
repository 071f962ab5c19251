/// The sizes of a checked `matmul`: `C[batch…, M, N] = op(A)[batch…, M, K] · op(B)[batch…, K, N]`.
public struct MatmulShape: Sendable, Hashable {
    public var m: Int
    public var n: Int
    public var k: Int
    /// The broadcast batch axes (all but the last two of each operand).
    public var batch: [Int]

    /// The result's shape, `batch + [M, N]`.
    public var output: [Int] { batch + [m, n] }
}

/// Matrix products (GEMM). Requirements labelled `checked:` are backend kernels: call the public op
/// of the same name (extension below), which checks the shapes first.
public protocol LinearAlgebraOps: AnyObject, Sendable {
    /// Kernel of `matmul(_:_:transposeA:transposeB:)` for operands whose sizes are `shape`.
    func matmul(checked a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, shape: MatmulShape) throws
        -> Tensor

    /// Kernel of `linear(_:weight:bias:)`: weight `[out, in]`, x `[..., in]`, bias `[out]` or nil.
    func linear(checked x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor
}

extension LinearAlgebraOps {
    /// Batched matrix product C = op(A)·op(B), op = transpose when asked, accumulated in f32.
    ///
    /// - a: `[..., M, K]` (`[..., K, M]` when `transposeA`)
    /// - b: `[..., K, N]` (`[..., N, K]` when `transposeB`)
    /// - Returns: `[batch..., M, N]`; the batch axes (all but the last two) broadcast with numpy
    ///   rules, so a rank-2 `b` is shared by every batch of `a`.
    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) throws -> Tensor {
        guard a.rank >= 2, b.rank >= 2 else {
            throw TensorError.shapeMismatch("matmul: operands \(a.shape) and \(b.shape) need at least 2 axes")
        }
        let (ra, rb) = (a.rank, b.rank)
        let m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
        let k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
        let kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
        let n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
        guard k == kb else {
            throw TensorError.shapeMismatch(
                "matmul: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : ""): inner sizes \(k) ≠ \(kb)"
            )
        }
        let batch = try Layout.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul batch axes")
        return try matmul(
            checked: a, b, transposeA: transposeA, transposeB: transposeB,
            shape: MatmulShape(m: m, n: n, k: k, batch: batch))
    }

    /// `matmul` without transposes: `[..., M, K]·[..., K, N] → [..., M, N]`.
    public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try matmul(a, b, transposeA: false, transposeB: false)
    }

    /// Affine map y = x·Wᵀ + b (torch `nn.Linear`).
    ///
    /// - x: `[..., in]`
    /// - weight: `[out, in]`, f32, f16 or bf16 (half weights are widened to f32 for the product)
    /// - bias: `[out]` or nil
    /// - Returns: `[..., out]` f32.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.rank >= 1, weight.rank == 2 else {
            throw TensorError.shapeMismatch("linear: x \(x.shape), weight \(weight.shape) (expected [..., in] and [out, in])")
        }
        guard x.shape[x.rank - 1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(
                "linear: x \(x.shape) vs weight \(weight.shape): \(x.shape[x.rank - 1]) ≠ \(weight.shape[1]) inputs")
        }
        try ShapeCheck.vector(bias, count: weight.shape[0], "bias", "linear")
        return try linear(checked: x, weight: weight, bias: bias)
    }
}
