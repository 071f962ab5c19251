import Tensor

/// Wan's attention layer (self, text-cross and HuMo's audio-cross are the same kind):
/// `q = RMS(Wq·x + bq)`, `k = RMS(Wk·c + bk)` with the RMS norm over the whole dim (all heads, before
/// the split), `v = Wv·c + bv`, per-head `softmax(q·kᵀ/√D)·v`, then `o = Wo·concat + bo`.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/model.py` `WanSelfAttention` / `WanT2VCrossAttention`.
public struct WanAttention: Sendable {
    public let q: Linear
    public let k: Linear
    public let v: Linear
    public let o: Linear
    public let normQ: RMSNorm
    public let normK: RMSNorm
    public let heads: Int

    /// Reads `<prefix>.{q,k,v,o}` and `<prefix>.norm_{q,k}`; k and v map `contextDim` → dim.
    public init(_ r: inout WeightReader, _ prefix: String, dim: Int, contextDim: Int, heads: Int, eps: Float) throws {
        q = try Linear(&r, "\(prefix).q", in: dim, out: dim)
        k = try Linear(&r, "\(prefix).k", in: contextDim, out: dim)
        v = try Linear(&r, "\(prefix).v", in: contextDim, out: dim)
        o = try Linear(&r, "\(prefix).o", in: dim, out: dim)
        normQ = try RMSNorm(&r, "\(prefix).norm_q", dim: dim, eps: eps)
        normK = try RMSNorm(&r, "\(prefix).norm_k", dim: dim, eps: eps)
        self.heads = heads
    }

    /// The normalised keys and the values of a context, `[B?, Lk, dim]` each: what a cross-attention
    /// needs from its context, computable once per prompt (or audio clip) and reused every step.
    public struct KeysValues: Sendable {
        public let k: Tensor
        public let v: Tensor
    }

    /// `k = RMS(Wk·c + bk)`, `v = Wv·c + bv` for context `[B?, Lk, contextDim]`.
    public func keysValues(_ context: Tensor, on backend: any Backend) throws -> KeysValues {
        KeysValues(k: try normK(try k(context, on: backend), on: backend), v: try v(context, on: backend))
    }

    /// x `[B?, Lq, dim]` attends to precomputed keys and values (same leading axes) → `[B?, Lq, dim]`.
    /// `rope` (cos/sin `[Lq, D/2]`) rotates q and k; self-attention only.
    public func callAsFunction(
        _ x: Tensor, keysValues kv: KeysValues, rope: (cos: Tensor, sin: Tensor)? = nil, on backend: any Backend
    ) throws -> Tensor {
        let qx = try normQ(try q(x, on: backend), on: backend)
        let a = try multiHeadAttention(q: qx, k: kv.k, v: kv.v, heads: heads, rope: rope, on: backend)
        return try o(a, on: backend)
    }

    /// x `[B?, Lq, dim]` attends to context `[B?, Lk, contextDim]` (same leading axes) → `[B?, Lq, dim]`.
    /// `rope` (cos/sin `[Lq, D/2]`) rotates q and k; self-attention only.
    public func callAsFunction(
        _ x: Tensor, context: Tensor, rope: (cos: Tensor, sin: Tensor)? = nil, on backend: any Backend
    ) throws -> Tensor {
        try self(x, keysValues: try keysValues(context, on: backend), rope: rope, on: backend)
    }
}
