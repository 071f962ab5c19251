import Foundation
import Models
import Tensor

/// Checkpoint names of Gemma-3's text model. Model keys are `Gemma3TextModel`'s own: `embed_tokens`,
/// `layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, self_attn.{q,k}_norm, post_attention_layernorm,
/// pre_feedforward_layernorm, mlp.{gate,up,down}_proj, post_feedforward_layernorm}`, `norm`.
/// `Gemma3ForCausalLM` (`model.`), `Gemma3ForConditionalGeneration` as transformers 5 saves it
/// (`model.language_model.`) and as the Hub's 4.x files hold it (`language_model.model.`) map onto
/// them; the vision tower, projector and LM head are ignored.
///
/// Follows: transformers `modeling_gemma3.py` parameter names and its checkpoint conversion mapping.
extension KeyRules {
    public static let gemma3Text = KeyRules([
        .dropPrefix("model.language_model."),
        .dropPrefix("language_model.model."),
        .dropPrefix("model."),
    ])
}

extension Gemma3TextModel {
    /// Loads every weight of `config` (then `finish`, which names all missing and mis-shaped ones).
    public static func load(config: Gemma3Config, from reader: inout WeightReader, backend: any Backend) throws
        -> Gemma3TextModel
    {
        try config.validate()
        let (d, hd, eps) = (config.hiddenSize, config.headDim, config.eps)
        let embedding = try reader.take("embed_tokens.weight", shape: [config.vocabSize, d])
        var layers: [Gemma3Layer] = []
        for i in 0..<config.layers {
            let p = "layers.\(i)"
            func norm(_ name: String, _ dim: Int) throws -> Gemma3RMSNorm {
                try Gemma3RMSNorm(&reader, "\(p).\(name)", dim: dim, eps: eps, on: backend)
            }
            func linear(_ name: String, _ inF: Int, _ outF: Int) throws -> Linear {
                try Linear(&reader, "\(p).\(name)", in: inF, out: outF, bias: false)
            }
            layers.append(
                Gemma3Layer(
                    type: config.layerTypes[i], inputNorm: try norm("input_layernorm", d),
                    q: try linear("self_attn.q_proj", d, config.heads * hd),
                    k: try linear("self_attn.k_proj", d, config.kvHeads * hd),
                    v: try linear("self_attn.v_proj", d, config.kvHeads * hd),
                    o: try linear("self_attn.o_proj", config.heads * hd, d),
                    qNorm: try norm("self_attn.q_norm", hd), kNorm: try norm("self_attn.k_norm", hd),
                    postAttentionNorm: try norm("post_attention_layernorm", d),
                    preFFNNorm: try norm("pre_feedforward_layernorm", d),
                    gate: try linear("mlp.gate_proj", d, config.intermediateSize),
                    up: try linear("mlp.up_proj", d, config.intermediateSize),
                    down: try linear("mlp.down_proj", config.intermediateSize, d),
                    postFFNNorm: try norm("post_feedforward_layernorm", d)))
        }
        let norm = try Gemma3RMSNorm(&reader, "norm", dim: d, eps: eps, on: backend)
        try reader.finish()
        return Gemma3TextModel(config: config, embedding: embedding, layers: layers, finalNorm: norm)
    }

    /// Opens a transformers folder (`config.json` + `model.safetensors` or shards with their index) or a
    /// single safetensors file with `config` given, and loads the text model. Nothing is read before
    /// every weight is known to be present and to fit in `memoryLimit` bytes (default: this machine's).
    public static func load(
        checkpoint url: URL, config: Gemma3Config? = nil, backend: any Backend, storeAs: DType? = nil,
        memoryLimit: Int? = nil
    ) throws -> Gemma3TextModel {
        let checkpoint = try Checkpoint.open(url)
        let resolved: Gemma3Config
        if let config {
            resolved = config
        } else {
            let folder = isFolder(url) ? url : url.deletingLastPathComponent()
            let json = folder.appendingPathComponent("config.json")
            guard let data = try? Data(contentsOf: json) else {
                throw TextError.invalidEncoder("\(folder.path): no config.json beside the Gemma-3 weights")
            }
            resolved = try Gemma3Config(json: data, path: json.path)
        }
        return try WeightReader.loadWithinBudget(
            checkpoint, rules: .gemma3Text, backend: backend, storeAs: storeAs,
            what: "the Gemma-3 text encoder \(url.path)", memoryLimit: memoryLimit
        ) { try load(config: resolved, from: &$0, backend: backend) }.model
    }
}
