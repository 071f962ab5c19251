import Foundation

/// A Hugging Face `tokenizer.json` (the `tokenizers` package's file) in the two forms the real text
/// encoders ship: a Unigram model behind a SentencePiece `Precompiled` normaliser and a
/// `WhitespaceSplit` / `Metaspace` pre-tokenizer (umT5, transformers' T5 converter), and a BPE model
/// with merges and byte fallback behind `Replace(' ', '▁')` and `Split(' ')` (Gemma). `encode(text)`
/// gives the ids of `Tokenizer.encode(text, add_special_tokens=False)`: added tokens are cut out of the
/// raw text first (leftmost, longest), each piece between them is normalised, pre-tokenised into words
/// and each word segmented. Anything else in the file (other normalisers, regex patterns, dropout,
/// subword prefixes) is refused by name rather than approximated. The decoder and post-processor are
/// not used: prompts are only encoded, and the family's convention adds BOS/EOS.
///
/// Follows: huggingface/tokenizers `AddedVocabulary::extract_and_normalize`, `normalizers::{Precompiled,
/// Replace, Strip, Prepend}`, `pre_tokenizers::{WhitespaceSplit, Metaspace, Split}`, `models::unigram`
/// (`encode_optimized`) and `models::bpe` (`merge_word`, `Word::merge_all`).
public struct HFTokenizer: Sendable {
    public let vocabularySize: Int
    /// The ids the post-processor's single-sequence template puts before / after the text.
    public let templatePrefix: [Int]
    public let templateSuffix: [Int]

    enum Normalizer: Sendable {
        case precompiled(SentencePieceNormalizer)
        case replace(String, String)
        /// `Replace` with the regex `" {2,}"` (older T5 conversions): runs of spaces → `content`.
        case collapseSpaces(String)
        case strip(left: Bool, right: Bool)
        case prepend(String)
    }

    enum PreTokenizer: Sendable {
        case whitespaceSplit
        case metaspace(replacement: String, prepend: PrependScheme, split: Bool)
        /// `Split` on a literal string, the delimiter kept at the end of the piece before it.
        case splitMergedWithPrevious(String)
        case splitIsolated(String)
        case splitRemoved(String)
    }

    enum PrependScheme: String, Sendable { case always, first, never }

    enum Model: Sendable {
        case unigram(SentencePieceTokenizer)
        case bpe(BytePairModel)
    }

    struct AddedToken: Sendable {
        var text: [UInt8]
        var id: Int
        var lstrip: Bool
        var rstrip: Bool
    }

    let normalizers: [Normalizer]
    let preTokenizers: [PreTokenizer]
    let model: Model
    let added: [AddedToken]
    let addedTrie: ByteTrie
    let addedByContent: [String: Int]

    /// The file's size is bounded before it is read: the real ones are 16 MB (umT5) and 33 MB (Gemma-3).
    public static let maxFileSize = 128 << 20

    public init(contentsOf url: URL) throws {
        let path = url.path
        func bad(_ reason: String) -> TextError { .invalidTokenizer(path: path, reason: reason) }
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
        } catch {
            throw bad("cannot be read (\(error.localizedDescription))")
        }
        guard size >= 0, size <= Self.maxFileSize else {
            throw bad("\(size) bytes; a tokenizer.json is at most \(Self.maxFileSize >> 20) MB")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw bad("cannot be read (\(error.localizedDescription))") }
        try self.init(json: data, path: path)
    }

    public init(json data: Data, path: String = "tokenizer.json") throws {
        func bad(_ reason: String) -> TextError { .invalidTokenizer(path: path, reason: reason) }
        guard data.count <= Self.maxFileSize,
            let root = (try? JSONSerialization.jsonObject(with: data, options: [])) as? [String: Any]
        else { throw bad("not a JSON object") }
        guard let modelJSON = root["model"] as? [String: Any], let type = modelJSON["type"] as? String else {
            throw bad("no 'model' with a 'type'")
        }
        // Added tokens: ids must exist in the model's vocabulary or extend it.
        var added: [AddedToken] = []
        var addedByContent: [String: Int] = [:]
        for (i, entry) in ((root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let t = entry as? [String: Any], let content = t["content"] as? String, !content.isEmpty,
                content.utf8.count <= SentencePieceModel.maxPieceBytes, let id = (t["id"] as? NSNumber)?.intValue,
                id >= 0, id < SentencePieceModel.maxPieces
            else { throw bad("added_tokens[\(i)] needs a non-empty 'content' and an 'id' in 0..<\(SentencePieceModel.maxPieces)") }
            if (t["single_word"] as? Bool) == true {
                throw bad("added token '\(content)' is single_word, which is not supported")
            }
            added.append(
                AddedToken(
                    text: Array(content.utf8), id: id, lstrip: (t["lstrip"] as? Bool) ?? false,
                    rstrip: (t["rstrip"] as? Bool) ?? false))
            addedByContent[content] = id
            if (t["normalized"] as? Bool) == true && content.contains(" ") {
                throw bad("added token '\(content)' is matched after normalisation and holds a space (not supported)")
            }
        }

        // The model.
        let modelVocab: Int
        switch type {
        case "Unigram":
            let spm = try Self.unigram(modelJSON, bad: bad)
            model = .unigram(try SentencePieceTokenizer(model: spm, path: path))
            modelVocab = spm.pieces.count
        case "BPE":
            let bpe = try BytePairModel(modelJSON, bad: bad)
            model = .bpe(bpe)
            modelVocab = bpe.vocabularySize
        default:
            throw bad("model type '\(type)' is not supported (Unigram and BPE are)")
        }
        vocabularySize = max(modelVocab, (added.map(\.id).max() ?? -1) + 1)

        normalizers = try Self.normalizers(root["normalizer"], path: path, bad: bad)
        preTokenizers = try Self.preTokenizers(root["pre_tokenizer"], bad: bad)
        self.added = added
        self.addedByContent = addedByContent
        addedTrie = ByteTrie(added.enumerated().map { ($0.element.text, $0.offset) })
        (templatePrefix, templateSuffix) = try Self.template(root["post_processor"], bad: bad)
    }

    /// The id of the added token whose text is `content` (`<bos>`, `</s>`, …).
    public func addedTokenID(_ content: String) -> Int? { addedByContent[content] }

    // MARK: Encoding

    /// The ids of `text`, as `Tokenizer.encode(text, add_special_tokens=False).ids`.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in splitAddedTokens(Array(text.utf8)) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let bytes, let offset):
                guard !bytes.isEmpty else { continue }
                let normalized = normalize(String(decoding: bytes, as: UTF8.self))
                for word in preTokenize(normalized, atStart: offset == 0) where !word.isEmpty {
                    switch model {
                    case .unigram(let t): ids += t.encodeSegment(Array(word.utf8))
                    case .bpe(let m): ids += m.encode(word)
                    }
                }
            }
        }
        return ids
    }

    enum Segment {
        case token(Int)
        case text(ArraySlice<UInt8>, offset: Int)
    }

    /// The text cut at added tokens (leftmost, longest match); lstrip/rstrip tokens take the
    /// whitespace beside them.
    func splitAddedTokens(_ bytes: [UInt8]) -> [Segment] {
        guard !added.isEmpty else { return [.text(bytes[...], offset: 0)] }
        var out: [Segment] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            guard let match = addedTrie.longestPrefix(bytes[i...]) else {
                i += 1
                continue
            }
            let token = added[match.id]
            var left = i
            if token.lstrip { while left > start, let s = Self.whitespaceBefore(bytes, left) { left -= s } }
            var right = i + match.length
            if token.rstrip { while right < bytes.count, let s = Self.whitespaceAt(bytes, right) { right += s } }
            if left > start { out.append(.text(bytes[start..<left], offset: start)) }
            out.append(.token(token.id))
            start = right
            i = right
        }
        if start < bytes.count { out.append(.text(bytes[start...], offset: start)) }
        return out
    }

    func normalize(_ text: String) -> String {
        var s = text
        for n in normalizers where !s.isEmpty {
            switch n {
            case .precompiled(let p): s = p.hfPrecompiled(s)
            case .replace(let pattern, let content): s = s.replacingOccurrences(of: pattern, with: content)
            case .collapseSpaces(let content):
                var out = ""
                var run = 0
                for c in s.unicodeScalars {
                    if c == " " {
                        run += 1
                        continue
                    }
                    if run == 1 { out += " " } else if run > 1 { out += content }
                    run = 0
                    out.unicodeScalars.append(c)
                }
                if run == 1 { out += " " } else if run > 1 { out += content }
                s = out
            case .strip(let left, let right):
                var scalars = Array(s.unicodeScalars)[...]
                if left { while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() } }
                if right { while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() } }
                s = String(String.UnicodeScalarView(scalars))
            case .prepend(let p): s = p + s
            }
        }
        return s
    }

    /// Words of one normalised piece; `atStart` says the piece begins the whole text (Metaspace's
    /// "first" scheme prepends only to a word that begins there).
    func preTokenize(_ text: String, atStart: Bool) -> [String] {
        var words = [(text, atStart)]
        for p in preTokenizers {
            words = words.flatMap { word, atOrigin -> [(String, Bool)] in
                let pieces: [String]
                switch p {
                case .whitespaceSplit:
                    pieces = word.unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }).map { String($0) }
                    let leading = word.unicodeScalars.first?.properties.isWhitespace ?? false
                    return pieces.enumerated().map { ($0.element, atOrigin && $0.offset == 0 && !leading) }
                case .metaspace(let replacement, let prepend, let split):
                    var w = word.replacingOccurrences(of: " ", with: replacement)
                    if (prepend == .always || (prepend == .first && atOrigin)) && !w.hasPrefix(replacement) {
                        w = replacement + w
                    }
                    pieces = split ? Self.split(w, on: replacement, keep: .next) : [w]
                case .splitMergedWithPrevious(let d): pieces = Self.split(word, on: d, keep: .previous)
                case .splitIsolated(let d): pieces = Self.split(word, on: d, keep: .isolated)
                case .splitRemoved(let d): pieces = Self.split(word, on: d, keep: .removed)
                }
                return pieces.enumerated().map { ($0.element, atOrigin && $0.offset == 0) }
            }
        }
        return words.map(\.0)
    }

    enum DelimiterPlace { case previous, next, isolated, removed }

    /// `text` split at every occurrence of `delimiter` (non-empty pieces only, as tokenizers keeps them).
    static func split(_ text: String, on delimiter: String, keep: DelimiterPlace) -> [String] {
        let t = Array(text.utf8), d = Array(delimiter.utf8)
        guard !d.isEmpty else { return [text] }
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        var i = 0
        while i < t.count {
            if t[i] == d[0], t.count - i >= d.count, t[i..<(i + d.count)].elementsEqual(d) {
                switch keep {
                case .previous:
                    current += d
                    pieces.append(current)
                    current = []
                case .next:
                    pieces.append(current)
                    current = d
                case .isolated:
                    pieces.append(current)
                    pieces.append(d)
                    current = []
                case .removed:
                    pieces.append(current)
                    current = []
                }
                i += d.count
            } else {
                current.append(t[i])
                i += 1
            }
        }
        pieces.append(current)
        return pieces.filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// UTF-8 length of the whitespace character at / before byte `i`, nil when none.
    static func whitespaceAt(_ b: [UInt8], _ i: Int) -> Int? {
        let n = UTF8Scan.validLength(b[i...])
        guard n > 0, let s = String(decoding: b[i..<(i + n)], as: UTF8.self).unicodeScalars.first,
            s.properties.isWhitespace
        else { return nil }
        return n
    }

    static func whitespaceBefore(_ b: [UInt8], _ i: Int) -> Int? {
        var j = i - 1
        while j > 0, b[j] & 0xC0 == 0x80, i - j < 4 { j -= 1 }
        guard let n = whitespaceAt(b, j), j + n == i else { return nil }
        return n
    }

    // MARK: Reading the file

    /// A Unigram model as a SentencePiece model (the segmentation is the same `encode_optimized`): the
    /// unknown piece, byte pieces when byte fallback is on, every other piece segmentable.
    static func unigram(_ json: [String: Any], bad: (String) -> TextError) throws -> SentencePieceModel {
        guard let vocab = json["vocab"] as? [Any], !vocab.isEmpty, vocab.count <= SentencePieceModel.maxPieces else {
            throw bad("Unigram 'vocab' must list 1…\(SentencePieceModel.maxPieces) [piece, score] pairs")
        }
        let byteFallback = (json["byte_fallback"] as? Bool) ?? false
        guard let unk = (json["unk_id"] as? NSNumber)?.intValue, vocab.indices.contains(unk) else {
            throw bad("Unigram 'unk_id' must name one of the \(vocab.count) pieces")
        }
        var pieces: [SentencePieceModel.Piece] = []
        pieces.reserveCapacity(vocab.count)
        for (i, entry) in vocab.enumerated() {
            guard let pair = entry as? [Any], pair.count == 2, let text = pair[0] as? String, !text.isEmpty,
                text.utf8.count <= SentencePieceModel.maxPieceBytes, let score = (pair[1] as? NSNumber)?.doubleValue,
                score.isFinite
            else { throw bad("Unigram vocab[\(i)] is not a [piece, finite score] pair") }
            let type: SentencePieceModel.PieceType =
                i == unk ? .unknown : byteFallback && SentencePieceModel.byteValue(of: text) != nil ? .byte : .normal
            pieces.append(.init(text: text, score: Float(score), type: type))
        }
        var spm = SentencePieceModel(pieces: pieces)
        spm.byteFallback = byteFallback
        spm.unkID = unk
        spm.normalizer.addDummyPrefix = false
        spm.normalizer.removeExtraWhitespaces = false
        spm.normalizer.escapeWhitespaces = false
        try spm.validate(bad: bad)
        return spm
    }

    static func normalizers(_ json: Any?, path: String, bad: (String) -> TextError) throws -> [Normalizer] {
        guard let json, !(json is NSNull) else { return [] }
        guard let n = json as? [String: Any], let type = n["type"] as? String else { throw bad("'normalizer' has no type") }
        switch type {
        case "Sequence":
            guard let list = n["normalizers"] as? [Any], list.count <= 16 else { throw bad("normalizer Sequence without a list") }
            return try list.flatMap { try normalizers($0, path: path, bad: bad) }
        case "Precompiled":
            guard let b64 = n["precompiled_charsmap"] as? String, let blob = Data(base64Encoded: b64) else {
                throw bad("Precompiled normalizer without a base64 'precompiled_charsmap'")
            }
            var spm = SentencePieceModel(pieces: [])
            spm.normalizer.precompiledCharsmap = [UInt8](blob)
            return [.precompiled(try SentencePieceNormalizer(model: spm, userDefined: ByteTrie(), path: path))]
        case "Replace":
            guard let content = n["content"] as? String, let pattern = n["pattern"] as? [String: Any] else {
                throw bad("Replace normalizer needs 'pattern' and 'content'")
            }
            if let s = pattern["String"] as? String, !s.isEmpty { return [.replace(s, content)] }
            if let r = pattern["Regex"] as? String, r == " {2,}" { return [.collapseSpaces(content)] }
            throw bad("Replace normalizer pattern \(pattern) is not supported (a string, or the regex \" {2,}\")")
        case "Strip":
            return [.strip(left: (n["strip_left"] as? Bool) ?? false, right: (n["strip_right"] as? Bool) ?? false)]
        case "Prepend":
            guard let p = n["prepend"] as? String else { throw bad("Prepend normalizer without 'prepend'") }
            return [.prepend(p)]
        default:
            throw bad("normalizer '\(type)' is not supported (Precompiled, Replace, Strip, Prepend, Sequence are)")
        }
    }

    static func preTokenizers(_ json: Any?, bad: (String) -> TextError) throws -> [PreTokenizer] {
        guard let json, !(json is NSNull) else { return [] }
        guard let p = json as? [String: Any], let type = p["type"] as? String else { throw bad("'pre_tokenizer' has no type") }
        switch type {
        case "Sequence":
            guard let list = p["pretokenizers"] as? [Any], list.count <= 16 else { throw bad("pre_tokenizer Sequence without a list") }
            return try list.flatMap { try preTokenizers($0, bad: bad) }
        case "WhitespaceSplit":
            return [.whitespaceSplit]
        case "Metaspace":
            let replacement = (p["replacement"] as? String) ?? "▁"
            guard replacement.unicodeScalars.count == 1 else { throw bad("Metaspace replacement '\(replacement)' is not one character") }
            let scheme: PrependScheme
            if let s = p["prepend_scheme"] as? String {
                guard let v = PrependScheme(rawValue: s) else { throw bad("Metaspace prepend_scheme '\(s)' is unknown") }
                scheme = v
            } else {
                scheme = (p["add_prefix_space"] as? Bool) ?? true ? .always : .never
            }
            return [.metaspace(replacement: replacement, prepend: scheme, split: (p["split"] as? Bool) ?? true)]
        case "Split":
            guard let pattern = p["pattern"] as? [String: Any], let s = pattern["String"] as? String, !s.isEmpty else {
                throw bad("Split pre-tokenizer patterns other than a literal string are not supported")
            }
            guard (p["invert"] as? Bool) != true else { throw bad("an inverted Split pre-tokenizer is not supported") }
            switch p["behavior"] as? String {
            case "MergedWithPrevious": return [.splitMergedWithPrevious(s)]
            case "Isolated": return [.splitIsolated(s)]
            case "Removed": return [.splitRemoved(s)]
            case let other: throw bad("Split behavior '\(other ?? "none")' is not supported")
            }
        default:
            throw bad("pre_tokenizer '\(type)' is not supported (WhitespaceSplit, Metaspace, Split, Sequence are)")
        }
    }

    /// The special ids before and after `$A` in a `TemplateProcessing` post-processor (none without one).
    static func template(_ json: Any?, bad: (String) -> TextError) throws -> ([Int], [Int]) {
        guard let p = json as? [String: Any], (p["type"] as? String) == "TemplateProcessing",
            let single = p["single"] as? [Any]
        else { return ([], []) }
        let specials = (p["special_tokens"] as? [String: Any]) ?? [:]
        var before: [Int] = [], after: [Int] = []
        var seenSequence = false
        for item in single {
            guard let item = item as? [String: Any] else { throw bad("post_processor template item is not an object") }
            if item["Sequence"] != nil {
                seenSequence = true
            } else if let s = item["SpecialToken"] as? [String: Any], let name = s["id"] as? String {
                guard let entry = specials[name] as? [String: Any], let ids = entry["ids"] as? [NSNumber], ids.count <= 8 else {
                    throw bad("post_processor special token '\(name)' has no ids")
                }
                if seenSequence { after += ids.map(\.intValue) } else { before += ids.map(\.intValue) }
            }
        }
        return (before, after)
    }
}

/// tokenizers' BPE: each character a symbol (its bytes `<0xHH>` when it is not in the vocabulary and
/// byte fallback is on, else the unknown token, runs fused), then the pair of lowest merge rank is
/// joined (leftmost on ties) until no listed merge applies.
struct BytePairModel: Sendable {
    let vocab: [String: Int]
    let vocabularySize: Int
    /// (left id, right id) → (rank, merged id).
    let merges: [UInt64: (rank: Int, id: Int)]
    let unkID: Int?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool

    init(_ json: [String: Any], bad: (String) -> TextError) throws {
        guard let v = json["vocab"] as? [String: Any], !v.isEmpty, v.count <= SentencePieceModel.maxPieces else {
            throw bad("BPE 'vocab' must map 1…\(SentencePieceModel.maxPieces) pieces to ids")
        }
        var vocab: [String: Int] = [:]
        var maxID = -1
        for (piece, value) in v {
            guard let id = (value as? NSNumber)?.intValue, id >= 0, id < SentencePieceModel.maxPieces else {
                throw bad("BPE vocab id of '\(piece)' is outside 0..<\(SentencePieceModel.maxPieces)")
            }
            vocab[piece] = id
            maxID = max(maxID, id)
        }
        self.vocab = vocab
        vocabularySize = maxID + 1
        for key in ["continuing_subword_prefix", "end_of_word_suffix", "dropout"] {
            if let value = json[key], !(value is NSNull) { throw bad("BPE '\(key)' is not supported") }
        }
        guard let list = json["merges"] as? [Any], list.count <= SentencePieceModel.maxPieces * 2 else {
            throw bad("BPE 'merges' is missing or too long")
        }
        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        merges.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            let pair: [String]
            if let s = entry as? String {
                pair = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                pair = (entry as? [Any])?.compactMap { $0 as? String } ?? []
            }
            guard pair.count == 2, let a = vocab[pair[0]], let b = vocab[pair[1]], let joined = vocab[pair[0] + pair[1]] else {
                throw bad("BPE merge \(rank) (\(entry)) is not two pieces whose join is in the vocabulary")
            }
            merges[UInt64(a) << 32 | UInt64(b)] = (rank, joined)
        }
        self.merges = merges
        if let unk = json["unk_token"] as? String {
            guard let id = vocab[unk] else { throw bad("BPE unk_token '\(unk)' is not in the vocabulary") }
            unkID = id
        } else {
            unkID = nil
        }
        fuseUnknown = (json["fuse_unk"] as? Bool) ?? false
        byteFallback = (json["byte_fallback"] as? Bool) ?? false
        ignoreMerges = (json["ignore_merges"] as? Bool) ?? false
    }

    func encode(_ word: String) -> [Int] {
        if ignoreMerges, let id = vocab[word] { return [id] }
        struct Symbol {
            var id: Int
            var prev: Int
            var next: Int
            var alive = true
        }
        var ids: [Int] = []
        var pendingUnknown = false
        for c in word.unicodeScalars {
            let s = String(c)
            if let id = vocab[s] {
                if pendingUnknown, let u = unkID { ids.append(u) }
                pendingUnknown = false
                ids.append(id)
                continue
            }
            if byteFallback {
                let bytes = Array(s.utf8).compactMap { vocab[SentencePieceModel.bytePiece($0)] }
                if bytes.count == s.utf8.count {
                    ids += bytes
                    continue
                }
            }
            if let u = unkID {
                if pendingUnknown && !fuseUnknown { ids.append(u) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let u = unkID { ids.append(u) }

        var symbols = ids.enumerated().map { Symbol(id: $0.element, prev: $0.offset - 1, next: $0.offset + 1) }
        if let last = symbols.indices.last { symbols[last].next = -1 }
        // Min-heap on (rank, position).
        var heap: [(rank: Int, pos: Int, id: Int)] = []
        func before(_ x: (rank: Int, pos: Int, id: Int), _ y: (rank: Int, pos: Int, id: Int)) -> Bool {
            x.rank != y.rank ? x.rank < y.rank : x.pos < y.pos
        }
        func push(_ e: (rank: Int, pos: Int, id: Int)) {
            heap.append(e)
            var i = heap.count - 1
            while i > 0, before(heap[i], heap[(i - 1) / 2]) {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }
        func pop() -> (rank: Int, pos: Int, id: Int)? {
            guard !heap.isEmpty else { return nil }
            heap.swapAt(0, heap.count - 1)
            let top = heap.removeLast()
            var i = 0
            while true {
                let (l, r) = (2 * i + 1, 2 * i + 2)
                var m = i
                if l < heap.count, before(heap[l], heap[m]) { m = l }
                if r < heap.count, before(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
            return top
        }
        func merge(_ a: Int, _ b: Int) -> (rank: Int, id: Int)? { merges[UInt64(a) << 32 | UInt64(b)] }
        for i in 0..<max(0, symbols.count - 1) {
            if let m = merge(symbols[i].id, symbols[i + 1].id) { push((m.rank, i, m.id)) }
        }
        while let top = pop() {
            let left = symbols[top.pos]
            guard left.alive, left.next != -1 else { continue }
            let right = symbols[left.next]
            guard let m = merge(left.id, right.id), m.id == top.id else { continue }
            symbols[top.pos].id = m.id
            symbols[left.next].alive = false
            symbols[top.pos].next = right.next
            if right.next != -1 { symbols[right.next].prev = top.pos }
            let current = symbols[top.pos]
            if current.prev >= 0, let p = merge(symbols[current.prev].id, current.id) { push((p.rank, current.prev, p.id)) }
            if current.next != -1, let n = merge(current.id, symbols[current.next].id) { push((n.rank, top.pos, n.id)) }
        }
        return symbols.filter(\.alive).map(\.id)
    }
}
