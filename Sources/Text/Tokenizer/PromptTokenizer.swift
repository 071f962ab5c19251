import Foundation

/// How a model family turns a prompt into ids: the cleaning its reference pipeline applies, the
/// special tokens it adds and its length limit.
public struct PromptConvention: Sendable, Hashable {
    public enum Cleaning: Sendable, Hashable {
        /// Wan2.1's `whitespace_clean(basic_clean(text))` (see `WanPromptCleaning`).
        case wanWhitespace
        /// Python's `str.strip()` (LTX-2's `prompt.strip()`).
        case strip
    }

    public var cleaning: Cleaning
    /// Prepend the model's BOS id (Gemma) …
    public var addsBOS: Bool
    /// … and/or append its EOS id (T5).
    public var addsEOS: Bool
    /// At most this many ids, special tokens included (longer prompts are cut, and say so).
    public var maxLength: Int
    /// transformers' fast tokenizers match the text of control pieces (`</s>`, `<pad>`, `<unk>`,
    /// `<bos>`, …) written in a prompt as those tokens; T5's also drop the spaces around them.
    public var specialTokensStripSpaces: Bool

    /// umT5 in Wan2.1 / HuMo: cleaned, `</s>` appended, 512 tokens (the encoder output is cut to the
    /// real length; the DiT pads it back). Follows: Wan2.1 `wan/modules/t5.py` `T5EncoderModel`.
    public static let umT5 = PromptConvention(
        cleaning: .wanWhitespace, addsBOS: false, addsEOS: true, maxLength: 512, specialTokensStripSpaces: true)

    /// Gemma-3 in LTX-2: stripped, `<bos>` first, at most 1024 tokens (left-padded by the consumer).
    /// Follows: diffusers `LTX2Pipeline._get_gemma_prompt_embeds`.
    public static let gemma3 = PromptConvention(
        cleaning: .strip, addsBOS: true, addsEOS: false, maxLength: 1024, specialTokensStripSpaces: false)
}

/// The ids of one prompt, and whether it was cut to the limit.
public struct TokenizedPrompt: Sendable, Hashable {
    public var ids: [Int]
    /// The number of ids before truncation, when the prompt was longer than the limit.
    public var truncatedFrom: Int?

    /// A sentence for the user when the prompt was cut, nil otherwise.
    public var truncationMessage: String? {
        truncatedFrom.map { "the prompt is \($0) tokens long; only the first \(ids.count) are used" }
    }
}

/// A tokenizer with its family's conventions: what the reference pipeline feeds the encoder.
public struct PromptTokenizer: Sendable {
    /// The file the ids come from: a SentencePiece model or a Hugging Face tokenizer.json.
    public enum Source: Sendable {
        case sentencePiece(SentencePieceTokenizer)
        case tokenizerJSON(HFTokenizer)
    }

    public let source: Source
    public let convention: PromptConvention
    public let bosID: Int?
    public let eosID: Int?
    /// Texts matched as whole tokens (control and unknown pieces), longest first (SentencePiece only:
    /// a tokenizer.json cuts its added tokens out itself).
    private let specials: [(text: [UInt8], id: Int)]
    private let specialFirstBytes: Set<UInt8>

    public var vocabularySize: Int {
        switch source {
        case .sentencePiece(let t): t.vocabularySize
        case .tokenizerJSON(let t): t.vocabularySize
        }
    }

    public init(tokenizer: SentencePieceTokenizer, convention: PromptConvention) throws {
        source = .sentencePiece(tokenizer)
        self.convention = convention
        let model = tokenizer.model
        if convention.addsBOS, !model.pieces.indices.contains(model.bosID) {
            throw TextError.invalidTokenizer(path: "tokenizer", reason: "the convention needs a BOS id; bos_id is \(model.bosID)")
        }
        if convention.addsEOS, !model.pieces.indices.contains(model.eosID) {
            throw TextError.invalidTokenizer(path: "tokenizer", reason: "the convention needs an EOS id; eos_id is \(model.eosID)")
        }
        bosID = convention.addsBOS ? model.bosID : nil
        eosID = convention.addsEOS ? model.eosID : nil
        specials = model.pieces.enumerated()
            .filter { $0.element.type == .control || $0.element.type == .unknown }
            .map { (Array($0.element.text.utf8), $0.offset) }
            .sorted { $0.text.count > $1.text.count }
        specialFirstBytes = Set(specials.compactMap(\.text.first))
    }

    /// A tokenizer.json: BOS / EOS are the ids its post-processor's template puts around the text, else
    /// its added `<bos>` / `<s>` and `</s>` / `<eos>` (transformers' Gemma and T5 fast tokenizers add them
    /// whatever the file's template says).
    public init(tokenizer: HFTokenizer, convention: PromptConvention, path: String = "tokenizer.json") throws {
        source = .tokenizerJSON(tokenizer)
        self.convention = convention
        func special(_ template: [Int], _ names: [String], _ what: String) throws -> Int {
            if template.count == 1 { return template[0] }
            if let id = names.lazy.compactMap({ tokenizer.addedTokenID($0) }).first { return id }
            throw TextError.invalidTokenizer(
                path: path, reason: "the model family needs a \(what) token, but neither the post_processor's template nor the added tokens (\(names.joined(separator: ", "))) give one")
        }
        bosID = convention.addsBOS ? try special(tokenizer.templatePrefix, ["<bos>", "<s>"], "BOS") : nil
        eosID = convention.addsEOS ? try special(tokenizer.templateSuffix, ["</s>", "<eos>"], "EOS") : nil
        specials = []
        specialFirstBytes = []
    }

    /// The cleaned prompt as the reference pipeline passes it to its tokenizer.
    public func clean(_ prompt: String) -> String {
        switch convention.cleaning {
        case .wanWhitespace: WanPromptCleaning.clean(prompt)
        case .strip: WanPromptCleaning.strip(prompt)
        }
    }

    /// The prompt's ids with the family's special tokens, cut to `maxLength`. Throws for a prompt that
    /// is empty after cleaning (an encoder given only its special tokens is not what a user meant).
    public func tokenize(_ prompt: String) throws -> TokenizedPrompt {
        let text = clean(prompt)
        guard !text.isEmpty else { throw TextError.invalidPrompt("the prompt is empty") }
        var body = encodeWithSpecials(text)
        let reserved = (convention.addsBOS ? 1 : 0) + (convention.addsEOS ? 1 : 0)
        let total = body.count + reserved
        var truncated: Int?
        if total > convention.maxLength {
            truncated = total
            body = Array(body.prefix(max(0, convention.maxLength - reserved)))
        }
        let ids = (bosID.map { [$0] } ?? []) + body + (eosID.map { [$0] } ?? [])
        return TokenizedPrompt(ids: ids, truncatedFrom: truncated)
    }

    /// Splits `text` at the literal special-token texts (leftmost, longest) and encodes the pieces
    /// between them separately, as transformers' added-token handling does.
    private func encodeWithSpecials(_ text: String) -> [Int] {
        let tokenizer: SentencePieceTokenizer
        switch source {
        case .sentencePiece(let t): tokenizer = t
        case .tokenizerJSON(let t): return t.encode(text)
        }
        let bytes = Array(text.utf8)
        var ids: [Int] = []
        var segmentStart = 0
        var i = 0
        func flush(_ end: Int) {
            var segment = bytes[segmentStart..<end]
            if convention.specialTokensStripSpaces {
                while let l = segment.last, WanPromptCleaning.isASCIISpace(l) { segment.removeLast() }
                while let f = segment.first, WanPromptCleaning.isASCIISpace(f) { segment.removeFirst() }
            }
            if !segment.isEmpty { ids += tokenizer.encode(String(decoding: segment, as: UTF8.self)) }
        }
        while i < bytes.count {
            if specialFirstBytes.contains(bytes[i]),
                let match = specials.first(where: { bytes[i...].starts(with: $0.text) })
            {
                flush(i)
                ids.append(match.id)
                i += match.text.count
                segmentStart = i
            } else {
                i += 1
            }
        }
        flush(bytes.count)
        return ids
    }
}
