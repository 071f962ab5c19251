import Foundation
import Models
import Tensor

/// One Gemma-3 decoder layer: sandwich norms around attention and MLP, all RMS norms with (1 + w).
public struct Gemma3Layer: Sendable {
    public let type: Gemma3Config.LayerType
    public let inputNorm: Gemma3RMSNorm
    public let q: Linear
    public let k: Linear
    public let v: Linear
    public let o: Linear
    /// Per-head norms of q and k `[headDim]`, before RoPE.
    public let qNorm: Gemma3RMSNorm
    public let kNorm: Gemma3RMSNorm
    public let postAttentionNorm: Gemma3RMSNorm
    public let preFFNNorm: Gemma3RMSNorm
    public let gate: Linear
    public let up: Linear
    public let down: Linear
    public let postFFNNorm: Gemma3RMSNorm
}

/// Gemma's RMS norm: `y = x / √(mean(x²) + eps) · (1 + w)` over the last axis (the weight is stored as
/// an offset from one). Follows: transformers `Gemma3RMSNorm`.
public struct Gemma3RMSNorm: Sendable {
    /// `1 + w`, f32, made once at load.
    public let scale: Tensor
    public let eps: Float

    public init(_ reader: inout WeightReader, _ key: String, dim: Int, eps: Float, on backend: any Backend) throws {
        scale = try backend.scalar(.add, try reader.take("\(key).weight", shape: [dim]), 1)
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.rmsNorm(x, weight: scale, eps: eps)
    }
}

/// Gemma-3's text model as LTX-2 uses it: token ids → every hidden state.
/// `h₀ = emb(ids)·√hidden` (the scale rounded to the embedding's storage type, as transformers does);
/// per layer `x += post_attn(attn(in(x)))`, `x += post_ffn(W_down·(gelu_tanh(W_gate·pre(x)) ⊙ W_up·pre(x)))`;
/// attention is causal, grouped-query, with per-head q/k norms, RoPE (rotate-half) whose base (and
/// linear scaling) depends on the layer type, a sliding window on local layers, and scores scaled by
/// `query_pre_attn_scalar^−½`. The last state is after the final norm (transformers' `hidden_states`).
///
/// Follows: transformers `Gemma3TextModel` (`modeling_gemma3.py`); diffusers `LTX2Pipeline`
/// `_get_gemma_prompt_embeds` (all hidden states).
public struct Gemma3TextModel: Sendable {
    public let config: Gemma3Config
    /// `[vocab, hidden]`.
    public let embedding: Tensor
    public let layers: [Gemma3Layer]
    public let finalNorm: Gemma3RMSNorm

    /// transformers' `embed_scale`: √hidden as f32, rounded to bf16/f16 when the table is stored so.
    public var embeddingScale: Float {
        let s = Float(Double(config.hiddenSize).squareRoot())
        return HalfConversion.roundTrip([s], through: embedding.dtype)[0]
    }

    /// cos/sin `[L, D/2]` for positions 0..<L, in f32 as torch computes them
    /// (`inv_freq = 1/base^(2j/D)`, divided by the linear factor, times the position).
    static func ropeTable(length: Int, headDim: Int, rope: Gemma3Config.RoPE) -> (cos: [Float], sin: [Float]) {
        let pairs = headDim / 2
        let inv = (0..<pairs).map { j -> Float in
            let f = 1 / powf(Float(rope.base), Float(2 * j) / Float(headDim))
            return rope.factor == 1 ? f : f / Float(rope.factor)
        }
        var c = [Float](repeating: 0, count: length * pairs)
        var s = c
        for p in 0..<length {
            for j in 0..<pairs {
                let angle = Double(Float(p) * inv[j])
                c[p * pairs + j] = Float(Foundation.cos(angle))
                s[p * pairs + j] = Float(Foundation.sin(angle))
            }
        }
        return (c, s)
    }

    /// Additive mask `[L, L]`: 0 where query i may see key j (j ≤ i, and i − j < window if given), else −1e30.
    static func causalMask(length: Int, window: Int?) -> [Float] {
        var m = [Float](repeating: -1e30, count: length * length)
        for i in 0..<length {
            let first = window.map { max(0, i - $0 + 1) } ?? 0
            for j in first...i { m[i * length + j] = 0 }
        }
        return m
    }

    /// Every hidden state for `ids`: `layers + 1` tensors `[L, hidden]` (embedding output, each layer's
    /// output, the last one after the final norm).
    public func hiddenStates(_ ids: [Int], on backend: any Backend) throws -> [Tensor] {
        guard !ids.isEmpty else { throw TextError.invalidPrompt("no tokens to encode") }
        guard ids.allSatisfy({ (0..<config.vocabSize).contains($0) }) else {
            throw TextError.invalidEncoder("a token id is outside the encoder's vocabulary of \(config.vocabSize)")
        }
        let length = ids.count
        let c = config
        func upload(_ t: (cos: [Float], sin: [Float])) throws -> (Tensor, Tensor) {
            (try backend.upload(t.cos, shape: [length, c.headDim / 2], dtype: .f32),
             try backend.upload(t.sin, shape: [length, c.headDim / 2], dtype: .f32))
        }
        let globalRoPE = try upload(Self.ropeTable(length: length, headDim: c.headDim, rope: c.globalRoPE))
        let localRoPE = try upload(Self.ropeTable(length: length, headDim: c.headDim, rope: c.localRoPE))
        let fullMask = try backend.upload(Self.causalMask(length: length, window: nil), shape: [length, length], dtype: .f32)
        let slidingMask = try backend.upload(
            Self.causalMask(length: length, window: c.slidingWindow), shape: [length, length], dtype: .f32)
        let scale = Float(1 / c.queryPreAttnScalar.squareRoot())

        var x = try backend.scalar(.mul, try backend.embedding(embedding, indices: ids.map { Int32($0) }), embeddingScale)
        var states = [x]
        for (index, layer) in layers.enumerated() {
            let (cos, sin) = layer.type == .full ? globalRoPE : localRoPE
            let h = try layer.inputNorm(x, on: backend)
            var q = try layer.qNorm(try layer.q(h, on: backend).reshaped([length, c.heads, c.headDim]), on: backend)
            var k = try layer.kNorm(try layer.k(h, on: backend).reshaped([length, c.kvHeads, c.headDim]), on: backend)
            let v = try layer.v(h, on: backend).reshaped([length, c.kvHeads, c.headDim])
            q = try backend.rope(q, cos: cos, sin: sin, pairing: .halves)
            k = try backend.rope(k, cos: cos, sin: sin, pairing: .halves)
            let a = try backend.attention(
                q: q, k: k, v: v, scale: scale, bias: layer.type == .full ? fullMask : slidingMask)
            let attn = try layer.o(try a.reshaped([length, c.heads * c.headDim]), on: backend)
            x = try backend.add(x, try layer.postAttentionNorm(attn, on: backend))
            let f = try layer.preFFNNorm(x, on: backend)
            let mlp = try layer.down(
                try backend.mul(
                    try backend.unary(.geluTanh, try layer.gate(f, on: backend)), try layer.up(f, on: backend)),
                on: backend)
            x = try backend.add(x, try layer.postFFNNorm(mlp, on: backend))
            states.append(index == layers.count - 1 ? try finalNorm(x, on: backend) : x)
        }
        return states
    }
}
