import Foundation

/// Wan2.1's prompt cleaning, `whitespace_clean(basic_clean(text))`: ftfy's repairs, HTML entities
/// decoded twice, every run of Unicode whitespace made one space, trimmed.
///
/// Of ftfy's `fix_text` we do what changes clean Unicode text: NFC, curly quotes made straight, Latin
/// ligatures split, full-width forms made half-width, control characters dropped. Its mojibake repair
/// (text that was decoded with the wrong codec) is not reproduced: typed prompts are not mojibake.
/// HTML: numeric references and the common named entities (`&amp;` `&lt;` `&gt;` `&quot;` `&apos;`
/// `&#39;` `&nbsp;` and typographic quotes/dashes); other names stay as written.
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/tokenizers.py`; ftfy 6 `fixes.py` (`uncurl_quotes`,
/// `fix_latin_ligatures`, `fix_character_width`, `remove_control_chars`); Python `html.unescape`.
public enum WanPromptCleaning {
    public static func clean(_ text: String) -> String {
        var t = fixText(text)
        t = unescapeHTML(unescapeHTML(t))
        return collapseWhitespace(t)
    }

    /// Python `str.strip()`: Unicode whitespace removed at both ends.
    public static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isPythonSpace($0) }),
            let last = scalars.lastIndex(where: { !isPythonSpace($0) })
        else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }

    /// `re.sub(r"\s+", " ", text).strip()`.
    static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for s in text.unicodeScalars {
            if isPythonSpace(s) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(s)
            }
        }
        return String(out)
    }

    /// Python's `str.isspace()` (what `\s` matches in a str pattern).
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default: false
        }
    }

    static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }

    static func fixText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let v = s.value
            switch v {
            case 0x02BC, 0x2018...0x201B: out.append("'")
            case 0x201C...0x201F: out.append("\"")
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: continue
            case 0x3000, 0xFF01...0xFFEF:
                out.append(contentsOf: String(s).precomposedStringWithCompatibilityMapping.unicodeScalars)
            default:
                if let l = ligatures[v] { out.append(contentsOf: l.unicodeScalars) } else { out.append(s) }
            }
        }
        return String(out).precomposedStringWithCanonicalMapping
    }

    private static let ligatures: [UInt32: String] = [
        0x0132: "IJ", 0x0133: "ij", 0x0149: "ʼn", 0x01C4: "DŽ", 0x01C5: "Dž", 0x01C6: "dž", 0x01C7: "LJ", 0x01C8: "Lj",
        0x01C9: "lj", 0x01CA: "NJ", 0x01CB: "Nj", 0x01CC: "nj", 0x01F1: "DZ", 0x01F2: "Dz", 0x01F3: "dz",
        0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "ſt", 0xFB06: "st",
    ]

    private static let entities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "lsquo": "\u{2018}",
        "rsquo": "\u{2019}", "ldquo": "\u{201C}", "rdquo": "\u{201D}", "ndash": "\u{2013}", "mdash": "\u{2014}",
        "hellip": "\u{2026}", "copy": "\u{A9}", "reg": "\u{AE}",
    ]
    /// Names Python also accepts without the semicolon (HTML's legacy entities).
    private static let legacy: Set<String> = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"]

    /// One pass of `html.unescape` over the entities above and numeric references.
    static func unescapeHTML(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&" else {
                out.append(s[i])
                i += 1
                continue
            }
            if let (replacement, length) = entity(s, at: i) {
                out.append(contentsOf: replacement.unicodeScalars)
                i += length
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(out)
    }

    private static func entity(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var j = start + 1
        if j < s.count, s[j] == "#" {
            j += 1
            let hex = j < s.count && (s[j] == "x" || s[j] == "X")
            if hex { j += 1 }
            let digitsStart = j
            while j < s.count, j - digitsStart < 8,
                hex ? s[j].properties.isASCIIHexDigit : ("0"..."9").contains(s[j])
            {
                j += 1
            }
            guard j > digitsStart,
                let value = UInt32(String(String.UnicodeScalarView(s[digitsStart..<j])), radix: hex ? 16 : 10)
            else { return nil }
            if j < s.count, s[j] == ";" { j += 1 }
            let scalar = value == 0 ? nil : Unicode.Scalar(value)
            return (String(scalar ?? "\u{FFFD}"), j - start)
        }
        let nameStart = j
        while j < s.count, j - nameStart < 8, s[j].properties.isAlphabetic, s[j].isASCII { j += 1 }
        let name = String(String.UnicodeScalarView(s[nameStart..<j]))
        guard let value = entities[name] else { return nil }
        if j < s.count, s[j] == ";" { return (value, j + 1 - start) }
        return legacy.contains(name) ? (value, j - start) : nil
    }
}
