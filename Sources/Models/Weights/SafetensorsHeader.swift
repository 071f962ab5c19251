import Foundation
import Tensor
import UserMessages

/// Element types a safetensors header may name. Only F32, F16 and BF16 become tensors; the others
/// are known so that their byte lengths can still be validated and `inspect` can list them.
public enum SafetensorsDType: String, Sendable, Hashable, CaseIterable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }

    /// The tensor dtype this loads as, or nil when it cannot be loaded.
    public var tensorDType: DType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        default: nil
        }
    }

    /// The safetensors name of a tensor dtype.
    public init(_ dtype: DType) {
        switch dtype {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        }
    }
}

/// One tensor's entry of a safetensors header: where its bytes are, relative to the data section.
public struct SafetensorsEntry: Sendable, Hashable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major sizes, e.g. `[out, in]` for a Linear weight.
    public let shape: [Int]
    /// Byte range `begin ..< end` inside the data section (after the 8-byte length and the header).
    public let begin: Int
    public let end: Int

    /// Number of elements, `Πshape`.
    public var count: Int { shape.reduce(1, *) }
}

/// The parsed, validated header of a safetensors file.
///
/// Layout: `u64 little-endian N`, then N bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, …, "__metadata__": {str: str}}`,
/// then the data section. Validation is strict (as the reference implementation): the header fits
/// in the file and is at most 100 MB, every entry has a known dtype, non-negative sizes whose byte
/// length `Πshape · size(dtype)` equals `e − b` without overflow, and the entries tile the data
/// section exactly: no overlap, no gap, nothing past the end.
public struct SafetensorsHeader: Sendable {
    /// Entries by tensor name.
    public let entries: [String: SafetensorsEntry]
    /// The free-form `__metadata__` map (e.g. the goldens' `config` JSON).
    public let metadata: [String: String]
    /// Byte offset of the data section in the file: 8 + N.
    public let dataStart: Int

    /// Largest header accepted, as the reference implementation.
    public static let maxHeaderBytes = 100_000_000
    /// Most tensors one file may list (HuMo-17B has 1,583; umT5-XXL a few hundred).
    public static let maxEntries = 200_000

    /// A header built by another reader (PyTorch checkpoints), entries already bounded by the file.
    init(entries: [String: SafetensorsEntry], metadata: [String: String], dataStart: Int) {
        self.entries = entries
        self.metadata = metadata
        self.dataStart = dataStart
    }

    /// Parses and validates the header of a file of `fileSize` bytes whose first bytes are `prefix`
    /// (at least the whole header). `path` only names the file in errors.
    public init(prefix: UnsafeRawBufferPointer, fileSize: Int, path: String) throws {
        func bad(_ reason: String) -> WeightsError { .invalidFile(path: path, reason: reason) }
        guard fileSize >= 8, prefix.count >= 8 else {
            throw bad("\(fileSize) bytes is too short for the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw bad("header length \(n) exceeds the limit of \(Self.maxHeaderBytes) bytes")
        }
        let headerBytes = Int(n)
        guard 8 + headerBytes <= fileSize else {
            throw bad("header length \(headerBytes) is larger than the file (\(fileSize) bytes)")
        }
        guard 8 + headerBytes <= prefix.count else { throw bad("header not fully read") }
        guard headerBytes >= 2, prefix[8] == UInt8(ascii: "{") else {
            throw bad("the header does not start with a JSON object")
        }
        // A real model has at most tens of thousands of tensors; a header listing millions of tiny ones
        // is refused before the JSON parser spends minutes and gigabytes on it.
        var entryCount = 0
        let key = Array("data_offsets".utf8)
        var i = 8
        let end = 8 + headerBytes - key.count
        while i <= end {
            if prefix[i] == key[0] && prefix[i + 1] == key[1] {
                var match = true
                for j in 2..<key.count where prefix[i + j] != key[j] {
                    match = false
                    break
                }
                if match {
                    entryCount += 1
                    guard entryCount <= Self.maxEntries else {
                        throw bad("the header lists more than \(Self.maxEntries) tensors; no model has that many")
                    }
                    i += key.count
                    continue
                }
            }
            i += 1
        }
        let json = Data(prefix[8..<(8 + headerBytes)])
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw bad("the header is \(UserMessage.text(error))")
        }
        guard let root = object as? [String: Any] else { throw bad("the header is not a JSON object") }
        let dataSize = fileSize - 8 - headerBytes
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw bad("__metadata__ value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try Self.entry(name: name, value: value, dataSize: dataSize, path: path)
        }
        // The entries must tile the data section: sorted by start, each begins where the last ended.
        var cursor = 0
        var previous = "the start of the data section"
        for e in entries.values.sorted(by: { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }) {
            if e.begin < cursor {
                throw WeightsError.invalidTensor(
                    path: path, tensor: e.name, reason: "bytes \(e.begin)..<\(e.end) overlap \(previous)")
            }
            if e.begin > cursor {
                throw WeightsError.invalidTensor(
                    path: path, tensor: e.name,
                    reason: "starts at byte \(e.begin) but \(previous) ends at \(cursor) (a gap in the data section)")
            }
            cursor = e.end
            previous = "tensor '\(e.name)'"
        }
        guard cursor == dataSize else {
            throw bad("the tensors cover \(cursor) bytes of a \(dataSize)-byte data section")
        }
        self.entries = entries
        self.metadata = metadata
        self.dataStart = 8 + headerBytes
    }

    private static func entry(name: String, value: Any, dataSize: Int, path: String) throws -> SafetensorsEntry {
        func bad(_ reason: String) -> WeightsError { .invalidTensor(path: path, tensor: name, reason: reason) }
        guard let fields = value as? [String: Any] else { throw bad("entry is not a JSON object") }
        guard let dtypeName = fields["dtype"] as? String else { throw bad("no dtype string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw bad("unknown dtype '\(dtypeName)'") }
        guard let shapeValues = fields["shape"] as? [Any] else { throw bad("no shape array") }
        guard shapeValues.count <= 16 else { throw bad("\(shapeValues.count) axes (at most 16)") }
        let shape = try shapeValues.map { v -> Int in
            guard let i = exactInt(v), i >= 0 else {
                throw bad("shape \(shapeValues) has a size that is not a non-negative integer")
            }
            return i
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
            let begin = exactInt(offsets[0]), let end = exactInt(offsets[1])
        else { throw bad("data_offsets is not a pair of integers") }
        guard begin >= 0, begin <= end else { throw bad("data_offsets [\(begin), \(end)] is not an ordered range") }
        guard end <= dataSize else {
            throw bad("data_offsets end \(end) is past the data section (\(dataSize) bytes)")
        }
        var bytes = dtype.byteSize
        for n in shape {
            let (p, o) = bytes.multipliedReportingOverflow(by: n)
            guard !o else { throw bad("shape \(shape) overflows the byte count") }
            bytes = p
        }
        guard bytes == end - begin else {
            throw bad("shape \(shape) of \(dtypeName) needs \(bytes) bytes, data_offsets give \(end - begin)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    // JSON numbers arrive as NSNumber; only exact integers (no fractions, booleans or huge doubles) pass.
    private static func exactInt(_ v: Any) -> Int? {
        guard type(of: v) != Bool.self, let number = v as? NSNumber else { return nil }
        let d = number.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return number.intValue
    }
}
