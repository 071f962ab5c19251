/// Sizes of a Whisper audio encoder. `Codable` with the Hugging Face `config.json` names
/// (`d_model`, `encoder_layers`, `encoder_attention_heads`, `encoder_ffn_dim`, `num_mel_bins`,
/// `max_source_positions`). large-v3: 1280, 32, 20, 5120, 128, 1500.
///
/// Follows: huggingface/transformers `WhisperConfig` (encoder fields only).
public struct WhisperEncoderConfig: Codable, Sendable, Hashable {
    public var dModel: Int
    public var layers: Int
    public var heads: Int
    public var ffnDim: Int
    public var melBins: Int
    /// Encoder positions (frames at 50 Hz); the log-mel input has twice as many frames.
    public var maxSourcePositions: Int
    /// LayerNorm eps (1e-5 in every Whisper).
    public var layerNormEps: Float

    enum CodingKeys: String, CodingKey {
        case dModel = "d_model"
        case layers = "encoder_layers"
        case heads = "encoder_attention_heads"
        case ffnDim = "encoder_ffn_dim"
        case melBins = "num_mel_bins"
        case maxSourcePositions = "max_source_positions"
        case layerNormEps = "layer_norm_eps"
    }

    public init(
        dModel: Int, layers: Int, heads: Int, ffnDim: Int, melBins: Int = 128, maxSourcePositions: Int = 1500,
        layerNormEps: Float = 1e-5
    ) {
        self.dModel = dModel
        self.layers = layers
        self.heads = heads
        self.ffnDim = ffnDim
        self.melBins = melBins
        self.maxSourcePositions = maxSourcePositions
        self.layerNormEps = layerNormEps
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dModel: try c.decode(Int.self, forKey: .dModel), layers: try c.decode(Int.self, forKey: .layers),
            heads: try c.decode(Int.self, forKey: .heads), ffnDim: try c.decode(Int.self, forKey: .ffnDim),
            melBins: try c.decodeIfPresent(Int.self, forKey: .melBins) ?? 128,
            maxSourcePositions: try c.decodeIfPresent(Int.self, forKey: .maxSourcePositions) ?? 1500,
            layerNormEps: try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5)
    }

    /// openai/whisper-large-v3, the encoder HuMo uses.
    public static let largeV3 = WhisperEncoderConfig(dModel: 1280, layers: 32, heads: 20, ffnDim: 5120)

    /// Throws unless every size is positive and the heads divide d_model.
    public func validate() throws {
        // Bounded far above large-v3 (1280, 32 layers, 20 heads, 5120, 128 mels, 1500 positions).
        guard (1...16_384).contains(dModel), (1...256).contains(layers), (1...1024).contains(heads), dModel % heads == 0,
            (1...262_144).contains(ffnDim), (1...1024).contains(melBins), (1...65_536).contains(maxSourcePositions),
            layerNormEps.isFinite, layerNormEps > 0, layerNormEps < 1
        else {
            throw WhisperError.invalidConfig(
                "d_model \(dModel), \(layers) layers, \(heads) heads, ffn \(ffnDim), \(melBins) mel bins, \(maxSourcePositions) positions"
            )
        }
    }
}

/// Failures of the Whisper encoder and HuMo's audio features that are not tensor-shape errors.
public enum WhisperError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): "Whisper configuration: \(m)"
        case .invalidInput(let m): "Whisper input: \(m)"
        }
    }
}
