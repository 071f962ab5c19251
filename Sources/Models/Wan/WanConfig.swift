/// Sizes of a Wan2.1 DiT (and of HuMo's audio additions when `audio` is set). JSON names are the
/// original ones (`num_heads`, `ffn_dim`, …, as in the goldens' `config` metadata).
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
    }

    /// dim / heads.
    public var headDim: Int { dim / max(numHeads, 1) }
    /// Output features per token, outDim · Πpatch (64 in Wan).
    public var headOutFeatures: Int { outDim * patchSize.reduce(1, *) }

    /// Throws unless the sizes make a model: positive, heads dividing dim into even head dims, a 3-D patch.
    public func validate() throws {
        let sizes = [dim, numHeads, numLayers, ffnDim, inDim, outDim, textDim, textLen, freqDim]
        guard sizes.allSatisfy({ $0 > 0 }), patchSize.count == 3, patchSize.allSatisfy({ $0 > 0 }),
            dim % numHeads == 0, headDim % 2 == 0, freqDim % 2 == 0, eps > 0
        else { throw WanError.invalidConfig("\(self)") }
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
        guard [window, groups, channels, intermediate, tokenDim, tokensPerFrame].allSatisfy({ $0 > 0 }),
            layernormEps > 0
        else { throw WanError.invalidConfig("audio \(self)") }
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
