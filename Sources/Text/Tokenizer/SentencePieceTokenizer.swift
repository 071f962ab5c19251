import Foundation

/// Text → piece ids with a SentencePiece model: normalise, segment (unigram Viterbi or BPE merges),
/// then unknown pieces either become their UTF-8 bytes (byte fallback) or, run-merged, one unknown id.
/// No BOS/EOS is added here (`PromptTokenizer` applies a model family's conventions).
///
/// Follows: google/sentencepiece `SentencePieceProcessor::Encode` / `PopulateSentencePieceText`,
/// `unigram::Model::EncodeOptimized`, `bpe::Model::SampleEncode` (alpha 0).
public struct SentencePieceTokenizer: Sendable {
    public let model: SentencePieceModel
    private let normalizer: SentencePieceNormalizer
    /// Pieces the segmenters may produce: normal, user-defined and unused ones.
    private let pieceTrie: ByteTrie
    /// Control, unknown and byte pieces, looked up by exact text only.
    private let reserved: [String: Int]
    private let byteIDs: [Int]
    private let minScore: Float
    private let maxScore: Float

    public var vocabularySize: Int { model.pieces.count }

    public init(model: SentencePieceModel, path: String = "tokenizer.model") throws {
        self.model = model
        var segmentable: [([UInt8], Int)] = []
        var userDefined: [([UInt8], Int)] = []
        var reserved: [String: Int] = [:]
        var minScore = Float.greatestFiniteMagnitude
        var maxScore = Float.leastNormalMagnitude
        for (i, p) in model.pieces.enumerated() {
            switch p.type {
            case .normal, .userDefined, .unused: segmentable.append((Array(p.text.utf8), i))
            case .control, .unknown, .byte: reserved[p.text] = i
            }
            if p.type == .userDefined { userDefined.append((Array(p.text.utf8), i)) }
            if p.type == .normal {
                minScore = min(minScore, p.score)
                maxScore = max(maxScore, p.score)
            }
        }
        pieceTrie = ByteTrie(segmentable)
        self.reserved = reserved
        byteIDs = model.byteFallback
            ? (0..<256).map { reserved[SentencePieceModel.bytePiece(UInt8($0))] ?? model.unkID } : []
        self.minScore = minScore
        self.maxScore = maxScore
        normalizer = try SentencePieceNormalizer(model: model, userDefined: ByteTrie(userDefined), path: path)
    }

    /// Reads `tokenizer.model` / `spiece.model`.
    public init(contentsOf url: URL) throws {
        try self.init(model: try SentencePieceModel(contentsOf: url), path: url.path)
    }

    /// The normalised text the segmentation sees (spaces as "▁").
    public func normalize(_ text: String) -> String {
        String(decoding: normalizer.normalize(text), as: UTF8.self)
    }

    /// The piece ids of `text` (no special tokens added).
    public func encode(_ text: String) -> [Int] {
        encodeSegment(normalizer.normalize(text))
    }

    /// The ids of already normalised text (a tokenizer.json word).
    func encodeSegment(_ normalized: [UInt8]) -> [Int] {
        guard !normalized.isEmpty else { return [] }
        let segments = model.modelType == .bpe ? bpe(normalized) : unigram(normalized)
        var ids: [Int] = []
        ids.reserveCapacity(segments.count)
        var previousUnknown = false
        for (range, id) in segments {
            let unknown = id == model.unkID
            if unknown && model.byteFallback {
                ids += normalized[range].map { byteIDs[Int($0)] }
            } else if !(unknown && previousUnknown) {
                ids.append(id)
            }
            previousUnknown = unknown
        }
        return ids
    }

    /// The text of piece `id` ("▁" for spaces, `<0x41>` for bytes).
    public func piece(_ id: Int) -> String? { model.pieces.indices.contains(id) ? model.pieces[id].text : nil }

    // MARK: unigram

    /// Viterbi over byte positions: the best-scoring segmentation, an unknown piece (score
    /// min − 10) where no piece of one character exists. Arithmetic in Float as SentencePiece
    /// (user-defined pieces' bonus in Double, as its C++ promotes it).
    private func unigram(_ text: [UInt8]) -> [(Range<Int>, Int)] {
        let size = text.count
        let unkScore = minScore - 10
        var bestScore = [Float](repeating: 0, count: size + 1)
        var startsAt = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let here = bestScore[start]
            let charLength = min(UTF8Scan.announcedLength(text[start]), size - start)
            var hasSingle = false
            pieceTrie.forEachPrefix(text[start...]) { id, length in
                let piece = model.pieces[id]
                if piece.type == .unused { return }
                let end = start + length
                // SentencePiece's ternary promotes both branches to double; the sum is compared in
                // double and stored as float.
                let score: Double =
                    piece.type == .userDefined ? Double(Float(length) * maxScore) - 0.1 : Double(piece.score)
                let candidate = score + Double(here)
                if startsAt[end] == -1 || candidate > Double(bestScore[end]) {
                    bestScore[end] = Float(candidate)
                    startsAt[end] = start
                    bestID[end] = id
                }
                if length == charLength { hasSingle = true }
            }
            if !hasSingle {
                let end = start + charLength
                let candidate = unkScore + here
                if startsAt[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    startsAt[end] = start
                    bestID[end] = model.unkID
                }
            }
            start += charLength
        }
        var out: [(Range<Int>, Int)] = []
        var end = size
        while end > 0 {
            let s = startsAt[end]
            out.append((s..<end, bestID[end]))
            end = s
        }
        return out.reversed()
    }

    // MARK: BPE

    /// Greedy merges: repeatedly join the adjacent pair whose concatenation is the highest-scoring
    /// piece (leftmost on ties); user-defined pieces are never merged.
    private func bpe(_ text: [UInt8]) -> [(Range<Int>, Int)] {
        struct Symbol {
            var range: Range<Int>
            var prev: Int
            var next: Int
            var frozen: Bool
        }
        var symbols: [Symbol] = []
        var at = 0
        while at < text.count {
            let user = normalizerUserDefinedLength(text[at...])
            let n = user ?? min(UTF8Scan.announcedLength(text[at]), text.count - at)
            symbols.append(Symbol(range: at..<(at + n), prev: symbols.count - 1, next: -1, frozen: user != nil))
            at += n
        }
        for i in symbols.indices.dropLast() { symbols[i].next = i + 1 }
        var agenda = PairHeap()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
            let joined = symbols[left].range.lowerBound..<symbols[right].range.upperBound
            guard let id = pieceTrie.lookup(text[joined]) else { return }
            agenda.push(.init(left: left, right: right, score: model.pieces[id].score, size: joined.count))
        }
        for i in symbols.indices.dropFirst() { consider(i - 1, i) }
        while let top = agenda.pop() {
            let l = symbols[top.left]
            let r = symbols[top.right]
            guard !l.range.isEmpty, !r.range.isEmpty, l.range.count + r.range.count == top.size, l.next == top.right
            else { continue }
            symbols[top.left].range = l.range.lowerBound..<r.range.upperBound
            symbols[top.left].next = r.next
            if r.next >= 0 { symbols[r.next].prev = top.left }
            symbols[top.right].range = r.range.lowerBound..<r.range.lowerBound
            consider(symbols[top.left].prev, top.left)
            consider(top.left, symbols[top.left].next)
        }
        var out: [(Range<Int>, Int)] = []
        var i = symbols.isEmpty ? -1 : 0
        while i >= 0 {
            let r = symbols[i].range
            out.append((r, idOf(text[r])))
            i = symbols[i].next
        }
        return out
    }

    private func normalizerUserDefinedLength(_ text: ArraySlice<UInt8>) -> Int? {
        var best: Int?
        pieceTrie.forEachPrefix(text) { id, length in
            if model.pieces[id].type == .userDefined { best = length }
        }
        return best
    }

    /// SentencePiece's `PieceToId`: reserved pieces first, then the rest, else unknown.
    private func idOf(_ bytes: ArraySlice<UInt8>) -> Int {
        if let id = reserved[String(decoding: bytes, as: UTF8.self)] { return id }
        return pieceTrie.lookup(bytes) ?? model.unkID
    }
}

/// A max-heap of candidate merges: higher score first, then the leftmost.
private struct PairHeap {
    struct Pair {
        var left: Int
        var right: Int
        var score: Float
        var size: Int
    }
    private var items: [Pair] = []

    private static func before(_ a: Pair, _ b: Pair) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }

    mutating func push(_ p: Pair) {
        items.append(p)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Pair? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let (l, r) = (2 * i + 1, 2 * i + 2)
                var m = i
                if l < items.count && Self.before(items[l], items[m]) { m = l }
                if r < items.count && Self.before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
