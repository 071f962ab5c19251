import Foundation
import Tensor

/// One LTX-2 attention layer (self, text-cross, audio→video and video→audio are all this kind):
/// `q = RMS(Wq·x + bq)`, `k = RMS(Wk·c + bk)` with the RMS norm (affine, eps 1e-6) over all heads
/// before the split, `v = Wv·c + bv`; RoPE on q and on k with their own tables (the cross-modal
/// layers rotate by time only); per-head `softmax(q·kᵀ/√D)·v`; `o = Wo·concat + bo`.
///
/// Follows: diffusers `LTX2Attention` + `LTX2AudioVideoAttnProcessor`; ltx-core `model/transformer/attention.py`.
public struct LTX2Attention: Sendable {
    public let q: Linear
    public let k: Linear
    public let v: Linear
    public let out: Linear
    public let normQ: RMSNorm
    public let normK: RMSNorm
    public let heads: Int

    /// Reads `<prefix>.to_{q,k,v}`, `<prefix>.to_out.0`, `<prefix>.norm_{q,k}` (diffusers names).
    /// q maps `queryDim` → heads·headDim, k and v map `contextDim` → heads·headDim.
    public init(
        _ r: inout WeightReader, _ prefix: String, queryDim: Int, contextDim: Int, heads: Int, headDim: Int
    ) throws {
        let inner = heads * headDim
        q = try Linear(&r, "\(prefix).to_q", in: queryDim, out: inner)
        k = try Linear(&r, "\(prefix).to_k", in: contextDim, out: inner)
        v = try Linear(&r, "\(prefix).to_v", in: contextDim, out: inner)
        out = try Linear(&r, "\(prefix).to_out.0", in: inner, out: queryDim)
        normQ = try RMSNorm(&r, "\(prefix).norm_q", dim: inner, eps: 1e-6)
        normK = try RMSNorm(&r, "\(prefix).norm_k", dim: inner, eps: 1e-6)
        self.heads = heads
    }

    /// x `[Lq, queryDim]` attends to context `[Lk, contextDim]` → `[Lq, queryDim]`.
    /// `queryRoPE` rotates q, `keyRoPE` rotates k (self-attention passes one table for both).
    public func callAsFunction(
        _ x: Tensor, context: Tensor, queryRoPE: LTX2RoPE? = nil, keyRoPE: LTX2RoPE? = nil, on backend: any Backend
    ) throws -> Tensor {
        var qx = try normQ(try q(x, on: backend), on: backend)
        var kx = try normK(try k(context, on: backend), on: backend)
        if let queryRoPE { qx = try queryRoPE(qx, on: backend) }
        if let keyRoPE { kx = try keyRoPE(kx, on: backend) }
        let a = try multiHeadAttention(q: qx, k: kx, v: try v(context, on: backend), heads: heads, on: backend)
        return try out(a, on: backend)
    }
}

/// The FFN `Linear(dim → 4·dim) · GELU(tanh) · Linear(4·dim → dim)` (diffusers `FeedForward`).
public struct LTX2FeedForward: Sendable {
    public let up: Linear
    public let down: Linear

    /// Reads `<prefix>.net.0.proj` and `<prefix>.net.2`.
    public init(_ r: inout WeightReader, _ prefix: String, dim: Int) throws {
        up = try Linear(&r, "\(prefix).net.0.proj", in: dim, out: 4 * dim)
        down = try Linear(&r, "\(prefix).net.2", in: 4 * dim, out: dim)
    }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        try down(try backend.unary(.geluTanh, try up(x, on: backend)), on: backend)
    }
}

/// AdaLN-single timestep embedding: `e = L₂(SiLU(L₁(sinusoid₂₅₆(t))))` and the `count·dim`
/// modulation values `M(SiLU(e))`, with the sinusoid cos first (diffusers `Timesteps(flip_sin_to_cos)`).
///
/// Follows: diffusers `LTX2AdaLayerNormSingle` / `PixArtAlphaCombinedTimestepSizeEmbeddings`.
public struct LTX2AdaLayerNormSingle: Sendable {
    public let linear1: Linear
    public let linear2: Linear
    public let linear: Linear
    public let count: Int

    /// Reads `<prefix>.emb.timestep_embedder.linear_{1,2}` and `<prefix>.linear`.
    public init(_ r: inout WeightReader, _ prefix: String, dim: Int, count: Int) throws {
        linear1 = try Linear(&r, "\(prefix).emb.timestep_embedder.linear_1", in: 256, out: dim)
        linear2 = try Linear(&r, "\(prefix).emb.timestep_embedder.linear_2", in: dim, out: dim)
        linear = try Linear(&r, "\(prefix).linear", in: dim, out: count * dim)
        self.count = count
    }

    /// (modulation `[count, dim]`, embedding `[1, dim]`) for timestep t.
    public func callAsFunction(_ t: Float, on backend: any Backend) throws -> (modulation: Tensor, embedded: Tensor) {
        let s = try backend.upload(ltx2TimestepSinusoid(t), shape: [1, 256], dtype: .f32)
        let e = try linear2(try backend.unary(.silu, try linear1(s, on: backend)), on: backend)
        let m = try linear(try backend.unary(.silu, e), on: backend)
        return (try m.reshaped([count, linear2.outFeatures]), e)
    }
}

/// The 256-wide timestep sinusoid `[cos(t·fⱼ), sin(t·fⱼ)]`, fⱼ = exp(−ln(10⁴)·j/128), with f and
/// t·f rounded to f32 as diffusers' `get_timestep_embedding` computes them (t reaches 1000, where
/// the f32 rounding of the phase shows at 1e-4).
func ltx2TimestepSinusoid(_ t: Float) -> [Float] {
    var out = [Float](repeating: 0, count: 256)
    let scale = Float(-Foundation.log(10_000.0))
    for j in 0..<128 {
        let f = Foundation.expf(scale * Float(j) / 128)
        let phase = Double(t * f)
        out[j] = Float(Foundation.cos(phase))
        out[128 + j] = Float(Foundation.sin(phase))
    }
    return out
}
