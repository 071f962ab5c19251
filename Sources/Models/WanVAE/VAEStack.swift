import Tensor

/// One layer of the Wan VAE's encoder or decoder, in the order the network applies them.
public enum VAELayer: Sendable {
    /// A causal conv (the stacks' first and last convs).
    case conv(CausalConv3d)
    /// `SiLU(norm(x))`, the start of the output head.
    case normSiLU(ChannelRMSNorm)
    case residual(VAEResidualBlock)
    case attention(VAEAttentionBlock)
    case resample(VAEResample)

    /// How many `FrameCache` values the layer carries between chunks.
    public var cacheCount: Int {
        switch self {
        case .conv(let c): c.history > 0 ? 1 : 0
        case .normSiLU, .attention: 0
        case .residual: 2
        case .resample(let r): r.mode == .down3d || r.mode == .up3d ? 1 : 0
        }
    }

    func callAsFunction(_ x: Tensor, cache: inout [FrameCache], on backend: any Backend) throws -> Tensor {
        switch self {
        case .conv(let c):
            if cache.isEmpty { return try c(x, on: backend) }
            return try c(x, cache: &cache[0], on: backend)
        case .normSiLU(let n): return try backend.unary(.silu, n(x, on: backend))
        case .residual(let r): return try r(x, cache: &cache, on: backend)
        case .attention(let a): return try a(x, on: backend)
        case .resample(let r):
            if cache.isEmpty {
                var unused = FrameCache()
                return try r(x, cache: &unused, on: backend)
            }
            return try r(x, cache: &cache[0], on: backend)
        }
    }
}

/// A sequence of VAE layers run chunk by chunk: `forward(chunk, cache)` applies every layer with its
/// own cache entry. The Wan encoder is conv → 2×Res → Down2d → Res(→2d) → Res → Down3d → Res(→4d)
/// → Res → Down3d → 2×Res → [Res, Attn, Res] → RMS·SiLU → conv(→2z); the decoder mirrors it with
/// Up3d, Up3d, Up2d (models.md §2, goldens README §2.4).
public struct VAEStack: Sendable {
    public let layers: [VAELayer]

    public init(layers: [VAELayer]) { self.layers = layers }

    /// One chunk `[B, C, T, H, W]` through every layer, updating `cache` (made by
    /// `CausalCache(for: self)`).
    public func forward(_ x: Tensor, cache: inout CausalCache, on backend: any Backend) throws -> Tensor {
        guard cache.layers.count == layers.count else {
            throw TensorError.invalidArgument(
                "VAEStack: a cache of \(cache.layers.count) layers for a stack of \(layers.count)")
        }
        var h = x
        for i in layers.indices {
            h = try layers[i](h, cache: &cache.layers[i], on: backend)
        }
        return h
    }
}
