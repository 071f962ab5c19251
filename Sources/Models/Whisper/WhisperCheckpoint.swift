import Foundation
import Tensor
import UserMessages

/// Checkpoint names of the Whisper encoder in transformers' naming (`openai/whisper-*`
/// safetensors, which also hold the decoder — ignored here): `model.encoder.conv1`, `conv2`,
/// `embed_positions`, `layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2,
/// final_layer_norm}`, `layer_norm`.
///
/// Follows: huggingface/transformers `WhisperEncoder` parameter names.
extension KeyRules {
    /// `WhisperForConditionalGeneration` (`model.encoder.`), `WhisperModel` (`encoder.`) and a bare
    /// `WhisperEncoder` all map to the bare encoder names.
    public static let whisperEncoder = KeyRules([.dropPrefix("model."), .dropPrefix("encoder.")])
}

extension WhisperEncoder {
    /// Loads every encoder weight of `config` from `reader` (then `finish`, which names all
    /// missing and mis-shaped weights).
    public static func load(config: WhisperEncoderConfig, from reader: inout WeightReader) throws -> WhisperEncoder {
        try config.validate()
        let d = config.dModel
        let c1w = try reader.take("conv1.weight", shape: [d, config.melBins, 3])
        let c1b = try reader.take("conv1.bias", shape: [d])
        let c2w = try reader.take("conv2.weight", shape: [d, d, 3])
        let c2b = try reader.take("conv2.bias", shape: [d])
        let positions = try reader.take("embed_positions.weight", shape: [config.maxSourcePositions, d])
        var layers: [WhisperEncoderLayer] = []
        for i in 0..<config.layers {
            let p = "layers.\(i)"
            layers.append(
                WhisperEncoderLayer(
                    attentionNorm: try LayerNorm(
                        &reader, "\(p).self_attn_layer_norm", dim: d, eps: config.layerNormEps),
                    q: try Linear(&reader, "\(p).self_attn.q_proj", in: d, out: d),
                    k: try Linear(&reader, "\(p).self_attn.k_proj", in: d, out: d, bias: false),
                    v: try Linear(&reader, "\(p).self_attn.v_proj", in: d, out: d),
                    out: try Linear(&reader, "\(p).self_attn.out_proj", in: d, out: d),
                    ffnNorm: try LayerNorm(&reader, "\(p).final_layer_norm", dim: d, eps: config.layerNormEps),
                    fc1: try Linear(&reader, "\(p).fc1", in: d, out: config.ffnDim),
                    fc2: try Linear(&reader, "\(p).fc2", in: config.ffnDim, out: d),
                    heads: config.heads))
        }
        let finalNorm = try LayerNorm(&reader, "layer_norm", dim: d, eps: config.layerNormEps)
        try reader.finish()
        return WhisperEncoder(
            config: config, conv1Weight: c1w, conv1Bias: c1b, conv2Weight: c2w, conv2Bias: c2b, positions: positions,
            layers: layers, finalNorm: finalNorm)
    }

    /// The sizes a checkpoint implies: d_model, layers, FFN width, mel bins and positions come from
    /// the tensor shapes; the head count cannot, so it is `heads` (default d_model/64, true of every
    /// released Whisper).
    public static func inferConfig(from reader: WeightReader, heads: Int? = nil) throws -> WhisperEncoderConfig {
        guard let conv1 = reader.shape(of: "conv1.weight"), conv1.count == 3,
            let pos = reader.shape(of: "embed_positions.weight"), pos.count == 2,
            let fc1 = reader.shape(of: "layers.0.fc1.weight"), fc1.count == 2
        else {
            throw WhisperError.invalidConfig(
                "\(reader.checkpoint.path): no Whisper encoder weights (conv1, embed_positions, layers.0.fc1)")
        }
        var layers = 0
        while reader.contains("layers.\(layers).fc1.weight") { layers += 1 }
        let d = conv1[0]
        let config = WhisperEncoderConfig(
            dModel: d, layers: layers, heads: heads ?? max(1, d / 64), ffnDim: fc1[0], melBins: conv1[1],
            maxSourcePositions: pos[0])
        try config.validate()
        return config
    }

    /// Opens a safetensors file, shard index or folder (`openai/whisper-*` as the Hub ships it) and
    /// loads its encoder. The config is `config`, else the folder's `config.json`, else inferred
    /// from the weights with `heads` (default d_model/64). Nothing is read before every weight is known to
    /// be present and to fit in `memoryLimit` bytes (default: this machine's memory).
    public static func load(
        checkpoint url: URL, config: WhisperEncoderConfig? = nil, heads: Int? = nil, backend: any Backend,
        storeAs: DType? = nil, memoryLimit: Int? = nil
    ) throws -> WhisperEncoder {
        let checkpoint = try Checkpoint.open(url)
        let shapes = try WeightReader(checkpoint: checkpoint, rules: .whisperEncoder, backend: backend, shapesOnly: true)
        let json = url.appendingPathComponent("config.json")
        let resolved: WhisperEncoderConfig
        if let config {
            resolved = config
        } else if FileManager.default.fileExists(atPath: json.path) {
            do {
                resolved = try JSONDecoder().decode(WhisperEncoderConfig.self, from: Data(contentsOf: json))
            } catch {
                throw WhisperError.invalidConfig(UserMessage.text(error, file: json.path))
            }
        } else {
            resolved = try inferConfig(from: shapes, heads: heads)
        }
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: .whisperEncoder, backend: backend, storeAs: storeAs,
            what: "the Whisper encoder \(url.path)", memoryLimit: memoryLimit
        ) { try load(config: resolved, from: &$0) }.model
    }
}
