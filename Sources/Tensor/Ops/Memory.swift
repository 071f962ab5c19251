/// Moving elements between the host and backend storage.
public protocol MemoryOps: AnyObject, Sendable {
    /// A new storage for `count` elements of `dtype`, zero-filled.
    /// Throws `outOfMemory` when the allocation fails, `invalidArgument` for a negative count.
    func makeStorage(dtype: DType, count: Int) throws -> any TensorStorage

    /// A new contiguous tensor of `shape` holding `values` (row-major) rounded to `dtype`.
    /// Requires `values.count == Πshape`.
    func upload(_ values: [Float], shape: [Int], dtype: DType) throws -> Tensor

    /// A new contiguous tensor of `shape` from little-endian raw `bytes` of `dtype` (e.g. a
    /// safetensors payload). Requires `bytes.count == Πshape · dtype.byteSize`.
    func upload(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor

    /// The elements of `x` in row-major order of its shape, converted to f32. Waits for pending work.
    func download(_ x: Tensor) throws -> [Float]

    /// The elements of `x` in row-major order as little-endian bytes of `x.dtype`. Waits.
    func downloadBytes(_ x: Tensor) throws -> [UInt8]

    /// A new contiguous tensor of `shape` with every element `value` (rounded to `dtype`).
    func fill(shape: [Int], value: Float, dtype: DType) throws -> Tensor

    /// Waits until all submitted work has finished (no-op on synchronous backends).
    func synchronize() throws
}

extension MemoryOps {
    /// `upload(bytes:shape:dtype:)` from an array.
    public func upload(bytes: [UInt8], shape: [Int], dtype: DType) throws -> Tensor {
        try bytes.withUnsafeBytes { try upload(bytes: $0, shape: shape, dtype: dtype) }
    }

    /// A new f32 (or `dtype`) tensor of zeros.
    public func zeros(_ shape: [Int], dtype: DType = .f32) throws -> Tensor {
        try fill(shape: shape, value: 0, dtype: dtype)
    }
}
