import Tensor

/// The causal caches of one pass through an LTX-2 video VAE half, for running a clip chunk by chunk.
///
/// Every 3×3×3 convolution of the half owns one `FrameCache` slot, in call order (the order is the
/// same in every chunk); `index` walks them and `nextChunk` rewinds it. Resamplers treat the clip's
/// first chunk differently (the downsampler repeats frame 0, the upsampler drops its first frames),
/// which `isFirstChunk` tells them. Running chunk after chunk gives the whole clip's result.
struct LTX2VideoStream {
    var caches: [FrameCache] = []
    var index = 0
    var isFirstChunk = true

    /// Runs `conv` on `x` with the next cache slot.
    mutating func conv(_ conv: LTX2VideoConv, _ x: Tensor, causal: Bool, on backend: any Backend) throws -> Tensor {
        if index == caches.count { caches.append(FrameCache()) }
        defer { index += 1 }
        return try conv(x, causal: causal, cache: &caches[index], on: backend)
    }

    mutating func nextChunk() {
        index = 0
        isFirstChunk = false
    }

    /// Bytes held by the cached frames.
    var byteCount: Int { caches.reduce(0) { $0 + $1.byteCount } }
}

/// LTX-2's 3×3×3 video convolution on `[1, C, T, H, W]`: time padded by repeating the first frame
/// k−1 times in front (causal) or the first and last frames (k−1)/2 times on each side (not causal);
/// space padded by (k−1)/2 with zeros or by reflection.
///
/// In a chunked causal pass the frames in front come from the previous chunk (`FrameCache.tail`);
/// before the first chunk the tail is frame 0 repeated, which is the causal padding itself.
///
/// Follows: diffusers `LTX2VideoCausalConv3d`.
struct LTX2VideoConv: Sendable {
    let weight: Tensor
    let bias: Tensor
    let padding: LTX2VideoVAEConfig.Padding

    init(_ r: inout WeightReader, _ prefix: String, in cin: Int, out cout: Int, padding: LTX2VideoVAEConfig.Padding)
        throws
    {
        weight = try r.take("\(prefix).conv.weight", shape: [cout, cin, 3, 3, 3])
        bias = try r.take("\(prefix).conv.bias", shape: [cout])
        self.padding = padding
    }

    var outputChannels: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor, causal: Bool, cache: inout FrameCache, on backend: any Backend) throws
        -> Tensor
    {
        guard x.rank == 5, x.shape[1] == weight.shape[1], x.shape[2] >= 1 else {
            throw LTX2Error.invalidInput("video VAE conv: input \(x.shape) for weight \(weight.shape)")
        }
        let k = weight.shape[2]
        var input: Tensor
        let none = AxisPadding(0, 0)
        if causal {
            if let tail = cache.tail {
                input = try backend.concat([tail, x], axis: 2)
            } else {
                input = try backend.pad(
                    x, padding: [none, none, AxisPadding(k - 1, 0), none, none], mode: .replicate)
            }
            let keep = min(k - 1, input.shape[2])
            cache.tail = try backend.contiguous(input.narrowed(axis: 2, start: input.shape[2] - keep, length: keep))
        } else if k == 3 && x.shape[3] * x.shape[4] >= Self.edgeMergeMinimumPlane {
            cache.started = true
            return try edgeMerged(x, on: backend)
        } else {
            input = try backend.pad(
                x, padding: [none, none, .symmetric((k - 1) / 2), none, none], mode: .replicate)
        }
        cache.started = true
        let (padded, geometry) = try spatiallyPadded(input, on: backend)
        return try backend.conv(padded, weight: weight, bias: bias, geometry: geometry)
    }

    /// Space padded by (k−1)/2: reflected into a copy, or zeros left to the conv's geometry.
    private func spatiallyPadded(_ x: Tensor, on backend: any Backend) throws -> (Tensor, ConvGeometry) {
        let none = AxisPadding(0, 0)
        let s = weight.shape[3] / 2
        guard padding == .reflect else {
            return (x, try ConvGeometry(spatialRank: 3, padding: [none, .symmetric(s), .symmetric(s)]))
        }
        guard x.shape[3] > s, x.shape[4] > s else {
            throw LTX2Error.invalidInput(
                "video VAE: a \(x.shape[3])×\(x.shape[4]) feature map is too small for reflect padding; use larger frames")
        }
        let reflected = try backend.pad(x, padding: [none, none, none, .symmetric(s), .symmetric(s)], mode: .reflect)
        return (reflected, try ConvGeometry(spatialRank: 3))
    }

    /// Frames per feature map from which `edgeMerged` pays: below it (LTX-2's 16×16 mid stage) summing
    /// the weight slices costs about what the merged taps save.
    static let edgeMergeMinimumPlane = 32 * 32

    /// The not-causal 3×3×3 conv without padding time: with the first and last frames repeated, the
    /// first output frame's taps 0 and 1 both read x₀ and the last one's taps 1 and 2 both read
    /// x_{T−1}, so their weights can be summed — 2 of every 3·T tap-frames fewer (a quarter of the
    /// work of LTX-2's 512-wide stage, 3 frames), and no padded copy of the input:
    ///   y₀ = (W₀+W₁)·x₀ + W₂·x₁,   y_t = W₀·x_{t−1} + W₁·x_t + W₂·x_{t+1},   y_{T−1} = W₀·x_{T−2} + (W₁+W₂)·x_{T−1};
    ///   with one frame, y₀ = (W₀+W₁+W₂)·x₀. Equal to the padded conv up to f32 rounding.
    private func edgeMerged(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        let (input, geometry) = try spatiallyPadded(x, on: backend)
        let taps = try (0..<3).map { try weight.narrowed(axis: 2, start: $0, length: 1) }
        let frames = input.shape[2]
        if frames == 1 {
            let all = try backend.add(try backend.add(taps[0], taps[1]), taps[2])
            return try backend.conv(input, weight: all, bias: bias, geometry: geometry)
        }
        let first = try backend.conv(
            try input.narrowed(axis: 2, start: 0, length: 2),
            weight: try backend.concat([try backend.add(taps[0], taps[1]), taps[2]], axis: 2), bias: bias,
            geometry: geometry)
        let last = try backend.conv(
            try input.narrowed(axis: 2, start: frames - 2, length: 2),
            weight: try backend.concat([taps[0], try backend.add(taps[1], taps[2])], axis: 2), bias: bias,
            geometry: geometry)
        guard frames > 2 else { return try backend.concat([first, last], axis: 2) }
        let middle = try backend.conv(input, weight: weight, bias: bias, geometry: geometry)
        return try backend.concat([first, middle, last], axis: 2)
    }
}

/// `x / √(mean_c x² + eps)` over the channel axis 1 of `[1, C, …]` (diffusers `PerChannelRMSNorm`, eps 1e-8).
///
/// Runs as the backend's channel-axis norm `x·√C / max(‖x‖₂, e)` with `e = √(C·eps)`, which reads the
/// channels in place (a channels-last copy and the copy back cost as much as the norm). The two agree
/// where mean x² ≫ eps (relative gap eps / (2·mean x²)) and where it is ≪ eps (both x / √eps); they are
/// at most √2 apart only where mean x² ≈ 1e-8.
func channelPixelNorm(_ x: Tensor, eps: Float = 1e-8, on backend: any Backend) throws -> Tensor {
    try backend.channelRMSNorm(x, gamma: nil, eps: (Float(x.shape[1]) * eps).squareRoot())
}

/// Residual block: `shortcut(x) + conv₂(SiLU(N(conv₁(SiLU(N(x))))))` (N = per-position channel RMS
/// norm, no affine); when the width changes the shortcut is a LayerNorm over channels (affine, eps
/// `resnet_norm_eps`) then a 1×1×1 conv, else the identity.
///
/// Follows: diffusers `LTX2VideoResnetBlock3d` (no noise injection, no timestep conditioning).
struct LTX2VideoResBlock: Sendable {
    let conv1, conv2: LTX2VideoConv
    let shortcutNorm: (weight: Tensor, bias: Tensor)?
    let shortcut: (weight: Tensor, bias: Tensor)?
    let eps: Float

    init(
        _ r: inout WeightReader, _ prefix: String, in cin: Int, out cout: Int, eps: Float,
        padding: LTX2VideoVAEConfig.Padding
    ) throws {
        conv1 = try LTX2VideoConv(&r, "\(prefix).conv1", in: cin, out: cout, padding: padding)
        conv2 = try LTX2VideoConv(&r, "\(prefix).conv2", in: cout, out: cout, padding: padding)
        if cin != cout {
            shortcutNorm = (
                try r.take("\(prefix).norm3.weight", shape: [cin]), try r.take("\(prefix).norm3.bias", shape: [cin])
            )
            shortcut = (
                try r.take("\(prefix).conv_shortcut.weight", shape: [cout, cin, 1, 1, 1]),
                try r.take("\(prefix).conv_shortcut.bias", shape: [cout])
            )
        } else {
            shortcutNorm = nil
            shortcut = nil
        }
        self.eps = eps
    }

    func callAsFunction(_ x: Tensor, causal: Bool, stream: inout LTX2VideoStream, on backend: any Backend) throws
        -> Tensor
    {
        var h = try backend.unary(.silu, try channelPixelNorm(x, on: backend))
        h = try stream.conv(conv1, h, causal: causal, on: backend)
        h = try backend.unary(.silu, try channelPixelNorm(h, on: backend))
        h = try stream.conv(conv2, h, causal: causal, on: backend)
        var identity = x
        if let shortcutNorm, let shortcut {
            let last = try backend.contiguous(try x.permuted([0, 2, 3, 4, 1]))
            let normed = try backend.layerNorm(last, weight: shortcutNorm.weight, bias: shortcutNorm.bias, eps: eps)
            identity = try backend.conv(
                try normed.permuted([0, 4, 1, 2, 3]), weight: shortcut.weight, bias: shortcut.bias,
                geometry: ConvGeometry(spatialRank: 3))
        }
        return try backend.add(h, identity)
    }
}

/// Space-to-depth: `[1, C, T·st, H·sh, W·sw]` → `[1, C·st·sh·sw, T, H, W]`, channel index
/// `((c·st + i)·sh + j)·sw + k` (diffusers' order).
func spaceToDepth(_ x: Tensor, _ s: (t: Int, h: Int, w: Int), on backend: any Backend) throws -> Tensor {
    let (c, t, h, w) = (x.shape[1], x.shape[2] / s.t, x.shape[3] / s.h, x.shape[4] / s.w)
    let v = try x.reshaped([c, t, s.t, h, s.h, w, s.w]).permuted([0, 2, 4, 6, 1, 3, 5])
    return try backend.contiguous(v).reshaped([1, c * s.t * s.h * s.w, t, h, w])
}

/// Depth-to-space, the inverse of `spaceToDepth`: `[1, C·st·sh·sw, T, H, W]` → `[1, C, T·st, H·sh, W·sw]`.
func depthToSpace(_ x: Tensor, _ s: (t: Int, h: Int, w: Int), on backend: any Backend) throws -> Tensor {
    let (t, h, w) = (x.shape[2], x.shape[3], x.shape[4])
    let c = x.shape[1] / (s.t * s.h * s.w)
    let v = try backend.contiguous(x).reshaped([c, s.t, s.h, s.w, t, h, w]).permuted([0, 4, 1, 5, 2, 6, 3])
    return try backend.contiguous(v).reshaped([1, c, t * s.t, h * s.h, w * s.w])
}

/// Downsampler: frame 0 repeated st−1 times in front (first chunk only), then
/// `s2d(conv(x)) + groupMean(s2d(x))`, the conv mapping C → Cout/(st·sh·sw) channels and the
/// shortcut averaging groups of C·st·sh·sw/Cout space-to-depth channels.
///
/// Follows: diffusers `LTX2VideoDownsampler3d`.
struct LTX2VideoDownsampler: Sendable {
    let conv: LTX2VideoConv
    let resample: LTX2VideoVAEConfig.Resample
    let outChannels: Int

    init(
        _ r: inout WeightReader, _ prefix: String, in cin: Int, out cout: Int,
        resample: LTX2VideoVAEConfig.Resample, padding: LTX2VideoVAEConfig.Padding
    ) throws {
        let s = resample.stride
        let volume = s.t * s.h * s.w
        guard cout % volume == 0, (cin * volume) % cout == 0 else {
            throw LTX2Error.invalidConfig(
                "video VAE \(prefix): a \(resample.rawValue) downsampler from \(cin) to \(cout) channels needs \(cout) divisible by \(volume) and \(cin)·\(volume) by \(cout)"
            )
        }
        conv = try LTX2VideoConv(&r, "\(prefix).conv", in: cin, out: cout / volume, padding: padding)
        self.resample = resample
        outChannels = cout
    }

    func callAsFunction(_ x: Tensor, causal: Bool, stream: inout LTX2VideoStream, on backend: any Backend) throws
        -> Tensor
    {
        let s = resample.stride
        var h = x
        if s.t > 1, stream.isFirstChunk {
            h = try backend.concat([try x.narrowed(axis: 2, start: 0, length: min(s.t - 1, x.shape[2])), x], axis: 2)
        }
        guard h.shape[2] % s.t == 0, h.shape[3] % s.h == 0, h.shape[4] % s.w == 0 else {
            throw LTX2Error.invalidInput(
                "video VAE: a \(resample.rawValue) downsampler got \(h.shape[2]) frames of \(h.shape[3])×\(h.shape[4]); the clip's size does not divide by the compression"
            )
        }
        let packed = try spaceToDepth(h, s, on: backend)
        let group = packed.shape[1] / outChannels
        let residual = try backend.reduce(
            .mean, try packed.reshaped([1, outChannels, group] + Array(packed.shape[2...])), axis: 2, keepDim: false)
        let y = try spaceToDepth(try stream.conv(conv, h, causal: causal, on: backend), s, on: backend)
        return try backend.add(y, residual)
    }
}

/// Upsampler: `d2s(conv(x))` (+ `d2s(x)` tiled over channels when residual), the first st−1 frames
/// dropped (first chunk only). The conv maps C → C·st·sh·sw/u channels, giving C/u channels out.
///
/// Follows: diffusers `LTX2VideoUpsampler3d`.
struct LTX2VideoUpsampler: Sendable {
    let conv: LTX2VideoConv
    let resample: LTX2VideoVAEConfig.Resample
    let residual: Bool
    let factor: Int

    init(
        _ r: inout WeightReader, _ prefix: String, in cin: Int, resample: LTX2VideoVAEConfig.Resample,
        residual: Bool, factor: Int, padding: LTX2VideoVAEConfig.Padding
    ) throws {
        let s = resample.stride
        let volume = s.t * s.h * s.w
        guard (cin * volume) % factor == 0, cin % factor == 0, !residual || (cin % volume == 0 && volume % factor == 0)
        else {
            throw LTX2Error.invalidConfig(
                "video VAE \(prefix): a \(resample.rawValue) upsampler of \(cin) channels with factor \(factor) does not divide evenly"
            )
        }
        conv = try LTX2VideoConv(&r, "\(prefix).conv", in: cin, out: cin * volume / factor, padding: padding)
        self.resample = resample
        self.residual = residual
        self.factor = factor
    }

    func callAsFunction(_ x: Tensor, causal: Bool, stream: inout LTX2VideoStream, on backend: any Backend) throws
        -> Tensor
    {
        let s = resample.stride
        var y = try depthToSpace(try stream.conv(conv, x, causal: causal, on: backend), s, on: backend)
        if residual {
            let shuffled = try depthToSpace(x, s, on: backend)
            let repeats = s.t * s.h * s.w / factor
            y = try backend.add(y, repeats == 1 ? shuffled : try backend.concat(Array(repeating: shuffled, count: repeats), axis: 1))
        }
        if s.t > 1, stream.isFirstChunk {
            y = try y.narrowed(axis: 2, start: s.t - 1, length: y.shape[2] - (s.t - 1))
        }
        return y
    }
}
