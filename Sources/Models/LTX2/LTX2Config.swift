import Foundation

/// How LTX-2's RoPE pairs the features of a rotated vector (the checkpoint's `rope_type`).
public enum LTX2RoPEType: String, Codable, Sendable, Hashable {
    /// Pairs (x[2j], x[2j+1]) across the whole width (the code default).
    case interleaved
    /// Per head: pairs (x[j], x[j + D/2]) (LTX-2's released checkpoints).
    case split
}

/// Sizes of the LTX-2 audio-video transformer. Reads diffusers' `LTX2VideoTransformer3DModel`
/// `config.json` (every field read or refused by name) and the `transformer` section of the JSON a
/// single-file LTX-2 checkpoint carries in its metadata (ltx-core's names; unknown keys there are
/// ignored, as ltx-core itself ignores them, but every value ltx-core checks is checked).
///
/// Follows: diffusers `LTX2VideoTransformer3DModel.__init__`; Lightricks ltx-core
/// `model/transformer/model_configurator.py` `LTXModelConfigurator`.
public struct LTX2TransformerConfig: Sendable, Hashable, Codable {
    public var inChannels = 128
    public var outChannels = 128
    public var numHeads = 32
    public var headDim = 128
    /// Width of the video text keys/values (= the video inner dim: the caption projection's output).
    public var crossAttentionDim = 4096
    public var audioInChannels = 128
    public var audioOutChannels = 128
    public var audioNumHeads = 32
    public var audioHeadDim = 64
    /// Width of the audio text keys/values and of the cross-modal RoPE (= the audio inner dim).
    public var audioCrossAttentionDim = 2048
    public var numLayers = 48
    public var captionChannels = 3840
    public var normEps: Float = 1e-6
    public var ropeType = LTX2RoPEType.interleaved
    public var ropeTheta = 10_000.0
    /// RoPE frequencies computed in f64 before rounding to f32 (diffusers `rope_double_precision`,
    /// ltx-core `frequencies_precision: "float64"`).
    public var ropeDoublePrecision = true
    /// Video positions are divided by these (seconds, pixels, pixels).
    public var maxPositions = [20, 2048, 2048]
    public var audioMaxPosition = 20
    /// VAE compression (time, height, width) that maps latent to pixel coordinates.
    public var vaeScaleFactors = [8, 32, 32]
    public var causalOffset = 1
    /// Audio VAE time compression (mel frames per latent frame).
    public var audioScaleFactor = 4
    public var audioSampleRate = 16_000
    public var audioHopLength = 160
    /// The model's timestep is σ times this.
    public var timestepScaleMultiplier = 1000
    /// The cross-modal gates see the timestep times `crossAttnTimestepScaleMultiplier / timestepScaleMultiplier`.
    public var crossAttnTimestepScaleMultiplier = 1000

    public init() {}

    public var innerDim: Int { numHeads * headDim }
    public var audioInnerDim: Int { audioNumHeads * audioHeadDim }

    /// Sizes the implementation can run, or a message naming the field.
    public func validate() throws {
        let positive: [(String, Int)] = [
            ("in_channels", inChannels), ("out_channels", outChannels), ("num_attention_heads", numHeads),
            ("attention_head_dim", headDim), ("audio_in_channels", audioInChannels),
            ("audio_out_channels", audioOutChannels), ("audio_num_attention_heads", audioNumHeads),
            ("audio_attention_head_dim", audioHeadDim), ("num_layers", numLayers),
            ("caption_channels", captionChannels),
        ]
        for (name, v) in positive where v <= 0 || v > 1 << 20 {
            throw LTX2Error.invalidConfig("\(name) \(v) must be in 1…\(1 << 20)")
        }
        guard crossAttentionDim == innerDim else {
            throw LTX2Error.invalidConfig(
                "cross_attention_dim \(crossAttentionDim) must equal num_attention_heads × attention_head_dim \(innerDim)"
            )
        }
        guard audioCrossAttentionDim == audioInnerDim else {
            throw LTX2Error.invalidConfig(
                "audio_cross_attention_dim \(audioCrossAttentionDim) must equal the audio inner dim \(audioInnerDim)")
        }
        guard headDim % 2 == 0, audioHeadDim % 2 == 0, innerDim % 6 % 2 == 0 else {
            throw LTX2Error.invalidConfig("head dims \(headDim), \(audioHeadDim) must be even")
        }
        guard maxPositions.count == 3, maxPositions.allSatisfy({ $0 > 0 }), audioMaxPosition > 0,
            vaeScaleFactors.count == 3, vaeScaleFactors.allSatisfy({ $0 > 0 }), audioScaleFactor > 0,
            audioSampleRate > 0, audioHopLength > 0, timestepScaleMultiplier > 0
        else { throw LTX2Error.invalidConfig("positions / scale factors must be positive (3 video axes)") }
        if ropeType == .split {
            for (w, h) in [(innerDim, numHeads), (audioInnerDim, audioNumHeads), (audioInnerDim, numHeads)]
            where (w / 2) % h != 0 {
                throw LTX2Error.invalidConfig("split RoPE: width \(w) does not split into \(h) heads")
            }
        }
    }

    // MARK: Codable

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if c.contains(AnyKey(stringValue: "positional_embedding_theta"))
            || c.contains(AnyKey(stringValue: "positional_embedding_max_pos"))
            || c.contains(AnyKey(stringValue: "frequencies_precision"))
        {
            try self.init(ltxCore: c)
        } else {
            try self.init(diffusers: c)
        }
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        func put<T: Encodable>(_ k: String, _ v: T) throws { try c.encode(v, forKey: AnyKey(stringValue: k)) }
        try put("_class_name", "LTX2VideoTransformer3DModel")
        try put("in_channels", inChannels)
        try put("out_channels", outChannels)
        try put("num_attention_heads", numHeads)
        try put("attention_head_dim", headDim)
        try put("cross_attention_dim", crossAttentionDim)
        try put("audio_in_channels", audioInChannels)
        try put("audio_out_channels", audioOutChannels)
        try put("audio_num_attention_heads", audioNumHeads)
        try put("audio_attention_head_dim", audioHeadDim)
        try put("audio_cross_attention_dim", audioCrossAttentionDim)
        try put("num_layers", numLayers)
        try put("caption_channels", captionChannels)
        try put("norm_eps", normEps)
        try put("rope_type", ropeType)
        try put("rope_theta", ropeTheta)
        try put("rope_double_precision", ropeDoublePrecision)
        try put("pos_embed_max_pos", maxPositions[0])
        try put("base_height", maxPositions[1])
        try put("base_width", maxPositions[2])
        try put("audio_pos_embed_max_pos", audioMaxPosition)
        try put("vae_scale_factors", vaeScaleFactors)
        try put("causal_offset", causalOffset)
        try put("audio_scale_factor", audioScaleFactor)
        try put("audio_sampling_rate", audioSampleRate)
        try put("audio_hop_length", audioHopLength)
        try put("timestep_scale_multiplier", timestepScaleMultiplier)
        try put("cross_attn_timestep_scale_multiplier", crossAttnTimestepScaleMultiplier)
    }
}

/// Errors of the LTX-2 family; each message names the field, tensor or input.
public enum LTX2Error: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidInput(String)
    case notAnLTX2Checkpoint(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): "invalid LTX-2 config: \(m)"
        case .invalidInput(let m): "invalid LTX-2 input: \(m)"
        case .notAnLTX2Checkpoint(let m): "not an LTX-2 checkpoint: \(m)"
        case .unsupported(let m): m
        }
    }
}
