import Foundation
import Tensor

/// Sizes of LTX-2's text connectors: diffusers `LTX2TextConnectors` `config.json` (strict), or built
/// from a single-file checkpoint's `transformer` config section (`connector_*` fields) and shapes.
///
/// Follows: diffusers `pipelines/ltx2/connectors.py` `LTX2TextConnectors.__init__`; ltx-core
/// `text_encoders/gemma/encoders/encoder_configurator.py`.
public struct LTX2ConnectorsConfig: Sendable, Hashable, Decodable {
    /// Width of the text encoder's hidden states (Gemma-3-12B: 3840) and of each connector.
    public var captionChannels = 3840
    /// Hidden states per token (Gemma-3-12B: 48 layers + the embeddings = 49).
    public var layers = 49
    public var videoHeads = 30, videoHeadDim = 128, videoLayers = 2, videoRegisters = 128
    public var audioHeads = 30, audioHeadDim = 128, audioLayers = 2, audioRegisters = 128
    /// RoPE positions are token index / this.
    public var ropeBaseLength = 4096
    public var ropeTheta = 10_000.0
    public var ropeDoublePrecision = true
    public var ropeType = LTX2RoPEType.interleaved
    /// `text_proj_in` has a bias.
    public var projectionBias = false

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        var f = ConfigFields(try decoder.container(keyedBy: LTX2TransformerConfig.AnyKey.self))
        for key in ["_class_name", "_diffusers_version", "_name_or_path"] { _ = try f.value(key, as: String.self) }
        if let name: String = try f.value("_class_name"), name != "LTX2TextConnectors" {
            throw LTX2Error.notAnLTX2Checkpoint("config.json is for \(name), not LTX2TextConnectors")
        }
        captionChannels = try f.value("caption_channels") ?? captionChannels
        layers = try f.value("text_proj_in_factor") ?? layers
        videoHeads = try f.value("video_connector_num_attention_heads") ?? videoHeads
        videoHeadDim = try f.value("video_connector_attention_head_dim") ?? videoHeadDim
        videoLayers = try f.value("video_connector_num_layers") ?? videoLayers
        audioHeads = try f.value("audio_connector_num_attention_heads") ?? audioHeads
        audioHeadDim = try f.value("audio_connector_attention_head_dim") ?? audioHeadDim
        audioLayers = try f.value("audio_connector_num_layers") ?? audioLayers
        for key in ["video_connector_num_learnable_registers", "audio_connector_num_learnable_registers"] {
            let k = LTX2TransformerConfig.AnyKey(stringValue: key)
            if f.container.contains(k), try f.container.decodeNil(forKey: k) {
                throw LTX2Error.unsupported(
                    "text connectors without learnable registers (\(key) null) are not supported")
            }
        }
        videoRegisters = try f.value("video_connector_num_learnable_registers") ?? videoRegisters
        audioRegisters = try f.value("audio_connector_num_learnable_registers") ?? audioRegisters
        ropeBaseLength = try f.value("connector_rope_base_seq_len") ?? ropeBaseLength
        ropeTheta = try f.value("rope_theta") ?? ropeTheta
        ropeDoublePrecision = try f.value("rope_double_precision") ?? ropeDoublePrecision
        ropeType = try f.value("rope_type") ?? ropeType
        projectionBias = try f.value("proj_bias") ?? projectionBias
        for key in ["video_gated_attn", "audio_gated_attn", "per_modality_projections"] {
            try f.require(key, [false], why: ltx23Message)
        }
        try f.require("causal_temporal_positioning", [false], why: "causal connector positions are not implemented")
        // Only read by the per-modality projections (LTX-2.3), refused above.
        _ = try f.value("video_hidden_dim", as: Int.self)
        _ = try f.value("audio_hidden_dim", as: Int.self)
        if let unknown = f.unread.first {
            throw LTX2Error.invalidConfig(
                "connectors config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it"
            )
        }
        try validate()
    }

    /// Connector sizes from a single-file checkpoint's `transformer` section (ltx-core names) and the
    /// stored shapes of `text_proj_in` and the registers (model names).
    public init(ltxCore section: [String: Any], shape: (String) -> [Int]?) throws {
        self.init()
        func int(_ k: String) -> Int? { (section[k] as? NSNumber)?.intValue }
        if (section["connector_apply_gated_attention"] as? Bool) == true
            || (section["caption_proj_before_connector"] as? Bool) == true
        {
            throw LTX2Error.unsupported(ltx23Message)
        }
        videoHeads = int("connector_num_attention_heads") ?? videoHeads
        videoHeadDim = int("connector_attention_head_dim") ?? videoHeadDim
        videoLayers = int("connector_num_layers") ?? videoLayers
        // ltx-core's audio connector reads its own fields and falls back to the video connector's.
        audioHeads = int("audio_connector_num_attention_heads") ?? videoHeads
        audioHeadDim = int("audio_connector_attention_head_dim") ?? videoHeadDim
        audioLayers = int("audio_connector_num_layers") ?? videoLayers
        // ltx-core divides positions by max_pos[0] and defaults to [1] when the field is absent (LTX-2's
        // checkpoints carry [4096]); diffusers' config default (4096) is for its own config.json only.
        ropeBaseLength = 1
        if let p = section["connector_positional_embedding_max_pos"] as? [NSNumber], let first = p.first {
            ropeBaseLength = first.intValue
        }
        // ltx-core builds its connectors with theta 10000 whatever the transformer's positional_embedding_theta.
        ropeTheta = 10_000
        ropeDoublePrecision = (section["frequencies_precision"] as? String) == "float64"
        ropeType = (section["rope_type"] as? String).flatMap(LTX2RoPEType.init(rawValue:)) ?? .interleaved
        captionChannels = videoHeads * videoHeadDim
        guard let proj = shape("text_proj_in.weight"), proj.count == 2, proj[0] == captionChannels,
            proj[1] % captionChannels == 0, let vr = shape("video_connector.learnable_registers"),
            let ar = shape("audio_connector.learnable_registers"), vr.count == 2, ar.count == 2
        else {
            throw LTX2Error.notAnLTX2Checkpoint(
                "the text_embedding_projection / *_embeddings_connector.learnable_registers tensors are missing or "
                    + "do not fit \(videoHeads) heads × \(videoHeadDim)")
        }
        layers = proj[1] / captionChannels
        (videoRegisters, audioRegisters) = (vr[0], ar[0])
        try validate()
    }

    public func validate() throws {
        for (name, v) in [
            ("caption_channels", captionChannels), ("text_proj_in_factor", layers), ("video heads", videoHeads),
            ("video head dim", videoHeadDim), ("video layers", videoLayers), ("audio heads", audioHeads),
            ("audio head dim", audioHeadDim), ("audio layers", audioLayers), ("registers", videoRegisters),
            ("audio registers", audioRegisters), ("connector_rope_base_seq_len", ropeBaseLength),
        ] where v <= 0 || v > 1 << 20 {
            throw LTX2Error.invalidConfig("\(name) \(v) must be in 1…\(1 << 20)")
        }
        guard videoHeads * videoHeadDim == captionChannels, audioHeads * audioHeadDim == captionChannels,
            videoHeadDim % 2 == 0, audioHeadDim % 2 == 0
        else {
            throw LTX2Error.invalidConfig(
                "connector widths \(videoHeads)×\(videoHeadDim), \(audioHeads)×\(audioHeadDim) must equal caption_channels \(captionChannels) with even heads"
            )
        }
    }
}

/// One connector: a 1-D transformer over the caption rows whose padded positions are replaced by
/// learnable registers: rows `[real rows in order; registers[p mod R] for p = real…L−1]`, then per
/// layer `x += Attn(RMS(x))` (RoPE over p / base on q and k) and `x += FF(RMS(x))`, then `RMS(x)`.
///
/// Follows: diffusers `LTX2ConnectorTransformer1d`; ltx-core `Embeddings1DConnector`.
public struct LTX2Connector: Sendable {
    public let registers: Tensor
    public let attentions: [LTX2Attention]
    public let feedForwards: [LTX2FeedForward]
    public let heads: Int

    init(_ r: inout WeightReader, _ prefix: String, heads: Int, headDim: Int, layers: Int, registers: Int) throws {
        let d = heads * headDim
        self.registers = try r.take("\(prefix).learnable_registers", shape: [registers, d])
        attentions = try (0..<layers).map {
            try LTX2Attention(
                &r, "\(prefix).transformer_blocks.\($0).attn1", queryDim: d, contextDim: d, heads: heads,
                headDim: headDim)
        }
        feedForwards = try (0..<layers).map { try LTX2FeedForward(&r, "\(prefix).transformer_blocks.\($0).ff", dim: d) }
        self.heads = heads
    }

    /// real `[Lr, D]` (the projected real rows) → `[length, D]`.
    func callAsFunction(_ real: Tensor?, length: Int, config c: LTX2ConnectorsConfig, on backend: any Backend) throws
        -> Tensor
    {
        let count = real?.shape[0] ?? 0
        let r = registers.shape[0]
        guard length % r == 0 else {
            throw LTX2Error.invalidInput("\(length) caption rows are not a multiple of the \(r) learnable registers")
        }
        var parts: [Tensor] = real.map { [$0] } ?? []
        if count < length {
            parts.append(try backend.embedding(registers, indices: (count..<length).map { Int32($0 % r) }))
        }
        var x = parts.count == 1 ? parts[0] : try backend.concat(parts, axis: 0)
        let rope = try LTX2RoPE(
            positions: [(0..<length).map(Float.init)], maxPositions: [c.ropeBaseLength], width: registers.shape[1],
            groups: heads, type: c.ropeType, theta: c.ropeTheta, doublePrecision: c.ropeDoublePrecision, on: backend)
        func norm(_ t: Tensor) throws -> Tensor { try backend.rmsNorm(t, weight: nil, eps: 1e-6) }
        for (attn, ff) in zip(attentions, feedForwards) {
            let n = try norm(x)
            x = try backend.add(x, try attn(n, context: n, queryRoPE: rope, keyRoPE: rope, on: backend))
            x = try backend.add(x, try ff(try norm(x), on: backend))
        }
        return try norm(x)
    }
}

/// LTX-2's text connectors: the text encoder's hidden states of every layer → the caption rows of
/// the video and the audio stream (`LTX2TransformerInputs.text` / `.audioText`, every row real).
///
/// 1. Per layer l, over the real rows only: `y = 8·(x − mean)/(max − min + 1e-6)` (mean over rows ×
///    features, divided by count + 1e-6), features flattened (feature-major, layer-minor).
/// 2. `text_proj_in` (aggregate projection, no bias): `D·layers → D`.
/// 3. One `LTX2Connector` per stream.
///
/// Follows: diffusers `LTX2TextConnectors.forward` + `per_layer_masked_mean_norm`; ltx-core
/// `FeatureExtractorV1` + `Embeddings1DConnector`.
public struct LTX2TextConnectors: Sendable {
    public let config: LTX2ConnectorsConfig
    public let projection: Linear
    public let video: LTX2Connector
    public let audio: LTX2Connector

    /// Reads every weight (diffusers names; `KeyRules.ltx2Connectors` maps LTX-2's own).
    public init(config c: LTX2ConnectorsConfig, reader r: inout WeightReader) throws {
        try c.validate()
        config = c
        projection = try Linear(
            &r, "text_proj_in", in: c.captionChannels * c.layers, out: c.captionChannels, bias: c.projectionBias)
        video = try LTX2Connector(
            &r, "video_connector", heads: c.videoHeads, headDim: c.videoHeadDim, layers: c.videoLayers,
            registers: c.videoRegisters)
        audio = try LTX2Connector(
            &r, "audio_connector", heads: c.audioHeads, headDim: c.audioHeadDim, layers: c.audioLayers,
            registers: c.audioRegisters)
        try r.finish()
    }

    /// hiddenStates `[L, D, layers]` (the encoder's states stacked on the last axis), mask: which of the
    /// L rows are real tokens (Gemma pads on the left) → (video `[L, D]`, audio `[L, D]`).
    public func callAsFunction(hiddenStates x: Tensor, mask: [Bool], on backend: any Backend) throws -> (
        video: Tensor, audio: Tensor
    ) {
        let c = config
        guard x.rank == 3, x.shape[1] == c.captionChannels, x.shape[2] == c.layers, x.shape[0] > 0,
            mask.count == x.shape[0]
        else {
            throw LTX2Error.invalidInput(
                "text hidden states \(x.shape) with \(mask.count) mask entries, expected [L, \(c.captionChannels), \(c.layers)] and L entries"
            )
        }
        let length = x.shape[0]
        let keep = mask.indices.filter { mask[$0] }.map { Int32($0) }
        var projected: Tensor?
        if !keep.isEmpty {
            let width = c.captionChannels * c.layers
            let flat = try backend.reshape(x, [length, width])
            let rows = keep.count == length ? flat : try backend.embedding(flat, indices: keep)
            let perLayer = try backend.reshape(rows, [keep.count * c.captionChannels, c.layers])
            let count = Float(keep.count * c.captionChannels) + 1e-6
            let mean = try backend.scalar(.div, try backend.reduce(.sum, perLayer, axis: 0, keepDim: true), count)
            let range = try backend.scalar(
                .add,
                try backend.sub(
                    try backend.reduce(.max, perLayer, axis: 0, keepDim: true),
                    try backend.reduce(.min, perLayer, axis: 0, keepDim: true)), 1e-6)
            let normalized = try backend.scalar(.mul, try backend.div(try backend.sub(perLayer, mean), range), 8)
            projected = try projection(try normalized.reshaped([keep.count, width]), on: backend)
        }
        return (
            try video(projected, length: length, config: c, on: backend),
            try audio(projected, length: length, config: c, on: backend)
        )
    }
}
