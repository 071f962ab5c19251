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
public protocol ElementwiseOps: AnyObject, Sendable {
    /// y = f(x), same shape.
    func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor

    /// y = a ⊙ b (⊙ = `op`), shape = broadcast(a.shape, b.shape).
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor

    /// y = x ⊙ s for a scalar s (e.g. `.mul` scales, `.add` shifts, `.maximum` clamps from below).
    func scalar(_ op: BinaryOp, _ x: Tensor, _ s: Float) throws -> Tensor

    /// y = min(max(x, lo), hi), same shape. Requires lo ≤ hi.
    func clamp(_ x: Tensor, min lo: Float, max hi: Float) throws -> Tensor

    /// AdaLN modulation y = x·(1 + scale) + shift; scale and shift broadcast to x's shape
    /// (Wan: x [L, dim], scale/shift [1, dim]). Shape = x.shape.
    func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor

    /// Gated residual y = x + gate ⊙ y₀ (Wan: `x + m2 * attn(…)`); gate broadcasts. Shape = x.shape.
    func gatedAdd(_ x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor
}

extension ElementwiseOps {
    /// a + b, broadcast (`binary(.add, a, b)`).
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    /// a − b, broadcast.
    public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
    /// a ⊙ b (elementwise product), broadcast.
    public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
    /// a / b (elementwise), broadcast.
    public func div(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.div, a, b) }
}

// Default compositions of the requirements above (documented there); a backend may replace them
// with fused kernels.
extension ElementwiseOps {
    public func clamp(_ x: Tensor, min lo: Float, max hi: Float) throws -> Tensor {
        guard lo <= hi else { throw TensorError.invalidArgument("clamp: min \(lo) > max \(hi)") }
        return try scalar(.minimum, try scalar(.maximum, x, lo), hi)
    }

    public func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) throws -> Tensor {
        let y = try binary(.add, try binary(.mul, x, try scalar(.add, scale, 1)), shift)
        guard y.shape == x.shape else {
            throw TensorError.shapeMismatch(
                "modulate: x \(x.shape), scale \(scale.shape), shift \(shift.shape) give \(y.shape)")
        }
        return y
    }

    public func gatedAdd(_ x: Tensor, _ y: Tensor, gate: Tensor) throws -> Tensor {
        let out = try binary(.add, x, try binary(.mul, y, gate))
        guard out.shape == x.shape else {
            throw TensorError.shapeMismatch(
                "gatedAdd: x \(x.shape), y \(y.shape), gate \(gate.shape) give \(out.shape)")
        }
        return out
    }
}
