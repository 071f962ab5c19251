import Foundation
import Models
import UserMessages

/// The text-encoder row of the model registry: which files make a prompt encoder in a folder, found
/// by what they hold (tensor names, SentencePiece files), never by file name — Wan's
/// `models_t5_umt5-xxl-enc-bf16.pth` beside `google/umt5-xxl/spiece.model`, a transformers umT5 folder,
/// LTX-2's `text_encoder/` (Gemma-3, sharded, `config.json`) beside `tokenizer/tokenizer.model`.
public struct TextEncoderFolder: Sendable, Hashable {
    public enum Family: String, Sendable, Hashable {
        case umT5
        case gemma3 = "Gemma-3"

        public var convention: PromptConvention { self == .umT5 ? .umT5 : .gemma3 }
    }

    public let folder: URL
    public let family: Family
    /// A `.pth`/`.safetensors` file or an `*.index.json`.
    public let weights: URL
    /// `config.json` beside the weights, if any (Gemma-3 needs one).
    public let config: URL?
    /// `tokenizer.model` / `spiece.model`, else a Hugging Face `tokenizer.json`.
    public let tokenizer: URL
    /// Every file read (shards included), for the encoder's identity.
    public let files: [URL]
    /// `model_max_length` of a `tokenizer_config.json` beside the tokenizer when it is below the family's
    /// limit (a model trained on shorter prompts); the Hub's real configs hold a huge sentinel.
    public let tokenizerMaxLength: Int?

    /// The family's conventions with the tokenizer's own limit applied.
    public var convention: PromptConvention {
        var c = family.convention
        if let n = tokenizerMaxLength { c.maxLength = min(c.maxLength, n) }
        return c
    }

    static let maxDepth = 2
    static let tokenizerNames: Set<String> = ["tokenizer.model", "spiece.model"]

    /// Finds one text encoder and its tokenizer in `folder` (two levels down) or throws a message naming
    /// what is missing or ambiguous.
    public init(folder: URL) throws {
        guard isFolder(folder) else { throw TextError.invalidEncoder("'\(folder.path)' is not a folder") }
        var encoders: [(Family, URL, [URL])] = []
        var tokenizers: [URL] = []
        var jsonTokenizers: [URL] = []
        try Self.visit(folder, depth: 0) { dir, names in
            for name in names where Self.tokenizerNames.contains(name) { tokenizers.append(dir.appendingPathComponent(name)) }
            if names.contains("tokenizer.json") { jsonTokenizers.append(dir.appendingPathComponent("tokenizer.json")) }
            for (url, checkpoint) in try Self.checkpoints(in: dir, names: names) {
                if let family = Self.classify(checkpoint) {
                    encoders.append((family, url, checkpoint.files.map { URL(fileURLWithPath: $0.path) }))
                }
            }
        }
        guard let encoder = encoders.first else {
            throw TextError.invalidEncoder(
                "'\(folder.path)' holds no umT5 or Gemma-3 text encoder (umT5: Wan's models_t5_umt5-xxl-enc-bf16.pth or a "
                    + "transformers UMT5EncoderModel; Gemma-3: a transformers folder with config.json)")
        }
        guard encoders.count == 1 else {
            throw TextError.invalidEncoder(
                "'\(folder.path)' holds several text encoders (\(encoders.map(\.1.path).joined(separator: ", "))); keep one")
        }
        let weightsFolder = encoder.1.deletingLastPathComponent()
        // The SentencePiece file beside the weights, else the only one; a tokenizer.json only without one.
        func pick(_ candidates: [URL]) -> URL? {
            candidates.first { $0.deletingLastPathComponent().standardizedFileURL == weightsFolder.standardizedFileURL }
                ?? (candidates.count == 1 ? candidates.first : nil)
        }
        guard let tokenizer = pick(tokenizers) ?? (tokenizers.isEmpty ? pick(jsonTokenizers) : nil) else {
            if tokenizers.isEmpty && jsonTokenizers.isEmpty {
                throw TextError.invalidEncoder(
                    "'\(folder.path)' has a \(encoder.0.rawValue) encoder but no tokenizer.model / spiece.model / tokenizer.json")
            }
            let all = tokenizers.isEmpty ? jsonTokenizers : tokenizers
            throw TextError.invalidEncoder(
                "'\(folder.path)' holds several tokenizers (\(all.map(\.path).joined(separator: ", "))); keep one beside the encoder")
        }
        let config = weightsFolder.appendingPathComponent("config.json")
        self.folder = folder
        family = encoder.0
        weights = encoder.1
        self.config = FileManager.default.fileExists(atPath: config.path) ? config : nil
        self.tokenizer = tokenizer
        let tokenizerConfig = tokenizer.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        tokenizerMaxLength = Self.modelMaxLength(tokenizerConfig)
        files = encoder.2 + [tokenizer] + (self.config.map { [$0] } ?? [])
            + (tokenizerMaxLength != nil ? [tokenizerConfig] : [])
    }

    /// `model_max_length` when it is a sensible limit (2…65536), else nil.
    static func modelMaxLength(_ url: URL) -> Int? {
        guard let data = try? Data(contentsOf: url), data.count < 1 << 24,
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let n = (json["model_max_length"] as? NSNumber)?.doubleValue, n >= 2, n <= 65_536
        else { return nil }
        return Int(n)
    }

    private static func visit(_ dir: URL, depth: Int, _ body: (URL, [String]) throws -> Void) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() } catch {
            throw TextError.invalidEncoder("'\(dir.path)' cannot be read: \(UserMessage.reason(error))")
        }
        try body(dir, names)
        guard depth < maxDepth else { return }
        for name in names where !name.hasPrefix(".") {
            let sub = dir.appendingPathComponent(name)
            if isFolder(sub) { try visit(sub, depth: depth + 1, body) }
        }
    }

    /// The checkpoints of one folder: each index (its shards are part of it) and every other weights file.
    private static func checkpoints(in dir: URL, names: [String]) throws -> [(URL, Checkpoint)] {
        var out: [(URL, Checkpoint)] = []
        var sharded = Set<String>()
        for index in names where index.hasSuffix(".safetensors.index.json") {
            let url = dir.appendingPathComponent(index)
            let checkpoint = try Checkpoint.open(url)
            sharded.formUnion(checkpoint.files.map { ($0.path as NSString).lastPathComponent })
            out.append((url, checkpoint))
        }
        for name in names where !sharded.contains(name)
            && [".safetensors", ".pth", ".pt", ".ckpt"].contains(where: { name.hasSuffix($0) })
        {
            let url = dir.appendingPathComponent(name)
            out.append((url, try Checkpoint.open(url)))
        }
        return out
    }

    /// What the tensor names say: umT5 (a relative-position bias in block 0) or Gemma-3 (q/k norms in
    /// layer 0), or nil.
    public static func classify(_ checkpoint: Checkpoint) -> Family? {
        let names = checkpoint.names
        if names.contains(where: { KeyRules.umT5Encoder.apply($0) == "blocks.0.pos_embedding.embedding.weight" }) {
            return .umT5
        }
        if names.contains(where: { KeyRules.gemma3Text.apply($0) == "layers.0.self_attn.q_norm.weight" }) {
            return .gemma3
        }
        return nil
    }
}
