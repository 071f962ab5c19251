/// A single-byte character encoding as ftfy uses it to undo mojibake: text that was UTF-8 but was
/// decoded with one of these is encoded back to bytes with it and decoded again as UTF-8.
///
/// "Sloppy" codecs (ftfy's `sloppy-windows-125x`) decode every byte: one the real codec leaves
/// undefined stands for the Latin-1 character of the same value, and byte 0x1A stands for U+FFFD
/// (so text where a lost byte became U+FFFD can still be encoded).
/// Tables: `TextTables` (Python's codecs, tools/fixtures/text/make_text_tables.py).
struct SingleByteCodec: Sendable {
    enum Name: Sendable, Equatable {
        case latin1, windows1252, windows1251, windows1250, windows1253, windows1254, windows1257
        case iso8859_2, macRoman, cp437
    }
    let name: Name
    let sloppy: Bool
    /// Decoded code point of every byte.
    let decodeTable: [UInt32]
    private let encodeTable: [UInt32: UInt8]

    init(_ name: Name, high: [UInt16]?, sloppy: Bool) {
        self.name = name
        self.sloppy = sloppy
        var table = (0..<256).map { UInt32($0) }
        if let high {
            for (i, c) in high.enumerated() where c != 0xFFFD { table[0x80 + i] = UInt32(c) }
            if !sloppy {
                for (i, c) in high.enumerated() where c == 0xFFFD { table[0x80 + i] = UInt32.max }
            }
        }
        if sloppy { table[0x1A] = 0xFFFD }
        decodeTable = table
        var encode: [UInt32: UInt8] = [:]
        for (byte, c) in table.enumerated() where c != UInt32.max && encode[c] == nil { encode[c] = UInt8(byte) }
        encodeTable = encode
    }

    /// The bytes of `text`, or nil when a character has no byte in this codec.
    func encode(_ text: ArraySlice<Unicode.Scalar>) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        for s in text {
            guard let b = encodeTable[s.value] else { return nil }
            out.append(b)
        }
        return out
    }

    func canEncode(_ text: ArraySlice<Unicode.Scalar>) -> Bool { text.allSatisfy { encodeTable[$0.value] != nil } }

    func decode(_ byte: UInt8) -> Unicode.Scalar? { Unicode.Scalar(decodeTable[Int(byte)]) }

    /// The order ftfy tries them in (`CHARMAP_ENCODINGS`).
    static let mojibakeCandidates: [SingleByteCodec] = [
        latin1, sloppyWindows1252,
        SingleByteCodec(.windows1251, high: TextTables.windows1251, sloppy: true),
        SingleByteCodec(.windows1250, high: TextTables.windows1250, sloppy: true),
        SingleByteCodec(.windows1253, high: TextTables.windows1253, sloppy: true),
        SingleByteCodec(.windows1254, high: TextTables.windows1254, sloppy: true),
        SingleByteCodec(.windows1257, high: TextTables.windows1257, sloppy: true),
        SingleByteCodec(.iso8859_2, high: TextTables.iso8859_2, sloppy: false),
        SingleByteCodec(.macRoman, high: TextTables.macRoman, sloppy: false),
        SingleByteCodec(.cp437, high: TextTables.cp437, sloppy: false),
    ]
    static let latin1 = SingleByteCodec(.latin1, high: nil, sloppy: false)
    static let sloppyWindows1252 = SingleByteCodec(.windows1252, high: TextTables.windows1252, sloppy: true)
    /// Strict Windows-1252: bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D do not decode.
    static let windows1252 = SingleByteCodec(.windows1252, high: TextTables.windows1252, sloppy: false)

    /// Characters the Latin-1-like codecs (Latin-1 and Windows-1250/1251/1252/1253/1254/1257) decode
    /// `bytes` to: what a UTF-8 lead or continuation byte looks like after such a mix-up.
    static func characters(decodedFrom bytes: ClosedRange<UInt8>) -> Set<UInt32> {
        var out = Set<UInt32>()
        for codec in mojibakeCandidates.prefix(7) {
            for b in bytes { out.insert(codec.decodeTable[Int(b)]) }
        }
        return out
    }
}

/// Python's strict UTF-8 decoder, or ftfy's `utf-8-variants` (also CESU-8 surrogate pairs and
/// Java's two-byte NUL `C0 80`). Nil when the bytes do not decode.
enum UTF8Decoding {
    static func decode(_ bytes: [UInt8], variants: Bool) -> [Unicode.Scalar]? {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(bytes.count)
        var i = 0
        let n = bytes.count
        func continuation(_ k: Int) -> UInt32? {
            k < n && bytes[k] & 0xC0 == 0x80 ? UInt32(bytes[k] & 0x3F) : nil
        }
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                out.append(Unicode.Scalar(b))
                i += 1
                continue
            }
            if variants, b == 0xC0, i + 1 < n, bytes[i + 1] == 0x80 {
                out.append("\u{0}")
                i += 2
                continue
            }
            if variants, b == 0xED, i + 5 < n, (0xA0...0xAF).contains(bytes[i + 1]), bytes[i + 2] & 0xC0 == 0x80,
                bytes[i + 3] == 0xED, (0xB0...0xBF).contains(bytes[i + 4]), bytes[i + 5] & 0xC0 == 0x80
            {
                let value = (UInt32(bytes[i + 1] & 0x0F) << 16) + (UInt32(bytes[i + 2] & 0x3F) << 10)
                    + (UInt32(bytes[i + 4] & 0x0F) << 6) + UInt32(bytes[i + 5] & 0x3F) + 0x10000
                guard let s = Unicode.Scalar(value) else { return nil }
                out.append(s)
                i += 6
                continue
            }
            let value: UInt32
            switch b {
            case 0xC2...0xDF:
                guard let c1 = continuation(i + 1) else { return nil }
                value = (UInt32(b & 0x1F) << 6) | c1
                i += 2
            case 0xE0...0xEF:
                guard let c1 = continuation(i + 1), let c2 = continuation(i + 2) else { return nil }
                value = (UInt32(b & 0x0F) << 12) | (c1 << 6) | c2
                guard value >= 0x800, !(0xD800...0xDFFF).contains(value) else { return nil }
                i += 3
            case 0xF0...0xF4:
                guard let c1 = continuation(i + 1), let c2 = continuation(i + 2), let c3 = continuation(i + 3)
                else { return nil }
                value = (UInt32(b & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
                guard (0x10000...0x10FFFF).contains(value) else { return nil }
                i += 4
            default: return nil
            }
            guard let s = Unicode.Scalar(value) else { return nil }
            out.append(s)
        }
        return out
    }
}
