/// Attention with an additive score bias, composed from the primitive ops.
extension Backend {
    /// Scaled-dot-product attention with an additive bias on the scores:
    /// `o[l, h] = Σ_m softmax_m(scale · q[l, h]·k[m, h'] + bias[h, l, m]) · v[m, h']`, h' = h / (H/Hkv).
    /// For T5's relative-position bias and for masks (−∞ where a key must be ignored).
    ///
    /// Unlike `attention`, this materialises the `[B, H, Lq, Lk]` score tensor, so it is meant for
    /// short sequences (text encoders, ≤ a few thousand tokens).
    ///
    /// - q: `[B, Lq, H, D]` or `[Lq, H, D]`; k: `[B, Lk, Hkv, D]` / `[Lk, Hkv, D]`; v likewise with Dv.
    /// - bias: broadcastable to `[B, H, Lq, Lk]` (e.g. `[H, Lq, Lk]`, `[Lq, Lk]`, `[B, 1, 1, Lk]`).
    /// - Returns: `[B, Lq, H, Dv]` or `[Lq, H, Dv]` (the rank of q).
    public func attention(q: Tensor, k: Tensor, v: Tensor, scale: Float, bias: Tensor) throws -> Tensor {
        let batched = q.rank == 4
        guard q.rank == 3 || q.rank == 4, k.rank == q.rank, v.rank == q.rank else {
            throw TensorError.shapeMismatch(
                "attention(bias): q \(q.shape), k \(k.shape), v \(v.shape) must all be [B, L, H, D] or [L, H, D]")
        }
        let q4 = batched ? q : try q.unsqueezed(0)
        let k4 = batched ? k : try k.unsqueezed(0)
        let v4 = batched ? v : try v.unsqueezed(0)
        let (heads, hkv) = (q4.shape[2], k4.shape[2])
        guard hkv >= 1, heads % hkv == 0, v4.shape[2] == hkv, k4.shape[0] == q4.shape[0], v4.shape[0] == q4.shape[0],
            k4.shape[1] == v4.shape[1], k4.shape[3] == q4.shape[3]
        else {
            throw TensorError.shapeMismatch("attention(bias): q \(q.shape), k \(k.shape), v \(v.shape) disagree")
        }
        // [B, L, H, D] → [B, H, L, D]; grouped K/V heads repeated by a broadcast view.
        func heads4(_ t: Tensor) throws -> Tensor {
            let p = try t.permuted([0, 2, 1, 3])
            guard p.shape[1] != heads else { return p }
            let g = heads / p.shape[1]
            let e = try p.unsqueezed(2).expanded(to: [p.shape[0], p.shape[1], g, p.shape[2], p.shape[3]])
            return try reshape(e, [p.shape[0], heads, p.shape[2], p.shape[3]])
        }
        let qh = try heads4(q4)
        let kh = try heads4(k4)
        let vh = try heads4(v4)
        let scores = try binary(
            .add, try scalar(.mul, try matmul(qh, kh, transposeA: false, transposeB: true), scale), bias)
        guard scores.shape == [q4.shape[0], heads, q4.shape[1], k4.shape[1]] else {
            throw TensorError.shapeMismatch("attention(bias): bias \(bias.shape) does not broadcast to \(scores.shape)")
        }
        let o = try matmul(try softmax(scores), vh, transposeA: false, transposeB: false)
        let out = try contiguous(try o.permuted([0, 2, 1, 3]))
        return batched ? out : try out.squeezed(0)
    }
}
