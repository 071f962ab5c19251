import Foundation
import Tensor

/// Sizes of LTX-2's audio VAE (diffusers `AutoencoderKLLTX2Audio` `config.json`, strict). Only
/// LTX-2.0's layout is built: pixel norms, causal along time, no attention blocks.
///
/// Follows: diffusers `models/autoencoders/autoencoder_kl_ltx2_audio.py`; ltx-core `model/audio_vae`.
public struct LTX2AudioVAEConfig: Sendable, Hashable, Decodable {
    public var baseChannels = 128
    public var channelMultipliers = [1, 2, 4]
    public var resBlocks = 2
    /// Stereo mel channels in and out.
    public var inChannels = 2
    public var outChannels = 2
    public var latentChannels = 8
    public var melBins = 64

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        var f = ConfigFields(try decoder.container(keyedBy: LTX2TransformerConfig.AnyKey.self))
        for key in ["_class_name", "_diffusers_version", "_name_or_path"] { _ = try f.value(key, as: String.self) }
        if let name: String = try f.value("_class_name"), name != "AutoencoderKLLTX2Audio" {
            throw LTX2Error.notAnLTX2Checkpoint("config.json is for \(name), not AutoencoderKLLTX2Audio")
        }
        baseChannels = try f.value("base_channels") ?? baseChannels
        channelMultipliers = try f.value("ch_mult") ?? channelMultipliers
        resBlocks = try f.value("num_res_blocks") ?? resBlocks
        inChannels = try f.value("in_channels") ?? inChannels
        outChannels = try f.value("output_channels") ?? outChannels
        latentChannels = try f.value("latent_channels") ?? latentChannels
        melBins = try f.value("mel_bins") ?? melBins
        try f.require("norm_type", ["pixel"], why: "only pixel norms (LTX-2) are implemented")
        try f.require(
            "causality_axis", ["height"], why: "only causal-in-time (\"height\") convolutions are implemented")
        try f.require("mid_block_add_attention", [false], why: "attention blocks are not implemented")
        try f.require("double_z", [true], why: "the encoder must give mean and log-variance")
        if let a: [Int] = try f.value("attn_resolutions"), !a.isEmpty {
            throw LTX2Error.unsupported("LTX-2 audio VAE attn_resolutions \(a): attention blocks are not implemented")
        }
        // Recorded by the model, not used by its layers.
        for key in ["resolution", "sample_rate", "mel_hop_length"] { _ = try f.value(key, as: Int.self) }
        _ = try f.value("dropout", as: Double.self)
        _ = try f.value("is_causal", as: Bool.self)
        if let unknown = f.unread.first {
            throw LTX2Error.invalidConfig(
                "audio VAE config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it"
            )
        }
        guard baseChannels > 0, baseChannels <= 1 << 14, !channelMultipliers.isEmpty, channelMultipliers.count <= 8,
            channelMultipliers.allSatisfy({ (1...64).contains($0) }), (1...16).contains(resBlocks),
            (1...16).contains(inChannels), (1...16).contains(outChannels), (1...1024).contains(latentChannels),
            (1...4096).contains(melBins)
        else { throw LTX2Error.invalidConfig("audio VAE sizes out of range: \(self)") }
    }

    /// Time (and mel) compression: 2 per level after the first.
    public var compression: Int { 1 << (channelMultipliers.count - 1) }
}

/// Latent statistics shaped to broadcast over a latent (both VAEs): the transformer's space is `(z − mean)/std`.
struct LTX2LatentStatistics {
    let mean, std: Tensor

    func normalise(_ z: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.div(try backend.sub(z, mean), std)
    }

    func denormalise(_ z: Tensor, on backend: any Backend) throws -> Tensor {
        try backend.add(try backend.mul(z, std), mean)
    }
}

/// A causal-in-time 2-D convolution on `[1, C, T, M]`: time padded k−1 in front, mel symmetrically.
struct LTX2AudioConv: Sendable {
    let weight: Tensor
    let bias: Tensor

    init(_ r: inout WeightReader, _ prefix: String, in cin: Int, out cout: Int, kernel: Int) throws {
        weight = try r.take("\(prefix).weight", shape: [cout, cin, kernel, kernel])
        bias = try r.take("\(prefix).bias", shape: [cout])
    }

    func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        let k = weight.shape[2] - 1
        return try backend.conv2d(
            x, weight: weight, bias: bias, padding: [AxisPadding(k, 0), AxisPadding(k / 2, k - k / 2)])
    }
}

/// `x + conv₂(SiLU(N(conv₁(SiLU(N(x))))))`, with a 1×1 shortcut when the width changes (N = pixel norm).
struct LTX2AudioResBlock: Sendable {
    let conv1, conv2: LTX2AudioConv
    let shortcut: LTX2AudioConv?

    init(_ r: inout WeightReader, _ prefix: String, in cin: Int, out cout: Int) throws {
        conv1 = try LTX2AudioConv(&r, "\(prefix).conv1.conv", in: cin, out: cout, kernel: 3)
        conv2 = try LTX2AudioConv(&r, "\(prefix).conv2.conv", in: cout, out: cout, kernel: 3)
        shortcut =
            cin == cout ? nil : try LTX2AudioConv(&r, "\(prefix).nin_shortcut.conv", in: cin, out: cout, kernel: 1)
    }

    func callAsFunction(_ x: Tensor, on backend: any Backend) throws -> Tensor {
        func act(_ t: Tensor) throws -> Tensor { try backend.unary(.silu, try pixelNorm(t, on: backend)) }
        let h = try conv2(try act(try conv1(try act(x), on: backend)), on: backend)
        return try backend.add(try shortcut?(x, on: backend) ?? x, h)
    }
}

/// Pixel norm over channels: `x / √(mean_c x² + 1e-6)` for `[1, C, T, M]`.
func pixelNorm(_ x: Tensor, on backend: any Backend) throws -> Tensor {
    let last = try backend.contiguous(try x.permuted([0, 2, 3, 1]))
    return try backend.contiguous(try backend.rmsNorm(last, weight: nil, eps: 1e-6).permuted([0, 3, 1, 2]))
}

/// LTX-2's audio VAE: stereo log-mel `[2, T, 64]` ↔ latent `[8, T', 16]` (4× down in time and mel).
///
/// Encoder: causal `conv_in`; per level `resBlocks` res blocks, then (not on the last) a stride-2 3×3
/// conv after padding time (2, 0) and mel (0, 1); mid res blocks; pixel norm, SiLU, `conv_out` → mean ‖
/// log-variance (the mean is used). Decoder: `conv_in`; mid; per level (deepest first) `resBlocks + 1`
/// res blocks, then (not on level 0) nearest ×2, causal conv, first time row dropped; pixel norm, SiLU,
/// `conv_out`; cropped / zero-padded to `max(4T' − 3, 1)` frames × `melBins`.
///
/// Follows: diffusers `LTX2AudioEncoder` / `LTX2AudioDecoder` / `AutoencoderKLLTX2Audio`.
public struct LTX2AudioVAE: Sendable {
    public let config: LTX2AudioVAEConfig
    let encoderIn, encoderOut, decoderIn, decoderOut: LTX2AudioConv
    let down: [[LTX2AudioResBlock]]
    let downsamplers: [(weight: Tensor, bias: Tensor)]
    let encoderMid, decoderMid: [LTX2AudioResBlock]
    let up: [[LTX2AudioResBlock]]
    let upsamplers: [LTX2AudioConv]
    /// Per-feature statistics of the packed latent (`[C·M']`), for the DiT's space (`normalise`).
    public let latentsMean, latentsStd: Tensor

    /// Reads every weight (diffusers names; `KeyRules.ltx2AudioVAE` maps LTX-2's own).
    public init(config c: LTX2AudioVAEConfig, reader r: inout WeightReader) throws {
        config = c
        let widths = c.channelMultipliers.map { $0 * c.baseChannels }
        encoderIn = try LTX2AudioConv(&r, "encoder.conv_in.conv", in: c.inChannels, out: c.baseChannels, kernel: 3)
        var width = c.baseChannels
        var down: [[LTX2AudioResBlock]] = []
        var downsamplers: [(Tensor, Tensor)] = []
        for (level, w) in widths.enumerated() {
            down.append(
                try (0..<c.resBlocks).map { i in
                    try LTX2AudioResBlock(&r, "encoder.down.\(level).block.\(i)", in: i == 0 ? width : w, out: w)
                })
            width = w
            if level < widths.count - 1 {
                downsamplers.append(
                    (
                        try r.take("encoder.down.\(level).downsample.conv.weight", shape: [w, w, 3, 3]),
                        try r.take("encoder.down.\(level).downsample.conv.bias", shape: [w])
                    ))
            }
        }
        self.down = down
        self.downsamplers = downsamplers.map { (weight: $0.0, bias: $0.1) }
        encoderMid = try ["block_1", "block_2"].map {
            try LTX2AudioResBlock(&r, "encoder.mid.\($0)", in: width, out: width)
        }
        encoderOut = try LTX2AudioConv(&r, "encoder.conv_out.conv", in: width, out: 2 * c.latentChannels, kernel: 3)

        width = widths.last!
        decoderIn = try LTX2AudioConv(&r, "decoder.conv_in.conv", in: c.latentChannels, out: width, kernel: 3)
        decoderMid = try ["block_1", "block_2"].map {
            try LTX2AudioResBlock(&r, "decoder.mid.\($0)", in: width, out: width)
        }
        var up: [[LTX2AudioResBlock]] = Array(repeating: [], count: widths.count)
        var upsamplers: [LTX2AudioConv?] = Array(repeating: nil, count: widths.count)
        for level in widths.indices.reversed() {
            let w = widths[level]
            up[level] = try (0...c.resBlocks).map { i in
                try LTX2AudioResBlock(&r, "decoder.up.\(level).block.\(i)", in: i == 0 ? width : w, out: w)
            }
            width = w
            if level != 0 {
                upsamplers[level] = try LTX2AudioConv(
                    &r, "decoder.up.\(level).upsample.conv.conv", in: w, out: w, kernel: 3)
            }
        }
        self.up = up
        self.upsamplers = upsamplers.compactMap { $0 }
        decoderOut = try LTX2AudioConv(&r, "decoder.conv_out.conv", in: width, out: c.outChannels, kernel: 3)
        latentsMean = try r.take("latents_mean", shape: [c.baseChannels])
        latentsStd = try r.take("latents_std", shape: [c.baseChannels])
        try r.finish()
    }

    /// Posterior mean `[latentChannels, T', M']` of mel `[inChannels, T, melBins]`.
    public func encodeMean(_ mel: Tensor, on backend: any Backend) throws -> Tensor {
        let c = config
        guard mel.rank == 3, mel.shape[0] == c.inChannels, mel.shape[1] >= 1, mel.shape[2] >= 1 else {
            throw LTX2Error.invalidInput("mel \(mel.shape), expected [\(c.inChannels), frames, mel bins]")
        }
        var x = try encoderIn(try mel.unsqueezed(0), on: backend)
        for (level, blocks) in down.enumerated() {
            for b in blocks { x = try b(x, on: backend) }
            if level < downsamplers.count {
                let (w, bias) = downsamplers[level]
                x = try backend.conv2d(
                    x, weight: w, bias: bias, stride: [2, 2], padding: [AxisPadding(2, 0), AxisPadding(0, 1)])
            }
        }
        for b in encoderMid { x = try b(x, on: backend) }
        x = try encoderOut(try backend.unary(.silu, try pixelNorm(x, on: backend)), on: backend)
        return try backend.contiguous(try x.squeezed(0).narrowed(axis: 0, start: 0, length: c.latentChannels))
    }

    /// `(z − mean)/std` of a raw latent `[C, T', M']` with one statistic per packed feature `c·M' + m` (LTX-2
    /// packs an audio token as C × M' features; `latentsMean` has `baseChannels` = C·M' entries, 8 × 16 = 128 in
    /// LTX-2): the transformer's latent space. ltx-core's encoder returns this directly; diffusers' pipeline
    /// applies it to the packed tokens after the VAE (the same numbers).
    public func normalise(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        try statistics(for: latent).normalise(latent, on: backend)
    }

    /// `z·std + mean` per packed feature: a normalised latent back to the raw latent `decode` takes.
    public func denormalise(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        try statistics(for: latent).denormalise(latent, on: backend)
    }

    private func statistics(for latent: Tensor) throws -> LTX2LatentStatistics {
        let c = config
        guard latent.rank == 3, latent.shape[0] == c.latentChannels, latent.shape[0] * latent.shape[2] == c.baseChannels
        else {
            throw LTX2Error.invalidInput(
                "audio latent \(latent.shape): the statistics need [\(c.latentChannels), frames, \(c.baseChannels / max(1, c.latentChannels))] (\(c.baseChannels) packed features)"
            )
        }
        let shape = [c.latentChannels, 1, c.baseChannels / c.latentChannels]
        return LTX2LatentStatistics(mean: try latentsMean.reshaped(shape), std: try latentsStd.reshaped(shape))
    }

    /// Mel `[outChannels, max(4T' − 3, 1), melBins]` of latent `[latentChannels, T', M']`.
    public func decode(_ latent: Tensor, on backend: any Backend) throws -> Tensor {
        let c = config
        guard latent.rank == 3, latent.shape[0] == c.latentChannels, latent.shape[1] >= 1, latent.shape[2] >= 1 else {
            throw LTX2Error.invalidInput("audio latent \(latent.shape), expected [\(c.latentChannels), frames, bins]")
        }
        var x = try decoderMid.reduce(try decoderIn(try latent.unsqueezed(0), on: backend)) { try $1($0, on: backend) }
        for level in up.indices.reversed() {
            for b in up[level] { x = try b(x, on: backend) }
            if level != 0 {
                let big = try backend.interpolate(x, size: [x.shape[2] * 2, x.shape[3] * 2], mode: .nearest)
                let y = try upsamplers[level - 1](big, on: backend)
                x = try y.narrowed(axis: 2, start: 1, length: y.shape[2] - 1)
            }
        }
        x = try decoderOut(try backend.unary(.silu, try pixelNorm(x, on: backend)), on: backend)
        let frames = max(latent.shape[1] * c.compression - (c.compression - 1), 1)
        let (t, m) = (min(x.shape[2], frames), min(x.shape[3], c.melBins))
        var out = try x.squeezed(0).narrowed(axis: 1, start: 0, length: t).narrowed(axis: 2, start: 0, length: m)
        if t < frames || m < c.melBins {
            out = try backend.pad(
                out, padding: [AxisPadding(0, 0), AxisPadding(0, frames - t), AxisPadding(0, c.melBins - m)],
                mode: .constant(0))
        }
        return try backend.contiguous(out)
    }
}
