import Tensor

/// One encoder down block or decoder up block of the LTX-2 video VAE.
struct LTX2VideoVAEBlock: Sendable {
    /// Decoder only: a channel-changing resnet before the upsampler.
    var entry: LTX2VideoResBlock?
    var downsampler: LTX2VideoDownsampler?
    var upsampler: LTX2VideoUpsampler?
    var resnets: [LTX2VideoResBlock]

    func callAsFunction(_ x: Tensor, causal: Bool, stream: inout LTX2VideoStream, on backend: any Backend) throws
        -> Tensor
    {
        var h = try entry?(x, causal: causal, stream: &stream, on: backend) ?? x
        if let upsampler { h = try upsampler(h, causal: causal, stream: &stream, on: backend) }
        for r in resnets { h = try r(h, causal: causal, stream: &stream, on: backend) }
        if let downsampler { h = try downsampler(h, causal: causal, stream: &stream, on: backend) }
        return h
    }
}

/// LTX-2's causal video VAE: pixels `[3, F, H, W]` in [−1, 1] with F = 1 + t·k ↔ latents
/// `[C, 1 + k, H/s, W/s]` (t = `temporalCompression`, s = `spatialCompression`; LTX-2: C 128, s 32, t 8).
///
/// - encode: pixel-unshuffle patches (`patch_size`² pixels × `patch_size_t` frames → channels, in
///   diffusers' (c, t, w, h) order), `conv_in`, down blocks (resnets then a space/time-to-depth
///   downsampler with a grouped-mean shortcut), mid resnets, pixel norm, SiLU, `conv_out` → C + 1
///   channels whose first C are the posterior mean (the last is the shared log-variance).
/// - decode: `conv_in`, mid resnets, up blocks (channel-changing resnet, depth-to-space upsampler with
///   an optional tiled shortcut, resnets), pixel norm, SiLU, `conv_out`, patches back to pixels. The
///   output is not clamped.
/// - Every 3×3×3 conv pads time by repeating the clip's first frame (causal) or the first and last
///   frames (not causal, `decoder_causal: false` as in LTX-2's own decoder), space by zeros or reflection.
/// - Causal halves run chunk by chunk through `LTX2VideoStream` caches (encoder: 1 frame, then
///   `framesPerChunk` frames; decoder: latent frames one at a time), so memory grows with the frame
///   size, not the clip length; a non-causal half runs the clip at once.
/// - `encodeMean` and `decode` work on raw latents (as diffusers' VAE does); `normalise` / `denormalise`
///   apply the per-channel statistics (`latentsMean`, `latentsStd`, `[C]`) on the way to and from the
///   transformer, which ltx-core's encoder and decoder do inside themselves.
///
/// Follows: diffusers `AutoencoderKLLTX2Video` (`LTX2VideoEncoder3d`, `LTX2VideoDecoder3d`); no
/// timestep conditioning, no noise injection (refused by the config).
public struct LTX2VideoVAE: Sendable {
    public let config: LTX2VideoVAEConfig
    let encoderIn, encoderOut, decoderIn, decoderOut: LTX2VideoConv
    let down, up: [LTX2VideoVAEBlock]
    let encoderMid, decoderMid: [LTX2VideoResBlock]
    /// Per-channel statistics of the raw latent, `[C]`.
    public let latentsMean, latentsStd: Tensor

    public var latentChannels: Int { config.latentChannels }
    public var spatialCompression: Int { config.spatialCompression }
    public var temporalCompression: Int { config.temporalCompression }

    /// Reads every weight (diffusers names; `KeyRules.ltx2VideoVAE` maps the single file's `vae.*`).
    public init(config c: LTX2VideoVAEConfig, reader r: inout WeightReader) throws {
        try c.validate()
        config = c
        let eps = c.resnetNormEps
        let (ep, dp) = (c.encoderPadding, c.decoderPadding)
        let patchChannels = c.inChannels * c.patchSize * c.patchSize * c.patchSizeT
        encoderIn = try LTX2VideoConv(&r, "encoder.conv_in", in: patchChannels, out: c.latentChannels, padding: ep)
        var width = c.latentChannels
        var down: [LTX2VideoVAEBlock] = []
        for (i, out) in c.blockOutChannels.enumerated() {
            let prefix = "encoder.down_blocks.\(i)"
            let resnets = try (0..<c.layersPerBlock[i]).map {
                try LTX2VideoResBlock(&r, "\(prefix).resnets.\($0)", in: width, out: width, eps: eps, padding: ep)
            }
            var block = LTX2VideoVAEBlock(resnets: resnets)
            if c.spatioTemporalScaling[i] {
                block.downsampler = try LTX2VideoDownsampler(
                    &r, "\(prefix).downsamplers.0", in: width, out: out, resample: c.downsampleType[i], padding: ep)
            }
            down.append(block)
            width = out
        }
        self.down = down
        encoderMid = try (0..<c.layersPerBlock[c.blockOutChannels.count]).map {
            try LTX2VideoResBlock(&r, "encoder.mid_block.resnets.\($0)", in: width, out: width, eps: eps, padding: ep)
        }
        encoderOut = try LTX2VideoConv(&r, "encoder.conv_out", in: width, out: c.latentChannels + 1, padding: ep)

        // Decoder lists are given shallow → deep; diffusers runs them reversed (except upsample_type).
        let widths = Array(c.decoderBlockOutChannels.reversed())
        let layers = Array(c.decoderLayersPerBlock.reversed())
        let residual = Array(c.upsampleResidual.reversed())
        let factors = Array(c.upsampleFactor.reversed())
        width = widths[0]
        decoderIn = try LTX2VideoConv(&r, "decoder.conv_in", in: c.latentChannels, out: width, padding: dp)
        decoderMid = try (0..<layers[0]).map {
            try LTX2VideoResBlock(&r, "decoder.mid_block.resnets.\($0)", in: width, out: width, eps: eps, padding: dp)
        }
        var up: [LTX2VideoVAEBlock] = []
        for (i, resample) in c.decoderUpsamplers.enumerated() {
            let prefix = "decoder.up_blocks.\(i)"
            let input = width / factors[i]
            let output = widths[i] / factors[i]
            var block = LTX2VideoVAEBlock(resnets: [])
            if input != output {
                block.entry = try LTX2VideoResBlock(
                    &r, "\(prefix).conv_in", in: input, out: output, eps: eps, padding: dp)
            }
            if let resample {
                block.upsampler = try LTX2VideoUpsampler(
                    &r, "\(prefix).upsamplers.0", in: output * factors[i], resample: resample, residual: residual[i],
                    factor: factors[i], padding: dp)
            }
            block.resnets = try (0..<layers[i + 1]).map {
                try LTX2VideoResBlock(&r, "\(prefix).resnets.\($0)", in: output, out: output, eps: eps, padding: dp)
            }
            up.append(block)
            width = output
        }
        self.up = up
        decoderOut = try LTX2VideoConv(&r, "decoder.conv_out", in: width, out: patchChannels, padding: dp)
        latentsMean = try r.take("latents_mean", shape: [c.latentChannels])
        latentsStd = try r.take("latents_std", shape: [c.latentChannels])
        try r.finish()
    }

    // MARK: Encode

    /// Raw posterior mean `[C, 1 + (F−1)/t, H/s, W/s]` of pixels `[3, F, H, W]` (F = 1 + t·k; H, W
    /// multiples of s). A causal encoder runs `framesPerChunk` frames at a time after the first
    /// (a multiple of t; the result does not depend on it).
    public func encodeMean(_ pixels: Tensor, on backend: any Backend, framesPerChunk: Int? = nil) throws -> Tensor {
        let c = config
        let (s, t) = (c.spatialCompression, c.temporalCompression)
        guard pixels.rank == 4, pixels.shape[0] == c.inChannels, pixels.shape[1] >= 1, (pixels.shape[1] - c.patchSizeT) % t == 0,
            pixels.shape[1] % c.patchSizeT == 0, pixels.shape[2] > 0, pixels.shape[3] > 0, pixels.shape[2] % s == 0,
            pixels.shape[3] % s == 0
        else {
            throw LTX2Error.invalidInput(
                "video \(pixels.shape): expected [\(c.inChannels), frames, height, width] with frames = \(c.patchSizeT) + \(t)·k and height, width positive multiples of \(s)"
            )
        }
        let chunk = framesPerChunk ?? t
        guard chunk > 0, chunk % t == 0 else {
            throw LTX2Error.invalidInput("framesPerChunk \(chunk) must be a positive multiple of \(t)")
        }
        let x = try pixels.unsqueezed(0)
        var stream = LTX2VideoStream()
        var pieces: [Tensor] = []
        var start = 0
        while start < x.shape[2] {
            let n = !c.encoderCausal ? x.shape[2] : start == 0 ? c.patchSizeT : min(chunk, x.shape[2] - start)
            pieces.append(try encodeChunk(x.narrowed(axis: 2, start: start, length: n), stream: &stream, on: backend))
            stream.nextChunk()
            start += n
        }
        let h = pieces.count == 1 ? pieces[0] : try backend.concat(pieces, axis: 2)
        return try backend.contiguous(try h.squeezed(0).narrowed(axis: 0, start: 0, length: c.latentChannels))
    }

    private func encodeChunk(_ x: Tensor, stream: inout LTX2VideoStream, on backend: any Backend) throws -> Tensor {
        let c = config
        let causal = c.encoderCausal
        let (p, pt) = (c.patchSize, c.patchSizeT)
        let (f, hh, ww) = (x.shape[2] / pt, x.shape[3] / p, x.shape[4] / p)
        // [1, C, F·pt, H·p, W·p] → channels in diffusers' (c, pt, pw, ph) order.
        let patches = try backend.contiguous(
            try x.reshaped([c.inChannels, f, pt, hh, p, ww, p]).permuted([0, 2, 6, 4, 1, 3, 5])
        ).reshaped([1, c.inChannels * pt * p * p, f, hh, ww])
        var h = try stream.conv(encoderIn, patches, causal: causal, on: backend)
        for block in down { h = try block(h, causal: causal, stream: &stream, on: backend) }
        for r in encoderMid { h = try r(h, causal: causal, stream: &stream, on: backend) }
        h = try backend.unary(.silu, try channelPixelNorm(h, on: backend))
        return try stream.conv(encoderOut, h, causal: causal, on: backend)
    }

    // MARK: Latent statistics

    /// `(z − mean)/std` per channel of a raw latent `[C, T, h, w]`: the transformer's latent space. ltx-core's
    /// encoder returns this directly; diffusers' pipeline applies it after the VAE (the same numbers).
    public func normalise(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        try statistics(for: latent).normalise(latent, on: backend)
    }

    /// `z·std + mean` per channel: a normalised latent back to the raw latent `decode` takes.
    public func denormalise(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        try statistics(for: latent).denormalise(latent, on: backend)
    }

    private func statistics(for latent: Tensor) throws -> LTX2LatentStatistics {
        guard latent.rank == 4, latent.shape[0] == latentChannels else {
            throw LTX2Error.invalidInput("video latent \(latent.shape): expected [\(latentChannels), frames, height, width]")
        }
        let shape = [latentChannels, 1, 1, 1]
        return LTX2LatentStatistics(mean: try latentsMean.reshaped(shape), std: try latentsStd.reshaped(shape))
    }

    // MARK: Decode

    /// Pixels `[3, pt·(1 + t'·(T−1)), s·h, s·w]` (≈[−1, 1], not clamped) of a raw latent `[C, T, h, w]`.
    /// A causal decoder runs `latentFramesPerChunk` latent frames at a time (the result does not depend on it).
    public func decode(_ latent: Tensor, on backend: any Backend, latentFramesPerChunk: Int = 1) throws -> Tensor {
        var stream = LTX2VideoStream()
        return try decode(latent, on: backend, latentFramesPerChunk: latentFramesPerChunk, stream: &stream)
    }

    /// `decode` with the caller's stream (tiling reads how much the caches hold).
    func decode(
        _ latent: Tensor, on backend: any Backend, latentFramesPerChunk: Int, stream: inout LTX2VideoStream
    ) throws -> Tensor {
        let c = config
        guard latent.rank == 4, latent.shape[0] == c.latentChannels, latent.shape[1] >= 1, latent.shape[2] >= 1,
            latent.shape[3] >= 1
        else {
            throw LTX2Error.invalidInput(
                "video latent \(latent.shape): expected [\(c.latentChannels), frames, height, width]")
        }
        guard latentFramesPerChunk > 0 else {
            throw LTX2Error.invalidInput("latentFramesPerChunk \(latentFramesPerChunk) must be positive")
        }
        let z = try latent.unsqueezed(0)
        var pieces: [Tensor] = []
        var start = 0
        while start < z.shape[2] {
            let n = c.decoderCausal ? min(latentFramesPerChunk, z.shape[2] - start) : z.shape[2]
            pieces.append(try decodeChunk(z.narrowed(axis: 2, start: start, length: n), stream: &stream, on: backend))
            stream.nextChunk()
            start += n
        }
        let x = pieces.count == 1 ? pieces[0] : try backend.concat(pieces, axis: 2)
        return try backend.contiguous(try x.squeezed(0))
    }

    private func decodeChunk(_ z: Tensor, stream: inout LTX2VideoStream, on backend: any Backend) throws -> Tensor {
        let c = config
        let causal = c.decoderCausal
        var h = try stream.conv(decoderIn, z, causal: causal, on: backend)
        for r in decoderMid { h = try r(h, causal: causal, stream: &stream, on: backend) }
        for block in up { h = try block(h, causal: causal, stream: &stream, on: backend) }
        h = try backend.unary(.silu, try channelPixelNorm(h, on: backend))
        h = try stream.conv(decoderOut, h, causal: causal, on: backend)
        // [1, C·pt·p·p, F, H, W] with channels (c, pt, pw, ph) → [1, C, F·pt, H·p, W·p].
        let (p, pt) = (c.patchSize, c.patchSizeT)
        let (f, hh, ww) = (h.shape[2], h.shape[3], h.shape[4])
        let pixels = try h.reshaped([c.outChannels, pt, p, p, f, hh, ww]).permuted([0, 4, 1, 5, 3, 6, 2])
        return try backend.contiguous(pixels).reshaped([1, c.outChannels, f * pt, hh * p, ww * p])
    }
}
