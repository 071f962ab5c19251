import Tensor

/// Multi-head scaled-dot-product attention on token-major projections.
///
/// - q `[B, Lq, H·D]` (or `[Lq, H·D]`), k `[B, Lk, H·D]`, v `[B, Lk, H·Dv]`: heads are contiguous
///   feature slices (head n = features `[n·D, (n+1)·D)`).
/// - Returns `[B, Lq, H·Dv]` (rank of q): `o = softmax(q·kᵀ/√D)·v` per head, heads concatenated.
/// - `rope`: cos/sin tables `[Lq, D/2]` applied to q and k (interleaved pairs) before the product;
///   only valid for self-attention (Lq = Lk).
public func multiHeadAttention(
    q: Tensor, k: Tensor, v: Tensor, heads: Int, rope: (cos: Tensor, sin: Tensor)? = nil, on backend: any Backend
) throws -> Tensor {
    guard heads > 0, q.rank == k.rank, k.rank == v.rank, q.rank == 2 || q.rank == 3,
        q.shape.last! % heads == 0, k.shape.last! == q.shape.last!, v.shape.last! % heads == 0
    else {
        throw TensorError.shapeMismatch("multiHeadAttention: q \(q.shape), k \(k.shape), v \(v.shape), \(heads) heads")
    }
    func split(_ t: Tensor) throws -> Tensor {
        var s = Array(t.shape.dropLast())
        s += [heads, t.shape.last! / heads]
        return try backend.reshape(t, s)
    }
    var qh = try split(q)
    var kh = try split(k)
    let vh = try split(v)
    let d = qh.shape.last!
    if let rope {
        qh = try backend.rope(qh, cos: rope.cos, sin: rope.sin, pairing: .interleaved)
        kh = try backend.rope(kh, cos: rope.cos, sin: rope.sin, pairing: .interleaved)
    }
    let o = try backend.attention(q: qh, k: kh, v: vh, scale: 1 / Float(d).squareRoot())
    return try o.reshaped(Array(o.shape.dropLast(2)) + [o.shape[o.rank - 2] * o.shape[o.rank - 1]])
}
