import Foundation

/// Wan2.1's prompt cleaning, `whitespace_clean(basic_clean(text))`: ftfy's repairs, HTML entities
/// decoded twice, every run of Unicode whitespace made one space, trimmed.
///
/// ftfy's `fix_text` is `TextRepair` (mojibake repair included), the HTML decoding Python's
/// `html.unescape` (`HTMLCharacterReferences`).
///
/// Follows: Wan-Video/Wan2.1 `wan/modules/tokenizers.py` (`basic_clean`, `whitespace_clean`).
public enum WanPromptCleaning {
    public static func clean(_ text: String) -> String {
        let fixed = Array(TextRepair.fixText(text).unicodeScalars)
        let unescaped = HTMLCharacterReferences.pythonUnescape(HTMLCharacterReferences.pythonUnescape(fixed))
        var view = String.UnicodeScalarView()
        view.append(contentsOf: unescaped)
        return collapseWhitespace(String(view))
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
}
