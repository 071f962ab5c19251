/// A device that owns tensor storage and runs ops on it. Passed explicitly to every op (there is no
/// global default device): two effect instances may render at once on different backends.
///
/// The vocabulary is split by op family, one protocol per file under `Ops/`; `Backend` is all of
/// them. Conventions shared by every op:
/// - Inputs may be any view (strided, broadcast, offset) of any `DType`; elements are read as f32.
///   A backend may make inputs contiguous internally.
/// - Outputs are new, contiguous **f32** tensors (use `cast` to store f16/bf16), except `cast` and
///   the pure layout ops, which keep or set the dtype as documented.
/// - Every input must live in this backend's storage (`TensorError.foreignStorage` otherwise).
/// - Shape errors throw `TensorError` naming the op and the shapes; nothing traps on user data.
/// - Ops may run asynchronously on a device queue; `download` and `synchronize` wait for them.
///
/// Implementations: `CPUBackend` (TensorCPU, OpenBLAS + Swift SIMD) and `VulkanBackend`
/// (TensorVulkan). Optional abilities are answered by `supports(_:)`.
public protocol Backend: MemoryOps, ElementwiseOps, LinearAlgebraOps, ConvolutionOps, NormOps,
    AttentionOps, LayoutOps, ReductionOps
{
    /// The device, for logs and for backend selection.
    var device: DeviceDescription { get }

    /// Whether `op` runs on this backend. Default: true for every op.
    func supports(_ op: Op) -> Bool
}

extension Backend {
    public func supports(_ op: Op) -> Bool { true }

    /// Throws `foreignStorage` unless `storage` is of the backend's storage class `S`; returns it.
    public func own<S: TensorStorage>(_ x: Tensor, as type: S.Type, op: String) throws -> S {
        guard let s = x.storage as? S else {
            throw TensorError.foreignStorage(
                "\(op): a tensor of \(Swift.type(of: x.storage)) given to the \(device.backend) backend")
        }
        return s
    }
}

/// The name of every op, one spelling everywhere (Swift method, shader file, conformance case).
public enum Op: String, Sendable, Hashable, CaseIterable {
    // Memory
    case upload, download, fill
    // Layout
    case contiguous, cast, concat, pad, resize, embedding
    // Elementwise
    case unary, binary, scalar, clamp, modulate, gatedAdd
    // Linear algebra
    case matmul, linear
    // Convolution
    case conv
    // Norms
    case layerNorm, rmsNorm, groupNorm, channelRMSNorm
    // Attention family
    case softmax, rope, attention
    // Reductions
    case reduce
}
