// MemoryOps: storage, uploads, downloads and fills. Host data is converted to the storage dtype on
// the host (HalfConversion, bit-exact with the CPU backend) and written once.
import Tensor

extension VulkanBackend {
    public func makeStorage(dtype: DType, count: Int) throws -> any TensorStorage {
        try checkIndexable(count, "makeStorage")
        let storage = try newStorage(count, dtype, op: "makeStorage")
        try context.record { $0.fill(storage.buffer, word: 0) }
        return storage
    }

    public func upload(_ values: [Float], shape: [Int], dtype: DType) throws -> Tensor {
        try checkShape(shape, count: values.count, "upload")
        let bytes = HalfConversion.encode(values, as: dtype)
        return try bytes.withUnsafeBytes { try upload(bytes: $0, shape: shape, dtype: dtype) }
    }

    public func upload(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument("upload: negative size in shape \(shape)")
        }
        let count = try Layout.elementCount(shape, op: "upload")
        guard bytes.count == count * dtype.byteSize else {
            throw TensorError.shapeMismatch(
                "upload: \(bytes.count) bytes for shape \(shape) of \(dtype) (\(count * dtype.byteSize) expected)")
        }
        let out = try newTensor(shape, dtype, op: "upload")
        do {
            try buffer(out, "upload").write(bytes)
        } catch {
            throw backendFailure(error, "upload")
        }
        return out
    }

    public func download(_ x: Tensor) throws -> [Float] {
        let dense = try dense(x, "download")
        var values = [Float](repeating: 0, count: dense.count)
        do {
            try values.withUnsafeMutableBytes { try buffer(dense, "download").read(into: $0) }
        } catch {
            throw backendFailure(error, "download")
        }
        return values.map { Float(bitPattern: $0.bitPattern.littleEndian) }
    }

    public func downloadBytes(_ x: Tensor) throws -> [UInt8] {
        let packed: Tensor
        if x.isContiguous {
            packed = x
        } else {
            packed = try cast(x, to: x.dtype)
        }
        var bytes = [UInt8](repeating: 0, count: packed.count * packed.dtype.byteSize)
        do {
            try bytes.withUnsafeMutableBytes {
                try buffer(packed, "downloadBytes").read(into: $0, at: packed.offset * packed.dtype.byteSize)
            }
        } catch {
            throw backendFailure(error, "downloadBytes")
        }
        return bytes
    }

    public func fill(shape: [Int], value: Float, dtype: DType) throws -> Tensor {
        let out = try newTensor(shape, dtype, op: "fill")
        // One 32-bit pattern fills any dtype: an f32, or the same half twice.
        let word: UInt32 =
            switch dtype {
            case .f32: value.bitPattern
            case .f16: UInt32(HalfConversion.f16Bits(value)) * 0x1_0001
            case .bf16: UInt32(HalfConversion.bf16Bits(value)) * 0x1_0001
            }
        let target = try buffer(out, "fill")
        try context.record { $0.fill(target, word: word) }
        return out
    }

    /// Throws unless `shape` is valid and holds `count` elements.
    func checkShape(_ shape: [Int], count: Int, _ op: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument("\(op): negative size in shape \(shape)")
        }
        let elements = try Layout.elementCount(shape, op: op)
        guard elements == count else {
            throw TensorError.shapeMismatch("\(op): \(count) values for shape \(shape) (\(elements) elements)")
        }
    }
}
