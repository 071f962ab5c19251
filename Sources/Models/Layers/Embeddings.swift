import Foundation
import Tensor

/// Sinusoidal timestep embedding, cos first (Wan's `sinusoidal_embedding_1d`):
/// with half = dim/2 and fⱼ = 10000^(−j/half), `s = [cos(t·f₀…t·f_{half−1}), sin(t·f₀…t·f_{half−1})]`,
/// evaluated in Double and rounded once to f32. Returns `dim` values; dim must be even and > 0.
public func sinusoidalEmbedding(_ t: Double, dim: Int) throws -> [Float] {
    guard dim > 0, dim % 2 == 0 else {
        throw TensorError.invalidArgument("sinusoidalEmbedding: dim \(dim) must be even and positive")
    }
    guard t.isFinite else { throw TensorError.invalidArgument("sinusoidalEmbedding: timestep \(t) is not finite") }
    let half = dim / 2
    var out = [Float](repeating: 0, count: dim)
    for j in 0..<half {
        let phase = t * Foundation.pow(10_000.0, -Double(j) / Double(half))
        out[j] = Float(Foundation.cos(phase))
        out[half + j] = Float(Foundation.sin(phase))
    }
    return out
}

/// Patch embedding: a Conv3d with kernel = stride = patch (Wan: (1, 2, 2)), flattened to tokens.
///
/// - weight `[dim, C, p, q, r]`, bias `[dim]`.
/// - x `[C, F, H, W]` → tokens `[L, dim]`, L = (F/p)·(H/q)·(W/r) in (f, h, w) row-major order.
public struct PatchEmbedding3D: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let patch: (p: Int, q: Int, r: Int)

    /// Reads `<prefix>.weight` `[dim, inChannels, p, q, r]` and `<prefix>.bias` `[dim]`.
    public init(
        _ reader: inout WeightReader, _ prefix: String, inChannels: Int, dim: Int, patch: (p: Int, q: Int, r: Int)
    ) throws {
        weight = try reader.take("\(prefix).weight", shape: [dim, inChannels, patch.p, patch.q, patch.r])
        bias = try reader.take("\(prefix).bias", shape: [dim])
        self.patch = patch
    }

    /// Token grid (F/p, H/q, W/r) of an input `[C, F, H, W]`; throws unless the patch divides it.
    public func grid(for x: Tensor) throws -> (f: Int, h: Int, w: Int) {
        guard x.rank == 4, x.shape[0] == weight.shape[1], x.shape[1] % patch.p == 0, x.shape[2] % patch.q == 0,
            x.shape[3] % patch.r == 0, x.shape[1] > 0, x.shape[2] > 0, x.shape[3] > 0
        else {
            throw TensorError.shapeMismatch(
                "patch embedding: input \(x.shape) must be [\(weight.shape[1]), F, H, W] divisible by patch \(patch)")
        }
        return (x.shape[1] / patch.p, x.shape[2] / patch.q, x.shape[3] / patch.r)
    }

    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        let g = try grid(for: x)
        let geometry = try ConvGeometry(spatialRank: 3, stride: [patch.p, patch.q, patch.r])
        let y = try backend.conv3d(try x.unsqueezed(0), weight: weight, bias: bias, geometry: geometry)
        // [1, dim, F', H', W'] → [dim, L] → [L, dim]
        let dim = weight.shape[0]
        return try backend.contiguous(try y.reshaped([dim, g.f * g.h * g.w]).transposed(0, 1))
    }
}
