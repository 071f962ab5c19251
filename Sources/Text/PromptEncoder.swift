import Foundation
import Models
import Tensor

/// A prompt encoded by a text encoder, ready to be written as the precomputed-embedding file the
/// pipelines read.
public struct EncodedPrompt: Sendable, Hashable {
    public let family: TextEncoderFolder.Family
    /// The ids fed to the encoder (special tokens included).
    public let tokens: [Int]
    /// Set when the prompt was cut to the encoder's limit.
    public let truncationMessage: String?
    /// The tensor's name in the file: `context` (umT5 → HuMo / Wan) or `hidden_states` (Gemma-3 → LTX-2).
    public let name: String
    /// umT5: `[L, d_model]`. Gemma-3: `[layers + 1, L, hidden]` (every hidden state of the real tokens,
    /// unpadded; LTX-2 left-pads to 1024 and masks the padding).
    public let shape: [Int]
    public let values: [Float]

    public init(
        family: TextEncoderFolder.Family, tokens: [Int], truncationMessage: String?, name: String, shape: [Int],
        values: [Float]
    ) {
        self.family = family
        self.tokens = tokens
        self.truncationMessage = truncationMessage
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// The safetensors file: the tensor, plus the family and token count as metadata.
    public func safetensors() throws -> SafetensorsWriter {
        var w = SafetensorsWriter()
        try w.add(name, shape: shape, values: values)
        w.metadata = ["text_encoder": family.rawValue, "tokens": "\(tokens.count)"]
        return w
    }
}

/// A tokenizer and its encoder, loaded from a `TextEncoderFolder`: prompt → `EncodedPrompt`.
/// Heavy (umT5-XXL is 11 GB in bf16, Gemma-3-12B 24 GB): load, encode, let it go.
public struct PromptEncoder: Sendable {
    public enum Model: Sendable {
        case umT5(UMT5Encoder)
        case gemma3(Gemma3TextModel)
    }

    public let folder: TextEncoderFolder
    public let tokenizer: PromptTokenizer
    public let model: Model

    /// Loads the tokenizer and the encoder (weights kept in their stored dtype unless `storeAs`), and
    /// checks that the tokenizer's ids fit the encoder's embedding.
    public init(folder: TextEncoderFolder, backend: any Backend, storeAs: DType? = nil) throws {
        tokenizer = try folder.tokenizer.lastPathComponent == "tokenizer.json"
            ? PromptTokenizer(
                tokenizer: HFTokenizer(contentsOf: folder.tokenizer), convention: folder.convention, path: folder.tokenizer.path)
            : PromptTokenizer(tokenizer: SentencePieceTokenizer(contentsOf: folder.tokenizer), convention: folder.convention)
        let rows: Int
        switch folder.family {
        case .umT5:
            let m = try UMT5Encoder.load(checkpoint: folder.weights, backend: backend, storeAs: storeAs)
            model = .umT5(m)
            rows = m.config.vocabSize
        case .gemma3:
            let m = try Gemma3TextModel.load(checkpoint: folder.weights, backend: backend, storeAs: storeAs)
            model = .gemma3(m)
            rows = m.config.vocabSize
        }
        guard tokenizer.vocabularySize <= rows else {
            throw TextError.invalidEncoder(
                "\(folder.tokenizer.path) has \(tokenizer.vocabularySize) pieces but the \(folder.family.rawValue) encoder's embedding "
                    + "has \(rows) rows: the tokenizer does not belong to this encoder")
        }
        self.folder = folder
    }

    /// Tokenizes `prompt` with the family's conventions and runs the encoder.
    public func encode(_ prompt: String, on backend: any Backend) throws -> EncodedPrompt {
        let tokens = try tokenizer.tokenize(prompt)
        switch model {
        case .umT5(let m):
            let out = try m(tokens.ids, on: backend)
            return EncodedPrompt(
                family: .umT5, tokens: tokens.ids, truncationMessage: tokens.truncationMessage, name: "context",
                shape: out.shape, values: try backend.download(out))
        case .gemma3(let m):
            let states = try m.hiddenStates(tokens.ids, on: backend)
            var values: [Float] = []
            values.reserveCapacity(states.count * tokens.ids.count * m.config.hiddenSize)
            for s in states { values += try backend.download(s) }
            return EncodedPrompt(
                family: .gemma3, tokens: tokens.ids, truncationMessage: tokens.truncationMessage, name: "hidden_states",
                shape: [states.count, tokens.ids.count, m.config.hiddenSize], values: values)
        }
    }
}
