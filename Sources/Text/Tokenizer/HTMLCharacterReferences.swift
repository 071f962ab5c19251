/// HTML character references the two ways Wan's prompt cleaning decodes them: Python's
/// `html.unescape` (every HTML5 name, with the legacy names that need no ';' and the longest-prefix
/// rule, numeric references with HTML5's replacements) and ftfy's `unescape_html` (only `&name;`
/// with its ';', some all-caps names such as `&EACUTE;`, numeric references that decode cleanly).
/// Tables: `TextTables` (Python's `html.entities.html5`).
enum HTMLCharacterReferences {
    private static func parse(_ table: String) -> [String: [Unicode.Scalar]] {
        var out: [String: [Unicode.Scalar]] = [:]
        for line in table.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let scalars = line[line.index(after: eq)...].split(separator: "+").compactMap {
                UInt32($0, radix: 16).flatMap(Unicode.Scalar.init)
            }
            out[String(line[..<eq])] = scalars
        }
        return out
    }

    /// Names as `html.entities.html5` spells them (`amp;` and `amp`).
    private static let html5 = parse(TextTables.html5)
    /// ftfy's table: the html5 names that end in ';', and the all-caps spellings.
    private static let ftfyNames: [String: [Unicode.Scalar]] = {
        var names = html5.filter { $0.key.hasSuffix(";") }
        names.merge(parse(TextTables.upperCaseHTML)) { old, _ in old }
        return names
    }()
    private static let longestHTML5Name = html5.keys.map(\.count).max() ?? 0

    private static func isASCIIDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    private static func isASCIIHex(_ s: Unicode.Scalar) -> Bool {
        isASCIIDigit(s) || ("a"..."f").contains(s) || ("A"..."F").contains(s)
    }
    private static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        isASCIIDigit(s) || ("a"..."z").contains(s) || ("A"..."Z").contains(s)
    }
    /// A table key; names are ASCII (a non-ASCII name must not match through canonical equivalence,
    /// as U+212A KELVIN SIGN would match "K").
    private static func string(_ s: ArraySlice<Unicode.Scalar>) -> String {
        guard s.allSatisfy(\.isASCII) else { return "\u{FFFF}" }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    /// Python's `html.unescape`.
    static func pythonUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == "&", let (replacement, length) = pythonReference(text, at: i) {
                out.append(contentsOf: replacement)
                i += length
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// The reference `html.unescape`'s pattern matches at `start` (an '&'), and what replaces it.
    private static func pythonReference(_ t: [Unicode.Scalar], at start: Int) -> ([Unicode.Scalar], Int)? {
        var j = start + 1
        guard j < t.count else { return nil }
        if t[j] == "#" {
            j += 1
            var hex = false
            if j < t.count, isASCIIDigit(t[j]) {
            } else if j + 1 < t.count, t[j] == "x" || t[j] == "X", isASCIIHex(t[j + 1]) {
                hex = true
                j += 1
            } else {
                return nil
            }
            var value: UInt64 = 0
            while j < t.count, hex ? isASCIIHex(t[j]) : isASCIIDigit(t[j]) {
                let digit = UInt64(Int(String(t[j]), radix: 16) ?? 0)
                // Saturate: any value past U+10FFFF decodes the same way.
                value = min(value * (hex ? 16 : 10) + digit, 0x1_0000_0000)
                j += 1
            }
            if j < t.count, t[j] == ";" { j += 1 }
            return (numericReference(value), j - start)
        }
        let excluded: Set<Unicode.Scalar> = ["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"]
        while j < t.count, j - (start + 1) < 32, !excluded.contains(t[j]) { j += 1 }
        guard j > start + 1 else { return nil }
        if j < t.count, t[j] == ";" { j += 1 }
        let name = t[(start + 1)..<j]
        if let value = html5[string(name)] { return (value, j - start) }
        // The longest name that is a prefix (at least two characters), the rest kept as it is.
        for length in stride(from: min(name.count - 1, longestHTML5Name), through: 2, by: -1) {
            let prefix = name.prefix(length)
            if let value = html5[string(prefix)] { return (value + name.dropFirst(length), j - start) }
        }
        return (["&"] + name, j - start)
    }

    private static func numericReference(_ value: UInt64) -> [Unicode.Scalar] {
        if value <= UInt64(UInt32.max), let replaced = TextTables.invalidCharacterReferences[UInt32(value)] {
            return [Unicode.Scalar(replaced)!]
        }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return ["\u{FFFD}"] }
        if TextTables.invalidCodePoints.contains(UInt32(value)) { return [] }
        return [Unicode.Scalar(UInt32(value))!]
    }

    /// ftfy's `unescape_html`: `&#?[0-9A-Za-z]{1,24};` references that name an entity (with its ';')
    /// or decode as a number with nothing left over; others stay as written.
    static func ftfyUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard text[i] == "&" else {
                out.append(text[i])
                i += 1
                continue
            }
            var j = i + 1
            if j < text.count, text[j] == "#" { j += 1 }
            let bodyStart = j
            while j < text.count, j - bodyStart < 24, isASCIIAlnum(text[j]) { j += 1 }
            guard j > bodyStart, j < text.count, text[j] == ";" else {
                out.append(text[i])
                i += 1
                continue
            }
            let reference = Array(text[i...j])
            let numeric = text[i + 1] == "#"
            if !numeric, let value = ftfyNames[string(text[(i + 1)...j])] {
                out.append(contentsOf: value)
            } else if numeric {
                let decoded = pythonUnescape(reference)
                out.append(contentsOf: decoded.contains(";") ? reference : decoded)
            } else {
                out.append(contentsOf: reference)
            }
            i = j + 1
        }
        return out
    }
}
