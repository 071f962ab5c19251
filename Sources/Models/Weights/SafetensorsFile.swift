import Foundation
import Tensor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A safetensors file — or a PyTorch `torch.save` zip, read by `TorchCheckpoint` into the same kind of
/// header — mapped into memory (mmap, read-only): the header is parsed and validated
/// once (see `SafetensorsHeader`); tensor bytes are read straight from the mapping, so opening a
/// multi-GB checkpoint costs only its header and pages are touched only when a tensor is loaded.
///
/// Follows: huggingface/safetensors (format spec); the reader is our own.
public final class SafetensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and immutable for the object's life; unmapped in deinit.
    /// Where the file is, for messages.
    public let path: String
    /// The validated header.
    public let header: SafetensorsHeader
    /// File size in bytes.
    public let byteCount: Int
    private let base: UnsafeRawPointer

    /// Maps and validates `url`. Throws `WeightsError` for a missing, unreadable or malformed file.
    public init(url: URL) throws {
        let path = url.path
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw WeightsError.io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw WeightsError.io(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw WeightsError.io(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size >= 8 else {
            throw WeightsError.invalidFile(
                path: path, reason: "\(size) bytes is too short for a safetensors or PyTorch checkpoint")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw WeightsError.io(path: path, reason: "cannot mmap: \(String(cString: strerror(errno)))")
        }
        do {
            let all = UnsafeRawBufferPointer(start: mapped, count: size)
            // A zip ("PK\3\4") is a PyTorch checkpoint (torch.save); anything else must be safetensors.
            if all[0] == 0x50, all[1] == 0x4B, all[2] == 0x03, all[3] == 0x04 {
                self.header = try TorchCheckpoint.header(all, path: path)
            } else {
                self.header = try SafetensorsHeader(prefix: all, fileSize: size, path: path)
            }
        } catch {
            munmap(mapped, size)
            throw error
        }
        self.base = UnsafeRawPointer(mapped)
        self.byteCount = size
    }

    /// `init(url:)` from a path string.
    public convenience init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }

    /// Tensor names, sorted.
    public var names: [String] { header.entries.keys.sorted() }

    /// The header entry of `name`, or `notFound`.
    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let e = header.entries[name] else { throw WeightsError.notFound(tensor: name, checkpoint: path) }
        return e
    }

    /// Calls `body` with the raw little-endian bytes of `name`, valid only inside `body`.
    public func withBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let e = try entry(name)
        return try body(UnsafeRawBufferPointer(start: base + header.dataStart + e.begin, count: e.end - e.begin))
    }

    /// Tensor `name` uploaded to `backend` in its stored dtype (f32, f16 or bf16).
    public func tensor(_ name: String, on backend: some MemoryOps) throws -> Tensor {
        let e = try entry(name)
        guard let dtype = e.dtype.tensorDType else {
            throw WeightsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype.rawValue)
        }
        return try withBytes(name) { try backend.upload(bytes: $0, shape: e.shape, dtype: dtype) }
    }

    /// The elements of `name` converted to f32 on the host (for small tensors: inputs, goldens).
    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        return try withBytes(name) { raw in
            switch e.dtype {
            case .f32:
                (0..<e.count).map {
                    Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian)
                }
            case .f16:
                (0..<e.count).map {
                    HalfConversion.float(
                        f16Bits: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian)
                }
            case .bf16:
                (0..<e.count).map {
                    Float(
                        bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian)
                            << 16)
                }
            case .f64:
                (0..<e.count).map {
                    Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian))
                }
            default: throw WeightsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype.rawValue)
            }
        }
    }
}
