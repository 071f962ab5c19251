import Foundation

/// Reads a JSON object field by field, remembering which keys were read, so that a config can
/// refuse keys nobody read.
struct ConfigFields {
    let container: KeyedDecodingContainer<LTX2TransformerConfig.AnyKey>
    private(set) var read: Set<String> = []

    init(_ container: KeyedDecodingContainer<LTX2TransformerConfig.AnyKey>) { self.container = container }

    /// The value of `key` (nil when absent or JSON null).
    mutating func value<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        read.insert(key)
        let k = LTX2TransformerConfig.AnyKey(stringValue: key)
        guard container.contains(k), try !container.decodeNil(forKey: k) else { return nil }
        do { return try container.decode(T.self, forKey: k) } catch {
            throw LTX2Error.invalidConfig("field '\(key)' is not a \(T.self)")
        }
    }

    /// Throws unless `key` is absent or equals `expected`; `why` says what another value would need.
    mutating func require<T: Decodable & Equatable>(_ key: String, _ expected: [T], why: String) throws {
        if let v: T = try value(key), !expected.contains(v) {
            throw LTX2Error.unsupported("LTX-2 config field '\(key)' is \(v); \(why)")
        }
    }

    /// Keys present but never read.
    var unread: [String] { container.allKeys.map(\.stringValue).filter { !read.contains($0) }.sorted() }
}

/// What a config with one of the later variants' switches gets.
let ltx23Message = "LTX-2.3 (gated attention, prompt modulation, per-modality projections) is not supported yet"

extension LTX2TransformerConfig {
    /// diffusers `LTX2VideoTransformer3DModel` `config.json`: strict, every key known.
    init(diffusers c: KeyedDecodingContainer<AnyKey>) throws {
        self.init()
        var f = ConfigFields(c)
        for key in ["_class_name", "_diffusers_version", "_name_or_path"] { _ = try f.value(key, as: String.self) }
        if let name: String = try f.value("_class_name"), name != "LTX2VideoTransformer3DModel" {
            throw LTX2Error.notAnLTX2Checkpoint("config.json is for \(name), not LTX2VideoTransformer3DModel")
        }
        inChannels = try f.value("in_channels") ?? inChannels
        outChannels = try f.value("out_channels") ?? inChannels
        numHeads = try f.value("num_attention_heads") ?? numHeads
        headDim = try f.value("attention_head_dim") ?? headDim
        crossAttentionDim = try f.value("cross_attention_dim") ?? crossAttentionDim
        audioInChannels = try f.value("audio_in_channels") ?? audioInChannels
        audioOutChannels = try f.value("audio_out_channels") ?? audioInChannels
        audioNumHeads = try f.value("audio_num_attention_heads") ?? audioNumHeads
        audioHeadDim = try f.value("audio_attention_head_dim") ?? audioHeadDim
        audioCrossAttentionDim = try f.value("audio_cross_attention_dim") ?? audioCrossAttentionDim
        numLayers = try f.value("num_layers") ?? numLayers
        captionChannels = try f.value("caption_channels") ?? captionChannels
        normEps = try f.value("norm_eps") ?? normEps
        ropeType = try f.value("rope_type") ?? ropeType
        ropeTheta = try f.value("rope_theta") ?? ropeTheta
        ropeDoublePrecision = try f.value("rope_double_precision") ?? ropeDoublePrecision
        maxPositions = [
            try f.value("pos_embed_max_pos") ?? 20, try f.value("base_height") ?? 2048,
            try f.value("base_width") ?? 2048,
        ]
        audioMaxPosition = try f.value("audio_pos_embed_max_pos") ?? audioMaxPosition
        vaeScaleFactors = try f.value("vae_scale_factors") ?? vaeScaleFactors
        causalOffset = try f.value("causal_offset") ?? causalOffset
        audioScaleFactor = try f.value("audio_scale_factor") ?? audioScaleFactor
        audioSampleRate = try f.value("audio_sampling_rate") ?? audioSampleRate
        audioHopLength = try f.value("audio_hop_length") ?? audioHopLength
        timestepScaleMultiplier = try f.value("timestep_scale_multiplier") ?? timestepScaleMultiplier
        crossAttnTimestepScaleMultiplier =
            try f.value("cross_attn_timestep_scale_multiplier") ?? crossAttnTimestepScaleMultiplier
        for key in ["gated_attn", "audio_gated_attn", "cross_attn_mod", "audio_cross_attn_mod"] {
            try f.require(key, [false], why: ltx23Message)
        }
        try f.require("use_prompt_embeddings", [true], why: ltx23Message)
        for key in ["patch_size", "patch_size_t", "audio_patch_size", "audio_patch_size_t"] {
            try f.require(key, [1], why: "only patch size 1 (every LTX-2 checkpoint) is implemented")
        }
        try f.require("activation_fn", ["gelu-approximate"], why: "only gelu-approximate is implemented")
        try f.require("qk_norm", ["rms_norm_across_heads"], why: "only rms_norm_across_heads is implemented")
        try f.require("norm_elementwise_affine", [false], why: "only norms without affine weights are implemented")
        for key in ["attention_bias", "attention_out_bias", "ff_bias", "audio_ff_bias"] {
            try f.require(
                key, [true], why: "only biased projections (LTX-2.0) are implemented; bias-free FFNs are LTX-2.5")
        }
        try f.require(
            "use_keyframes_abs_pos_embedding", [false], why: "keyframe embeddings (LTX-2.5) are not supported")
        // Inference-time switches that do not change the weights or the plain forward.
        _ = try f.value("perturbed_attn", as: Bool.self)
        _ = try f.value("use_prompt_adaln_single", as: Bool.self)
        if let unknown = f.unread.first {
            throw LTX2Error.invalidConfig(
                "config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it")
        }
    }

    /// The `transformer` section of a single-file checkpoint's metadata config (ltx-core names).
    init(ltxCore c: KeyedDecodingContainer<AnyKey>) throws {
        self.init()
        var f = ConfigFields(c)
        numHeads = try f.value("num_attention_heads") ?? numHeads
        headDim = try f.value("attention_head_dim") ?? headDim
        inChannels = try f.value("in_channels") ?? inChannels
        outChannels = try f.value("out_channels") ?? outChannels
        numLayers = try f.value("num_layers") ?? numLayers
        crossAttentionDim = try f.value("cross_attention_dim") ?? crossAttentionDim
        normEps = try f.value("norm_eps") ?? normEps
        ropeTheta = try f.value("positional_embedding_theta") ?? ropeTheta
        maxPositions = try f.value("positional_embedding_max_pos") ?? maxPositions
        timestepScaleMultiplier = try f.value("timestep_scale_multiplier") ?? timestepScaleMultiplier
        audioNumHeads = try f.value("audio_num_attention_heads") ?? audioNumHeads
        audioHeadDim = try f.value("audio_attention_head_dim") ?? audioHeadDim
        audioInChannels = try f.value("audio_in_channels") ?? audioInChannels
        audioOutChannels = try f.value("audio_out_channels") ?? audioOutChannels
        audioCrossAttentionDim = try f.value("audio_cross_attention_dim") ?? audioCrossAttentionDim
        let audioMax: [Int] = try f.value("audio_positional_embedding_max_pos") ?? [20]
        guard audioMax.count == 1 else {
            throw LTX2Error.invalidConfig("audio_positional_embedding_max_pos \(audioMax) must have one value")
        }
        audioMaxPosition = audioMax[0]
        // ltx-core's defaults differ from diffusers' here: multiplier 1, f32 frequencies, interleaved.
        crossAttnTimestepScaleMultiplier = try f.value("av_ca_timestep_scale_multiplier") ?? 1
        ropeDoublePrecision = (try f.value("frequencies_precision", as: String.self)) == "float64"
        ropeType = try f.value("rope_type") ?? .interleaved
        captionChannels = try f.value("caption_channels") ?? captionChannels
        for key in ["apply_gated_attention", "cross_attention_adaln", "caption_proj_before_connector"] {
            try f.require(key, [false], why: ltx23Message)
        }
        try f.require("activation_fn", ["gelu-approximate"], why: "only gelu-approximate is implemented")
        try f.require("qk_norm", ["rms_norm"], why: "only RMS q/k norms are implemented")
        try f.require("standardization_norm", ["rms_norm"], why: "only RMS block norms are implemented")
        try f.require("norm_elementwise_affine", [false], why: "only norms without affine weights are implemented")
        try f.require("attention_bias", [true], why: "only biased projections are implemented")
        try f.require("positional_embedding_type", ["rope"], why: "only RoPE is implemented")
        try f.require("use_middle_indices_grid", [true], why: "positions are patch midpoints in every LTX-2 model")
        try f.require("use_audio_video_cross_attention", [true], why: "this is the audio-video transformer")
        try f.require("av_cross_ada_norm", [true], why: "the cross-modal attention is modulated in every LTX-2 model")
    }
}
