import Foundation
import Tensor

/// A scaled-down Wan2.1 DiT block with random weights, written twice: once with a backend's ops
/// (`forward`) and once with the naive `Reference` ops (`reference`). The CPU tests compare the two;
/// the Vulkan conformance tests can compare `forward` on both backends.
///
/// Block arithmetic (models.md §1.3; LN = LayerNorm without affine, eps 1e-6):
/// ```
/// x = x + m2 · SelfAttn(LN(x)·(1 + m1) + m0)      q, k: RMSNorm across heads, then 3-D RoPE
/// x = x + CrossAttn(norm3(x), context)            norm3 = LayerNorm with affine; no RoPE
/// x = x + m5 · FFN(LN(x)·(1 + m4) + m3)           FFN = Linear · GELU(tanh) · Linear
/// ```
/// Follows: Wan-Video/Wan2.1 `WanAttentionBlock` (as summarised in docs/models.md).
public struct TinyWanBlock {
    public let dim: Int
    public let heads: Int
    public let ffn: Int
    /// Token grid (frames, patch rows, patch columns); L = f·h·w.
    public let grid: (f: Int, h: Int, w: Int)
    public let eps: Float = 1e-6
    /// Every weight by its checkpoint-like name.
    public let weights: [String: HostTensor]

    /// dim must be a multiple of heads; head dim = dim / heads must be even.
    public static func random(
        dim: Int = 48, heads: Int = 4, ffn: Int = 96, grid: (f: Int, h: Int, w: Int) = (2, 3, 4), seed: UInt64 = 1234
    ) -> TinyWanBlock {
        var w: [String: HostTensor] = [:]
        var s = seed
        func next() -> UInt64 {
            s += 1
            return s
        }
        let scale = 1 / Float(dim).squareRoot()
        w["modulation"] = HostTensor.random([6, dim], seed: next(), scale: 0.3)
        for attn in ["self_attn", "cross_attn"] {
            for p in ["q", "k", "v", "o"] {
                w["\(attn).\(p).weight"] = HostTensor.random([dim, dim], seed: next(), scale: scale)
                w["\(attn).\(p).bias"] = HostTensor.random([dim], seed: next(), scale: 0.1)
            }
            w["\(attn).norm_q.weight"] = HostTensor.random([dim], seed: next(), scale: 0.2).shifted(by: 1)
            w["\(attn).norm_k.weight"] = HostTensor.random([dim], seed: next(), scale: 0.2).shifted(by: 1)
        }
        w["norm3.weight"] = HostTensor.random([dim], seed: next(), scale: 0.2).shifted(by: 1)
        w["norm3.bias"] = HostTensor.random([dim], seed: next(), scale: 0.1)
        w["ffn.0.weight"] = HostTensor.random([ffn, dim], seed: next(), scale: scale)
        w["ffn.0.bias"] = HostTensor.random([ffn], seed: next(), scale: 0.1)
        w["ffn.2.weight"] = HostTensor.random([dim, ffn], seed: next(), scale: 1 / Float(ffn).squareRoot())
        w["ffn.2.bias"] = HostTensor.random([dim], seed: next(), scale: 0.1)
        return TinyWanBlock(dim: dim, heads: heads, ffn: ffn, grid: grid, weights: w)
    }

    public var tokens: Int { grid.f * grid.h * grid.w }
    public var headDim: Int { dim / heads }

    private func weight(_ name: String) -> HostTensor { weights[name] ?? HostTensor([0], []) }

    /// The block on `backend`, weights stored as `weightType` (norm/modulation parameters stay f32).
    /// x `[L, dim]`, context `[Lc, dim]` → `[L, dim]`.
    public func forward(_ be: some Backend, x: HostTensor, context: HostTensor, weightType: DType = .f32) throws
        -> [Float]
    {
        func up(_ name: String, _ dt: DType = .f32) throws -> Tensor { try weight(name).upload(be, dtype: dt) }
        let table = try RoPETable.wan3D(frames: grid.f, height: grid.h, width: grid.w, headDim: headDim)
        let (cos, sin) = try table.upload(on: be)
        let m = try up("modulation")
        func mod(_ i: Int) throws -> Tensor { try m.narrowed(axis: 0, start: i, length: 1) }

        func attention(_ prefix: String, _ xq: Tensor, _ xkv: Tensor, rope: Bool) throws -> Tensor {
            let q0 = try be.linear(
                xq, weight: try up("\(prefix).q.weight", weightType), bias: try up("\(prefix).q.bias"))
            let k0 = try be.linear(
                xkv, weight: try up("\(prefix).k.weight", weightType), bias: try up("\(prefix).k.bias"))
            let v0 = try be.linear(
                xkv, weight: try up("\(prefix).v.weight", weightType), bias: try up("\(prefix).v.bias"))
            var q = try be.rmsNorm(q0, weight: try up("\(prefix).norm_q.weight"), eps: eps).reshaped([
                -1, heads, headDim,
            ])
            var k = try be.rmsNorm(k0, weight: try up("\(prefix).norm_k.weight"), eps: eps).reshaped([
                -1, heads, headDim,
            ])
            let v = try v0.reshaped([-1, heads, headDim])
            if rope {
                q = try be.rope(q, cos: cos, sin: sin, pairing: .interleaved)
                k = try be.rope(k, cos: cos, sin: sin, pairing: .interleaved)
            }
            let o = try be.attention(q: q, k: k, v: v, scale: 1 / Float(headDim).squareRoot())
            return try be.linear(
                try o.reshaped([-1, dim]), weight: try up("\(prefix).o.weight", weightType),
                bias: try up("\(prefix).o.bias"))
        }

        var h = try x.upload(be)
        let ctx = try context.upload(be)
        let n1 = try be.modulate(
            try be.layerNorm(h, weight: nil, bias: nil, eps: eps), scale: try mod(1), shift: try mod(0))
        h = try be.gatedAdd(h, try attention("self_attn", n1, n1, rope: true), gate: try mod(2))
        let n3 = try be.layerNorm(h, weight: try up("norm3.weight"), bias: try up("norm3.bias"), eps: eps)
        h = try be.add(h, try attention("cross_attn", n3, ctx, rope: false))
        let n2 = try be.modulate(
            try be.layerNorm(h, weight: nil, bias: nil, eps: eps), scale: try mod(4), shift: try mod(3))
        let f = try be.unary(
            .geluTanh, try be.linear(n2, weight: try up("ffn.0.weight", weightType), bias: try up("ffn.0.bias")))
        let y = try be.linear(f, weight: try up("ffn.2.weight", weightType), bias: try up("ffn.2.bias"))
        h = try be.gatedAdd(h, y, gate: try mod(5))
        return try be.download(h)
    }

    /// The same block with the naive reference ops (weights rounded through `weightType` first).
    public func reference(x: HostTensor, context: HostTensor, weightType: DType = .f32) throws -> HostTensor {
        func w(_ name: String) -> HostTensor { weight(name) }
        func lw(_ name: String) -> HostTensor {
            let t = weight(name)
            return HostTensor(t.shape, HalfConversion.roundTrip(t.values, through: weightType))
        }
        let table = try RoPETable.wan3D(frames: grid.f, height: grid.h, width: grid.w, headDim: headDim)
        let m = w("modulation")
        func mod(_ i: Int) -> HostTensor { HostTensor([1, dim], Array(m.values[(i * dim)..<((i + 1) * dim)])) }
        func modulate(_ t: HostTensor, _ scale: Int, _ shift: Int) throws -> HostTensor {
            try Reference.binary(
                .add, try Reference.binary(.mul, t, try Reference.binary(.add, mod(scale), HostTensor([], [1]))),
                mod(shift))
        }
        func attention(_ prefix: String, _ xq: HostTensor, _ xkv: HostTensor, rope: Bool) -> HostTensor {
            var q = Reference.rmsNorm(
                Reference.linear(xq, lw("\(prefix).q.weight"), w("\(prefix).q.bias")), w("\(prefix).norm_q.weight"),
                eps: eps)
            var k = Reference.rmsNorm(
                Reference.linear(xkv, lw("\(prefix).k.weight"), w("\(prefix).k.bias")), w("\(prefix).norm_k.weight"),
                eps: eps)
            var v = Reference.linear(xkv, lw("\(prefix).v.weight"), w("\(prefix).v.bias"))
            q = HostTensor([1, q.count / dim, heads, headDim], q.values)
            k = HostTensor([1, k.count / dim, heads, headDim], k.values)
            v = HostTensor([1, v.count / dim, heads, headDim], v.values)
            if rope {
                q = Reference.rope(q, cos: table.cos, sin: table.sin, pairing: .interleaved)
                k = Reference.rope(k, cos: table.cos, sin: table.sin, pairing: .interleaved)
            }
            let o = Reference.attention(q: q, k: k, v: v, scale: 1 / Float(headDim).squareRoot())
            return Reference.linear(
                HostTensor([o.count / dim, dim], o.values), lw("\(prefix).o.weight"), w("\(prefix).o.bias"))
        }
        var h = x
        let n1 = try modulate(Reference.layerNorm(h, nil, nil, eps: eps), 1, 0)
        h = try Reference.binary(
            .add, h, try Reference.binary(.mul, attention("self_attn", n1, n1, rope: true), mod(2)))
        let n3 = Reference.layerNorm(h, w("norm3.weight"), w("norm3.bias"), eps: eps)
        h = try Reference.binary(.add, h, attention("cross_attn", n3, context, rope: false))
        let n2 = try modulate(Reference.layerNorm(h, nil, nil, eps: eps), 4, 3)
        let f = Reference.unary(.geluTanh, Reference.linear(n2, lw("ffn.0.weight"), w("ffn.0.bias")))
        let y = Reference.linear(f, lw("ffn.2.weight"), w("ffn.2.bias"))
        return try Reference.binary(.add, h, try Reference.binary(.mul, y, mod(5)))
    }
}

extension HostTensor {
    /// Every value plus `c`.
    public func shifted(by c: Float) -> HostTensor { HostTensor(shape, values.map { $0 + c }) }
}
