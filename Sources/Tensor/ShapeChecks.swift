// Shape rules shared by the public ops (Ops/<Family>.swift): every op checks its arguments once,
// here in Tensor, before any backend sees them; a backend's `checked:` kernel may rely on them.

/// Argument checks used by several ops, each throwing a `TensorError` that names the op.
public enum ShapeCheck {
    /// The size of x's last axis; throws for a rank-0 tensor.
    public static func lastAxis(_ x: Tensor, _ op: String) throws -> Int {
        guard x.rank >= 1 else { throw TensorError.shapeMismatch("\(op): x \(x.shape) has no last axis") }
        return x.shape[x.rank - 1]
    }

    /// Throws unless x is `[B, C, ...]` (rank ≥ 2); returns C.
    public static func channels(_ x: Tensor, _ op: String) throws -> Int {
        guard x.rank >= 2 else { throw TensorError.shapeMismatch("\(op): x \(x.shape) is not [B, C, ...]") }
        return x.shape[1]
    }

    /// Throws unless an optional per-channel vector (weight, bias, gamma) holds `count` elements
    /// along one axis (`[C]`, or `[1, C]` and the like).
    public static func vector(_ t: Tensor?, count: Int, _ what: String, _ op: String) throws {
        guard let t else { return }
        guard t.count == count, t.shape.filter({ $0 != 1 }).count <= 1 else {
            throw TensorError.shapeMismatch("\(op): \(what) \(t.shape) should be [\(count)]")
        }
    }

    /// Throws unless eps is finite and ≥ 0.
    public static func epsilon(_ eps: Float, _ op: String) throws {
        guard eps.isFinite, eps >= 0 else { throw TensorError.invalidArgument("\(op): eps \(eps) must be ≥ 0") }
    }

    /// The broadcast shape of several operands that must broadcast to the first one's shape
    /// (modulate, gatedAdd: the output has x's shape).
    public static func broadcastsTo(_ x: Tensor, _ others: [(String, Tensor)], _ op: String) throws {
        var shape = x.shape
        for (_, t) in others { shape = try Layout.broadcast(shape, t.shape, op: op) }
        guard shape == x.shape else {
            throw TensorError.shapeMismatch(
                "\(op): " + (["x \(x.shape)"] + others.map { "\($0.0) \($0.1.shape)" }).joined(separator: ", ")
                    + " broadcast to \(shape), not x's shape")
        }
    }
}
