/// Sizes of a Wan2.1 DiT (and of HuMo's audio additions when `audio` is set). JSON names are the
/// original ones (`num_heads`, `ffn_dim`, …, as in the goldens' `config` metadata); diffusers'
/// `WanTransformer3DModel` `config.json` is read too. Every field a config carries is read or refused
/// by name: a setting we would silently ignore would give wrong numbers.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/model.py` `WanModel.__init__`; HuMo `model_humo.py`.
public struct WanConfig: Codable, Sendable, Hashable {
    public var dim: Int
    public var numHeads: Int
    public var numLayers: Int
    public var ffnDim: Int
    /// Channels of the patch-embedding input: 16 (T2V, HuMo-1.7B) or 36 (HuMo-17B: x ‖ mask ‖ cond).
    public var inDim: Int
    public var outDim: Int
    /// Width of the text-encoder rows (umT5: 4096).
    public var textDim: Int
    /// Rows the context is zero-padded to (512).
    public var textLen: Int
    /// Width of the timestep sinusoid (256).
    public var freqDim: Int
    /// (t, h, w) patch, (1, 2, 2) in every Wan2.1 model.
    public var patchSize: [Int]
    /// eps of every LayerNorm and RMSNorm of the DiT.
    public var eps: Float
    /// HuMo's audio path, nil for a plain Wan2.1 DiT.
    public var audio: HuMoAudioConfig?
    /// Whether the context is zero-padded to `textLen` rows before the text embedding (the original
    /// Wan/HuMo model does; diffusers' model embeds the rows it is given, its pipeline pads).
    public var padsContext = true

    enum CodingKeys: String, CodingKey {
        case dim, eps, audio
        case numHeads = "num_heads"
        case numLayers = "num_layers"
        case ffnDim = "ffn_dim"
        case inDim = "in_dim"
        case outDim = "out_dim"
        case textDim = "text_dim"
        case textLen = "text_len"
        case freqDim = "freq_dim"
        case patchSize = "patch_size"
        case padsContext = "pads_context"
    }

    /// Original-layout fields we accept only at the value our implementation has.
    enum CheckedKeys: String, CodingKey, CaseIterable {
        case modelType = "model_type", qkNorm = "qk_norm", crossAttnNorm = "cross_attn_norm", windowSize = "window_size"
    }

    /// Any key, to list what a config holds.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(
        dim: Int, numHeads: Int, numLayers: Int, ffnDim: Int, inDim: Int = 16, outDim: Int = 16, textDim: Int = 4096,
        textLen: Int = 512, freqDim: Int = 256, patchSize: [Int] = [1, 2, 2], eps: Float = 1e-6,
        audio: HuMoAudioConfig? = nil
    ) {
        self.dim = dim
        self.numHeads = numHeads
        self.numLayers = numLayers
        self.ffnDim = ffnDim
        self.inDim = inDim
        self.outDim = outDim
        self.textDim = textDim
        self.textLen = textLen
        self.freqDim = freqDim
        self.patchSize = patchSize
        self.eps = eps
        self.audio = audio
    }

    public init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        if all.contains(AnyKey(stringValue: "num_attention_heads")) {
            try self.init(diffusers: all)
            return
        }
        // Provenance notes our golden files carry beside the sizes (they describe the test, not the model).
        let notes = ["source", "variant", "latent", "text_rows", "timestep", "tokens"]
        let known = Set(
            ["dim", "num_heads", "num_layers", "ffn_dim", "in_dim", "out_dim", "text_dim", "text_len", "freq_dim",
             "patch_size", "eps", "audio", "pads_context", "head_dim"] + CheckedKeys.allCases.map(\.rawValue) + notes)
        if let unknown = all.allKeys.map(\.stringValue).first(where: { !known.contains($0) }) {
            throw WanError.invalidConfig("config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it")
        }
        let checked = try decoder.container(keyedBy: CheckedKeys.self)
        if let t = try checked.decodeIfPresent(String.self, forKey: .modelType), !["t2v", "i2v"].contains(t) {
            throw WanError.invalidConfig("model_type '\(t)' (only t2v and i2v are Wan2.1/HuMo layouts)")
        }
        for key in [CheckedKeys.qkNorm, .crossAttnNorm] {
            if let v = try checked.decodeIfPresent(Bool.self, forKey: key), !v {
                throw WanError.invalidConfig("\(key.rawValue) false is not supported (every Wan2.1/HuMo model uses true)")
            }
        }
        if let w = try checked.decodeIfPresent([Int].self, forKey: .windowSize), w != [-1, -1] {
            throw WanError.invalidConfig("window_size \(w): only global attention ([-1, -1]) is supported")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dim: try c.decode(Int.self, forKey: .dim), numHeads: try c.decode(Int.self, forKey: .numHeads),
            numLayers: try c.decode(Int.self, forKey: .numLayers), ffnDim: try c.decode(Int.self, forKey: .ffnDim),
            inDim: try c.decodeIfPresent(Int.self, forKey: .inDim) ?? 16,
            outDim: try c.decodeIfPresent(Int.self, forKey: .outDim) ?? 16,
            textDim: try c.decodeIfPresent(Int.self, forKey: .textDim) ?? 4096,
            textLen: try c.decodeIfPresent(Int.self, forKey: .textLen) ?? 512,
            freqDim: try c.decodeIfPresent(Int.self, forKey: .freqDim) ?? 256,
            patchSize: try c.decodeIfPresent([Int].self, forKey: .patchSize) ?? [1, 2, 2],
            eps: try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-6,
            audio: try c.decodeIfPresent(HuMoAudioConfig.self, forKey: .audio))
        padsContext = try c.decodeIfPresent(Bool.self, forKey: .padsContext) ?? true
        if let h = try all.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "head_dim")), h * numHeads != dim {
            throw WanError.invalidConfig("head_dim \(h) × num_heads \(numHeads) is not dim \(dim)")
        }
    }

    /// diffusers' `WanTransformer3DModel` config.json: every field read or refused by name.
    init(diffusers c: KeyedDecodingContainer<AnyKey>) throws {
        func key(_ s: String) -> AnyKey { AnyKey(stringValue: s) }
        func int(_ s: String) throws -> Int { try c.decode(Int.self, forKey: key(s)) }
        let known: Set<String> = [
            "_class_name", "_diffusers_version", "_name_or_path", "patch_size", "num_attention_heads",
            "attention_head_dim", "in_channels", "out_channels", "text_dim", "freq_dim", "ffn_dim", "num_layers",
            "cross_attn_norm", "qk_norm", "eps", "image_dim", "added_kv_proj_dim", "rope_max_seq_len", "pos_embed_seq_len",
        ]
        if let unknown = c.allKeys.map(\.stringValue).first(where: { !known.contains($0) }) {
            throw WanError.invalidConfig("diffusers config field '\(unknown)' is not one this implementation reads; refusing rather than ignoring it")
        }
        if let name = try c.decodeIfPresent(String.self, forKey: key("_class_name")), name != "WanTransformer3DModel" {
            throw WanError.invalidConfig("diffusers _class_name '\(name)' (expected WanTransformer3DModel)")
        }
        if let v = try c.decodeIfPresent(Bool.self, forKey: key("cross_attn_norm")), !v {
            throw WanError.invalidConfig("cross_attn_norm false is not supported (every Wan2.1 model uses true)")
        }
        if let v = try c.decodeIfPresent(String.self, forKey: key("qk_norm")), v != "rms_norm_across_heads" {
            throw WanError.invalidConfig("qk_norm '\(v)' is not supported (Wan2.1 uses rms_norm_across_heads)")
        }
        for name in ["image_dim", "added_kv_proj_dim", "pos_embed_seq_len"] {
            if try c.contains(key(name)) && !c.decodeNil(forKey: key(name)) {
                throw WanError.invalidConfig("\(name) is set: the image-conditioned (I2V with CLIP) branch is not supported")
            }
        }
        if let r = try c.decodeIfPresent(Int.self, forKey: key("rope_max_seq_len")), r != 1024 {
            throw WanError.invalidConfig("rope_max_seq_len \(r) (Wan2.1's RoPE tables have 1024 positions)")
        }
        let heads = try int("num_attention_heads")
        let headDim = try int("attention_head_dim")
        let (dim, overflow) = heads.multipliedReportingOverflow(by: headDim)
        guard !overflow else { throw WanError.invalidConfig("num_attention_heads × attention_head_dim overflows") }
        self.init(
            dim: dim, numHeads: heads, numLayers: try int("num_layers"), ffnDim: try int("ffn_dim"),
            inDim: try c.decodeIfPresent(Int.self, forKey: key("in_channels")) ?? 16,
            outDim: try c.decodeIfPresent(Int.self, forKey: key("out_channels")) ?? 16,
            textDim: try c.decodeIfPresent(Int.self, forKey: key("text_dim")) ?? 4096, textLen: 512,
            freqDim: try c.decodeIfPresent(Int.self, forKey: key("freq_dim")) ?? 256,
            patchSize: try c.decodeIfPresent([Int].self, forKey: key("patch_size")) ?? [1, 2, 2],
            eps: try c.decodeIfPresent(Float.self, forKey: key("eps")) ?? 1e-6)
        padsContext = false
    }

    /// dim / heads.
    public var headDim: Int { dim / max(numHeads, 1) }
    /// Output features per token, outDim · Πpatch (64 in Wan).
    public var headOutFeatures: Int { outDim * patchSize.reduce(1, *) }

    /// Largest sizes accepted from a file: far above every released Wan/HuMo model (14B: dim 5120, 40
    /// layers, ffn 13 824), low enough that a hostile config cannot make us allocate without bound.
    var limitedSizes: [(String, Int, Int)] {
        [
            ("dim", dim, 32_768), ("num_heads", numHeads, 1024), ("num_layers", numLayers, 1024),
            ("ffn_dim", ffnDim, 262_144), ("in_dim", inDim, 4096), ("out_dim", outDim, 4096),
            ("text_dim", textDim, 65_536), ("text_len", textLen, 65_536), ("freq_dim", freqDim, 65_536),
        ]
    }

    /// Throws unless the sizes make a model: positive and bounded (`limitedSizes`), heads dividing dim into
    /// even head dims, a 3-D patch, a finite eps in (0, 1).
    public func validate() throws {
        for (name, value, limit) in limitedSizes where !(1...limit).contains(value) {
            throw WanError.invalidConfig("\(name) \(value) is outside 1...\(limit)")
        }
        guard patchSize.count == 3, patchSize.allSatisfy({ (1...64).contains($0) }) else {
            throw WanError.invalidConfig("patch_size \(patchSize) must be three sizes in 1...64")
        }
        guard dim % numHeads == 0, headDim % 2 == 0, freqDim % 2 == 0, eps.isFinite, eps > 0, eps < 1 else {
            throw WanError.invalidConfig("\(self)")
        }
        if let audio { try audio.validate() }
    }

    /// Wan2.1 T2V-1.3B (HuMo-1.7B's base).
    public static let wan1_3B = WanConfig(dim: 1536, numHeads: 12, numLayers: 30, ffnDim: 8960)
    /// Wan2.1 14B (T2V).
    public static let wan14B = WanConfig(dim: 5120, numHeads: 40, numLayers: 40, ffnDim: 13824)
    /// HuMo-1.7B: the 1.3B DiT with the audio path.
    public static let humo1_7B = WanConfig(
        dim: 1536, numHeads: 12, numLayers: 30, ffnDim: 8960, audio: HuMoAudioConfig())
    /// HuMo-17B: 14B dims, 36 input channels, audio path.
    public static let humo17B = WanConfig(
        dim: 5120, numHeads: 40, numLayers: 40, ffnDim: 13824, inDim: 36, audio: HuMoAudioConfig())
}

/// Sizes of HuMo's audio projection and audio cross-attention.
///
/// Follows: HuMo `humo/models/audio/audio_proj.py` `AudioProjModel` (seq_len 8, blocks 5,
/// channels 1280, intermediate 512, output 1536, 16 context tokens).
public struct HuMoAudioConfig: Codable, Sendable, Hashable {
    /// Whisper frames per window (8).
    public var window: Int = 8
    /// Layer groups (5).
    public var groups: Int = 5
    /// Whisper width (1280 for large-v3).
    public var channels: Int = 1280
    /// MLP width (512).
    public var intermediate: Int = 512
    /// Width of an audio token, the k/v input of the audio attention (1536).
    public var tokenDim: Int = 1536
    /// Audio tokens per latent frame (16).
    public var tokensPerFrame: Int = 16
    /// eps of the projection's final LayerNorm (1e-5).
    public var layernormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case window, groups, channels, intermediate
        case tokenDim = "token_dim"
        case tokensPerFrame = "tokens_per_frame"
        case layernormEps = "layernorm_eps"
    }

    public init(
        window: Int = 8, groups: Int = 5, channels: Int = 1280, intermediate: Int = 512, tokenDim: Int = 1536,
        tokensPerFrame: Int = 16, layernormEps: Float = 1e-5
    ) {
        self.window = window
        self.groups = groups
        self.channels = channels
        self.intermediate = intermediate
        self.tokenDim = tokenDim
        self.tokensPerFrame = tokensPerFrame
        self.layernormEps = layernormEps
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            window: try c.decodeIfPresent(Int.self, forKey: .window) ?? 8,
            groups: try c.decodeIfPresent(Int.self, forKey: .groups) ?? 5,
            channels: try c.decodeIfPresent(Int.self, forKey: .channels) ?? 1280,
            intermediate: try c.decodeIfPresent(Int.self, forKey: .intermediate) ?? 512,
            tokenDim: try c.decodeIfPresent(Int.self, forKey: .tokenDim) ?? 1536,
            tokensPerFrame: try c.decodeIfPresent(Int.self, forKey: .tokensPerFrame) ?? 16,
            layernormEps: try c.decodeIfPresent(Float.self, forKey: .layernormEps) ?? 1e-5)
    }

    /// Values in one frame's window, window · groups · channels (51 200).
    public var windowValues: Int { window * groups * channels }

    func validate() throws {
        let sizes = [
            ("window", window, 64), ("groups", groups, 64), ("channels", channels, 65_536),
            ("intermediate", intermediate, 262_144), ("token_dim", tokenDim, 65_536),
            ("tokens_per_frame", tokensPerFrame, 4096),
        ]
        for (name, value, limit) in sizes where !(1...limit).contains(value) {
            throw WanError.invalidConfig("audio \(name) \(value) is outside 1...\(limit)")
        }
        guard layernormEps.isFinite, layernormEps > 0, layernormEps < 1 else {
            throw WanError.invalidConfig("audio layernorm_eps \(layernormEps) must be in (0, 1)")
        }
    }
}

/// Failures of the Wan/HuMo model code that are not tensor or checkpoint errors.
public enum WanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Sizes that do not make a model.
    case invalidConfig(String)
    /// Inputs that do not fit the model (names the input, its shape and what was expected).
    case invalidInput(String)
    /// A checkpoint that is not a Wan/HuMo DiT.
    case notAWanCheckpoint(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): "invalid Wan config: \(m)"
        case .invalidInput(let m): "invalid Wan DiT input: \(m)"
        case .notAWanCheckpoint(let m): "not a Wan/HuMo DiT checkpoint: \(m)"
        }
    }
}
