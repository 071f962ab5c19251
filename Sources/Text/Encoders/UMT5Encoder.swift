import Foundation
import Models
import Tensor

/// T5's bidirectional relative-position buckets: the key-minus-query offset r maps to one of
/// `buckets` classes — half for r > 0, half for r ≤ 0; within a half, |r| < n/2 exactly (n = buckets/2),
/// then logarithmically up to `maxDistance`, the last class beyond:
/// `n/2 + ⌊log(|r|/(n/2)) / log(maxDistance/(n/2)) · (n − n/2)⌋`, evaluated in f32 as torch does.
///
/// Follows: transformers `UMT5Attention._relative_position_bucket` (bidirectional = True).
public func t5RelativeBucket(_ relative: Int, buckets: Int, maxDistance: Int) -> Int {
    let half = buckets / 2
    let base = relative > 0 ? half : 0
    let n = abs(relative)
    let exact = half / 2
    if n < exact { return base + n }
    let ratio = logf(Float(n) / Float(exact)) / Float(Foundation.log(Double(maxDistance) / Double(exact)))
    let large = exact + Int(ratio * Float(half - exact))
    return base + min(large, half - 1)
}

/// One umT5 encoder layer: pre-norm self-attention with a relative-position bias and no 1/√d scale,
/// then a pre-norm gated-GELU feed-forward, both residual.
public struct UMT5Layer: Sendable {
    public let attentionNorm: RMSNorm
    public let q: Linear
    public let k: Linear
    public let v: Linear
    public let o: Linear
    /// `[buckets, heads]`; nil in T5 v1.1 layers after the first (they share layer 0's).
    public let relativeBias: Tensor?
    public let ffnNorm: RMSNorm
    /// `wi_0` / Wan `ffn.gate.0`: the GELU branch.
    public let gate: Linear
    /// `wi_1` / Wan `ffn.fc1`: the linear branch.
    public let up: Linear
    /// `wo` / Wan `ffn.fc2`.
    public let down: Linear
}

/// The umT5 text encoder: token ids → `[L, d_model]` states (after the final norm).
/// `x = emb(ids)`; per layer `x += O·attn(rms₁(x)) with bias b[h, bucket(j−i)]`,
/// `x += W_down·(gelu_tanh(W_gate·rms₂(x)) ⊙ W_up·rms₂(x))`; `y = rms(x)`.
///
/// Follows: transformers `UMT5EncoderModel`; Wan2.1 `wan/modules/t5.py` `T5Encoder` (shared_pos=False).
public struct UMT5Encoder: Sendable {
    public let config: UMT5Config
    /// `[vocab, d_model]`.
    public let embedding: Tensor
    public let layers: [UMT5Layer]
    public let finalNorm: RMSNorm

    /// The relative-bias indices `[L·L]` (row i, column j: bucket of j − i).
    func bucketIndices(length: Int) -> [Int32] {
        var table = [Int32](repeating: 0, count: 2 * length - 1)
        for r in -(length - 1)...(length - 1) {
            table[r + length - 1] = Int32(t5RelativeBucket(r, buckets: config.buckets, maxDistance: config.maxDistance))
        }
        var out = [Int32](repeating: 0, count: length * length)
        for i in 0..<length {
            for j in 0..<length { out[i * length + j] = table[j - i + length - 1] }
        }
        return out
    }

    /// `[L, d_model]` states for `ids` (all real tokens: no padding, so no mask is needed — padded keys
    /// are masked out in the reference and relative positions do not move).
    public func callAsFunction(_ ids: [Int], on backend: any Backend) throws -> Tensor {
        guard !ids.isEmpty else { throw TextError.invalidPrompt("no tokens to encode") }
        guard ids.allSatisfy({ (0..<config.vocabSize).contains($0) }) else {
            throw TextError.invalidEncoder("a token id is outside the encoder's vocabulary of \(config.vocabSize)")
        }
        let length = ids.count
        let buckets = bucketIndices(length: length)
        var x = try backend.embedding(embedding, indices: ids.map { Int32($0) })
        var shared: Tensor?
        for layer in layers {
            let h = try layer.attentionNorm(x, on: backend)
            let shape = [length, config.heads, config.headDim]
            let q = try layer.q(h, on: backend).reshaped(shape)
            let k = try layer.k(h, on: backend).reshaped(shape)
            let v = try layer.v(h, on: backend).reshaped(shape)
            let bias: Tensor
            if let table = layer.relativeBias {
                // [L·L, H] → [H, L, L] (a view; the add broadcasts it).
                bias = try backend.embedding(table, indices: buckets).reshaped([length, length, config.heads])
                    .permuted([2, 0, 1])
                if !config.biasPerLayer { shared = bias }
            } else if let s = shared {
                bias = s
            } else {
                throw TextError.invalidEncoder("layer 0 has no relative-position bias")
            }
            let a = try backend.attention(q: q, k: k, v: v, scale: 1, bias: bias)
            x = try backend.add(x, try layer.o(try a.reshaped([length, config.innerDim]), on: backend))
            let f = try layer.ffnNorm(x, on: backend)
            let gated = try backend.mul(
                try backend.unary(.geluTanh, try layer.gate(f, on: backend)), try layer.up(f, on: backend))
            x = try backend.add(x, try layer.down(gated, on: backend))
        }
        return try finalNorm(x, on: backend)
    }
}
