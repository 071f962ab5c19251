// Helpers every op family uses to turn Tensor arguments into buffers, offsets and grids.
import Tensor

/// Storage dtype codes as the shaders' specialization constants spell them (include/common.glsl).
extension DType {
    var shaderCode: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 2
        }
    }
}

/// Threads per work group of the 1-D shaders (`local_size_x = 256`).
let groupSize = 256

extension VulkanBackend {
    /// The Vulkan storage of `x`, or `foreignStorage` naming `op`.
    func buffer(_ x: Tensor, _ op: String) throws -> VulkanBuffer {
        let buffer = try own(x, as: VulkanStorage.self, op: op).buffer
        // A buffer of another VkDevice would be undefined behaviour in the driver, not an error.
        guard buffer.context === context else {
            throw TensorError.foreignStorage(
                "\(op): a tensor of another Vulkan device context given to the vulkan backend on \(device.name)")
        }
        return buffer
    }

    /// A new zero-initialised-or-not device buffer for `count` elements of `dtype` (rounded up to whole
    /// 32-bit words, which the shaders address).
    func newStorage(_ count: Int, _ dtype: DType = .f32, op: String) throws -> VulkanStorage {
        guard count >= 0 else { throw TensorError.invalidArgument("\(op): negative element count \(count)") }
        let bytes = (count * dtype.byteSize + 3) / 4 * 4
        // A shader binds the whole buffer, and a binding may not exceed this device limit.
        let limit = Int(context.limits.maxStorageBufferRange)
        guard bytes <= limit else {
            throw TensorError.outOfMemory(
                "\(op): \(count) \(dtype) elements (\(bytes) bytes) exceed the \(limit)-byte storage-buffer limit of \(device.name)"
            )
        }
        do {
            return VulkanStorage(try VulkanBuffer(context, byteCount: bytes))
        } catch let error as VulkanError {
            throw TensorError.outOfMemory("\(op): \(bytes) bytes on \(device.name): \(error)")
        }
    }

    /// A new contiguous f32 tensor of `shape` (contents undefined until a shader writes it).
    func newTensor(_ shape: [Int], _ dtype: DType = .f32, op: String) throws -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument("\(op): negative size in shape \(shape)")
        }
        let count = try Layout.elementCount(shape, op: op)
        try checkIndexable(count, op)
        return try Tensor(storage: newStorage(count, dtype, op: op), dtype: dtype, shape: shape)
    }

    /// Shaders index with 32-bit unsigned integers.
    func checkIndexable(_ count: Int, _ op: String) throws {
        guard count < Int(UInt32.max) / 2 else {
            throw TensorError.invalidArgument("\(op): \(count) elements exceed the 2³¹ a Vulkan shader can index")
        }
    }

    /// Refuses a dispatch whose invocations would each run more than `loopBudget` loop iterations on
    /// a CPU implementation of Vulkan: lavapipe stops a shader's loops after 65,535 iterations in
    /// total and returns what it has, a wrong number rather than an error. GPUs have no such limit.
    func checkLoopTrips(_ trips: Int, _ op: String, _ what: @autoclosure () -> String) throws {
        guard device.kind == .softwareGPU || device.kind == .cpu, trips > Self.loopBudget else { return }
        throw TensorError.invalidArgument(
            "\(op): \(what()) needs \(trips) loop iterations in one shader invocation, more than \(device.name) "
                + "(a CPU implementation of Vulkan, which cuts loops off at 65,535) runs correctly; use the CPU backend")
    }

    /// A small device buffer holding `words` (shapes and strides for the strided shaders).
    func meta(_ words: [Int], _ op: String) throws -> VulkanBuffer {
        guard words.allSatisfy({ $0 >= 0 && $0 < Int(UInt32.max) }) else {
            throw TensorError.invalidArgument("\(op): a size or stride does not fit 32 bits: \(words)")
        }
        let values = words.map { UInt32($0).littleEndian }
        // Host-visible memory, read by the shader in place: a few words do not merit a staging copy.
        let buffer = try VulkanBuffer(context, byteCount: max(values.count, 1) * 4, staging: true)
        try values.withUnsafeBytes { try buffer.write($0) }
        return buffer
    }

    /// Work groups for `invocations` threads of a 1-D shader (`linear_index` in common.glsl): spread
    /// over y when x would exceed the device's group-count limit.
    func grid(_ invocations: Int, local: Int = groupSize) -> (x: Int, y: Int, z: Int) {
        let groups = (invocations + local - 1) / local
        let maxX = min(Int(context.limits.maxComputeWorkGroupCount.0), 65535)
        if groups <= maxX { return (max(groups, 1), 1, 1) }
        let y = (groups + maxX - 1) / maxX
        return (maxX, y, 1)
    }

    /// x as a contiguous f32 tensor at offset 0: x itself when it already is one, else a copy made
    /// by the `copy` shader (which also widens f16/bf16).
    func dense(_ x: Tensor, _ op: String) throws -> Tensor {
        _ = try buffer(x, op)
        if x.dtype == .f32, x.isContiguous, x.offset == 0 { return x }
        return try gather(x, op: op)
    }

    /// Records the `copy` shader: the elements of view `x` (any dtype) written as f32 into `out`
    /// at `outStrides`/`outOffset` (a contiguous output by default).
    func copy(_ x: Tensor, into out: Tensor, outStrides: [Int]? = nil, outOffset: Int = 0, op: String) throws {
        let count = x.count
        guard count > 0 else { return }
        try checkIndexable(count, op)
        let source = try buffer(x, op)
        let destination = try buffer(out, op)
        let strides = outStrides ?? Layout.contiguousStrides(x.shape)
        // Rank 0 is a one-element rank-1 copy.
        let shape = x.shape.isEmpty ? [1] : x.shape
        let inStrides = x.shape.isEmpty ? [0] : x.strides
        let outS = x.shape.isEmpty ? [0] : strides
        let table = try meta([shape.count] + shape + inStrides + outS, op)
        try context.record { recorder in
            try recorder.dispatch(
                "copy", constants: [x.dtype.shaderCode], buffers: [source, destination, table],
                push: ["count": .uint(count), "in_offset": .uint(x.offset), "out_offset": .uint(outOffset)],
                groups: grid(count))
        }
    }

    /// A contiguous f32 copy of any view.
    func gather(_ x: Tensor, op: String) throws -> Tensor {
        let out = try newTensor(x.shape, op: op)
        try copy(x, into: out, op: op)
        return out
    }

    /// Converts a Vulkan failure into the tensor error vocabulary, naming the op.
    func backendFailure(_ error: Error, _ op: String) -> Error {
        if let error = error as? VulkanError { return TensorError.backendFailure("\(op): \(error)") }
        return error
    }
}
