/// Sizes of a umT5 (T5 v1.1-style) text encoder. `Codable` with transformers' `UMT5Config` names
/// (`d_model`, `d_kv`, `d_ff`, `num_layers`, `num_heads`, `relative_attention_num_buckets`,
/// `relative_attention_max_distance`, `layer_norm_epsilon`, `vocab_size`, `feed_forward_proj`).
/// umT5-XXL (Wan2.1 / HuMo): 256384, 4096, 64, 10240, 24, 64, 32, 128, 1e-6.
///
/// Follows: huggingface/transformers `UMT5Config`; Wan2.1 `wan/modules/t5.py` `umt5_xxl`.
public struct UMT5Config: Codable, Sendable, Hashable {
    public var vocabSize: Int
    public var dModel: Int
    /// Per-head size; the attention's inner width is `heads · headDim` (4096 in umT5-XXL).
    public var headDim: Int
    public var ffnDim: Int
    public var layers: Int
    public var heads: Int
    public var buckets: Int
    public var maxDistance: Int
    public var eps: Float
    /// umT5 has a relative-position bias in every layer; T5 v1.1 only in layer 0, shared by all.
    public var biasPerLayer: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case headDim = "d_kv"
        case ffnDim = "d_ff"
        case layers = "num_layers"
        case heads = "num_heads"
        case buckets = "relative_attention_num_buckets"
        case maxDistance = "relative_attention_max_distance"
        case eps = "layer_norm_epsilon"
        case feedForward = "feed_forward_proj"
        case modelType = "model_type"
    }

    public init(
        vocabSize: Int, dModel: Int, headDim: Int, ffnDim: Int, layers: Int, heads: Int, buckets: Int = 32,
        maxDistance: Int = 128, eps: Float = 1e-6, biasPerLayer: Bool = true
    ) {
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.headDim = headDim
        self.ffnDim = ffnDim
        self.layers = layers
        self.heads = heads
        self.buckets = buckets
        self.maxDistance = maxDistance
        self.eps = eps
        self.biasPerLayer = biasPerLayer
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let ff = try c.decodeIfPresent(String.self, forKey: .feedForward) ?? "gated-gelu"
        guard ff == "gated-gelu" else {
            throw TextError.invalidEncoder("feed_forward_proj '\(ff)': only umT5 / T5 v1.1's gated-gelu is supported")
        }
        let type = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "umt5"
        self.init(
            vocabSize: try c.decode(Int.self, forKey: .vocabSize), dModel: try c.decode(Int.self, forKey: .dModel),
            headDim: try c.decode(Int.self, forKey: .headDim), ffnDim: try c.decode(Int.self, forKey: .ffnDim),
            layers: try c.decode(Int.self, forKey: .layers), heads: try c.decode(Int.self, forKey: .heads),
            buckets: try c.decodeIfPresent(Int.self, forKey: .buckets) ?? 32,
            maxDistance: try c.decodeIfPresent(Int.self, forKey: .maxDistance) ?? 128,
            eps: try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-6, biasPerLayer: type != "t5")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(dModel, forKey: .dModel)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(ffnDim, forKey: .ffnDim)
        try c.encode(layers, forKey: .layers)
        try c.encode(heads, forKey: .heads)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(maxDistance, forKey: .maxDistance)
        try c.encode(eps, forKey: .eps)
        try c.encode("gated-gelu", forKey: .feedForward)
        try c.encode(biasPerLayer ? "umt5" : "t5", forKey: .modelType)
    }

    /// umT5-XXL as Wan2.1 and HuMo use it.
    public static let xxl = UMT5Config(
        vocabSize: 256_384, dModel: 4096, headDim: 64, ffnDim: 10_240, layers: 24, heads: 64)

    public var innerDim: Int { heads * headDim }

    /// Throws unless every size is positive and bounded far above umT5-XXL.
    public func validate() throws {
        guard (1...1 << 22).contains(vocabSize), (1...65_536).contains(dModel), (1...4096).contains(headDim),
            (1...262_144).contains(ffnDim), (1...256).contains(layers), (1...1024).contains(heads),
            (2...1024).contains(buckets), buckets % 2 == 0, (2...1 << 20).contains(maxDistance),
            maxDistance > buckets / 4, eps.isFinite, eps > 0, eps < 1
        else {
            throw TextError.invalidEncoder(
                "umT5 config: vocab \(vocabSize), d_model \(dModel), d_kv \(headDim), d_ff \(ffnDim), \(layers) layers, \(heads) heads, \(buckets) buckets, max distance \(maxDistance)"
            )
        }
    }
}
