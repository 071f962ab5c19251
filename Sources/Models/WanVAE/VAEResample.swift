import Tensor

/// The Wan VAE's resampling layers. Spatial convs run on every frame (a 2-D kernel lifted to
/// `[Cout, Cin, 1, kH, kW]`); time is resampled causally, with frame 0 of the clip kept apart.
///
/// - `down2d`: pad one zero column on the right and one zero row at the bottom, then a 3×3 conv of
///   stride 2: H, W → H/2, W/2.
/// - `down3d`: `down2d`, then a time conv (kernel 3×1×1, stride 2, no padding): output frame 0 is
///   input frame 0, output frame j ≥ 1 is the conv over input frames (2j−2, 2j−1, 2j): T = 1+2m → 1+m.
/// - `up2d`: nearest ×2 in H and W, then a 3×3 conv (padding 1), C → C/2.
/// - `up3d`: a causal time conv (kernel 3×1×1, C → 2C) over frames 1… of the clip (frame 0 and the
///   frames before it read as zeros) whose two channel halves become two frames (first half first);
///   frame 0 passes unchanged. T = 1+m → 1+2m. Then `up2d` on every frame.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/vae.py` `Resample` (`resample.1`, `time_conv`).
public struct VAEResample: Sendable {
    public enum Mode: String, Sendable {
        case down2d, down3d, up2d, up3d
    }

    public let mode: Mode
    /// The per-frame conv, `[Cout, Cin, 1, 3, 3]`.
    public let spatialWeight: Tensor
    public let spatialBias: Tensor
    /// down3d: `[C, C, 3, 1, 1]`; up3d: `[2C, C, 3, 1, 1]`; nil for the 2-D modes.
    public let timeWeight: Tensor?
    public let timeBias: Tensor?

    /// Weights as stored: `resample.1.weight` `[Cout, Cin, 3, 3]`, `time_conv.weight` `[·, C, 3, 1, 1]`.
    public init(mode: Mode, spatialWeight: Tensor, spatialBias: Tensor, timeWeight: Tensor?, timeBias: Tensor?) throws {
        guard spatialWeight.rank == 4, spatialWeight.shape[2] == 3, spatialWeight.shape[3] == 3,
            spatialBias.shape == [spatialWeight.shape[0]]
        else {
            throw TensorError.shapeMismatch(
                "VAEResample(\(mode)): resample.1 weight \(spatialWeight.shape), bias \(spatialBias.shape)")
        }
        let (cout, cin) = (spatialWeight.shape[0], spatialWeight.shape[1])
        let needsTime = mode == .down3d || mode == .up3d
        if needsTime {
            let expectedOut = mode == .down3d ? cin : 2 * cin
            guard let tw = timeWeight, tw.shape == [expectedOut, cin, 3, 1, 1], timeBias?.shape == [expectedOut] else {
                throw TensorError.shapeMismatch(
                    "VAEResample(\(mode)): time_conv weight \(timeWeight?.shape ?? []) / bias \(timeBias?.shape ?? []) for \(cin) channels"
                )
            }
        }
        switch mode {
        case .down2d, .down3d:
            guard cout == cin else {
                throw TensorError.shapeMismatch("VAEResample(\(mode)): resample.1 \(spatialWeight.shape) must keep C")
            }
        case .up2d, .up3d:
            guard cin == 2 * cout else {
                throw TensorError.shapeMismatch("VAEResample(\(mode)): resample.1 \(spatialWeight.shape) must halve C")
            }
        }
        self.mode = mode
        self.spatialWeight = try spatialWeight.unsqueezed(2)
        self.spatialBias = spatialBias
        self.timeWeight = needsTime ? timeWeight : nil
        self.timeBias = needsTime ? timeBias : nil
    }

    public var inputChannels: Int { spatialWeight.shape[1] }
    public var outputChannels: Int { spatialWeight.shape[0] }

    /// One chunk `[B, C, T, H, W]`; `cache` is this layer's single `FrameCache`.
    func callAsFunction(_ x: Tensor, cache: inout FrameCache, on backend: any Backend) throws -> Tensor {
        guard x.rank == 5, x.shape[1] == inputChannels else {
            throw TensorError.shapeMismatch("VAEResample(\(mode)): input \(x.shape) for \(inputChannels) channels")
        }
        switch mode {
        case .down2d: return try down2d(x, backend)
        case .down3d: return try downTime(try down2d(x, backend), cache: &cache, backend)
        case .up2d: return try up2d(x, backend)
        case .up3d: return try up2d(try upTime(x, cache: &cache, backend), backend)
        }
    }

    private func down2d(_ x: Tensor, _ backend: any Backend) throws -> Tensor {
        guard x.shape[3] >= 2, x.shape[4] >= 2 else {
            throw TensorError.shapeMismatch("VAEResample(\(mode)): frames of \(x.shape[3])×\(x.shape[4]) are too small")
        }
        let g = try ConvGeometry(
            spatialRank: 3, stride: [1, 2, 2], padding: [AxisPadding(0, 0), AxisPadding(0, 1), AxisPadding(0, 1)])
        return try backend.conv(x, weight: spatialWeight, bias: spatialBias, geometry: g)
    }

    private func up2d(_ x: Tensor, _ backend: any Backend) throws -> Tensor {
        let (h, w) = (x.shape[3], x.shape[4])
        var y = try backend.resize(x, axis: 3, size: 2 * h, mode: .nearestExact)
        y = try backend.resize(y, axis: 4, size: 2 * w, mode: .nearestExact)
        let g = try ConvGeometry(spatialRank: 3, padding: [AxisPadding(0, 0), .symmetric(1), .symmetric(1)])
        return try backend.conv(y, weight: spatialWeight, bias: spatialBias, geometry: g)
    }

    /// Stride-2 causal time conv; the first chunk (odd length) keeps its frame 0, later chunks (even
    /// length) continue from the previous chunk's last frame.
    private func downTime(_ x: Tensor, cache: inout FrameCache, _ backend: any Backend) throws -> Tensor {
        guard let tw = timeWeight else { throw TensorError.invalidArgument("VAEResample(\(mode)): no time conv") }
        let t = x.shape[2]
        let g = try ConvGeometry(spatialRank: 3, stride: [2, 1, 1])
        let last = try backend.contiguous(x.narrowed(axis: 2, start: t - 1, length: 1))
        defer {
            cache.tail = last
            cache.started = true
        }
        if !cache.started {
            guard t % 2 == 1 else {
                throw TensorError.invalidArgument(
                    "VAE downsample: the first chunk has \(t) frames here; it must be odd")
            }
            let first = try x.narrowed(axis: 2, start: 0, length: 1)
            if t == 1 { return try backend.contiguous(first) }
            let rest = try backend.conv(x, weight: tw, bias: timeBias, geometry: g)
            return try backend.concat([first, rest], axis: 2)
        }
        guard t % 2 == 0, let tail = cache.tail else {
            throw TensorError.invalidArgument("VAE downsample: a later chunk has \(t) frames here; it must be even")
        }
        return try backend.conv(try backend.concat([tail, x], axis: 2), weight: tw, bias: timeBias, geometry: g)
    }

    /// Causal time conv to 2C channels, interleaved into twice the frames; frame 0 of the clip passes.
    private func upTime(_ x: Tensor, cache: inout FrameCache, _ backend: any Backend) throws -> Tensor {
        guard let tw = timeWeight else { throw TensorError.invalidArgument("VAEResample(\(mode)): no time conv") }
        var head: Tensor?
        var rest = x
        if !cache.started {
            head = try x.narrowed(axis: 2, start: 0, length: 1)
            rest = try x.narrowed(axis: 2, start: 1, length: x.shape[2] - 1)
            cache.started = true
        }
        var pieces: [Tensor] = head.map { [$0] } ?? []
        if rest.shape[2] > 0 {
            let conv = try CausalConv3d(weight: tw, bias: timeBias)
            let y = try conv(rest, cache: &cache, on: backend)
            let (b, c, t, h, w) = (x.shape[0], inputChannels, rest.shape[2], x.shape[3], x.shape[4])
            // [B, 2C, T, H, W] → [B, 2, C, T, H, W] → [B, C, T, 2, H, W]: frame 2t from the first half.
            let frames = try y.reshaped([b, 2, c, t, h, w]).permuted([0, 2, 3, 1, 4, 5])
            pieces.append(try backend.reshape(frames, [b, c, 2 * t, h, w]))
        }
        return pieces.count == 1 ? try backend.contiguous(pieces[0]) : try backend.concat(pieces, axis: 2)
    }
}
