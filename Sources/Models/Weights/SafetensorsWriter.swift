import Foundation
import Tensor
import UserMessages

/// Builds a safetensors file in memory: tensors in the order added, header padded with spaces to a
/// multiple of 8 bytes (so the data section is aligned), metadata as a string map.
public struct SafetensorsWriter: Sendable {
    private var items: [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])] = []
    /// Written as `__metadata__`.
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds `values` (row-major) as an f32 tensor of `shape`. Throws when the counts differ or the
    /// name is taken.
    public mutating func add(_ name: String, shape: [Int], values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw WeightsError.invalidTensor(
                path: "(writer)", tensor: name, reason: "\(values.count) values for shape \(shape)")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try add(name, dtype: .f32, shape: shape, bytes: bytes)
    }

    /// Adds raw little-endian `bytes` of `dtype`. Throws when the length does not fit the shape.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        guard name != "__metadata__", !items.contains(where: { $0.name == name }) else {
            throw WeightsError.invalidTensor(path: "(writer)", tensor: name, reason: "name used twice or reserved")
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(dtype.byteSize, *) == bytes.count else {
            throw WeightsError.invalidTensor(
                path: "(writer)", tensor: name, reason: "\(bytes.count) bytes for \(dtype.rawValue) shape \(shape)")
        }
        items.append((name, dtype, shape, bytes))
    }

    /// Adds a tensor downloaded from `backend` in its dtype.
    public mutating func add(_ name: String, _ tensor: Tensor, from backend: some MemoryOps) throws {
        try add(
            name, dtype: SafetensorsDType(tensor.dtype), shape: tensor.shape, bytes: try backend.downloadBytes(tensor))
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for item in items {
            header[item.name] = [
                "dtype": item.dtype.rawValue, "shape": item.shape, "data_offsets": [offset, offset + item.bytes.count],
            ]
            offset += item.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for item in items { out.append(contentsOf: item.bytes) }
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        do { try encoded().write(to: url, options: .atomic) } catch let e as WeightsError { throw e } catch {
            throw WeightsError.io(path: url.path, reason: "cannot write: \(UserMessage.reason(error))")
        }
    }
}
