import Foundation

/// ftfy 6's `fix_text` with its default settings, the first step of Wan's prompt cleaning.
///
/// Line by line (a segment ends after each "\n"): HTML references decoded (until a segment holds a
/// '<', which means the text is HTML), mojibake undone (`MojibakeRepair`), C1 controls read as
/// Windows-1252, Latin ligatures split, full-width forms made half-width, curly quotes made
/// straight, line breaks made "\n", terminal colour escapes and invisible control characters
/// dropped, NFC — repeated until the segment no longer changes. (ftfy's surrogate repair has
/// nothing to do here: a Swift string holds no lone surrogates.)
///
/// Follows ftfy 6.3 `__init__.py` (`fix_text`, `fix_and_explain`) and `fixes.py`.
enum TextRepair {
    static func fixText(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = [Unicode.Scalar]()
        out.reserveCapacity(scalars.count)
        var decodeHTML = true
        var start = 0
        while start < scalars.count {
            var end = scalars[start...].firstIndex(of: "\n").map { $0 + 1 } ?? scalars.count
            end = min(end, start + 1_000_000)
            let segment = Array(scalars[start..<end])
            if decodeHTML, segment.contains("<") { decodeHTML = false }
            out.append(contentsOf: fixSegment(segment, decodeHTML: decodeHTML))
            start = end
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: out)
        return String(view)
    }

    static func fixSegment(_ segment: [Unicode.Scalar], decodeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        // Every pass that changes the text undoes something; the bound is a guard.
        for _ in 0..<64 {
            let original = text
            if decodeHTML { text = HTMLCharacterReferences.ftfyUnescape(text) }
            text = MojibakeRepair.fixEncoding(text)
            text = MojibakeRepair.fixC1Controls(text)
            text = mapScalars(text)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = text.filter { !isControl($0) }
            text = nfc(text)
            if text == original { break }
        }
        return text
    }

    /// Ligatures, character width and quotes: each a per-character replacement.
    private static func mapScalars(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        for s in text {
            let v = s.value
            if let l = ligatures[v] {
                out.append(contentsOf: l.unicodeScalars)
            } else if v == 0x3000 {
                out.append(" ")
            } else if (0xFF01...0xFFEF).contains(v) {
                out.append(contentsOf: String(s).precomposedStringWithCompatibilityMapping.unicodeScalars)
            } else {
                out.append(s)
            }
        }
        // Quotes after width: a full-width apostrophe is already ASCII then.
        return out.map { s in
            switch s.value {
            case 0x02BC, 0x2018...0x201B: "'"
            case 0x201C...0x201F: "\""
            default: s
            }
        }
    }

    private static func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            switch text[i] {
            case "\r":
                out.append("\n")
                if i + 1 < text.count, text[i + 1] == "\n" { i += 1 }
            case "\u{2028}", "\u{2029}", "\u{85}": out.append("\n")
            default: out.append(text[i])
            }
            i += 1
        }
        return out
    }

    /// ANSI escapes `ESC [ (digits|;)* letter` (Python's `\d`: any decimal digit).
    private static func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var out = [Unicode.Scalar]()
        var i = 0
        while i < text.count {
            if text[i] == "\u{1B}", i + 1 < text.count, text[i + 1] == "[" {
                var j = i + 2
                while j < text.count, text[j] == ";" || text[j].properties.generalCategory == .decimalNumber { j += 1 }
                if j < text.count, ("a"..."z").contains(text[j]) || ("A"..."Z").contains(text[j]) {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// Control characters with no visible effect (ftfy's `remove_control_chars`).
    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: true
        default: false
        }
    }

    private static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if text.allSatisfy({ $0.value < 0x300 }) { return text }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text)
        return Array(String(view).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    private static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "ʼn", 0x01C4: "DŽ", 0x01C5: "Dž", 0x01C6: "dž", 0x01C7: "LJ", 0x01C8: "Lj",
        0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "ſt", 0xFB06: "st",
    ]
}
