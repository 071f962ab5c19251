/// SentencePiece's text normaliser: the compiled character-map rules (longest match in a Darts
/// double-array trie, replaced by a NUL-terminated string), then whitespace handling (drop leading,
/// trailing and repeated spaces; a dummy leading space; spaces escaped as U+2581 "▁"). User-defined
/// pieces are copied untouched. Malformed UTF-8 becomes U+FFFD one byte at a time.
///
/// Follows: google/sentencepiece `normalizer.cc` (`Normalize`, `NormalizePrefix`,
/// `DecodePrecompiledCharsMap`) and darts-clone's `commonPrefixSearch` unit layout.
struct SentencePieceNormalizer: Sendable {
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    let spec: SentencePieceModel.NormalizerSpec
    let treatWhitespaceAsSuffix: Bool
    private let trie: [UInt32]
    private let replacements: [UInt8]
    /// Literal pieces copied as they are (the model's user-defined pieces).
    private let userDefined: ByteTrie

    init(model: SentencePieceModel, userDefined: ByteTrie, path: String) throws {
        spec = model.normalizer
        treatWhitespaceAsSuffix = model.treatWhitespaceAsSuffix
        self.userDefined = userDefined
        let blob = spec.precompiledCharsmap
        if blob.isEmpty {
            trie = []
            replacements = []
            return
        }
        func bad(_ reason: String) -> TextError { .invalidTokenizer(path: path, reason: "precompiled_charsmap: \(reason)") }
        guard blob.count > 4 else { throw bad("\(blob.count) bytes") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize <= blob.count - 4, trieSize % 4 == 0, trieSize >= 4 else {
            throw bad("trie of \(trieSize) bytes in a blob of \(blob.count)")
        }
        trie = (0..<(trieSize / 4)).map { i in
            let o = 4 + 4 * i
            return UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        replacements = Array(blob[(4 + trieSize)...])
    }

    /// The normalised UTF-8 bytes of `text` (what the segmentation model sees).
    func normalize(_ text: String) -> [UInt8] {
        var input = Array(text.utf8)[...]
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3)
        if spec.removeExtraWhitespaces {
            while !input.isEmpty {
                let (replacement, consumed) = prefix(input)
                guard replacement.elementsEqual([0x20]) else { break }
                input = input.dropFirst(consumed)
            }
        }
        guard !input.isEmpty else { return [] }
        let space: [UInt8] = spec.escapeWhitespaces ? Self.spaceSymbol : [0x20]
        if !treatWhitespaceAsSuffix && spec.addDummyPrefix { out += space }
        var previousWasSpace = spec.removeExtraWhitespaces
        while !input.isEmpty {
            var (piece, consumed) = prefix(input)
            while previousWasSpace, piece.first == 0x20 { piece = piece.dropFirst() }
            if !piece.isEmpty {
                for b in piece {
                    if spec.escapeWhitespaces && b == 0x20 { out += Self.spaceSymbol } else { out.append(b) }
                }
                previousWasSpace = piece.last == 0x20
            }
            input = input.dropFirst(consumed)
            if !spec.removeExtraWhitespaces { previousWasSpace = false }
        }
        if spec.removeExtraWhitespaces {
            while out.count >= space.count, out.suffix(space.count).elementsEqual(space) { out.removeLast(space.count) }
        }
        if treatWhitespaceAsSuffix && spec.addDummyPrefix { out += space }
        return out
    }

    /// tokenizers' `Precompiled` normaliser, which applies the same rules differently: per grapheme
    /// cluster (under 6 bytes) the replacement of the *shortest* rule matching its start replaces the
    /// whole cluster; otherwise each character on its own the same way. No whitespace handling.
    func hfPrecompiled(_ text: String) -> String {
        guard !trie.isEmpty else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for cluster in text {
            let bytes = Array(cluster.utf8)
            if bytes.count < 6, let r = firstRule(bytes[...]) {
                out += r
                continue
            }
            for scalar in cluster.unicodeScalars {
                let c = Array(String(scalar).utf8)
                out += firstRule(c[...]) ?? c[...]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The replacement of the shortest rule that is a prefix of `input`, nil when none is.
    private func firstRule(_ input: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let (value, _) = commonPrefixes(input).first, value < replacements.count else { return nil }
        let end = replacements[value...].firstIndex(of: 0) ?? replacements.endIndex
        return replacements[value..<end]
    }

    /// The replacement of the longest rule matching the start of `input` and the bytes it consumes.
    private func prefix(_ input: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Int) {
        if let n = userDefined.longestPrefix(input)?.length { return (input.prefix(n), n) }
        var longest = 0
        var value = 0
        if !trie.isEmpty {
            for (v, length) in commonPrefixes(input) where length > longest {
                longest = length
                value = v
            }
        }
        if longest > 0, value < replacements.count {
            let end = replacements[value...].firstIndex(of: 0) ?? replacements.endIndex
            return (replacements[value..<end], longest)
        }
        let n = UTF8Scan.validLength(input)
        if n == 0 { return ([0xEF, 0xBF, 0xBD], 1) }
        return (input.prefix(n), n)
    }

    /// Darts-clone `commonPrefixSearch`: every (value, length) of a key that is a prefix of `key`.
    /// Positions outside the array end the search (a corrupt trie cannot read out of bounds).
    private func commonPrefixes(_ key: ArraySlice<UInt8>) -> [(Int, Int)] {
        func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
        func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
        var results: [(Int, Int)] = []
        var node = offset(trie[0])
        for (i, c) in key.enumerated() {
            node ^= Int(c)
            guard node < trie.count else { return results }
            let unit = trie[node]
            guard label(unit) == UInt32(c) else { return results }
            node ^= offset(unit)
            guard node < trie.count else { return results }
            if (unit >> 8) & 1 == 1 { results.append((Int(trie[node] & 0x7FFF_FFFF), i + 1)) }
        }
        return results
    }
}

/// UTF-8 scanning as SentencePiece does it.
enum UTF8Scan {
    /// Length of the valid UTF-8 character at the start of `s`, 0 when it is malformed (SentencePiece's
    /// `IsValidDecodeUTF8`: no overlong forms, no surrogates, ≤ U+10FFFF).
    static func validLength(_ s: ArraySlice<UInt8>) -> Int {
        guard let b0 = s.first else { return 0 }
        if b0 < 0x80 { return 1 }
        let i = s.startIndex
        func cont(_ k: Int) -> UInt32? {
            guard s.count > k, s[i + k] & 0xC0 == 0x80 else { return nil }
            return UInt32(s[i + k] & 0x3F)
        }
        switch b0 {
        case 0xC2...0xDF:
            return cont(1) == nil ? 0 : 2
        case 0xE0...0xEF:
            guard let c1 = cont(1), let c2 = cont(2) else { return 0 }
            let cp = UInt32(b0 & 0x0F) << 12 | c1 << 6 | c2
            return cp >= 0x800 && !(0xD800...0xDFFF).contains(cp) ? 3 : 0
        case 0xF0...0xF4:
            guard let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) else { return 0 }
            let cp = UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            return (0x10000...0x10FFFF).contains(cp) ? 4 : 0
        default: return 0
        }
    }

    /// SentencePiece's `OneCharLen`: the length the first byte announces (1 for a stray byte).
    static func announcedLength(_ b: UInt8) -> Int {
        switch b >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }
}
