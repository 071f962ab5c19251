import Tensor

/// One Wan2.1 transformer block (with HuMo's audio cross-attention when present). h `[L, dim]`:
/// ```
/// m = modulation[0] + e0                      # [6, dim]: shift₁ scale₁ gate₁ shift₂ scale₂ gate₂
/// h = h + m2 ⊙ SelfAttn(LN(h)·(1 + m1) + m0)  # RoPE on q, k
/// h = h + CrossAttn(norm3(h), text)           # affine LN, no gate
/// h = h + AudioAttn(norm1_audio(h), audio)    # HuMo only, frame-local
/// h = h + m5 ⊙ FFN(LN(h)·(1 + m4) + m3)       # FFN = Linear·GELU(tanh)·Linear
/// ```
/// LN is a LayerNorm without affine, eps 1e-6.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/model.py` `WanAttentionBlock`; HuMo `model_humo.py`.
public struct WanBlock: Sendable {
    /// `[1, 6, dim]`.
    public let modulation: Tensor
    public let selfAttention: WanAttention
    public let norm3: LayerNorm
    public let crossAttention: WanAttention
    public let audioAttention: HuMoAudioCrossAttention?
    public let ffnIn: Linear
    public let ffnOut: Linear
    public let eps: Float

    /// Reads `blocks.<index>.*`.
    public init(_ r: inout WeightReader, index: Int, config c: WanConfig) throws {
        let p = "blocks.\(index)"
        modulation = try r.take("\(p).modulation", shape: [1, 6, c.dim])
        selfAttention = try WanAttention(
            &r, "\(p).self_attn", dim: c.dim, contextDim: c.dim, heads: c.numHeads, eps: c.eps)
        norm3 = try LayerNorm(&r, "\(p).norm3", dim: c.dim, eps: c.eps)
        crossAttention = try WanAttention(
            &r, "\(p).cross_attn", dim: c.dim, contextDim: c.dim, heads: c.numHeads, eps: c.eps)
        audioAttention = try c.audio.map {
            try HuMoAudioCrossAttention(&r, p, dim: c.dim, heads: c.numHeads, eps: c.eps, audio: $0)
        }
        ffnIn = try Linear(&r, "\(p).ffn.0", in: c.dim, out: c.ffnDim)
        ffnOut = try Linear(&r, "\(p).ffn.2", in: c.ffnDim, out: c.dim)
        eps = c.eps
    }

    /// What the block's cross-attentions need from the conditions (text, audio), computed once.
    public struct Condition: Sendable {
        public let text: WanAttention.KeysValues
        public let audio: WanAttention.KeysValues?
    }

    /// The block's keys and values for embedded text `[textLen, dim]` and audio tokens
    /// `[F·16, tokenDim]` (required when the block has audio attention).
    public func condition(text: Tensor, audio: Tensor?, frames: Int, on backend: any Backend) throws -> Condition {
        var audioKV: WanAttention.KeysValues?
        if let audioAttention {
            guard let audio else { throw WanError.invalidInput("this block has audio attention but no audio tokens") }
            audioKV = try audioAttention.keysValues(audio: audio, frames: frames, on: backend)
        }
        return Condition(text: try crossAttention.keysValues(text, on: backend), audio: audioKV)
    }

    /// h `[L, dim]` → `[L, dim]`. e0 `[6, dim]`; text `[textLen, dim]` (already embedded); audio
    /// tokens `[F·16, tokenDim]` (required when the block has audio attention); rope tables `[L, D/2]`.
    public func callAsFunction(
        _ h: Tensor, e0: Tensor, text: Tensor, audio: Tensor?, frames: Int, rope: (cos: Tensor, sin: Tensor),
        on backend: any Backend
    ) throws -> Tensor {
        try self(
            h, e0: e0, condition: try condition(text: text, audio: audio, frames: frames, on: backend), rope: rope,
            on: backend)
    }

    /// h `[L, dim]` → `[L, dim]` with precomputed cross-attention keys and values.
    public func callAsFunction(
        _ h: Tensor, e0: Tensor, condition: Condition, rope: (cos: Tensor, sin: Tensor), on backend: any Backend
    ) throws -> Tensor {
        let dim = h.shape[1]
        let m = try backend.add(modulation, e0).reshaped([6, dim])
        func row(_ i: Int) throws -> Tensor { try m.narrowed(axis: 0, start: i, length: 1) }
        let plain = LayerNorm(eps: eps)

        var x = h
        let n = try backend.modulate(try plain(x, on: backend), scale: try row(1), shift: try row(0))
        let sa = try selfAttention(n, context: n, rope: rope, on: backend)
        x = try backend.gatedAdd(x, sa, gate: try row(2))
        x = try backend.add(x, try crossAttention(try norm3(x, on: backend), keysValues: condition.text, on: backend))
        if let audioAttention {
            guard let audio = condition.audio else {
                throw WanError.invalidInput("this block has audio attention but no audio keys/values")
            }
            x = try audioAttention(x, keysValues: audio, on: backend)
        }
        let y = try backend.modulate(try plain(x, on: backend), scale: try row(4), shift: try row(3))
        let f = try ffnOut(try backend.unary(.geluTanh, try ffnIn(y, on: backend)), on: backend)
        return try backend.gatedAdd(x, f, gate: try row(5))
    }
}
