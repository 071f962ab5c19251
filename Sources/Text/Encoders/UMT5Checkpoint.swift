import Foundation
import Models
import Tensor
import UserMessages

/// Checkpoint names of the umT5 encoder. Model keys are Wan2.1's (`models_t5_umt5-xxl-enc-bf16.pth`):
/// `token_embedding`, `blocks.N.{norm1, attn.{q,k,v,o}, pos_embedding.embedding, norm2,
/// ffn.{gate.0, fc1, fc2}}`, `norm`. transformers' `UMT5EncoderModel` / `T5EncoderModel` names (also
/// ComfyUI's `umt5_xxl_*.safetensors`) map onto them; a whole T5 model's decoder is ignored.
///
/// Follows: Wan2.1 `wan/modules/t5.py`; transformers `modeling_umt5.py` parameter names.
extension KeyRules {
    public static let umT5Encoder = KeyRules([
        .replacePrefix("shared.", "token_embedding."),
        // Tied to `shared` when both are saved; used only when `shared` is absent.
        .replacePrefix("encoder.embed_tokens.", "tied_embedding."),
        .dropPrefix("encoder."),
        .replacePrefix("final_layer_norm.", "norm."),
        .replacePrefix("block.", "blocks."),
        .replace(".layer.0.SelfAttention.relative_attention_bias.", ".pos_embedding.embedding."),
        .replace(".layer.0.SelfAttention.", ".attn."),
        .replace(".layer.0.layer_norm.", ".norm1."),
        .replace(".layer.1.DenseReluDense.wi_0.", ".ffn.gate.0."),
        .replace(".layer.1.DenseReluDense.wi_1.", ".ffn.fc1."),
        .replace(".layer.1.DenseReluDense.wo.", ".ffn.fc2."),
        .replace(".layer.1.layer_norm.", ".norm2."),
    ])
}

extension UMT5Encoder {
    static func embeddingKey(_ reader: WeightReader) -> String {
        reader.contains("token_embedding.weight") ? "token_embedding.weight" : "tied_embedding.weight"
    }

    /// Loads every weight of `config` (then `finish`, which names all missing and mis-shaped ones).
    public static func load(config: UMT5Config, from reader: inout WeightReader) throws -> UMT5Encoder {
        try config.validate()
        let d = config.dModel
        let embedding = try reader.take(embeddingKey(reader), shape: [config.vocabSize, d])
        var layers: [UMT5Layer] = []
        for i in 0..<config.layers {
            let p = "blocks.\(i)"
            let hasBias = config.biasPerLayer || i == 0
            layers.append(
                UMT5Layer(
                    attentionNorm: try RMSNorm(&reader, "\(p).norm1", dim: d, eps: config.eps),
                    q: try Linear(&reader, "\(p).attn.q", in: d, out: config.innerDim, bias: false),
                    k: try Linear(&reader, "\(p).attn.k", in: d, out: config.innerDim, bias: false),
                    v: try Linear(&reader, "\(p).attn.v", in: d, out: config.innerDim, bias: false),
                    o: try Linear(&reader, "\(p).attn.o", in: config.innerDim, out: d, bias: false),
                    relativeBias: hasBias
                        ? try reader.take("\(p).pos_embedding.embedding.weight", shape: [config.buckets, config.heads]) : nil,
                    ffnNorm: try RMSNorm(&reader, "\(p).norm2", dim: d, eps: config.eps),
                    gate: try Linear(&reader, "\(p).ffn.gate.0", in: d, out: config.ffnDim, bias: false),
                    up: try Linear(&reader, "\(p).ffn.fc1", in: d, out: config.ffnDim, bias: false),
                    down: try Linear(&reader, "\(p).ffn.fc2", in: config.ffnDim, out: d, bias: false)))
        }
        let norm = try RMSNorm(&reader, "norm", dim: d, eps: config.eps)
        try reader.finish()
        return UMT5Encoder(config: config, embedding: embedding, layers: layers, finalNorm: norm)
    }

    /// The sizes the tensors imply. Wan's `.pth` has no config, but every size is in a shape: the
    /// heads are the relative-bias table's columns, the head size the inner width over them.
    public static func inferConfig(from reader: WeightReader) throws -> UMT5Config {
        guard let emb = reader.shape(of: embeddingKey(reader)), emb.count == 2,
            let q = reader.shape(of: "blocks.0.attn.q.weight"), q.count == 2,
            let bias = reader.shape(of: "blocks.0.pos_embedding.embedding.weight"), bias.count == 2, bias[1] > 0,
            let gate = reader.shape(of: "blocks.0.ffn.gate.0.weight"), gate.count == 2
        else {
            throw TextError.invalidEncoder(
                "\(reader.checkpoint.path): no umT5 encoder weights (token embedding, blocks.0 attention, relative bias, gated FFN)")
        }
        var layers = 0
        while reader.contains("blocks.\(layers).attn.q.weight") { layers += 1 }
        let config = UMT5Config(
            vocabSize: emb[0], dModel: emb[1], headDim: q[0] / bias[1], ffnDim: gate[0], layers: layers, heads: bias[1],
            buckets: bias[0], biasPerLayer: layers < 2 || reader.contains("blocks.1.pos_embedding.embedding.weight"))
        try config.validate()
        guard config.innerDim == q[0] else {
            throw TextError.invalidEncoder("\(reader.checkpoint.path): q is \(q) for \(bias[1]) heads")
        }
        return config
    }

    /// Opens a `.pth` (Wan's repack), a safetensors file, a shard index or a folder (transformers layout
    /// with `config.json`) and loads the encoder. The config is `config`, else `config.json` beside the
    /// weights, else inferred from the shapes. Nothing is read before every weight is known to be present
    /// and to fit in `memoryLimit` bytes (default: this machine's memory).
    public static func load(
        checkpoint url: URL, config: UMT5Config? = nil, backend: any Backend, storeAs: DType? = nil,
        memoryLimit: Int? = nil
    ) throws -> UMT5Encoder {
        let checkpoint = try Checkpoint.open(url)
        let shapes = try WeightReader(checkpoint: checkpoint, rules: .umT5Encoder, backend: backend, shapesOnly: true)
        let folder = isFolder(url) ? url : url.deletingLastPathComponent()
        let json = folder.appendingPathComponent("config.json")
        let resolved: UMT5Config
        if let config {
            resolved = config
        } else if FileManager.default.fileExists(atPath: json.path) {
            do { resolved = try JSONDecoder().decode(UMT5Config.self, from: Data(contentsOf: json)) } catch let e as TextError {
                throw e
            } catch {
                throw TextError.invalidEncoder(UserMessage.text(error, file: json.path))
            }
        } else {
            resolved = try inferConfig(from: shapes)
        }
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: .umT5Encoder, backend: backend, storeAs: storeAs,
            what: "the umT5 text encoder \(url.path)", memoryLimit: memoryLimit
        ) { try load(config: resolved, from: &$0) }.model
    }
}
