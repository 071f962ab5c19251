/// A reduction over one axis.
public enum ReduceOp: String, Sendable, Hashable, CaseIterable {
    /// Σ x
    case sum
    /// Σ x / n
    case mean
    case max
    case min
    /// √(Σ x²)
    case l2Norm
}

/// Reductions. The requirement labelled `checked:` is the backend kernel: call `reduce(_:_:axis:keepDim:)`.
public protocol ReductionOps: AnyObject, Sendable {
    /// Kernel of `reduce(_:_:axis:keepDim:)`; `axis` is in 0..<rank.
    func reduce(checked op: ReduceOp, _ x: Tensor, axis: Int, keepDim: Bool) throws -> Tensor
}

extension ReductionOps {
    /// Reduces `axis` of x (negative counts from the end) with `op`, accumulating in f32 or wider.
    /// The axis is kept with size 1 when `keepDim`, removed otherwise. x `[..., n, ...]` →
    /// `[..., 1, ...]` or `[..., ...]`. Throws for max/min over an empty axis.
    public func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, keepDim: Bool) throws -> Tensor {
        let a = try Layout.axis(axis, rank: x.rank, op: "reduce")
        if x.shape[a] == 0, op == .max || op == .min {
            throw TensorError.invalidArgument("reduce: \(op.rawValue) over the empty axis \(a) of \(x.shape)")
        }
        return try reduce(checked: op, x, axis: a, keepDim: keepDim)
    }
}
