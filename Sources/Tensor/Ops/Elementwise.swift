/// A function applied to each element: y = f(x).
public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    /// x · σ(x) = x / (1 + e⁻ˣ)  (a.k.a. swish)
    case silu
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))  (torch `gelu(approximate="tanh")`, Wan FFN)
    case geluTanh
    /// 0.5·x·(1 + erf(x/√2))  (torch `gelu()`, Whisper)
    case geluErf
    /// max(x, 0)
    case relu
    /// 1 / (1 + e⁻ˣ)
    case sigmoid
    case tanh
    case exp
    /// natural log (−inf at 0, NaN below)
    case log
    case neg
    case abs
    case sqrt
    /// 1/√x
    case rsqrt
    /// x²
    case square
    case sin
    case cos
}

/// A function of two elements: y = f(a, b).
public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add, sub, mul, div
    case maximum, minimum
}

/// Elementwise arithmetic. Binary forms broadcast with numpy rules (shapes aligned at the end; an
/// axis of size 1 or a missing axis repeats). Results are contiguous f32 of the broadcast shape.
///
/// Requirements labelled `checked:` are backend kernels: call the public op of the same name (in the
/// extension below), which checks the shapes first.
public protocol ElementwiseOps: AnyObject, Sendable {
    /// y = f(x), same shape.
    func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor

    /// Kernel of `binary(_:_:_:)`; `shape` = broadcast(a.shape, b.shape).
    func binary(checked op: BinaryOp, _ a: Tensor, _ b: Tensor, shape: [Int]) throws -> Tensor

    /// y = x ⊙ s for a scalar s (e.g. `.mul` scales, `.add` shifts, `.maximum` clamps from below).
    func scalar(_ op: BinaryOp, _ x: Tensor, _ s: Float) throws -> Tensor

    /// Kernel of `clamp(_:min:max:)` (lo ≤ hi).
    func clamp(checked x: Tensor, min lo: Float, max hi: Float) throws -> Tensor

    /// Kernel of `modulate(_:scale:shift:)` (scale and shift broadcast to x's shape).
    func modulate(checked x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor

    /// Kernel of `gatedAdd(_:_:gate:)` (y and gate broadcast to x's shape).
    func gatedAdd(checked x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor
}

extension ElementwiseOps {
    /// y = a ⊙ b (⊙ = `op`), shape = broadcast(a.shape, b.shape).
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(checked: op, a, b, shape: try Layout.broadcast(a.shape, b.shape, op: "binary \(op.rawValue)"))
    }

    /// y = min(max(x, lo), hi), same shape. Requires lo ≤ hi.
    public func clamp(_ x: Tensor, min lo: Float, max hi: Float) throws -> Tensor {
        guard lo <= hi else { throw TensorError.invalidArgument("clamp: min \(lo) > max \(hi)") }
        return try clamp(checked: x, min: lo, max: hi)
    }

    /// AdaLN modulation y = x·(1 + scale) + shift; scale and shift broadcast to x's shape
    /// (Wan: x [L, dim], scale/shift [1, dim]). Shape = x.shape.
    public func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor {
        try ShapeCheck.broadcastsTo(x, [("scale", scale), ("shift", shift)], "modulate")
        return try modulate(checked: x, scale: scale, shift: shift)
    }

    /// Gated residual y = x + gate ⊙ y₀ (Wan: `x + m2 * attn(…)`); y₀ and gate broadcast to x's
    /// shape. Shape = x.shape.
    public func gatedAdd(_ x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor {
        try ShapeCheck.broadcastsTo(x, [("y", y), ("gate", gate)], "gatedAdd")
        return try gatedAdd(checked: x, y, gate: gate)
    }

    /// a + b, broadcast (`binary(.add, a, b)`).
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    /// a − b, broadcast.
    public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
    /// a ⊙ b (elementwise product), broadcast.
    public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
    /// a / b (elementwise), broadcast.
    public func div(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.div, a, b) }
}

// Default kernels composed of the ops above; a backend may replace them with fused kernels.
extension ElementwiseOps {
    public func clamp(checked x: Tensor, min lo: Float, max hi: Float) throws -> Tensor {
        try scalar(.minimum, try scalar(.maximum, x, lo), hi)
    }

    public func modulate(checked x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor {
        try binary(.add, try binary(.mul, x, try scalar(.add, scale, 1)), shift)
    }

    public func gatedAdd(checked x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor {
        try binary(.add, x, try binary(.mul, y, gate))
    }
}
