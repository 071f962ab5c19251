/// How RoPE pairs the elements of a head vector into complex numbers.
public enum RoPEPairing: String, Sendable, Hashable, CaseIterable {
    /// Pair j is (x[2j], x[2j+1]) — Wan / HuMo (complex view of adjacent elements).
    case interleaved
    /// Pair j is (x[j], x[j + D/2]) — "rotate half" (LLaMA-style, LTX-2 "split").
    case halves
}

/// The sizes of a checked `attention` call: q `[B, Lq, H, D]`, k `[B, Lk, Hkv, D]`, v `[B, Lk, Hkv, Dv]`.
public struct AttentionShape: Sendable, Hashable {
    public var batch: Int
    public var queries: Int
    public var keys: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var valueDim: Int
    /// Whether the operands carry the batch axis (rank 4) or not (rank 3, B = 1).
    public var batched: Bool

    /// The result's shape: `[B, Lq, H, Dv]`, or `[Lq, H, Dv]` when not batched.
    public var output: [Int] { (batched ? [batch] : []) + [queries, heads, valueDim] }
}

/// Softmax, rotary embeddings and scaled-dot-product attention. Requirements labelled `checked:`
/// are backend kernels: call the public op of the same name (extension below), which checks first.
public protocol AttentionOps: AnyObject, Sendable {
    /// Kernel of `softmax(_:)` (x has rank ≥ 1).
    func softmax(checked x: Tensor) throws -> Tensor

    /// Kernel of `rope(_:cos:sin:pairing:)`.
    func rope(checked x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor

    /// Kernel of `attention(q:k:v:scale:)` for operands of sizes `shape` (Lk ≥ 1 unless Lq = 0).
    func attention(checked q: Tensor, k: Tensor, v: Tensor, scale: Float, shape: AttentionShape) throws -> Tensor
}

extension AttentionOps {
    /// Softmax over the last axis: `y_i = exp(x_i − max x) / Σ_j exp(x_j − max x)`. Same shape.
    public func softmax(_ x: Tensor) throws -> Tensor {
        _ = try ShapeCheck.lastAxis(x, "softmax")
        return try softmax(checked: x)
    }

    /// Rotary position embedding: each pair (a, b) of a head vector (see `RoPEPairing`) at position
    /// l is rotated by angle φ_{l,j}: `(a, b) → (a·cos − b·sin, a·sin + b·cos)`.
    ///
    /// - x: `[..., L, H, D]` (tokens, heads, head dim; D even)
    /// - cos, sin: `[L, D/2]` tables, cos φ and sin φ per token and pair (see `RoPETable`: 1-D or
    ///   Wan's 3-D split); every head and every leading index uses the same table.
    /// - Returns: same shape.
    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor {
        guard x.rank >= 3 else { throw TensorError.shapeMismatch("rope: x \(x.shape) is not [..., L, H, D]") }
        let (l, d) = (x.shape[x.rank - 3], x.shape[x.rank - 1])
        guard d % 2 == 0 else { throw TensorError.shapeMismatch("rope: head dim \(d) of x \(x.shape) is odd") }
        guard cos.shape == [l, d / 2], sin.shape == [l, d / 2] else {
            throw TensorError.shapeMismatch(
                "rope: x \(x.shape) needs cos/sin tables [\(l), \(d / 2)], got \(cos.shape) and \(sin.shape)")
        }
        return try rope(checked: x, cos: cos, sin: sin, pairing: pairing)
    }

    /// Scaled-dot-product attention, multi-head, without a mask:
    /// `o[l, h] = Σ_m softmax_m(scale · q[l, h]·k[m, h'])· v[m, h']`, h' = h / (H / Hkv).
    /// Implementations must not materialise the full Lq × Lk score matrix (tiled online softmax).
    ///
    /// - q: `[B, Lq, H, D]` or `[Lq, H, D]`
    /// - k: `[B, Lk, Hkv, D]` or `[Lk, Hkv, D]`, H % Hkv == 0 (grouped-query when Hkv < H)
    /// - v: `[B, Lk, Hkv, Dv]` or `[Lk, Hkv, Dv]`
    /// - scale: usually 1/√D
    /// - Returns: `[B, Lq, H, Dv]` or `[Lq, H, Dv]` (the rank of q).
    public func attention(q: Tensor, k: Tensor, v: Tensor, scale: Float) throws -> Tensor {
        guard q.rank == 3 || q.rank == 4, k.rank == q.rank, v.rank == q.rank else {
            throw TensorError.shapeMismatch(
                "attention: q \(q.shape), k \(k.shape), v \(v.shape) must all be [B, L, H, D] or [L, H, D]")
        }
        let batched = q.rank == 4
        let (q4, k4, v4) = batched ? (q.shape, k.shape, v.shape) : ([1] + q.shape, [1] + k.shape, [1] + v.shape)
        let shape = AttentionShape(
            batch: q4[0], queries: q4[1], keys: k4[1], heads: q4[2], kvHeads: k4[2], headDim: q4[3],
            valueDim: v4[3], batched: batched)
        guard k4[0] == shape.batch, v4[0] == shape.batch, k4[3] == shape.headDim, v4[1] == shape.keys,
            v4[2] == shape.kvHeads, shape.kvHeads >= 1, shape.heads % shape.kvHeads == 0
        else {
            throw TensorError.shapeMismatch(
                "attention: q \(q.shape), k \(k.shape), v \(v.shape) disagree (batch, key length, head dim D of q and k, "
                    + "and H a multiple of Hkv must match)")
        }
        guard shape.keys > 0 || shape.queries == 0 else {
            throw TensorError.invalidArgument("attention: \(shape.queries) queries over an empty key sequence")
        }
        return try attention(checked: q, k: k, v: v, scale: scale, shape: shape)
    }
}
