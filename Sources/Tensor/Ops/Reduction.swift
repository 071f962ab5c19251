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

/// Reductions.
public protocol ReductionOps: AnyObject, Sendable {
    /// Reduces `axis` of x with `op` (accumulating in f32 or wider). The axis is kept with size 1 when
    /// `keepDim`, removed otherwise. x `[..., n, ...]` → `[..., 1, ...]` or `[..., ...]`. Throws for
    /// max/min over an empty axis.
    func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, keepDim: Bool) throws -> Tensor
}
