/// How RoPE pairs the elements of a head vector into complex numbers.
public enum RoPEPairing: String, Sendable, Hashable, CaseIterable {
    /// Pair j is (x[2j], x[2j+1]) — Wan / HuMo (complex view of adjacent elements).
    case interleaved
    /// Pair j is (x[j], x[j + D/2]) — "rotate half" (LLaMA-style, LTX-2 "split").
    case halves
}

/// Softmax, rotary embeddings and scaled-dot-product attention.
public protocol AttentionOps: AnyObject, Sendable {
    /// Softmax over the last axis: `y_i = exp(x_i − max x) / Σ_j exp(x_j − max x)`. Same shape.
    func softmax(_ x: Tensor) throws -> Tensor

    /// Rotary position embedding: each pair (a, b) of a head vector (see `RoPEPairing`) at position
    /// l is rotated by angle φ_{l,j}: `(a, b) → (a·cos − b·sin, a·sin + b·cos)`.
    ///
    /// - x: `[..., L, H, D]` (tokens, heads, head dim; D even)
    /// - cos, sin: `[L, D/2]` tables, cos φ and sin φ per token and pair (see `RoPETable`: 1-D or
    ///   Wan's 3-D split); every head and every leading index uses the same table.
    /// - Returns: same shape.
    func rope(_ x: Tensor, cos: Tensor, sin: Tensor, pairing: RoPEPairing) throws -> Tensor

    /// Scaled-dot-product attention, multi-head, without a mask:
    /// `o[l, h] = Σ_m softmax_m(scale · q[l, h]·k[m, h'])· v[m, h']`, h' = h / (H / Hkv).
    /// Implementations must not materialise the full Lq × Lk score matrix (tiled online softmax).
    ///
    /// - q: `[B, Lq, H, D]` or `[Lq, H, D]`
    /// - k: `[B, Lk, Hkv, D]` or `[Lk, Hkv, D]`, H % Hkv == 0 (grouped-query when Hkv < H)
    /// - v: `[B, Lk, Hkv, Dv]` or `[Lk, Hkv, Dv]`
    /// - scale: usually 1/√D
    /// - Returns: `[B, Lq, H, Dv]` or `[Lq, H, Dv]` (the rank of q).
    func attention(q: Tensor, k: Tensor, v: Tensor, scale: Float) throws -> Tensor
}
