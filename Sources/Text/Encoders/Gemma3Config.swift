import Foundation

/// Sizes of a Gemma-3 text model. Decodes transformers' `Gemma3TextConfig` JSON — alone
/// (`model_type: gemma3_text`, `Gemma3ForCausalLM`) or as the `text_config` of a
/// `Gemma3ForConditionalGeneration` config — with its defaults for absent fields, and both RoPE spellings:
/// transformers 5's `rope_parameters` {full_attention, sliding_attention} and 4.x's `rope_theta`,
/// `rope_local_base_freq`, `rope_scaling` ({rope_type: linear, factor}).
/// Gemma-3-12B (LTX-2's encoder): 262208, 3840, 15360, 48 layers, 16 heads / 8 KV, head 256, window 1024,
/// every 6th layer global (θ 1e6, linear ×8), the others local (θ 1e4).
///
/// Follows: huggingface/transformers `configuration_gemma3.py` (`Gemma3TextConfig`).
public struct Gemma3Config: Sendable, Hashable {
    public enum LayerType: String, Sendable, Hashable {
        case sliding = "sliding_attention"
        case full = "full_attention"
    }

    /// One RoPE: angles `pos/factor · base^(−2j/D)`.
    public struct RoPE: Sendable, Hashable {
        public var base: Double
        /// Linear position scaling (1 = none).
        public var factor: Double
    }

    public var vocabSize = 262_208
    public var hiddenSize = 2304
    public var intermediateSize = 9216
    public var layers = 26
    public var heads = 8
    public var kvHeads = 4
    public var headDim = 256
    public var eps: Float = 1e-6
    /// Attention scores are scaled by `queryPreAttnScalar^−½` (not the head size).
    public var queryPreAttnScalar: Double = 256
    public var slidingWindow = 4096
    public var layerTypes: [LayerType] = []
    public var globalRoPE = RoPE(base: 1_000_000, factor: 1)
    public var localRoPE = RoPE(base: 10_000, factor: 1)

    public init() {}

    /// Gemma-3-12B's text model, as LTX-2 uses it.
    public static var gemma3_12B: Gemma3Config {
        var c = Gemma3Config()
        c.hiddenSize = 3840
        c.intermediateSize = 15_360
        c.layers = 48
        c.heads = 16
        c.kvHeads = 8
        c.slidingWindow = 1024
        c.globalRoPE.factor = 8
        c.layerTypes = Self.pattern(layers: 48, every: 6)
        return c
    }

    /// Every `every`-th layer global, the rest sliding (the Hub's `sliding_window_pattern`).
    public static func pattern(layers: Int, every: Int) -> [LayerType] {
        (0..<layers).map { (every > 0 && ($0 + 1) % every == 0) ? .full : .sliding }
    }

    /// Decodes a `config.json` (text config or the composite one). Unknown `rope_type`s,
    /// bidirectional attention and soft-capping are refused by name.
    public init(json data: Data, path: String) throws {
        func bad(_ m: String) -> TextError { .invalidEncoder("\(path): \(m)") }
        guard var root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        if let text = root["text_config"] as? [String: Any] { root = text }
        func int(_ key: String) throws -> Int? {
            guard let v = root[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() else { throw bad("\(key) is not an integer") }
            return n.intValue
        }
        func double(_ key: String, in dict: [String: Any]? = nil) throws -> Double? {
            guard let v = (dict ?? root)[key], !(v is NSNull) else { return nil }
            guard let n = v as? NSNumber else { throw bad("\(key) is not a number") }
            return n.doubleValue
        }
        self.init()
        vocabSize = try int("vocab_size") ?? vocabSize
        hiddenSize = try int("hidden_size") ?? hiddenSize
        intermediateSize = try int("intermediate_size") ?? intermediateSize
        layers = try int("num_hidden_layers") ?? layers
        heads = try int("num_attention_heads") ?? heads
        kvHeads = try int("num_key_value_heads") ?? kvHeads
        headDim = try int("head_dim") ?? headDim
        eps = Float(try double("rms_norm_eps") ?? Double(eps))
        queryPreAttnScalar = try double("query_pre_attn_scalar") ?? queryPreAttnScalar
        slidingWindow = try int("sliding_window") ?? slidingWindow
        if let act = root["hidden_activation"] as? String, act != "gelu_pytorch_tanh" {
            throw bad("hidden_activation '\(act)' (Gemma-3 uses gelu_pytorch_tanh)")
        }
        if (root["use_bidirectional_attention"] as? Bool) == true { throw bad("bidirectional attention is not supported") }
        for key in ["attn_logit_softcapping"] where try double(key) != nil { throw bad("\(key) is not supported") }
        if let types = root["layer_types"] as? [Any] {
            layerTypes = try types.map {
                guard let s = $0 as? String, let t = LayerType(rawValue: s) else { throw bad("layer_types holds \($0)") }
                return t
            }
        } else {
            layerTypes = Self.pattern(layers: layers, every: try int("sliding_window_pattern") ?? 6)
        }
        func rope(_ dict: [String: Any]?, base: Double) throws -> RoPE {
            var r = RoPE(base: try double("rope_theta", in: dict ?? [:]) ?? base, factor: 1)
            let type = (dict?["rope_type"] as? String) ?? (dict?["type"] as? String) ?? "default"
            switch type {
            case "default": break
            case "linear": r.factor = try double("factor", in: dict ?? [:]) ?? 1
            default: throw bad("rope_type '\(type)' (default and linear are supported)")
            }
            return r
        }
        if let params = root["rope_parameters"] as? [String: Any], params["full_attention"] != nil
            || params["sliding_attention"] != nil
        {
            globalRoPE = try rope(params["full_attention"] as? [String: Any], base: 1_000_000)
            localRoPE = try rope(params["sliding_attention"] as? [String: Any], base: 10_000)
        } else {
            var scaling = root["rope_scaling"] as? [String: Any] ?? [:]
            scaling["rope_theta"] = try double("rope_theta") ?? 1_000_000
            globalRoPE = try rope(scaling, base: 1_000_000)
            localRoPE = RoPE(base: try double("rope_local_base_freq") ?? 10_000, factor: 1)
        }
        try validate(path: path)
    }

    /// Throws unless the sizes fit together and are bounded far above Gemma-3-27B.
    public func validate(path: String = "Gemma-3 config") throws {
        guard (1...1 << 22).contains(vocabSize), (1...65_536).contains(hiddenSize), (1...262_144).contains(intermediateSize),
            (1...256).contains(layers), (1...1024).contains(heads), (1...1024).contains(kvHeads), heads % kvHeads == 0,
            (2...4096).contains(headDim), headDim % 2 == 0, eps.isFinite, eps > 0, eps < 1, queryPreAttnScalar > 0,
            queryPreAttnScalar.isFinite, slidingWindow >= 1, layerTypes.count == layers,
            globalRoPE.base > 1, localRoPE.base > 1, globalRoPE.factor > 0, localRoPE.factor > 0,
            globalRoPE.base.isFinite, localRoPE.base.isFinite, globalRoPE.factor.isFinite
        else {
            throw TextError.invalidEncoder(
                "\(path): vocab \(vocabSize), hidden \(hiddenSize), intermediate \(intermediateSize), \(layers) layers "
                    + "(\(layerTypes.count) layer types), \(heads) heads / \(kvHeads) KV of \(headDim), window \(slidingWindow)")
        }
    }
}
