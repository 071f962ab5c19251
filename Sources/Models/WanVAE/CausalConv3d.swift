import Tensor

/// Wan's causal 3-D convolution: zero padding of kT − 1 frames in front of the time axis only
/// (the output at frame t sees frames t − kT + 1 … t), symmetric zero padding (k − 1)/2 in space,
/// stride 1.
///
/// `y[b, o, t, h, w] = bias[o] + Σ_{c, i, j, k} W[o, c, i, j, k] · x[b, c, t + i − (kT−1), h + j − pH, w + k − pW]`
/// with x = 0 outside the clip (before frame 0 or outside the image).
///
/// In a chunked pass the frames before the chunk come from `FrameCache.tail` instead of zeros.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` `CausalConv3d`.
public struct CausalConv3d: Sendable {
    /// `[Cout, Cin, kT, kH, kW]`, kH and kW odd.
    public let weight: Tensor
    /// `[Cout]` or nil.
    public let bias: Tensor?

    /// Throws unless the weight is 5-D with odd spatial kernel sizes and the bias matches Cout.
    public init(weight: Tensor, bias: Tensor?) throws {
        guard weight.rank == 5, weight.shape[3] % 2 == 1, weight.shape[4] % 2 == 1 else {
            throw TensorError.shapeMismatch(
                "CausalConv3d: weight \(weight.shape) must be [Cout, Cin, kT, kH, kW], kH, kW odd")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError.shapeMismatch("CausalConv3d: bias \(bias.shape) for weight \(weight.shape)")
        }
        self.weight = weight
        self.bias = bias
    }

    public var inputChannels: Int { weight.shape[1] }
    public var outputChannels: Int { weight.shape[0] }
    /// Frames of the past the conv reads (kT − 1); 0 for a pointwise-in-time conv.
    public var history: Int { weight.shape[2] - 1 }

    /// One chunk `x` `[B, Cin, T, H, W]` → `[B, Cout, T, H, W]`, reading the previous chunk's last
    /// frames from `cache` and leaving this chunk's there.
    public func callAsFunction(_ x: Tensor, cache: inout FrameCache, on backend: any Backend) throws -> Tensor {
        guard x.rank == 5, x.shape[1] == inputChannels else {
            throw TensorError.shapeMismatch("CausalConv3d: input \(x.shape) for weight \(weight.shape)")
        }
        var input = x
        var cached = 0
        if history > 0, let tail = cache.tail {
            input = try backend.concat([tail, x], axis: 2)
            cached = tail.shape[2]
        }
        let geometry = try ConvGeometry.causal3d(
            kernel: Array(weight.shape[2...]), spatialPadding: (weight.shape[3] / 2, weight.shape[4] / 2),
            cachedFrames: cached)
        let y = try backend.conv(input, weight: weight, bias: bias, geometry: geometry)
        if history > 0 {
            let keep = min(history, input.shape[2])
            // A copy, so the cache does not keep the whole chunk's storage alive.
            cache.tail = try backend.contiguous(
                input.narrowed(axis: 2, start: input.shape[2] - keep, length: keep))
        }
        cache.started = true
        return y
    }

    /// The whole clip at once (zero history), e.g. a 1×1×1 conv.
    public func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        var fresh = FrameCache()
        return try self(x, cache: &fresh, on: backend)
    }
}
