import Foundation

/// Sizes and switches of LTX-2's video VAE (diffusers `AutoencoderKLLTX2Video` `config.json`,
/// strict: every field read or refused). Defaults are diffusers' (the real LTX-2 geometry: 128 latent
/// channels, 32× spatial and 8× temporal compression).
///
/// Follows: diffusers `models/autoencoders/autoencoder_kl_ltx2.py`; ltx-core `model/video_vae`.
public struct LTX2VideoVAEConfig: Sendable, Hashable, Decodable {
    /// How a down or up block resamples: by 2 in space, in time, or both.
    public enum Resample: String, Sendable, Hashable, Codable {
        case spatial, temporal, spatiotemporal

        /// (time, height, width) strides.
        public var stride: (t: Int, h: Int, w: Int) {
            switch self {
            case .spatial: (1, 2, 2)
            case .temporal: (2, 1, 1)
            case .spatiotemporal: (2, 2, 2)
            }
        }
    }

    /// Spatial padding of every 3×3×3 convolution of one half (torch `padding_mode`).
    public enum Padding: String, Sendable, Hashable, Codable {
        case zeros, reflect
    }

    public var inChannels = 3
    public var outChannels = 3
    public var latentChannels = 128
    /// Encoder: widths after each down block; `layersPerBlock` has one more entry (the mid block).
    public var blockOutChannels = [256, 512, 1024, 2048]
    public var layersPerBlock = [4, 6, 6, 2, 2]
    /// Per encoder block: whether it downsamples, and how.
    public var spatioTemporalScaling = [true, true, true, true]
    public var downsampleType: [Resample] = [.spatial, .temporal, .spatiotemporal, .spatiotemporal]
    /// Decoder (listed shallow → deep as diffusers does; run deep → shallow).
    public var decoderBlockOutChannels = [256, 512, 1024]
    public var decoderLayersPerBlock = [5, 5, 5, 5]
    public var decoderSpatioTemporalScaling = [true, true, true]
    public var upsampleType: [Resample] = [.spatiotemporal, .spatiotemporal, .spatiotemporal]
    public var upsampleResidual = [true, true, true]
    public var upsampleFactor = [2, 2, 2]
    /// Pixel-unshuffle patch: `patchSize`² pixels × `patchSizeT` frames per patch channel group.
    public var patchSize = 4
    public var patchSizeT = 1
    /// LayerNorm epsilon of the channel-changing shortcuts.
    public var resnetNormEps: Float = 1e-6
    /// Recorded (diffusers' pipelines use the per-channel statistics instead).
    public var scalingFactor: Float = 1
    public var encoderCausal = true
    public var decoderCausal = true
    public var encoderPadding = Padding.zeros
    public var decoderPadding = Padding.reflect

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        var f = ConfigFields(try decoder.container(keyedBy: LTX2TransformerConfig.AnyKey.self))
        for key in ["_class_name", "_diffusers_version", "_name_or_path"] { _ = try f.value(key, as: String.self) }
        if let name: String = try f.value("_class_name"), name != "AutoencoderKLLTX2Video" {
            throw LTX2Error.notAnLTX2Checkpoint("config.json is for \(name), not AutoencoderKLLTX2Video")
        }
        inChannels = try f.value("in_channels") ?? inChannels
        outChannels = try f.value("out_channels") ?? outChannels
        latentChannels = try f.value("latent_channels") ?? latentChannels
        blockOutChannels = try f.value("block_out_channels") ?? blockOutChannels
        layersPerBlock = try f.value("layers_per_block") ?? layersPerBlock
        if let types: [String] = try f.value("down_block_types"),
            let other = types.first(where: { $0 != "LTX2VideoDownBlock3D" })
        {
            throw LTX2Error.unsupported(
                "LTX-2 video VAE config field 'down_block_types' has \(other); only LTX2VideoDownBlock3D is implemented")
        }
        spatioTemporalScaling =
            try Self.flags(&f, "spatio_temporal_scaling", count: layersPerBlock.count - 1) ?? spatioTemporalScaling
        downsampleType = try Self.resamples(&f, "downsample_type") ?? downsampleType
        decoderBlockOutChannels = try f.value("decoder_block_out_channels") ?? decoderBlockOutChannels
        decoderLayersPerBlock = try f.value("decoder_layers_per_block") ?? decoderLayersPerBlock
        decoderSpatioTemporalScaling =
            try Self.flags(&f, "decoder_spatio_temporal_scaling", count: decoderLayersPerBlock.count - 1)
            ?? decoderSpatioTemporalScaling
        upsampleType = try Self.resamples(&f, "upsample_type") ?? upsampleType
        upsampleResidual =
            try Self.flags(&f, "upsample_residual", count: decoderLayersPerBlock.count - 1) ?? upsampleResidual
        upsampleFactor = try f.value("upsample_factor") ?? upsampleFactor
        if let noise = try Self.flags(&f, "decoder_inject_noise", count: decoderLayersPerBlock.count),
            noise.contains(true)
        {
            throw LTX2Error.unsupported(
                "LTX-2 video VAE config field 'decoder_inject_noise' is \(noise): decoder noise injection is not implemented (LTX-2 leaves it off)"
            )
        }
        if let t: Bool = try f.value("timestep_conditioning"), t {
            throw LTX2Error.unsupported(
                "LTX-2 video VAE config field 'timestep_conditioning' is true: the timestep-conditioned decoder (LTX-Video 0.9.x) is not implemented; LTX-2's VAE has it off"
            )
        }
        patchSize = try f.value("patch_size") ?? patchSize
        patchSizeT = try f.value("patch_size_t") ?? patchSizeT
        resnetNormEps = try f.value("resnet_norm_eps") ?? resnetNormEps
        scalingFactor = try f.value("scaling_factor") ?? scalingFactor
        encoderCausal = try f.value("encoder_causal") ?? encoderCausal
        decoderCausal = try f.value("decoder_causal") ?? decoderCausal
        encoderPadding = try Self.padding(&f, "encoder_spatial_padding_mode") ?? encoderPadding
        decoderPadding = try Self.padding(&f, "decoder_spatial_padding_mode") ?? decoderPadding
        let spatial: Int? = try f.value("spatial_compression_ratio")
        let temporal: Int? = try f.value("temporal_compression_ratio")
        if let unknown = f.unread.first {
            throw LTX2Error.invalidConfig(
                "video VAE config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it"
            )
        }
        try validate()
        if let spatial, spatial != spatialCompression {
            throw LTX2Error.invalidConfig(
                "video VAE spatial_compression_ratio \(spatial) disagrees with the blocks (patch \(patchSize) and \(downsampleType) give \(spatialCompression))"
            )
        }
        if let temporal, temporal != temporalCompression {
            throw LTX2Error.invalidConfig(
                "video VAE temporal_compression_ratio \(temporal) disagrees with the blocks (patch_size_t \(patchSizeT) and \(downsampleType) give \(temporalCompression))"
            )
        }
    }

    /// Throws unless the lists fit each other and every size is in a sane range.
    public func validate() throws {
        func fail(_ m: String) -> LTX2Error { LTX2Error.invalidConfig("video VAE: \(m)") }
        let n = blockOutChannels.count
        guard (1...8).contains(n), layersPerBlock.count == n + 1, spatioTemporalScaling.count >= n,
            downsampleType.count >= n
        else {
            throw fail(
                "block_out_channels \(blockOutChannels) needs layers_per_block of \(n + 1) entries (got \(layersPerBlock)) and \(n) scaling flags / downsample types"
            )
        }
        let m = decoderBlockOutChannels.count
        guard (1...8).contains(m), decoderLayersPerBlock.count == m + 1, decoderSpatioTemporalScaling.count == m,
            upsampleType.count >= m, upsampleResidual.count == m, upsampleFactor.count == m
        else {
            throw fail(
                "decoder_block_out_channels \(decoderBlockOutChannels) needs decoder_layers_per_block of \(m + 1) entries (got \(decoderLayersPerBlock)) and \(m) scaling flags, upsample types, residual flags and factors"
            )
        }
        let widths = blockOutChannels + decoderBlockOutChannels + [latentChannels, inChannels, outChannels]
        guard widths.allSatisfy({ (1...8192).contains($0) }), (layersPerBlock + decoderLayersPerBlock).allSatisfy({ (0...64).contains($0) }),
            (1...16).contains(patchSize), (1...8).contains(patchSizeT), upsampleFactor.allSatisfy({ (1...8).contains($0) }),
            resnetNormEps > 0, resnetNormEps.isFinite
        else { throw fail("sizes out of range: \(self)") }
        if spatialCompression != decoderSpatialCompression || temporalCompression != decoderTemporalCompression {
            throw fail(
                "the encoder compresses \(spatialCompression)× in space and \(temporalCompression)× in time but the decoder expands \(decoderSpatialCompression)× / \(decoderTemporalCompression)×"
            )
        }
    }

    /// Pixels per latent cell along height and width.
    public var spatialCompression: Int {
        patchSize * zip(spatioTemporalScaling, downsampleType).prefix(blockOutChannels.count).reduce(1) {
            $0 * ($1.0 ? $1.1.stride.h : 1)
        }
    }

    /// Frames per latent frame after the first (a clip of `1 + t·k` frames gives `1 + k` latent frames).
    public var temporalCompression: Int {
        patchSizeT * zip(spatioTemporalScaling, downsampleType).prefix(blockOutChannels.count).reduce(1) {
            $0 * ($1.0 ? $1.1.stride.t : 1)
        }
    }

    var decoderSpatialCompression: Int { patchSize * decoderUpsamplers.reduce(1) { $0 * ($1?.stride.h ?? 1) } }

    var decoderTemporalCompression: Int { patchSizeT * decoderUpsamplers.reduce(1) { $0 * ($1?.stride.t ?? 1) } }

    /// The decoder's up blocks in run order (deep → shallow): each one's resampling, nil when it has
    /// none. diffusers reverses the per-block lists except `upsample_type`, which is in run order.
    var decoderUpsamplers: [Resample?] {
        let m = decoderBlockOutChannels.count
        let scaling = Array(decoderSpatioTemporalScaling.reversed())
        return (0..<m).map { scaling[$0] ? upsampleType[$0] : nil }
    }

    /// A field that diffusers accepts as one bool for every block or as a list.
    private static func flags(_ f: inout ConfigFields, _ key: String, count: Int) throws -> [Bool]? {
        if let list = try? f.value(key, as: [Bool].self) { return list }
        return try f.value(key, as: Bool.self).map { Array(repeating: $0, count: max(count, 0)) }
    }

    private static func resamples(_ f: inout ConfigFields, _ key: String) throws -> [Resample]? {
        guard let names: [String] = try f.value(key) else { return nil }
        return try names.map { name in
            guard let r = Resample(rawValue: name) else {
                throw LTX2Error.unsupported(
                    "LTX-2 video VAE config field '\(key)' has '\(name)'; implemented: spatial, temporal, spatiotemporal")
            }
            return r
        }
    }

    private static func padding(_ f: inout ConfigFields, _ key: String) throws -> Padding? {
        guard let name: String = try f.value(key) else { return nil }
        guard let p = Padding(rawValue: name) else {
            throw LTX2Error.unsupported("LTX-2 video VAE config field '\(key)' is '\(name)'; implemented: zeros, reflect")
        }
        return p
    }
}
