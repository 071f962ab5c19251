/// ftfy 6's `fix_encoding`: undo mojibake — UTF-8 that was decoded with a single-byte codec
/// (Windows-1252, Latin-1, …), possibly several times — as ftfy.fix_text does with its default
/// settings. One step: when the text looks bad (`MojibakeBadness`), encode it with the first codec
/// that can hold it and decode the bytes as UTF-8 (putting back NBSP bytes that became spaces and
/// marking bytes lost to U+FFFD first); failing that, decode only the runs that look like UTF-8
/// mojibake; then Latin-1 read as Windows-1252, then lone C1 controls. Steps repeat until the text
/// no longer changes.
///
/// Follows ftfy 6.3 `__init__.py` (`_fix_encoding_one_step_and_explain`), `fixes.py`
/// (`restore_byte_a0`, `replace_lossy_sequences`, `decode_inconsistent_utf8`, `fix_c1_controls`),
/// `chardata.py` (`ALTERED_UTF8_RE`, `LOSSY_UTF8_RE`, `UTF8_DETECTOR_RE`).
enum MojibakeRepair {
    static func fixEncoding(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var current = text
        // Each step that changes the text shortens it or replaces C1 controls; the bound is a guard.
        for _ in 0..<(4 * text.count + 8) {
            let next = oneStep(current)
            if next == current { return current }
            current = next
        }
        return current
    }

    static func oneStep(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.isEmpty || text.allSatisfy(\.isASCII) || !MojibakeBadness.isBad(text[...]) { return text }
        var latin1Possible = false
        for codec in SingleByteCodec.mojibakeCandidates {
            guard var bytes = codec.encode(text[...]) else { continue }
            if codec.name == .latin1 { latin1Possible = true }
            if codec.name != .macRoman, containsAlteredUTF8(bytes) { bytes = restoreByteA0(bytes) }
            if codec.sloppy { bytes = replaceLossySequences(bytes) }
            let variants = bytes.contains(0xED) || bytes.contains(0xC0)
            if let fixed = UTF8Decoding.decode(bytes, variants: variants) { return fixed }
        }
        if containsUTF8Mojibake(text) {
            let fixed = decodeInconsistentUTF8(text)
            if fixed != text { return fixed }
        }
        // Latin-1 text whose C1 controls were meant as Windows-1252 (ftfy's check for text that is also
        // Windows-1252 never fires: it looks for a codec name its list does not hold).
        if latin1Possible, let bytes = SingleByteCodec.latin1.encode(text[...]) {
            var decoded = [Unicode.Scalar]()
            var ok = true
            for b in bytes {
                guard let s = SingleByteCodec.windows1252.decode(b) else {
                    ok = false
                    break
                }
                decoded.append(s)
            }
            if ok, decoded != text { return decoded }
        }
        if text.contains(where: isC1) { return fixC1Controls(text) }
        return text
    }

    static func isC1(_ s: Unicode.Scalar) -> Bool { (0x80...0x9F).contains(s.value) }

    /// ftfy's `fix_c1_controls`: each C1 control read as the Windows-1252 byte of that value.
    static func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { isC1($0) ? SingleByteCodec.sloppyWindows1252.decode(UInt8($0.value)) ?? $0 : $0 }
    }

    // MARK: - Spaces that were NBSP bytes

    private static func inRange(_ b: UInt8, _ ranges: [ClosedRange<UInt8>]) -> Bool { ranges.contains { $0.contains(b) } }
    private static let continuationNotA0orNEL: [ClosedRange<UInt8>] = [0x80...0x84, 0x86...0x9F, 0xA1...0xBF]

    /// Length of an `ALTERED_UTF8_RE` match at `i`: a UTF-8 sequence whose 0xA0 byte became a space.
    private static func alteredUTF8Match(_ b: [UInt8], at i: Int) -> Int? {
        let n = b.count
        func at(_ k: Int) -> UInt8? { i + k < n ? b[i + k] : nil }
        guard let lead = at(0) else { return nil }
        if [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9].contains(lead), at(1) == 0x20 { return 2 }
        if lead == 0xE2 || lead == 0xE3, at(1) == 0x20, let c = at(2), inRange(c, continuationNotA0orNEL) { return 3 }
        if (0xE0...0xE3).contains(lead), let c = at(1), inRange(c, continuationNotA0orNEL), at(2) == 0x20 { return 3 }
        if lead == 0xF0, let b1 = at(1), let b2 = at(2), let b3 = at(3) {
            let cont: (UInt8) -> Bool = { (0x80...0xBF).contains($0) }
            if b1 == 0x20, cont(b2), cont(b3) { return 4 }
            if cont(b1), b2 == 0x20, cont(b3) { return 4 }
            if cont(b1), cont(b2), b3 == 0x20 { return 4 }
        }
        return nil
    }

    static func containsAlteredUTF8(_ b: [UInt8]) -> Bool { b.indices.contains { alteredUTF8Match(b, at: $0) != nil } }

    /// ftfy's `restore_byte_a0`: "Ã " becomes "à " unless it starts a Portuguese/Italian word that
    /// legitimately follows "à" … (`A_GRAVE_WORD_RE`), then every altered sequence gets its 0xA0 back.
    static func restoreByteA0(_ input: [UInt8]) -> [UInt8] {
        var b = [UInt8]()
        b.reserveCapacity(input.count + 8)
        var i = 0
        let exceptions: [[UInt8]] = [Array(" ".utf8), Array("quele".utf8), Array("quela".utf8), Array("quilo".utf8), Array("s ".utf8)]
        while i < input.count {
            if input[i] == 0xC3, i + 1 < input.count, input[i + 1] == 0x20 {
                let rest = input[(i + 2)...]
                if !exceptions.contains(where: { rest.starts(with: $0) }) {
                    b.append(contentsOf: [0xC3, 0xA0, 0x20])
                    i += 2
                    continue
                }
            }
            b.append(input[i])
            i += 1
        }
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        i = 0
        while i < b.count {
            if let n = alteredUTF8Match(b, at: i) {
                out.append(contentsOf: b[i..<(i + n)].map { $0 == 0x20 ? 0xA0 : $0 })
                i += n
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - Bytes lost to U+FFFD

    /// Length of a `LOSSY_UTF8_RE` match at `i`: a UTF-8 sequence with a byte lost (0x1A, the sloppy
    /// codecs' byte for U+FFFD, or at most one '?').
    private static func lossyMatch(_ b: [UInt8], at i: Int) -> Int? {
        let n = b.count
        func at(_ k: Int) -> UInt8? { i + k < n ? b[i + k] : nil }
        func isLost(_ k: Int) -> Bool { at(k) == 0x1A || at(k) == UInt8(ascii: "?") }
        func isLostOrCont(_ k: Int) -> Bool { at(k).map { $0 == 0x1A || (0x80...0xBF).contains($0) } ?? false }
        func isAnyOrCont(_ k: Int) -> Bool { at(k).map { $0 == 0x1A || $0 == UInt8(ascii: "?") || (0x80...0xBF).contains($0) } ?? false }
        guard let lead = at(0) else { return nil }
        if (0xC2...0xDF).contains(lead), at(1) == 0x1A { return 2 }
        if (0xC2...0xC3).contains(lead), at(1) == UInt8(ascii: "?") { return 2 }
        if lead == 0xED, let b1 = at(1), (0xA0...0xAF).contains(b1), at(3) == 0xED, let b4 = at(4), (0xB0...0xBF).contains(b4) {
            if isLost(2), isAnyOrCont(5) { return 6 }
            if isAnyOrCont(2), isLost(5) { return 6 }
        }
        if (0xE0...0xEF).contains(lead) {
            if isLost(1), isLostOrCont(2) { return 3 }
            if isLostOrCont(1), isLost(2) { return 3 }
        }
        if (0xF0...0xF4).contains(lead) {
            if isLost(1), isLostOrCont(2), isLostOrCont(3) { return 4 }
            if isLostOrCont(1), isLost(2), isLostOrCont(3) { return 4 }
            if isLostOrCont(1), isLostOrCont(2), isLost(3) { return 4 }
        }
        if lead == 0x1A { return 1 }
        return nil
    }

    /// ftfy's `replace_lossy_sequences`: each such sequence becomes the UTF-8 of U+FFFD.
    static func replaceLossySequences(_ b: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if let n = lossyMatch(b, at: i) {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += n
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - Mojibake embedded in correct text

    private static let firstOf2 = SingleByteCodec.characters(decodedFrom: 0xC2...0xDF)
    private static let firstOf3 = SingleByteCodec.characters(decodedFrom: 0xE0...0xEF)
    private static let firstOf4 = SingleByteCodec.characters(decodedFrom: 0xF0...0xF0)
        .union(SingleByteCodec.characters(decodedFrom: 0xF3...0xF3))
    /// Continuation-byte look-alikes, and a space standing for 0xA0.
    private static let continuation = SingleByteCodec.characters(decodedFrom: 0x80...0xBF).union([0x20])
    /// … without the ones that often stand for themselves next to mojibake (space, dashes, quotes,
    /// bullet, ellipsis).
    private static let strictContinuation = continuation.subtracting([
        0x20, 0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2022, 0x2026,
    ])

    /// Length of one `UTF8_DETECTOR_RE` unit at `i` (a lead look-alike and its continuations).
    private static func utf8Unit(_ t: [Unicode.Scalar], at i: Int) -> Int? {
        func cont(_ k: Int, _ count: Int) -> Bool {
            guard i + k + count <= t.count else { return false }
            return (0..<count).allSatisfy { continuation.contains(t[i + k + $0].value) }
        }
        guard i < t.count else { return nil }
        let v = t[i].value
        if firstOf2.contains(v), cont(1, 1) { return 2 }
        if firstOf3.contains(v), cont(1, 2) { return 3 }
        if firstOf4.contains(v), cont(1, 3) { return 4 }
        return nil
    }

    /// Runs of UTF-8 look-alikes not preceded by a strict continuation look-alike.
    private static func utf8Run(_ t: [Unicode.Scalar], at i: Int) -> Int? {
        if i > 0, strictContinuation.contains(t[i - 1].value) { return nil }
        var end = i
        while let n = utf8Unit(t, at: end) { end += n }
        return end > i ? end - i : nil
    }

    static func containsUTF8Mojibake(_ t: [Unicode.Scalar]) -> Bool { t.indices.contains { utf8Run(t, at: $0) != nil } }

    /// ftfy's `decode_inconsistent_utf8`: each run of UTF-8 look-alikes that is shorter than the text
    /// and looks bad by itself is fixed on its own.
    static func decodeInconsistentUTF8(_ t: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            if let n = utf8Run(t, at: i) {
                let run = Array(t[i..<(i + n)])
                out.append(contentsOf: n < t.count && MojibakeBadness.isBad(run[...]) ? fixEncoding(run) : run)
                i += n
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return out
    }
}
