/// ftfy 6's "badness" heuristic: does the text hold a sequence of characters that is far more likely
/// to be mojibake (UTF-8 decoded with a single-byte codec) than meant? ftfy sorts the few hundred
/// characters that occur in such mojibake into categories and looks for unlikely neighbours (an
/// accented lower-case letter before a currency sign, …) and for a few literal sequences that common
/// mix-ups produce. The rule list below follows ftfy's `badness.py` (`MOJIBAKE_CATEGORIES`,
/// `BADNESS_RE`) one alternative per row; `isBad` says whether any row matches anywhere.
enum MojibakeBadness {
    /// Category bits of a scalar.
    struct Category: OptionSet, Sendable {
        let rawValue: UInt16
        static let common = Category(rawValue: 1 << 0)
        static let c1 = Category(rawValue: 1 << 1)
        static let bad = Category(rawValue: 1 << 2)
        static let law = Category(rawValue: 1 << 3)
        static let currency = Category(rawValue: 1 << 4)
        static let startPunctuation = Category(rawValue: 1 << 5)
        static let endPunctuation = Category(rawValue: 1 << 6)
        static let numeric = Category(rawValue: 1 << 7)
        static let kaomoji = Category(rawValue: 1 << 8)
        static let upperAccented = Category(rawValue: 1 << 9)
        static let lowerAccented = Category(rawValue: 1 << 10)
        static let upperCommon = Category(rawValue: 1 << 11)
        static let lowerCommon = Category(rawValue: 1 << 12)
        static let box = Category(rawValue: 1 << 13)
    }

    private static let members: [(Category, [ClosedRange<UInt32>])] = [
        (.common, [0xA0...0xA0, 0xAD...0xAD, 0xB4...0xB4, 0xB7...0xB7, 0x2013...0x2015, 0x2019...0x2019, 0x2026...0x2026]),
        (.c1, [0x80...0x9F]),
        (
            .bad,
            [
                0xA4...0xA4, 0xA6...0xA6, 0xA8...0xA8, 0xAA...0xAA, 0xAC...0xAC, 0xAF...0xAF, 0xB8...0xB8,
                0xBA...0xBA, 0x192...0x192, 0x2C6...0x2C7, 0x2D8...0x2D8, 0x2DB...0x2DC, 0x2020...0x2021,
                0x2030...0x2030, 0x2310...0x2310, 0x25CA...0x25CA, 0xFFFD...0xFFFD,
            ]
        ),
        (.law, [0xA7...0xA7, 0xB6...0xB6]),
        (.currency, [0xA2...0xA3, 0xA5...0xA5, 0x20A7...0x20A7, 0x20AC...0x20AC]),
        (
            .startPunctuation,
            [
                0xA1...0xA1, 0xA9...0xA9, 0xAB...0xAB, 0xBF...0xBF, 0x384...0x385, 0x2018...0x2018, 0x201A...0x201A,
                0x201C...0x201C, 0x201E...0x201E, 0x2022...0x2022, 0x2039...0x2039, 0xF8FF...0xF8FF,
            ]
        ),
        (.endPunctuation, [0xAE...0xAE, 0xBB...0xBB, 0x2DD...0x2DD, 0x201D...0x201D, 0x203A...0x203A, 0x2122...0x2122]),
        (
            .numeric,
            [
                0xB1...0xB3, 0xB5...0xB5, 0xB9...0xB9, 0xBC...0xBE, 0xD7...0xD7, 0xF7...0xF7, 0x2044...0x2044,
                0x2116...0x2116, 0x2202...0x2202, 0x2206...0x2206, 0x220F...0x220F, 0x2211...0x2211,
                0x221A...0x221A, 0x221E...0x221E, 0x2229...0x2229, 0x222B...0x222B, 0x2248...0x2248,
                0x2260...0x2261, 0x2264...0x2265,
            ]
        ),
        (
            .kaomoji,
            [
                0xB0...0xB0, 0xD2...0xD6, 0xD9...0xDC, 0xF2...0xF6, 0xF8...0xFC, 0x14C...0x14C, 0x150...0x150,
                0x16A...0x16A, 0x172...0x172,
            ]
        ),
        (
            .upperAccented,
            [
                0xC0...0xD1, 0xD8...0xD8, 0xDC...0xDD, 0x100...0x100, 0x102...0x102, 0x104...0x104, 0x106...0x106,
                0x10C...0x10C, 0x10E...0x10E, 0x110...0x110, 0x112...0x112, 0x116...0x116, 0x118...0x118,
                0x11A...0x11A, 0x11E...0x11E, 0x122...0x122, 0x12A...0x12A, 0x130...0x130, 0x136...0x136,
                0x139...0x139, 0x13B...0x13B, 0x13D...0x13D, 0x141...0x141, 0x143...0x143, 0x145...0x145,
                0x147...0x147, 0x152...0x152, 0x158...0x158, 0x15A...0x15A, 0x15E...0x15E, 0x160...0x160,
                0x162...0x162, 0x164...0x164, 0x16E...0x16E, 0x170...0x170, 0x178...0x179, 0x17B...0x17B,
                0x17D...0x17D, 0x490...0x490,
            ]
        ),
        (
            .lowerAccented,
            [
                0xDF...0xF1, 0xFC...0xFC, 0x101...0x101, 0x103...0x103, 0x105...0x105, 0x107...0x107, 0x10D...0x10D,
                0x10F...0x10F, 0x111...0x111, 0x113...0x113, 0x117...0x117, 0x119...0x119, 0x11B...0x11B,
                0x11F...0x11F, 0x123...0x123, 0x12B...0x12B, 0x12F...0x12F, 0x137...0x137, 0x13A...0x13A,
                0x13C...0x13C, 0x13E...0x13E, 0x142...0x142, 0x153...0x153, 0x155...0x155, 0x15B...0x15B,
                0x15F...0x15F, 0x161...0x161, 0x165...0x165, 0x17A...0x17A, 0x17C...0x17C, 0x17E...0x17E,
                0x491...0x491, 0xFB01...0xFB02,
            ]
        ),
        (.upperCommon, [0xDE...0xDE, 0x386...0x386, 0x388...0x38A, 0x38C...0x38C, 0x38E...0x38F, 0x391...0x3AB, 0x401...0x42F]),
        (.lowerCommon, [0x3AC...0x3C9, 0x430...0x45F]),
        (
            .box,
            [
                0x2502...0x2502, 0x250C...0x250C, 0x2510...0x2510, 0x2518...0x2518, 0x251C...0x251C,
                0x2524...0x2524, 0x252C...0x252C, 0x253C...0x253C, 0x2550...0x256C, 0x2580...0x2580,
                0x2584...0x2584, 0x2588...0x2588, 0x258C...0x258C, 0x2590...0x2593,
            ]
        ),
    ]

    private static let table: [UInt32: Category] = {
        var t: [UInt32: Category] = [:]
        for (category, ranges) in members {
            for r in ranges { for v in r { t[v, default: []].insert(category) } }
        }
        return t
    }()

    static func category(_ s: Unicode.Scalar) -> Category { table[s.value] ?? [] }

    /// One position of a rule.
    enum Match: Sendable {
        case any(Category)
        case anyOf(Category, String)
        case chars(String)
        case asciiLetter, asciiLower
        case pythonSpace
        case word
        case notASCIILetter
        case notNewline

        func matches(_ s: Unicode.Scalar) -> Bool {
            switch self {
            case .any(let c): return !MojibakeBadness.category(s).isDisjoint(with: c)
            case .anyOf(let c, let extra):
                return !MojibakeBadness.category(s).isDisjoint(with: c) || extra.unicodeScalars.contains(s)
            case .chars(let set): return set.unicodeScalars.contains(s)
            case .asciiLetter: return ("a"..."z").contains(s) || ("A"..."Z").contains(s)
            case .asciiLower: return ("a"..."z").contains(s)
            case .pythonSpace: return WanPromptCleaning.isPythonSpace(s)
            case .word: return PythonCharacterClass.isWord(s)
            case .notASCIILetter: return !(("a"..."z").contains(s) || ("A"..."Z").contains(s))
            case .notNewline: return s != "\n"
            }
        }
    }

    private typealias C = Category
    private static let accentedEtc: C = [.bad, .lowerAccented, .upperAccented, .box, .startPunctuation,
        .endPunctuation, .currency, .numeric, .law]
    private static let accentedEtcNoBad: C = accentedEtc.subtracting(.bad)
    private static let arabicSecond = Match.anyOf([.common, .currency, .bad, .numeric, .startPunctuation], "ŸŠ®°µ»")

    /// `BADNESS_RE`'s alternatives, in its order; `startOnly` rows match only at the text's start.
    private static let rules: [(startOnly: Bool, pattern: [Match])] = [
        (false, [.any(.c1)]),
        (false, [.any(accentedEtc), .any(.bad)]),
        (false, [.asciiLetter, .any([.lowerCommon, .upperCommon]), .any(.bad)]),
        (false, [.any(.bad), .any(accentedEtcNoBad)]),
        (false, [.any([.lowerAccented, .lowerCommon, .box, .endPunctuation, .currency, .numeric]), .any(.upperAccented)]),
        (false, [.any([.box, .endPunctuation, .currency, .numeric]), .any(.lowerAccented)]),
        (false, [.any([.lowerAccented, .box, .endPunctuation]), .any(.currency)]),
        (false, [.pythonSpace, .any(.upperAccented), .any(.currency)]),
        (false, [.any([.upperAccented, .box]), .any([.numeric, .law])]),
        (
            false,
            [.any([.lowerAccented, .upperAccented, .box, .currency, .endPunctuation]), .any(.startPunctuation), .any(.numeric)]
        ),
        (
            false,
            [
                .any([.lowerAccented, .upperAccented, .currency, .numeric, .box, .law]), .any(.endPunctuation),
                .any(.startPunctuation),
            ]
        ),
        (false, [.any([.currency, .numeric, .box]), .any(.startPunctuation)]),
        (false, [.asciiLower, .any(.upperAccented), .any([.startPunctuation, .currency])]),
        (false, [.any(.box), .any(.kaomoji)]),
        (
            false,
            [
                .any([.lowerAccented, .upperAccented, .currency, .numeric, .startPunctuation, .endPunctuation, .law]),
                .any(.box),
            ]
        ),
        (false, [.any(.box), .any(.endPunctuation)]),
        (false, [.any([.lowerAccented, .upperAccented]), .any([.startPunctuation, .endPunctuation]), .word]),
        (false, [.chars("Œœ"), .notASCIILetter]),
        (false, [.any(.upperAccented), .chars("°")]),
        (false, [.chars("ÂÃÎÐ"), .anyOf([.startPunctuation, .endPunctuation], "€œŠš¢£Ÿž\u{A0}\u{AD}®©°·»–—´")]),
        (false, [.chars("×"), .chars("²³")]),
        (false, [.chars("ØÙ"), arabicSecond, .chars("ØÙ"), arabicSecond]),
        (false, [.chars("à"), .chars("²µ¹¼½¾")]),
        (false, [.chars("√"), .chars("±∂†≠®™´≤≥¥µø")]),
        (false, [.chars("≈"), .chars("°¢")]),
        (false, [.chars("‚"), .chars("Ä"), .chars("ìîïòôúùû†°¢π")]),
        (false, [.chars("‚"), .chars("âó"), .chars("àä°ê")]),
        (false, [.chars("в"), .chars("Ђ")]),
        (
            false,
            [
                .chars("ВГРС"), .anyOf([.c1, .bad, .startPunctuation, .endPunctuation, .currency], "°µ"),
                .chars("ВГРС"),
            ]
        ),
        (false, [.chars("Г"), .chars("ў"), .chars("В"), .chars("Ђ"), .chars("В"), .notNewline, .chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")]),
        (false, [.chars("Ã"), .chars("\u{A0}¡")]),
        (false, [.asciiLower, .chars("ÃÂ"), .chars(" ")]),
        (false, [.asciiLower, .pythonSpace, .chars("ÃÂ"), .chars(" ")]),
        (true, [.chars("ÃÂ"), .chars(" ")]),
        (false, [.anyOf(.endPunctuation, "abcdefghijklmnopqrstuvwxyz.,?!"), .chars("Â"), .anyOf([.startPunctuation, .endPunctuation], " ")]),
        (false, [.chars("β"), .chars("€"), .chars("™\u{A0}Ά\u{AD}®°")]),
        (false, [.chars("ΒΓΞΟ"), .anyOf([.c1, .bad, .startPunctuation, .endPunctuation, .currency], "°"), .chars("ΒΓΞΟ")]),
        (false, [.chars("ā"), .chars("€")]),
    ]

    /// ftfy's `is_bad`: some rule matches somewhere in `text`.
    static func isBad(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
        let start = text.startIndex
        // Every rule starts with a character of a category, a listed character or an ASCII letter
        // (or a space); skip the plain ASCII run quickly.
        for i in text.indices {
            let s = text[i]
            if s.isASCII, !(("a"..."z").contains(s) || ("A"..."Z").contains(s) || WanPromptCleaning.isPythonSpace(s) || ".,?!".unicodeScalars.contains(s)) {
                continue
            }
            for rule in rules where !rule.startOnly || i == start {
                guard i + rule.pattern.count <= text.endIndex else { continue }
                var k = i
                var all = true
                for m in rule.pattern {
                    if !m.matches(text[k]) {
                        all = false
                        break
                    }
                    k += 1
                }
                if all { return true }
            }
        }
        return false
    }
}

/// Python's `re` classes for `str` patterns that the rules need.
enum PythonCharacterClass {
    /// `\w`: `str.isalnum()` or `_` (letters and numbers of every script; not combining marks).
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s == "_" { return true }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return s.properties.numericType != nil
        }
    }
}
