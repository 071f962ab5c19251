/// A reader of the protobuf wire format, just enough to decode SentencePiece's `ModelProto` by hand
/// (no generated code): varints, 32-bit fixed values and length-delimited fields. Every length is
/// checked against the bytes left before it is used, so a corrupt file ends in an error, never a trap.
///
/// Follows: https://protobuf.dev/programming-guides/encoding/ (wire types 0, 1, 2, 5).
struct ProtobufReader {
    enum WireValue {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    struct Malformed: Error {
        let reason: String
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The next field: its number and value; nil at the end of the message.
    mutating func next() throws -> (field: Int, value: WireValue)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        guard field >= 1, field < 1 << 29 else { throw Malformed(reason: "field number \(key >> 3) at byte \(position)") }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(try fixed(8)))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw Malformed(reason: "field \(field) claims \(length) bytes, \(bytes.endIndex - position) left")
            }
            let start = position
            position += Int(length)
            return (field, .bytes(bytes[start..<position]))
        case 5: return (field, .fixed32(UInt32(try fixed(4))))
        default: throw Malformed(reason: "field \(field) has wire type \(key & 7) (groups are not used here)")
        }
    }

    private mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw Malformed(reason: "truncated varint") }
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw Malformed(reason: "varint longer than 10 bytes") }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    private mutating func fixed(_ count: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= count else { throw Malformed(reason: "truncated \(count * 8)-bit value") }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return value
    }
}

extension ProtobufReader.WireValue {
    /// The value as a protobuf `int32` / enum (negative numbers are 10-byte varints).
    var int32: Int? {
        guard case .varint(let v) = self else { return nil }
        return Int(Int32(truncatingIfNeeded: v))
    }

    var bool: Bool? {
        guard case .varint(let v) = self else { return nil }
        return v != 0
    }

    var float: Float? {
        guard case .fixed32(let v) = self else { return nil }
        return Float(bitPattern: v)
    }

    var data: ArraySlice<UInt8>? {
        guard case .bytes(let b) = self else { return nil }
        return b
    }

    /// A `string` field: must be valid UTF-8.
    var string: String? {
        guard case .bytes(let b) = self else { return nil }
        return String(validating: b, as: UTF8.self)
    }
}
